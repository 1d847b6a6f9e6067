import type { Db, IndexDescription } from 'mongodb';

/**
 * Every index the store relies on. Only plain and unique indexes: the MongoDB-protocol server
 * used in development refuses TTL and partial indexes, so expiry is a scheduled cleanup.
 */
/** Indexes of earlier versions that would now refuse valid data. */
const RETIRED: Record<string, string[]> = {
  // Unique on phone_number: contacts with no number would collide on null.
  contacts: ['org_phone_unique'],
};

export const INDEXES: Record<string, IndexDescription[]> = {
  organizations: [{ key: { created_at: 1 }, name: 'created_at' }],
  users: [
    { key: { email: 1 }, name: 'email_unique', unique: true },
    { key: { org_id: 1, created_at: 1 }, name: 'org_created' },
  ],
  api_keys: [
    { key: { key_hash: 1 }, name: 'key_hash_unique', unique: true },
    { key: { org_id: 1, created_at: -1 }, name: 'org_created' },
  ],
  sessions: [
    { key: { token_hash: 1 }, name: 'token_hash_unique', unique: true },
    { key: { expires_at: 1 }, name: 'expires_at' },
  ],
  events: [
    { key: { org_id: 1, created_at: -1 }, name: 'org_created' },
    { key: { created_at: 1 }, name: 'created' },
  ],
  accounts: [
    { key: { phone_number_id: 1 }, name: 'phone_number_id_unique', unique: true },
    { key: { org_id: 1, created_at: 1 }, name: 'org_created' },
    { key: { verify_token_hash: 1 }, name: 'verify_token_hash' },
    { key: { waba_id: 1 }, name: 'waba_id' },
    { key: { portfolio_id: 1 }, name: 'portfolio_id' },
  ],
  contacts: [
    // Unique on fields every contact has (contact-keys.ts): a contact may lack either id.
    { key: { org_id: 1, phone_key: 1 }, name: 'org_phone_key_unique', unique: true },
    { key: { org_id: 1, user_key: 1 }, name: 'org_user_key_unique', unique: true },
    { key: { org_id: 1, phone_number: 1 }, name: 'org_phone' },
    { key: { org_id: 1, user_id: 1 }, name: 'org_user_id' },
    { key: { org_id: 1, created_at: -1 }, name: 'org_created' },
    { key: { org_id: 1, tags: 1 }, name: 'org_tags' },
    { key: { org_id: 1, stage: 1 }, name: 'org_stage' },
    { key: { outbox_pending: 1 }, name: 'outbox_pending' },
  ],
  transfers: [
    { key: { org_id: 1, contact_id: 1, created_at: -1 }, name: 'org_contact_created' },
    { key: { outbox_pending: 1 }, name: 'outbox_pending' },
  ],
  templates: [
    { key: { org_id: 1, name: 1, language: 1 }, name: 'org_name_language' },
    { key: { account_id: 1 }, name: 'account' },
  ],
  inbound_webhooks: [
    { key: { processed_at: 1, received_at: 1 }, name: 'queue' },
    // Dead ones are few: counting them (/metrics) and an organization's list both scan this.
    { key: { dead_at: -1 }, name: 'dead' },
  ],
  meta_events: [
    { key: { org_ids: 1, received_at: -1, _id: -1 }, name: 'org_received' },
    { key: { state: 1 }, name: 'state' },
    // The cleanup deletes by age.
    { key: { received_at: 1 }, name: 'received' },
  ],
  // The inbound download queue: pending ones by when they are due.
  media: [{ key: { status: 1, next_attempt_at: 1 }, name: 'due' }],
  webhook_endpoints: [{ key: { org_id: 1, created_at: 1 }, name: 'org_created' }],
  webhook_dispatches: [
    { key: { org_id: 1, endpoint_ids: 1, created_at: -1 }, name: 'org_endpoint_created' },
    { key: { created_at: 1 }, name: 'created' },
  ],
  webhook_backlog: [{ key: { endpoint_id: 1, event_at: 1, _id: 1 }, name: 'release' }],
  webhook_attempts: [
    { key: { endpoint_id: 1, event_id: 1 }, name: 'delivery' },
    { key: { at: 1 }, name: 'at' },
  ],
  campaigns: [
    { key: { org_id: 1, created_at: -1, _id: -1 }, name: 'org_created' },
    { key: { status: 1, account_id: 1 }, name: 'status_account' },
  ],
  gateway_settings: [{ key: { gateway: 1 }, name: 'gateway' }],
  payment_links: [
    { key: { org_id: 1, created_at: -1, _id: -1 }, name: 'org_created' },
    { key: { org_id: 1, contact_id: 1, created_at: -1 }, name: 'org_contact_created' },
    { key: { org_id: 1, gateway: 1, gateway_link_id: 1 }, name: 'org_gateway_link' },
  ],
  payment_events: [{ key: { processed_at: 1, received_at: 1 }, name: 'queue' }],
  // `_id` is `<campaign_id>:<contact_id>`: one recipient per campaign and contact.
  campaign_recipients: [
    { key: { campaign_id: 1, seq: 1 }, name: 'campaign_seq_unique', unique: true },
    { key: { campaign_id: 1, state: 1, seq: 1 }, name: 'campaign_state_seq' },
  ],
  woo_stores: [
    { key: { org_id: 1, created_at: 1 }, name: 'org_created' },
    { key: { site_key: 1 }, name: 'site_key' },
  ],
  woo_deliveries: [{ key: { handed_off_at: 1, received_at: 1 }, name: 'handoff_queue' }],
  woo_orders: [{ key: { store_id: 1, updated_at: -1, _id: -1 }, name: 'store_updated' }],
  actions: [{ key: { org_id: 1, name: 1 }, name: 'org_name_unique', unique: true }],
  action_runs: [{ key: { action_id: 1, created_at: -1, _id: -1 }, name: 'action_created' }],
  sequences: [{ key: { org_id: 1, created_at: -1, _id: -1 }, name: 'org_created' }],
  sequence_versions: [
    { key: { sequence_id: 1, version: 1 }, name: 'sequence_version_unique', unique: true },
  ],
  // `_id` is `<sequence_id>:<contact_id>`: one subscription per sequence and contact.
  sequence_subscriptions: [
    { key: { sequence_id: 1, contact_id: 1 }, name: 'sequence_contact' },
    { key: { org_id: 1, contact_id: 1, state: 1 }, name: 'org_contact_state' },
    { key: { state: 1, subscribed_at: 1 }, name: 'state_subscribed' },
  ],
  automations: [
    { key: { org_id: 1, created_at: -1, _id: -1 }, name: 'org_created' },
    { key: { org_id: 1, enabled: 1, priority: -1, created_at: 1 }, name: 'org_enabled_priority' },
  ],
  automation_versions: [
    { key: { automation_id: 1, version: 1 }, name: 'automation_version_unique', unique: true },
  ],
  automation_runs: [
    // Every run has one: `<automation_id>:<contact_id>` while active, its own id once ended.
    { key: { active_key: 1 }, name: 'active_key_unique', unique: true },
    // A contact's runs newest first, and its active ones.
    { key: { org_id: 1, contact_id: 1, created_at: -1, _id: -1 }, name: 'org_contact_created' },
    { key: { automation_id: 1, created_at: -1, _id: -1 }, name: 'automation_created' },
    { key: { state: 1, updated_at: 1 }, name: 'state_updated' },
    { key: { state: 1, 'wait.until': 1 }, name: 'state_wait_until' },
  ],
  automation_inputs: [
    { key: { state: 1, created_at: 1 }, name: 'state_created' },
    // The cleanup's purge of inputs past the events' retention.
    { key: { created_at: 1 }, name: 'created' },
  ],
  messages: [
    { key: { org_id: 1, contact_id: 1, created_at: -1 }, name: 'org_contact_created' },
    { key: { wamid: 1 }, name: 'wamid' },
    // The messaging limit's count: an account's templates of the last 24 h.
    { key: { account_id: 1, type: 1, created_at: 1 }, name: 'account_type_created' },
    {
      key: { account_id: 1, 'dispatch.held': 1, 'dispatch.priority': 1, 'dispatch.seq': 1 },
      name: 'dispatch_claim',
    },
    { key: { 'dispatch.held': 1, 'dispatch.not_before': 1 }, name: 'dispatch_due' },
  ],
  rate_window_blocks: [
    { key: { window: 1, block: -1 }, name: 'window_block' },
    { key: { ends_at: 1 }, name: 'ends_at' },
  ],
  login_failures: [
    { key: { email: 1, at: 1 }, name: 'email_at' },
    { key: { at: 1 }, name: 'at' },
  ],
};

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, names] of Object.entries(RETIRED)) {
    const existing = await db
      .collection(collection)
      .listIndexes()
      .toArray()
      .catch((): { name?: string }[] => []);
    for (const name of names) {
      if (existing.some((i: { name?: string }) => i.name === name))
        await db.collection(collection).dropIndex(name);
    }
  }
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    // One index per call: FerretDB v1 drops the connection when a single createIndexes
    // command repeats several indexes that already exist.
    for (const index of indexes) await db.collection(collection).createIndexes([index]);
  }
}
