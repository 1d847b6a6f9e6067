import { randomUUID } from 'node:crypto';
import { cleanTags } from './contact-fields';
import type {
  CampaignCounts,
  CampaignRepository,
  NewCampaign,
  RecipientState,
} from './contract/campaigns';
import type {
  CampaignAudience,
  CampaignDoc,
  MessageStatus,
  RecipientSnapshotState,
} from './documents';

/** A new campaign: scheduled until its workflow starts it. */
export function newCampaign(orgId: string, input: NewCampaign, at = new Date()): CampaignDoc {
  return {
    _id: input.id ?? randomUUID(),
    org_id: orgId,
    account_id: input.accountId,
    name: input.name,
    audience: input.audience,
    message: input.message,
    mode: input.mode,
    scheduled_at: input.scheduledAt,
    throughput: input.throughput,
    status: 'scheduled',
    total: null,
    error: null,
    pause_reason: null,
    request_hash: input.requestHash ?? null,
    created_at: at,
    started_at: null,
    completed_at: null,
    updated_at: at,
  };
}

export type CampaignPatch = Parameters<CampaignRepository['update']>[1];

export const CAMPAIGN_PATCH_FIELDS = [
  'status',
  'started_at',
  'completed_at',
  'error',
  'total',
  'pause_reason',
] as const satisfies readonly (keyof CampaignPatch)[];

/**
 * An audience as both stores test it; each field null when the audience leaves it open.
 * Every field set must hold, and the contact must be opted in.
 */
export interface AudienceFilter {
  tags: { match: 'any' | 'all'; values: string[] } | null;
  stage: string | null;
  /** Phone number prefixes (`+91`). */
  prefixes: string[] | null;
  customField: { key: string; value: string | number | boolean } | null;
  contactIds: string[] | null;
}

/**
 * The audience's filter, or null when no contact can match it. A list given empty matches no
 * contact (an empty selection must never widen into everyone), and so does a condition no
 * stored contact can meet: a country code that is not digits, a blank tag, a custom field name
 * that contacts refuse (a dot, a leading $) or MongoDB cannot look up (empty). Tags are
 * compared as contacts store them: trimmed.
 */
export function audienceFilter(audience: CampaignAudience): AudienceFilter | null {
  const filter: AudienceFilter = {
    tags: null,
    stage: audience.stage ?? null,
    prefixes: null,
    customField: null,
    contactIds: null,
  };
  if (audience.tags) {
    const match = audience.tags_match ?? 'any';
    const values = cleanTags(audience.tags);
    const blank = audience.tags.some((t) => !t.trim());
    if (!values.length || (match === 'all' && blank)) return null;
    filter.tags = { match, values };
  }
  if (audience.country_codes) {
    const codes = audience.country_codes
      .map((c) => c.trim().replace(/^\+/, ''))
      .filter((c) => /^\d+$/.test(c));
    if (!codes.length) return null;
    filter.prefixes = [...new Set(codes)].map((c) => `+${c}`);
  }
  if (audience.custom_field) {
    const { key, value } = audience.custom_field;
    if (!key || key.includes('.') || key.startsWith('$')) return null;
    filter.customField = { key, value };
  }
  if (audience.contact_ids) {
    if (!audience.contact_ids.length) return null;
    filter.contactIds = [...new Set(audience.contact_ids)];
  }
  return filter;
}

/**
 * What a recipient shows: its snapshot state, or once queued its message's status, `deferred`
 * while its still-queued message waits out Meta's marketing cap.
 */
export function recipientState(
  state: RecipientSnapshotState,
  messageStatus: MessageStatus | null | undefined,
  deferred = false,
): RecipientState {
  if (state !== 'queued') return state;
  const status = messageStatus ?? 'queued';
  return status === 'queued' && deferred ? 'deferred' : status;
}

const MESSAGE_STATUSES: ReadonlySet<RecipientState> = new Set<RecipientState>([
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
  'deferred',
]);

/** A state only queued recipients show, by their message's status. */
export const isMessageStatus = (state: RecipientState): state is MessageStatus | 'deferred' =>
  MESSAGE_STATUSES.has(state);

/**
 * Counts from how many recipients show each state: `sent` counts every message that got at
 * least that far (delivered and read ones too), `delivered` the read ones too.
 */
/** The categories every campaign shows, billed or not; Meta may add others. */
const BILLABLE_CATEGORIES = ['marketing', 'utility', 'authentication', 'service'];

export function campaignCounts(
  byState: Partial<Record<RecipientState, number>>,
  billable: Record<string, number> = {},
): CampaignCounts {
  const n = (s: RecipientState) => byState[s] ?? 0;
  return {
    total: Object.values(byState).reduce((sum, v) => sum + (v ?? 0), 0),
    pending: n('pending'),
    queued: n('queued'),
    sent: n('sent') + n('delivered') + n('read'),
    delivered: n('delivered') + n('read'),
    read: n('read'),
    failed: n('failed'),
    deferred: n('deferred'),
    skipped: n('skipped'),
    cancelled: n('cancelled'),
    billable: {
      ...Object.fromEntries(BILLABLE_CATEGORIES.map((c) => [c, 0])),
      ...billable,
    },
  };
}
