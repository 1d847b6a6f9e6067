import { mapLimit } from '../lib/concurrency';
import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { CampaignCounts, RecipientState, RecipientView } from '../store/contract/campaigns';
import type { CampaignDoc } from '../store/documents';

/** Counts queries a list page runs at once: a page must not take the whole pool. */
const COUNTS_IN_FLIGHT = 4;

/** A campaign with its recipients' counts (its progress): what every campaign answer shows. */
export interface CampaignWithCounts {
  campaign: CampaignDoc;
  counts: CampaignCounts;
}

export async function withCounts(store: Store, campaign: CampaignDoc): Promise<CampaignWithCounts> {
  return { campaign, counts: await store.campaigns.counts(campaign._id) };
}

/** The organization's campaign, or a 404. */
export async function findCampaign(store: Store, orgId: string, id: string): Promise<CampaignDoc> {
  const doc = await store.campaigns.get(orgId, id);
  if (!doc) throw new NotFoundError(`Campaign '${id}' not found`);
  return doc;
}

export async function getCampaign(
  store: Store,
  orgId: string,
  id: string,
): Promise<CampaignWithCounts> {
  return withCounts(store, await findCampaign(store, orgId, id));
}

/** Newest first, after a (created_at, id) cursor, each with its counts. */
export async function listCampaigns(
  store: Store,
  orgId: string,
  page: { limit: number; before?: { created_at: Date; id: string } },
): Promise<CampaignWithCounts[]> {
  const docs = await store.campaigns.list(orgId, page);
  return mapLimit(docs, COUNTS_IN_FLIGHT, (d) => withCounts(store, d));
}

/** A campaign's recipients in send order after `afterSeq`, optionally of one state. */
export async function campaignRecipients(
  store: Store,
  orgId: string,
  id: string,
  q: { limit: number; afterSeq?: number; state?: RecipientState },
): Promise<RecipientView[]> {
  const doc = await findCampaign(store, orgId, id);
  return store.campaigns.recipients(doc._id, q);
}
