import { fbtraceId } from './ids';

/** A Graph API error answer: `{"error": {...}}` with its HTTP status. */
export class MetaError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details: string | null = null,
  ) {
    super(message);
    this.name = 'MetaError';
  }

  body() {
    return {
      error: {
        message: this.message,
        type: 'OAuthException',
        code: this.code,
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

export const invalidParameter = (details: string) =>
  new MetaError(400, 100, '(#100) Invalid parameter', details);

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

export const somethingWentWrong = () =>
  new MetaError(
    500,
    131000,
    '(#131000) Something went wrong',
    'Message failed to send due to an unknown error.',
  );

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
