import type { FastifyServerOptions } from 'fastify';

export interface StatusWebhookOptions {
  enabled: boolean;
  /** Pause before each status webhook of a message. */
  delayMs: number;
  /** Fractions (0..1) of sent messages that are delivered, and of delivered ones that are read. */
  deliveredRate: number;
  readRate: number;
  /** Fraction of webhook posts made twice, and of messages whose delivered/read come before sent. */
  duplicateRate: number;
  reorderRate: number;
}

export interface WebhookRetryOptions {
  /** Posts per webhook, the first included. */
  attempts: number;
  /** Pause before the second attempt; it doubles for each later one. */
  backoffMs: number;
  timeoutMs: number;
}

/**
 * Meta's limit on messages from one business number to one user (131056 above it): a token
 * bucket per (number, user) holding `burst` sends, refilled by one every `intervalMs`.
 */
export interface PairRateOptions {
  /** 0 turns the limit off. */
  intervalMs: number;
  burst: number;
}

/** What can change while the simulator runs (`setOptions`, `POST /_sim/config`). */
export interface RuntimeOptions {
  webhookUrl: string | null;
  /** Accepted sends per number in any 1 s window; 130429 above it. */
  throughputPerSecond: number;
  /** `throughputPerSecond` of some numbers, by phone_number_id. */
  throughputPerNumber: Record<string, number>;
  pairRate: PairRateOptions;
  /**
   * The business portfolio's messaging limit: unique users a moving 24 h of business-initiated
   * messages may reach, by WABA id (or business id); WABAs of one business share the limit and
   * the count, the first key of that business giving the limit. Absent: unlimited.
   */
  messagingLimitPerWaba: Record<string, number>;
  /** The business portfolio owning a WABA (`owner_business_info`); absent: one derived from it. */
  businessOfWaba: Record<string, string>;
  latencyMs: number;
  /** Pause between accepting a message and answering: the window in which a sender can die. */
  answerLatencyMs: number;
  failureRate: number;
  statusWebhooks: StatusWebhookOptions;
  webhookRetry: WebhookRetryOptions;
  /**
   * The day Graph API versions are checked against (`YYYY-MM-DD`): an expired version is
   * refused. Null: the simulator's clock.
   */
  today: string | null;
}

export type RuntimeOptionsPatch = Partial<
  Omit<
    RuntimeOptions,
    | 'throughputPerNumber'
    | 'messagingLimitPerWaba'
    | 'businessOfWaba'
    | 'pairRate'
    | 'statusWebhooks'
    | 'webhookRetry'
  >
> & {
  /** Merged into the current overrides; a null removes the number's override. */
  throughputPerNumber?: Record<string, number | null>;
  /** Merged likewise; a null makes the WABA unlimited again. */
  messagingLimitPerWaba?: Record<string, number | null>;
  /** Merged likewise; a null gives the WABA its derived business again. */
  businessOfWaba?: Record<string, string | null>;
  pairRate?: Partial<PairRateOptions>;
  statusWebhooks?: Partial<StatusWebhookOptions>;
  webhookRetry?: Partial<WebhookRetryOptions>;
};

export interface MetaSimulatorOptions extends RuntimeOptionsPatch {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** One token and one app secret for every sandbox number. */
  accessToken: string;
  appSecret: string;
  /** Clock in epoch milliseconds, so tests can move through the 24 h window. */
  now?: () => number;
  /** Templates added to every WABA on top of the default set. */
  templates?: TemplateInput[];
  logger?: FastifyServerOptions['logger'];
}

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type TemplateQuality = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

export interface TemplateButton {
  type: 'URL' | 'QUICK_REPLY' | 'PHONE_NUMBER' | 'COPY_CODE';
  text: string;
  url?: string;
  phone_number?: string;
  example?: string[];
}

export type TemplateComponent =
  | {
      type: 'HEADER';
      format: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
      text?: string;
      example?: Record<string, unknown>;
    }
  | { type: 'BODY'; text: string; example?: Record<string, unknown> }
  | { type: 'FOOTER'; text: string }
  | { type: 'BUTTONS'; buttons: TemplateButton[] };

export interface TemplateInput {
  name: string;
  language: string;
  category?: TemplateCategory;
  status?: TemplateStatus;
  components: TemplateComponent[];
}

