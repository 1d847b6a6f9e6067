import { fbtraceId } from './ids';
import type { InjectedFailure } from './types';

/** A Graph API error answer: `{"error": {...}}` with its HTTP status. */
export class MetaError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details: string | null = null,
    readonly extra: { type?: string; subcode?: number } = {},
  ) {
    super(message);
    this.name = 'MetaError';
  }

  body() {
    return {
      error: {
        message: this.message,
        type: this.extra.type ?? 'OAuthException',
        code: this.code,
        ...(this.extra.subcode === undefined ? {} : { error_subcode: this.extra.subcode }),
        ...(this.details === null
          ? {}
          : { error_data: { messaging_product: 'whatsapp', details: this.details } }),
        fbtrace_id: fbtraceId(),
      },
    };
  }
}

export const invalidToken = () =>
  new MetaError(401, 190, 'Invalid OAuth access token - Cannot parse access token');

/** Meta's answer for an object that does not exist or that the token may not use. */
export const unsupportedRequest = (method: string, id: string) =>
  new MetaError(
    400,
    100,
    `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    null,
    { type: 'GraphMethodException', subcode: 33 },
  );

export const nonexistingField = (field: string, nodeType: string) =>
  new MetaError(
    400,
    100,
    `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
  );

export const invalidParameter = (details: string) =>
  new MetaError(400, 100, '(#100) Invalid parameter', details);

/** A parameter present and of the right kind whose value Meta refuses (too long, out of range, unknown). */
export const invalidValue = (details: string) =>
  new MetaError(400, 131009, '(#131009) Parameter value is not valid', details);

export const templateNotFound = (name: string, language: string) =>
  new MetaError(
    404,
    132001,
    '(#132001) Template name does not exist in the translation',
    `template name (${name}) does not exist in ${language}`,
  );

export const parameterMismatch = (details: string) =>
  new MetaError(
    400,
    132000,
    '(#132000) Number of parameters does not match the expected number of params',
    details,
  );

export const rateLimitHit = () =>
  new MetaError(
    429,
    130429,
    '(#130429) Rate limit hit',
    'Message failed to send because there were too many messages sent from this phone number in a short period of time',
  );

/** Meta answers it with 400, unlike the number's throughput limit. */
export const pairRateLimitHit = () =>
  new MetaError(
    400,
    131056,
    '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  );

/**
 * Meta documents no code of its own for the portfolio's messaging limit; 131048 is the one whose
 * text its messaging-limit page quoted for sends beyond the limit, so the simulator answers it.
 */
export const messagingLimitHit = () =>
  new MetaError(
    400,
    131048,
    '(#131048) Spam rate limit hit',
    'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
  );

export const somethingWentWrong = () =>
  new MetaError(
    500,
    131000,
    '(#131000) Something went wrong',
    'Message failed to send due to an unknown error.',
  );

/** /marketing_messages takes MARKETING templates only. */
export const notMarketingTemplate = (name: string, category: string) =>
  invalidParameter(
    `Template (${name}) is a ${category} template: only MARKETING templates can be sent through the Marketing Messages API. Send it through /messages.`,
  );

/** /marketing_messages from a number whose business has not accepted the API's terms. */
export const notOnboardedToMarketingMessages = () =>
  new MetaError(
    403,
    10,
    '(#10) Application does not have permission for this action',
    'The business has not accepted the Marketing Messages API for WhatsApp terms of service.',
    { type: 'OAuthException' },
  );

/**
 * Meta's errors about the recipient of a valid message, as its error code reference words
 * them: `title` is what a failed status's `errors[]` carries.
 */
export const RECIPIENT_ERRORS: Readonly<
  Record<number, { httpStatus: number; title: string; details: string }>
> = {
  131049: {
    httpStatus: 400,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details:
      'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  130472: {
    httpStatus: 400,
    title: "User's number is part of an experiment",
    details: "Failed to send message because this user's phone number is part of an experiment.",
  },
};

/**
 * An injected error with Meta's status, message and details filled in for the codes Meta
 * words itself (131049, 130472); null when the code is another and any of them is missing.
 */
export function withMetaWording(
  f: Omit<Extract<InjectedFailure, { code: number }>, 'httpStatus' | 'message'> & {
    httpStatus?: number;
    message?: string;
  },
): InjectedFailure | null {
  const known = RECIPIENT_ERRORS[f.code];
  const httpStatus = f.httpStatus ?? known?.httpStatus;
  const message = f.message ?? (known ? `(#${f.code}) ${known.title}` : undefined);
  if (httpStatus === undefined || message === undefined) return null;
  return { ...f, httpStatus, message, details: f.details ?? known?.details };
}

/** The `errors[]` entry of a failed status webhook carrying an injected error. */
export const statusError = (code: number, title: string, details: string | null) => ({
  code,
  title,
  message: title,
  ...(details === null ? {} : { error_data: { details } }),
  href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
});

export const unknownPath = (path: string) =>
  new MetaError(400, 2500, `Unknown path components: ${path}`);

/** The `errors[]` entry of a failed status webhook for a message outside the 24 h window. */
export const reengagementError = () => ({
  code: 131047,
  title: 'Re-engagement message',
  message: 'Re-engagement message',
  error_data: {
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
});
