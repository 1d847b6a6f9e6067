/**
 * How Meta's Cloud API errors are handled. Retrying is only safe when Meta certainly did not
 * accept the message: an error answer, or a connection that never carried the request.
 */
export type MetaErrorKind =
  /** Meta refused for now (throughput, maintenance, server error): send again later. */
  | 'retryable'
  /** The request is wrong or the recipient cannot get it: sending again would fail again. */
  | 'fatal'
  /** The access token is invalid or expired: the account must be reconnected. */
  | 'disconnected'
  /** The request may have reached Meta but no answer came back: resending could duplicate. */
  | 'ambiguous';

const RETRYABLE_CODES = new Set([
  1, // API Unknown
  2, // API Service (temporarily unavailable)
  4, // API too many calls (app level)
  80007, // WhatsApp Business Account rate limit
  130429, // Cloud API throughput reached
  131056, // pair rate limit: too many messages to one user; fine a few seconds later
  131057, // account in maintenance mode
  133016, // registration rate limit
]);

/**
 * The texts API users see, as the product documentation's error tables word them (its
 * WhatsApp-specific errors are Meta's own titles), details after them.
 */
const USER_MESSAGES: Record<number, string> = {
  190: 'Account disconnected',
  100: 'Invalid parameter',
  130429: 'Rate limit hit',
  131026: 'Recipient not on WhatsApp',
  131047: 'Re-engagement message',
  131048: 'Spam rate limit: too many messages, slow down',
  130472: "Message not sent: the user is in Meta's marketing message experiment",
  131049: "Message not sent: the user reached Meta's limit of marketing messages; retried later",
  131051: 'Unsupported message type',
  131052: 'Media download failed: the media URL is not reachable',
  131053: 'Media upload failed: file too large or wrong format',
  131056: 'Pair rate limit: too many messages to this contact',
  131057: 'Account in maintenance',
  132000: 'Template parameter count mismatch',
  132001: 'Template not found or not approved',
  368: 'Temporarily blocked: quality issues, review your content',
};

export class MetaApiError extends Error {
  readonly kind: MetaErrorKind;

  constructor(
    readonly code: number,
    readonly metaMessage: string,
    readonly httpStatus: number | null,
    readonly details: string | null = null,
    readonly fbtraceId: string | null = null,
    kind?: MetaErrorKind,
  ) {
    super(describeMetaError(code, metaMessage, details));
    this.name = 'MetaApiError';
    this.kind = kind ?? classify(code, httpStatus);
  }
}

export function classify(code: number, httpStatus: number | null): MetaErrorKind {
  if (code === 190) return 'disconnected';
  if (RETRYABLE_CODES.has(code) || (httpStatus !== null && httpStatus >= 500)) return 'retryable';
  return 'fatal';
}

export function describeMetaError(code: number, metaMessage: string, details: string | null) {
  const base = USER_MESSAGES[code] ?? metaMessage.replace(/^\(#\d+\)\s*/, '');
  return details && !base.includes(details) ? `${base}: ${details}` : base;
}

/** Connection errors raised before anything was written to the socket. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Turns a transport failure into a MetaApiError: retryable only if the request never left. */
export function networkError(err: unknown): MetaApiError {
  const code =
    (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  const reason = `${code ?? 'network error'}: ${(err as Error).message}`;
  const kind: MetaErrorKind = code && NEVER_SENT.has(code) ? 'retryable' : 'ambiguous';
  return new MetaApiError(0, `Could not reach Meta (${reason})`, null, null, null, kind);
}

/**
 * Meta refused a media id a message named: it answers 100 naming the media's `id` parameter
 * for an id it does not have (expired after 30 days, deleted, or another account's upload).
 */
export function mediaIdRefused(err: MetaApiError): boolean {
  return err.code === 100 && /media attachment id|\['id'\]/i.test(err.details ?? '');
}
