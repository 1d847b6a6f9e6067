import { createHash } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { ContactDoc, MessageDoc, MessageStatus } from '../documents';
import { STATUS_RANK } from '../messages';
import { contactKeys } from './contact-keys';
import type { StoredContact } from './contact-writes';

/**
 * Synthetic data for benchmarks, the MongoDB twin of store/postgres/seed.ts: contacts and
 * messages numbered `from + 1` to `to` in one organization, stored exactly as the repositories
 * store them, with the same ids, phones, wamids and times.
 */
export interface SeedRange {
  orgId: string;
  accountId: string;
  /** Rows 1 to `from` are already there. */
  from: number;
  to: number;
}

const MAX_SEED_ROWS = 9_999_999;
const SEED_EPOCH = Date.parse('2024-01-01T00:00:00Z');
/** Documents per insertMany; FerretDB takes a thousand at once well. */
const CHUNK = 1_000;

type StoredMessage = MessageDoc & {
  status_rank: number;
  status_seen: Partial<Record<MessageStatus, true>>;
};

/** PostgreSQL's md5(text)::uuid. */
const uuidOf = (text: string) =>
  createHash('md5')
    .update(text)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** What seeded row n is known by, in either store: for benchmarks to address it. */
export const seeded = {
  contactId: (n: number) => uuidOf(`contact:${n}`),
  messageId: (n: number) => uuidOf(`message:${n}`),
  phone: (n: number) => `+1555${String(n).padStart(7, '0')}`,
  wamid: (n: number) => `wamid.${n}`,
};

function contactDoc(orgId: string, n: number): StoredContact {
  const at = new Date(SEED_EPOCH + n * 20_000);
  const tags = [['customer'], ['lead', 'newsletter'], [], []][n % 4]!;
  const contact: ContactDoc = {
    _id: seeded.contactId(n),
    org_id: orgId,
    phone_number: seeded.phone(n),
    user_id: null,
    parent_user_id: null,
    username: null,
    name: `Contact ${n}`,
    email: n % 3 === 0 ? `contact${n}@example.com` : null,
    tags,
    stage: ['lead', 'prospect', 'customer'][n % 3]!,
    custom_fields: { plan: ['free', 'pro'][n % 2]! },
    opted_in: true,
    last_inbound_at: null,
    source: 'bulk',
    created_at: at,
    updated_at: at,
  };
  return { ...contact, ...contactKeys(contact), version: 1, outbox: [], outbox_pending: false };
}

function messageDoc(range: SeedRange, n: number): StoredMessage {
  const at = new Date(SEED_EPOCH + n * 20_000 + 60_000);
  return {
    _id: seeded.messageId(n),
    org_id: range.orgId,
    account_id: range.accountId,
    contact_id: seeded.contactId(n),
    direction: 'outbound',
    phone_number: seeded.phone(n),
    user_id: null,
    type: 'template',
    content: {
      name: 'order_confirmation',
      language: { code: 'en' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: `Order #${n}` }] }],
    },
    origin: 'api',
    origin_id: null,
    request_hash: null,
    wamid: seeded.wamid(n),
    status: 'sent',
    status_history: [{ status: 'sent', at }],
    error: null,
    pricing: null,
    conversation: null,
    created_at: at,
    updated_at: at,
    status_rank: STATUS_RANK.sent,
    status_seen: { sent: true },
  };
}

/**
 * Adds contacts and messages `from + 1` to `to` (see SeedRange), a chunk at a time;
 * `progress` hears how many rows of each are in after every chunk. Stops between chunks
 * once `signal` is aborted, throwing its reason.
 */
export async function seedMongo(
  target: { uri: string; db: string },
  range: SeedRange,
  opts: { progress?: (rows: number) => void; signal?: AbortSignal } = {},
): Promise<void> {
  if (!Number.isInteger(range.from) || range.from < 0 || range.to > MAX_SEED_ROWS) {
    throw new Error(`Seed rows must be within 1..${MAX_SEED_ROWS}`);
  }
  await withDb(target, async (db) => {
    const contacts = db.collection<StoredContact>('contacts');
    const messages = db.collection<StoredMessage>('messages');
    for (let start = range.from + 1; start <= range.to; start += CHUNK) {
      opts.signal?.throwIfAborted();
      const ns = Array.from({ length: Math.min(CHUNK, range.to - start + 1) }, (_, i) => start + i);
      await contacts.insertMany(ns.map((n) => contactDoc(range.orgId, n)));
      await messages.insertMany(ns.map((n) => messageDoc(range, n)));
      opts.progress?.(ns[ns.length - 1]!);
    }
  });
}

/** Drops the database (a benchmark's own). */
export async function dropMongoDatabase(target: { uri: string; db: string }): Promise<void> {
  await withDb(target, (db) => db.dropDatabase());
}

async function withDb<T>(target: { uri: string; db: string }, fn: (db: Db) => Promise<T>) {
  const client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 15_000 });
  try {
    await client.connect();
    return await fn(client.db(target.db));
  } finally {
    await client.close();
  }
}
