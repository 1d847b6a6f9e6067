import {
  LIMIT_WINDOW_MS,
  messagingWindow,
  tierUsers,
  windowScope,
} from '../accounts/messaging-limit';
import { windowOpen } from '../meta/window';
import type { Store } from '../store';
import type { CampaignDoc, CampaignRecipientDoc, ContactDoc } from '../store/documents';

type Fetched = { recipient: CampaignRecipientDoc; contact: ContactDoc | null }[];

/** A template to a contact outside its customer service window starts business-initiated. */
const businessInitiated = (doc: CampaignDoc, c: ContactDoc | null) =>
  !!c && doc.message.type === 'template' && !windowOpen(c.last_inbound_at);

/**
 * The recipients this top-up may take under the portfolio's messaging limit: in order, up to
 * the first new user the 24 h window has no room for. Users already reached in the window do
 * not count again; free-form (24h mode) recipients never count. `limitedUntil` says when the
 * window may allow more, when recipients were held back.
 */
export async function withinMessagingLimit(
  store: Store,
  doc: CampaignDoc,
  fetched: Fetched,
): Promise<{ fetched: Fetched; limitedUntil?: number }> {
  if (!fetched.some((r) => businessInitiated(doc, r.contact))) return { fetched };
  const account = await store.accounts.findById(doc.account_id);
  if (!account) return { fetched };
  // Unknown or unlimited: nothing to hold back, nothing to count.
  const limit = tierUsers(account.messaging_limit_tier);
  if (limit === null || limit === Infinity) return { fetched };
  const window = await messagingWindow(store, account);
  const { accountIds, since } = await windowScope(store, account);
  const contactIds = fetched
    .filter((r) => businessInitiated(doc, r.contact))
    .map((r) => r.recipient.contact_id);
  const reached = new Set(await store.messages.reachedAmong(accountIds, since, contactIds));
  let room = limit - (window.used ?? 0);
  let taken = 0;
  for (const r of fetched) {
    const user = r.recipient.contact_id;
    const counts = businessInitiated(doc, r.contact) && !reached.has(user);
    if (counts && room <= 0) break;
    if (counts) {
      room--;
      reached.add(user);
    }
    taken++;
  }
  if (taken === fetched.length) return { fetched };
  // Nothing counted before: room frees only as this top-up's own sends leave the window.
  const limitedUntil = window.frees_at?.getTime() ?? Date.now() + LIMIT_WINDOW_MS;
  return { fetched: fetched.slice(0, taken), limitedUntil };
}
