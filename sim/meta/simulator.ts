import type { FastifyInstance } from 'fastify';
import type { TemplateChangeInput } from './account-events';
import type { InboundInput, SystemInput } from './inbound';
import type { MediaBytes, SimMediaFile } from './media-files';
import type { PhoneNumber, QualityRating } from './state';
import type {
  InjectedFailure,
  RequestLogEntry,
  RuntimeOptions,
  RuntimeOptionsPatch,
  SendSummary,
  Template,
  TemplateInput,
  WebhookLogEntry,
} from './types';

export interface MetaSimulator {
  /** Base URL, the Graph API's stand-in: `${url}/v25.0/<phone-number-id>/messages`. */
  url: string;
  app: FastifyInstance;
  /** Graph API requests received, oldest first (live; the newest 10,000 are kept). */
  readonly log: readonly RequestLogEntry[];
  /** Webhooks posted or attempted, oldest first (live; the newest 10,000 are kept). */
  readonly webhookLog: readonly WebhookLogEntry[];
  readonly options: RuntimeOptions;
  /** A customer writes to a business number: opens the 24 h window and posts the webhook. */
  inbound(input: InboundInput): Promise<{ wamid: string; user_id: string }>;
  /**
   * A media file the Graph API serves (`GET /{media-id}`, then its download URL); an inbound
   * message names it by `{type, [type]: {id}}`. Without `phone_number_id`, any token reads it.
   */
  addMedia(input: { mime_type: string; bytes: MediaBytes; phone_number_id?: string }): SimMediaFile;
  /**
   * How a file's downloads go wrong: the next `fail_downloads` answer `status` (500 unless
   * set); `wrong_bytes` serves bytes its sha256 does not describe. Null for an unknown id.
   */
  mediaFaults(
    id: string,
    faults: { fail_downloads?: number; status?: number; wrong_bytes?: boolean },
  ): SimMediaFile | null;
  /** A user's ids change: posts Meta's `user_changed_number` / `user_changed_user_id`. */
  system(input: SystemInput): Promise<{ wamid: string; user_id: string }>;
  /**
   * The next `count` sends (from `failure.phoneNumberId` only, if given) fail this way, in the
   * order queued, before any other check but auth.
   */
  /**
   * The next `count` sends (`always`: every one until reset) get this failure; with
   * `recipient`, only sends to that phone number or BSUID.
   */
  failNext(count: number | 'always', failure: InjectedFailure): void;
  /** Accepted sends: totals, the busiest second per number, repeated callback data. */
  sends(opts?: { full?: boolean }): SendSummary;
  setOptions(patch: RuntimeOptionsPatch): void;
  addTemplate(wabaId: string, template: TemplateInput): Template;
  /**
   * Changes a template's status, category or quality as Meta's review would, and posts the
   * webhooks Meta posts for it (status, category, quality); null when the WABA has no such
   * template.
   */
  changeTemplate(
    wabaId: string,
    name: string,
    language: string,
    change: TemplateChangeInput,
  ): Template | null;
  /** Posts an account-level webhook (`account_update`, `account_alerts`...) about the WABA. */
  accountEvent(wabaId: string, field: string, value: object): void;
  /** A number's WABA and display number (registered on first use if unknown). */
  phoneNumber(phoneNumberId: string): PhoneNumber;
  /** With `accessToken`, the number is that token's: other tokens but the sandbox's cannot use it. */
  registerNumber(n: {
    phoneNumberId: string;
    wabaId?: string;
    displayPhoneNumber?: string;
    accessToken?: string;
    /** Onboarded to the Marketing Messages API (`/marketing_messages` refuses others). */
    marketingMessages?: boolean;
    qualityRating?: QualityRating;
    /** The business portfolio owning its WABA (as `businessOfWaba` sets it). */
    businessId?: string;
  }): PhoneNumber;
  /** The simulator's clock, epoch ms: the injected clock plus any advance. */
  now(): number;
  advanceClock(ms: number): void;
  clearLog(): void;
  clearWebhookLog(): void;
  clearSends(): void;
  /** Clears the logs, the send log, rate-limit windows and queued failures; keeps the setup. */
  reset(): void;
  /** Resolves when no webhook is waiting, being posted or being retried. */
  idle(): Promise<void>;
  close(): Promise<void>;
}