/** A template as Meta lists it. */
export interface Template {
  id: string;
  name: string;
  language: string;
  status: TemplateStatus;
  category: TemplateCategory;
  parameter_format: 'POSITIONAL';
  components: TemplateComponent[];
  /** Set once Meta has rated it (the quality webhook says so). */
  quality_score?: { score: TemplateQuality; date: number };
}

/** An error answer the next sends get (`failNext`). */
export type InjectedFailure = (
  | {
      kind?: 'error';
      httpStatus: number;
      code: number;
      message: string;
      details?: string;
      /**
       * Only sends to this recipient (phone number or BSUID) get it, once the request is found
       * valid, as Meta refuses a message for its recipient.
       */
      recipient?: string;
      /**
       * `status`: the send is accepted (a wamid answered), then a `failed` status webhook
       * carries the error instead of sent/delivered/read, as 131049 mostly arrives. Only with
       * `recipient`. Default `response`: the send is answered with the error.
       */
      via?: 'response' | 'status';
    }
  /**
   * `drop`: the message is accepted, then the connection is destroyed without an answer.
   * `refuse`: the connection is destroyed before anything is recorded.
   * Error fields given with them are ignored.
   */
  | {
      kind: 'drop' | 'refuse';
      httpStatus?: number;
      code?: number;
      message?: string;
      details?: string;
    }
) & {
  /** Only sends from this number get it; absent, the next sends from any number. */
  phoneNumberId?: string;
};

/** What a failure injected for one recipient is: an error answer or a failed status. */
export type RecipientFailure = Extract<InjectedFailure, { code: number; message: string }>;

export interface RequestLogEntry {
  /** Simulator clock, ISO 8601. */
  time: string;
  method: string;
  path: string;
  /** Whether an access token came with the request (its value is never kept). */
  authorization: boolean;
  body: unknown;
  /** HTTP status answered; null when the connection was destroyed instead. */
  status: number | null;
  /** Meta error code of an error answer. */
  error_code: number | null;
  /** Set when the message was accepted, even if the client never got the answer. */
  wamid: string | null;
  outcome: 'answered' | 'dropped' | 'refused';
}

/** A message the simulator accepted (gave a wamid), for exactly-once and rate checks. */
export interface SendLogEntry {
  /** Simulator clock, ISO 8601. */
  time: string;
  phone_number_id: string;
  /** The recipient's wa_id. */
  recipient: string;
  wamid: string;
  biz_opaque_callback_data: string | null;
  /** False when the connection was dropped after accepting (`failNext` with `drop`). */
  answered: boolean;
  /** The Graph edge it came through. */
  endpoint: 'messages' | 'marketing_messages';
  /** What went out: the message type, its type's object, and the message it replies to. */
  type: string;
  content: unknown;
  context: { message_id: string } | null;
}

/** A read receipt the simulator accepted (`status: read` on `/messages`). */
export interface ReadReceiptEntry {
  /** Simulator clock, ISO 8601. */
  time: string;
  phone_number_id: string;
  /** The received message marked read. */
  message_id: string;
  /** The customer's wa_id (or BSUID) whose chat it is. */
  recipient: string;
  typing_indicator: boolean;
}

export interface SendSummary {
  total: number;
  by_number: Record<string, { total: number; max_per_second: number }>;
  /** Callback data of more than one accepted send, in the order they became duplicates. */
  duplicates: { biz_opaque_callback_data: string; count: number }[];
  /** With `full`: the newest 100,000 accepted sends, oldest first. */
  sends?: SendLogEntry[];
}

export type MessageStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** Webhooks posted and answered 2xx since the simulator started; per wall-clock second too. */
export interface WebhookStats {
  posted: number;
  delivered: number;
  /** Epoch second -> webhooks first posted in it, for the last hour. */
  posted_per_second: Record<string, number>;
  /** Epoch second -> webhooks answered 2xx in it (the receiver processed them by then). */
  delivered_per_second: Record<string, number>;
}

export interface WebhookLogEntry {
  id: number;
  /** Simulator clock when first posted, ISO 8601. */
  time: string;
  kind: 'status' | 'message' | 'account';
  /** The message the webhook is about: the status's message, or the inbound message ('' for an account-level field). */
  wamid: string;
  status: MessageStatus | null;
  url: string | null;
  /** The exact bytes posted and signed. */
  body: string;
  signature: string;
  attempts: number;
  /** HTTP status of the last attempt; null if it got none. */
  response_status: number | null;
  error: string | null;
  delivered: boolean;
}
