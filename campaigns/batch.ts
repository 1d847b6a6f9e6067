import { messageActionValues, type RecipientValues } from '../actions/message-values';
import type { ActionRunDeps } from '../actions/run';
import { NotFoundError } from '../lib/errors';
import { idFrom } from '../lib/ids';
import { windowOpen } from '../meta/window';
import type { NewMessage } from '../store/contract/messages';
import type { CampaignDoc, CampaignRecipientDoc, ContactDoc } from '../store/documents';
import type { Signals } from '../store/signals';
import { campaignById } from './lifecycle';
import { withinMessagingLimit } from './messaging-limit';
import { renderCampaignMessage } from './message';

/**
 * The send queue holds this many seconds of a campaign's sends: what a pause lets go out, and
 * what keeps the number busy between top-ups (every 2 s) and while one waits on a slow Temporal
 * server (1.5 s measured).
 */
const BACKLOG_SECONDS = 4;

/** One message per campaign and contact, whatever retries and restarts happen. */
export const campaignMessageId = (campaignId: string, contactId: string) =>
  idFrom(`campaign:${campaignId}:${contactId}`);

export interface TopUp {
  cursor: number;
  queued: number;
  skipped: number;
  /** No pending recipient is left after the cursor. */
  exhausted: boolean;
  /**
   * Set when the portfolio's messaging limit held recipients back: when (epoch ms) the window
   * may allow more (its oldest counted message leaves it).
   */
  limitedUntil?: number;
}

export interface BatchDeps extends ActionRunDeps {
  signals: Signals;
}

type Fetched = { recipient: CampaignRecipientDoc; contact: ContactDoc | null }[];

interface Batch {
  /** The recipients this top-up decides on, in order. */
  next: Fetched;
  messages: NewMessage[];
  skipped: { contact_id: string; reason: string }[];
  /** Recipients were left for the next top-up (the action did not get to them). */
  cut: boolean;
}

/** A contact that gets the message: there and, in 24h mode, with its window open. */
const sendableIn =
  (doc: CampaignDoc) =>
  (c: ContactDoc | null): c is ContactDoc =>
    !!c && (doc.mode !== '24h' || windowOpen(c.last_inbound_at));

/**
 * How many recipients this top-up takes. At the number's own pace the lane paces it; a
 * campaign slower than its number is held to one second's worth a top-up.
 */
async function batchSize(deps: BatchDeps, doc: CampaignDoc): Promise<number> {
  const account = await deps.store.accounts.findById(doc.account_id);
  if (!account) throw new NotFoundError('WhatsApp account not found');
  const rate = Math.min(doc.throughput ?? account.throughput, account.throughput);
  const room = Math.max(0, rate * BACKLOG_SECONDS - (await deps.store.campaigns.inQueue(doc._id)));
  return rate < account.throughput ? Math.min(room, rate) : room;
}

/** Each fetched recipient rendered into its message, or skipped with the reason. */
function sortRecipients(
  doc: CampaignDoc,
  fetched: Fetched,
  fromAction: Map<string, RecipientValues> | null,
): Batch {
  const sendable = sendableIn(doc);
  // Recipients after the first one the action did not get to wait for the next top-up.
  const cut = fetched.findIndex(
    (r) => sendable(r.contact) && fromAction && !fromAction.has(r.contact._id),
  );
  const next = cut < 0 ? fetched : fetched.slice(0, cut);
  const messages: NewMessage[] = [];
  const skipped: { contact_id: string; reason: string }[] = [];
  for (const { recipient, contact } of next) {
    const values = contact ? fromAction?.get(contact._id) : undefined;
    if (!contact) {
      skipped.push({ contact_id: recipient.contact_id, reason: 'Contact deleted' });
    } else if (doc.mode === '24h' && !windowOpen(contact.last_inbound_at)) {
      skipped.push({ contact_id: contact._id, reason: 'Outside the 24-hour window' });
    } else if (values && 'skip' in values) {
      skipped.push({ contact_id: contact._id, reason: values.skip });
    } else {
      const { type, content } = renderCampaignMessage(doc.message, contact, values?.values);
      messages.push({
        _id: campaignMessageId(doc._id, contact._id),
        org_id: doc.org_id,
        account_id: doc.account_id,
        contact_id: contact._id,
        direction: 'outbound',
        phone_number: recipient.phone_number ?? contact.phone_number,
        user_id: contact.user_id ?? null,
        type,
        content,
        origin: 'campaign',
        origin_id: doc._id,
        request_hash: null,
        wamid: null,
        status: 'queued',
      });
    }
  }
  return { next, messages, skipped, cut: cut >= 0 };
}

/**
 * Tops the campaign's share of the send queue up to a few seconds of sending, from the
 * recipients after `cursor`: the next ones are rendered (with their action's values) and
 * queued, or skipped with the reason (contact deleted, window closed, action failed).
 */
export async function topUpCampaign(
  deps: BatchDeps,
  campaignId: string,
  cursor: number,
): Promise<TopUp> {
  const { store, signals } = deps;
  const doc = await campaignById(store, campaignId);
  const limit = await batchSize(deps, doc);
  if (!limit) return { cursor, queued: 0, skipped: 0, exhausted: false };

  const all = await store.campaigns.nextRecipients(campaignId, cursor, limit);
  const { fetched, limitedUntil } = await withinMessagingLimit(store, doc, all);
  const fromAction = await messageActionValues(
    deps,
    { ...doc, caller: { type: 'campaign', id: doc._id } },
    fetched.map((r) => r.contact).filter(sendableIn(doc)),
  );
  const { next, messages, skipped, cut } = sortRecipients(doc, fetched, fromAction);
  // Enqueued before they are marked: a retry finds them still pending, and enqueueing the
  // same ids again stores nothing.
  if (messages.length) {
    await store.sendQueue.enqueue(messages, 'bulk');
    await signals.publish('send_queued', doc.account_id).catch(() => undefined);
  }
  await store.campaigns.markRecipients(campaignId, [
    ...messages.map((m) => ({
      contact_id: m.contact_id,
      state: 'queued' as const,
      message_id: m._id,
      reason: null,
    })),
    ...skipped.map((s) => ({ ...s, state: 'skipped' as const, message_id: null })),
  ]);
  return {
    cursor: next.at(-1)?.recipient.seq ?? cursor,
    queued: messages.length,
    skipped: skipped.length,
    exhausted: !cut && limitedUntil === undefined && next.length < limit,
    ...(limitedUntil !== undefined ? { limitedUntil } : {}),
  };
}
