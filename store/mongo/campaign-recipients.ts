import type { Db } from 'mongodb';
import { campaignCounts, isMessageStatus, recipientState } from '../campaigns';
import type { CampaignRepository, RecipientState, RecipientView } from '../contract/campaigns';
import type { CampaignRecipientDoc, MessageDoc } from '../documents';

export type StoredRecipient = CampaignRecipientDoc & { _id: string };

type MessageFields = Pick<
  MessageDoc,
  '_id' | 'status' | 'wamid' | 'error' | 'deferred' | 'pricing'
>;

/** What a recipient with this message shows. */
const shownState = (r: StoredRecipient, m: MessageFields | undefined) =>
  recipientState(r.state, m?.status, !!m?.deferred);

const LOOKUP_CHUNK = 1_000;
/** Recipients read per round while filtering by their messages' status. */
const SCAN_PAGE = 500;

/**
 * What campaigns show of their recipients: a queued one by its message's status. Messages are
 * looked up by id in chunks, as FerretDB has no joins.
 */
export function recipientViews(
  db: Db,
): Pick<CampaignRepository, 'inQueue' | 'counts' | 'recipients'> {
  const recipients = db.collection<StoredRecipient>('campaign_recipients');
  const messages = db.collection<MessageDoc>('messages');

  async function messagesOf(ids: (string | null)[]): Promise<Map<string, MessageFields>> {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
    const found = new Map<string, MessageFields>();
    for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
      const chunk = await messages
        .find(
          { _id: { $in: wanted.slice(i, i + LOOKUP_CHUNK) } },
          { projection: { status: 1, wamid: 1, error: 1, deferred: 1, pricing: 1 } },
        )
        .toArray();
      for (const m of chunk) found.set(m._id, m);
    }
    return found;
  }

  function view(r: StoredRecipient, message: MessageFields | undefined): RecipientView {
    return {
      contact_id: r.contact_id,
      seq: r.seq,
      phone_number: r.phone_number,
      state: shownState(r, message),
      message_id: r.message_id,
      wamid: message?.wamid ?? null,
      error:
        message?.error ?? (message?.status === 'queued' ? message.deferred?.reason : null) ?? null,
      reason: r.reason,
      deferred_until: message?.status === 'queued' ? (message.deferred?.until ?? null) : null,
      pricing: message?.pricing ?? null,
    };
  }

  async function queuedMessages(campaignId: string) {
    const queued = await recipients
      .find({ campaign_id: campaignId, state: 'queued' }, { projection: { message_id: 1 } })
      .toArray();
    return messagesOf(queued.map((r) => r.message_id));
  }

  return {
    async inQueue(campaignId) {
      const found = await queuedMessages(campaignId);
      return [...found.values()].filter((m) => m.status === 'queued').length;
    },

    async counts(campaignId) {
      const all = await recipients
        .find({ campaign_id: campaignId }, { projection: { state: 1, message_id: 1 } })
        .toArray();
      const found = await messagesOf(
        all.filter((r) => r.state === 'queued').map((r) => r.message_id),
      );
      const byState: Partial<Record<RecipientState, number>> = {};
      const billable: Record<string, number> = {};
      for (const r of all) {
        const m = r.message_id ? found.get(r.message_id) : undefined;
        const s = shownState(r, m);
        byState[s] = (byState[s] ?? 0) + 1;
        if (r.state === 'queued' && m?.pricing?.billable) {
          const category = m.pricing.category ?? 'unknown';
          billable[category] = (billable[category] ?? 0) + 1;
        }
      }
      return campaignCounts(byState, billable);
    },

    async recipients(campaignId, { limit, afterSeq = 0, state }) {
      const byMessage = state !== undefined && isMessageStatus(state);
      const snapshotState = state && isMessageStatus(state) ? 'queued' : state;
      const shown: RecipientView[] = [];
      let after = afterSeq;
      while (shown.length < limit) {
        const page = await recipients
          .find({
            campaign_id: campaignId,
            seq: { $gt: after },
            ...(snapshotState ? { state: snapshotState } : {}),
          })
          .sort({ seq: 1 })
          .limit(byMessage ? Math.max(limit, SCAN_PAGE) : limit - shown.length)
          .toArray();
        const found = await messagesOf(page.map((r) => r.message_id));
        for (const r of page) {
          const v = view(r, r.message_id ? found.get(r.message_id) : undefined);
          if (!state || v.state === state) shown.push(v);
          if (shown.length === limit) break;
        }
        if (!byMessage || !page.length) break;
        after = page.at(-1)!.seq;
      }
      return shown;
    },
  };
}
