import { NotFoundError } from '../lib/errors';
import { sendRatesByAccount } from '../metrics/send-rate';
import type { Store } from '../store';
import type { SendClass } from '../store/contract/send-queue';
import type { AccountDoc } from '../store/documents';
import { type MessagingWindow, messagingWindow } from './messaging-limit';

/** What a number is sending: its queue and its current rate. */
export interface SendActivity {
  queue: Record<SendClass, number>;
  send_rate: number;
  /** Its portfolio's messaging limit window; null when not read. */
  messaging: MessagingWindow | null;
}

export const IDLE: SendActivity = {
  queue: { transactional: 0, bulk: 0 },
  send_rate: 0,
  messaging: null,
};

export interface AccountWithActivity {
  doc: AccountDoc;
  activity: SendActivity;
}

export const accountNotFound = (id: string) => new NotFoundError(`Account '${id}' not found`);

/** The accounts with what each is sending: one queue and one lane read for them all. */
export async function withActivity(
  store: Store,
  docs: AccountDoc[],
): Promise<AccountWithActivity[]> {
  if (!docs.length) return [];
  const ids = docs.map((d) => d._id);
  const [depths, lanes] = await Promise.all([
    store.sendQueue.depths(ids),
    store.sendLanes.list(ids),
  ]);
  const rates = sendRatesByAccount(lanes);
  // One count per WABA and portfolio: its numbers share it (and their tier, unless one was read
  // later).
  const windows = new Map<string, MessagingWindow>();
  const key = (doc: AccountDoc) =>
    `${doc.waba_id}\n${doc.portfolio_id}\n${doc.messaging_limit_tier}`;
  for (const doc of docs) {
    if (!windows.has(key(doc))) windows.set(key(doc), await messagingWindow(store, doc));
  }
  return docs.map((doc) => {
    const queue = depths.get(doc._id);
    const activity: SendActivity = {
      queue: { transactional: queue?.transactional ?? 0, bulk: queue?.bulk ?? 0 },
      send_rate: rates.get(doc._id) ?? IDLE.send_rate,
      messaging: windows.get(key(doc)) ?? null,
    };
    return { doc, activity };
  });
}

export const oneWithActivity = async (store: Store, doc: AccountDoc) =>
  (await withActivity(store, [doc]))[0]!;

export async function listAccounts(
  { store }: { store: Store },
  orgId: string,
): Promise<AccountWithActivity[]> {
  return withActivity(store, await store.accounts.list(orgId));
}

export async function getAccount(
  { store }: { store: Store },
  orgId: string,
  id: string,
): Promise<AccountWithActivity> {
  const doc = await store.accounts.get(orgId, id);
  if (!doc) throw accountNotFound(id);
  return oneWithActivity(store, doc);
}
