import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { CampaignDoc } from '../store/documents';
import { eventDoc } from '../store/events';

/** The campaign its workflow runs; gone (deleted with its organization) is for good. */
export async function campaignById(store: Store, id: string): Promise<CampaignDoc> {
  const doc = await store.campaigns.byId(id);
  if (!doc) throw new NotFoundError(`Campaign ${id} not found`);
  return doc;
}

/** When it starts (epoch ms), or null for now. */
export async function campaignStartTime(store: Store, campaignId: string): Promise<number | null> {
  return (await campaignById(store, campaignId)).scheduled_at?.getTime() ?? null;
}

/** Snapshots the audience (once) and marks the campaign running; returns the recipients. */
export async function startCampaign(store: Store, campaignId: string): Promise<number> {
  const doc = await campaignById(store, campaignId);
  const total = await store.campaigns.snapshot(doc);
  await store.campaigns.update(campaignId, {
    status: 'running',
    total,
    started_at: doc.started_at ?? new Date(),
  });
  return total;
}

/** Pending recipients are cancelled; what is already queued goes out. */
export async function cancelCampaign(store: Store, campaignId: string): Promise<void> {
  await store.campaigns.cancelPending(campaignId);
  await store.campaigns.update(campaignId, { status: 'cancelled', completed_at: new Date() });
}

export async function failCampaign(store: Store, campaignId: string, error: string): Promise<void> {
  await store.campaigns.cancelPending(campaignId);
  await store.campaigns.update(campaignId, {
    status: 'failed',
    error,
    completed_at: new Date(),
  });
}

/** Completed, with `campaign.completed` and the reference's counts. */
export async function completeCampaign(store: Store, campaignId: string): Promise<void> {
  const doc = await campaignById(store, campaignId);
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
}
