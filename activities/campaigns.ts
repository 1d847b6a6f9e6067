import { ApplicationFailure } from '@temporalio/common';
import { idFrom } from '../lib/ids';
import { renderCampaignMessage } from '../campaigns/message';
import { windowOpen } from '../meta/window';
import type { NewMessage } from '../store/contract/messages';
import type { CampaignDoc, CampaignStatus, ContactDoc } from '../store/documents';
import { eventDoc } from '../store/events';
import type { ActivityDeps } from './deps';
import { messageActionValues } from '../actions/message-values';

/**
 * The send queue holds this many seconds of a campaign's sends: what a pause lets go out, and
 * what keeps the number busy while a top-up waits on a slow Temporal server (1.5 s measured).
 */
const BACKLOG_SECONDS = 3;

export const CampaignFailure = { gone: 'CampaignGone' } as const;

/** One message per campaign and contact, whatever retries and restarts happen. */
export const campaignMessageId = (campaignId: string, contactId: string) =>
  idFrom(`campaign:${campaignId}:${contactId}`);

export interface TopUp {
  cursor: number;
  queued: number;
  skipped: number;
  /** No pending recipient is left after the cursor. */
  exhausted: boolean;
}

/** What a campaign's workflow does with the store and the send queue. */
export function campaignActivities({ store, signals, config, sandbox }: ActivityDeps) {
  async function campaign(id: string): Promise<CampaignDoc> {
    const doc = await store.campaigns.byId(id);
    if (!doc)
      throw ApplicationFailure.nonRetryable(`Campaign ${id} not found`, CampaignFailure.gone);
    return doc;
  }

  return {
    /** When it starts (epoch ms), or null for now. */
    async campaignSchedule(campaignId: string): Promise<number | null> {
      return (await campaign(campaignId)).scheduled_at?.getTime() ?? null;
    },

    /** Snapshots the audience (once) and marks the campaign running; returns the recipients. */
    async startCampaign(campaignId: string): Promise<number> {
      const doc = await campaign(campaignId);
      const total = await store.campaigns.snapshot(doc);
      await store.campaigns.update(campaignId, {
        status: 'running',
        total,
        started_at: doc.started_at ?? new Date(),
      });
      return total;
    },

    /**
     * Tops the campaign's share of the send queue up to a few seconds of sending, from the
     * recipients after `cursor`. At the number's own pace the lane paces it; a campaign slower
     * than its number is held to one second's worth a top-up.
     */
    async topUpCampaign(campaignId: string, cursor: number): Promise<TopUp> {
      const doc = await campaign(campaignId);
      const account = await store.accounts.findById(doc.account_id);
      if (!account) {
        throw ApplicationFailure.nonRetryable('WhatsApp account not found', CampaignFailure.gone);
      }
      const rate = Math.min(doc.throughput ?? account.throughput, account.throughput);
      const room = Math.max(
        0,
        rate * BACKLOG_SECONDS - (await store.campaigns.inQueue(campaignId)),
      );
      const limit = rate < account.throughput ? Math.min(room, rate) : room;
      if (!limit) return { cursor, queued: 0, skipped: 0, exhausted: false };

      const fetched = await store.campaigns.nextRecipients(campaignId, cursor, limit);
      const sendable = (c: ContactDoc | null): c is ContactDoc =>
        !!c && (doc.mode !== '24h' || windowOpen(c.last_inbound_at));
      const fromAction = await messageActionValues(
        { store, sandbox: sandbox },
        { ...doc, caller: { type: 'campaign', id: doc._id } },
        fetched.map((r) => r.contact).filter(sendable),
      );
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
            _id: campaignMessageId(campaignId, contact._id),
            org_id: doc.org_id,
            account_id: doc.account_id,
            contact_id: contact._id,
            direction: 'outbound',
            phone_number: recipient.phone_number,
            type,
            content,
            origin: 'campaign',
            origin_id: campaignId,
            request_hash: null,
            wamid: null,
            status: 'queued',
          });
        }
      }
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
        exhausted: cut < 0 && next.length < limit,
      };
    },

    /** Recipients whose message still waits in the send queue. */
    campaignBacklog(campaignId: string): Promise<number> {
      return store.campaigns.inQueue(campaignId);
    },

    async setCampaignStatus(campaignId: string, status: CampaignStatus): Promise<void> {
      await store.campaigns.update(campaignId, { status });
    },

    /** Pending recipients are cancelled; what is already queued goes out. */
    async cancelCampaign(campaignId: string): Promise<void> {
      await store.campaigns.cancelPending(campaignId);
      await store.campaigns.update(campaignId, { status: 'cancelled', completed_at: new Date() });
    },

    async failCampaign(campaignId: string, error: string): Promise<void> {
      await store.campaigns.cancelPending(campaignId);
      await store.campaigns.update(campaignId, {
        status: 'failed',
        error,
        completed_at: new Date(),
      });
    },

    /** Completed, with `campaign.completed` and the reference's counts. */
    async completeCampaign(campaignId: string): Promise<void> {
      const doc = await campaign(campaignId);
      const counts = await store.campaigns.counts(campaignId);
      const at = new Date();
      await store.campaigns.update(campaignId, { status: 'completed', completed_at: at });
      await store.events.recordMany([
        eventDoc(doc.org_id, {
          id: `campaign.completed:${campaignId}`,
          type: 'campaign.completed',
          timestamp: at,
          data: {
            id: campaignId,
            name: doc.name,
            total: counts.total,
            sent: counts.sent,
            delivered: counts.delivered,
            read: counts.read,
            failed: counts.failed,
          },
        }),
      ]);
    },
  };
}

export type CampaignActivities = ReturnType<typeof campaignActivities>;
