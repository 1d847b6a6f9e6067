import type {
  CampaignAudience,
  CampaignDoc,
  CampaignMessage,
  CampaignRecipientDoc,
  ContactDoc,
  MessagePricing,
  MessageStatus,
  RecipientSnapshotState,
} from '../documents';
import type { StatusReason } from './messages';

export interface NewCampaign {
  name: string;
  accountId: string;
  audience: CampaignAudience;
  message: CampaignMessage;
  mode: CampaignDoc['mode'];
  scheduledAt: Date | null;
  throughput: number | null;
  /** Given with an Idempotency-Key: the id derived from it, and the request's fingerprint. */
  id?: string;
  requestHash?: string | null;
}

/**
 * A recipient as the API shows it: its snapshot state, and once queued its message's status
 * (`queued` in the send queue, `sent`, `delivered`, `read`, `failed`), or `deferred`: still in
 * the queue, refused under Meta's per-user marketing cap and sent again at `deferred_until`.
 */
export type RecipientState = Exclude<RecipientSnapshotState, 'queued'> | MessageStatus | 'deferred';

export interface RecipientView {
  contact_id: string;
  seq: number;
  phone_number: string | null;
  state: RecipientState;
  message_id: string | null;
  wamid: string | null;
  error: StatusReason | null;
  reason: string | null;
  /** When a deferred recipient's message is sent again; null unless deferred. */
  deferred_until: Date | null;
  /** Its message's pricing, once a status carried it. */
  pricing: MessagePricing | null;
}

export type CampaignCounts = Record<
  | 'total'
  | 'pending'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'failed'
  /** In the queue until Meta's per-user marketing cap lets them be sent again (131049). */
  | 'deferred'
  | 'skipped'
  | 'cancelled',
  number
> & {
  /** Messages Meta bills (`pricing.billable`), by pricing category. */
  billable: Record<string, number>;
};

export interface CampaignRepository {
  /** The new campaign, or the one already stored under `input.id` (`created` false). */
  create(orgId: string, input: NewCampaign): Promise<{ doc: CampaignDoc; created: boolean }>;
  get(orgId: string, id: string): Promise<CampaignDoc | null>;
  /** Unscoped: the campaign's workflow knows only its id. */
  byId(id: string): Promise<CampaignDoc | null>;
  /** Unscoped: the running campaigns of these accounts (a template webhook names a WABA's). */
  running(accountIds: string[]): Promise<CampaignDoc[]>;
  /** Newest first, after a (created_at, id) cursor. */
  list(
    orgId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<CampaignDoc[]>;
  update(
    id: string,
    patch: Partial<
      Pick<
        CampaignDoc,
        'status' | 'started_at' | 'completed_at' | 'error' | 'total' | 'pause_reason'
      >
    >,
  ): Promise<CampaignDoc | null>;
  /** Contacts the audience matches now (opted-out excluded, one per phone number). */
  audienceSize(orgId: string, audience: CampaignAudience): Promise<number>;
  /** The first `limit` of them, in send order. */
  audienceSample(orgId: string, audience: CampaignAudience, limit: number): Promise<ContactDoc[]>;
  /**
   * Writes the recipients, the audience as it is now in send order, once: a second call writes
   * nothing. Returns how many recipients the campaign has.
   */
  snapshot(campaign: CampaignDoc): Promise<number>;
  /** Pending recipients after `afterSeq`, in order, with their contacts as they are now. */
  nextRecipients(
    campaignId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ recipient: CampaignRecipientDoc; contact: ContactDoc | null }[]>;
  /** Records what became of recipients: queued (with their message), skipped or cancelled. */
  markRecipients(
    campaignId: string,
    updates: {
      contact_id: string;
      state: Exclude<RecipientSnapshotState, 'pending'>;
      message_id: string | null;
      reason: string | null;
    }[],
  ): Promise<void>;
  /** Every pending recipient becomes cancelled; returns how many. */
  cancelPending(campaignId: string): Promise<number>;
  /** Recipients whose message is still in the send queue. */
  inQueue(campaignId: string): Promise<number>;
  counts(campaignId: string): Promise<CampaignCounts>;
  /** In send order after `afterSeq`, optionally of one state. */
  recipients(
    campaignId: string,
    q: { limit: number; afterSeq?: number; state?: RecipientState },
  ): Promise<RecipientView[]>;
}
