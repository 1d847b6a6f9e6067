import { messagingWindow, windowScope } from '../accounts/messaging-limit';
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
  const window = await messagingWindow(store, account);
  if (window.limit === null || window.limit === Infinity) return { fetched };
  const { accountIds, since } = await windowScope(store, account);
  const phones = fetched
    .filter((r) => businessInitiated(doc, r.contact))
    .map((r) => r.recipient.phone_number);
  const reached = new Set(await store.messages.reachedAmong(accountIds, since, phones));
  let room = window.limit - window.used;
  let taken = 0;
  for (const r of fetched) {
    const counts = businessInitiated(doc, r.contact) && !reached.has(r.recipient.phone_number);
    if (counts && room <= 0) break;
    if (counts) {
      room--;
      reached.add(r.recipient.phone_number);
    }
    taken++;
  }
  if (taken === fetched.length) return { fetched };
  // Nothing counted yet means nothing frees room but this campaign's own next sends.
  const limitedUntil = window.frees_at?.getTime() ?? Date.now();
  return { fetched: fetched.slice(0, taken), limitedUntil };
}
