import type { AnyBulkWriteOperation, Db, Filter } from 'mongodb';
import { audienceFilter, CAMPAIGN_PATCH_FIELDS, newCampaign } from '../campaigns';
import type { CampaignRepository } from '../contract/campaigns';
import type { CampaignDoc, ContactDoc } from '../documents';
import { audienceContacts, audienceMatch, CONTACT_PROJECTION } from './audience';
import { recipientViews, type StoredRecipient } from './campaign-recipients';
import type { StoredContact } from './contact-writes';
import { insertManyNew, isDuplicateKey, retryBusy } from './duplicate-key';

/** When every recipient was written: a snapshot retried after that writes nothing. */
type StoredCampaign = CampaignDoc & { snapshot_at?: Date };

const HIDDEN = { snapshot_at: 0 } as const;
const BULK_CHUNK = 99;
const INSERT_CHUNK = 1_000;

/** One recipient per campaign and contact, whatever retries write. */
const recipientId = (campaignId: string, contactId: string) => `${campaignId}:${contactId}`;

/**
 * Campaigns and their recipients without multi-document transactions. A snapshot writes its
 * recipients in chunks, each under an id of its campaign and contact (and a seq unique within
 * the campaign), then marks the campaign: a retry after a crash in between writes what is
 * missing, one after the mark writes nothing.
 */
export function campaignRepository(db: Db): CampaignRepository {
  const campaigns = db.collection<StoredCampaign>('campaigns');
  const recipients = db.collection<StoredRecipient>('campaign_recipients');
  const contacts = db.collection<StoredContact>('contacts');

  const countRecipients = (campaignId: string) =>
    recipients.countDocuments({ campaign_id: campaignId });

  return {
    async create(orgId, input) {
      const doc = newCampaign(orgId, input);
      try {
        await retryBusy(() => campaigns.insertOne({ ...doc }));
        return { doc, created: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const stored = await campaigns.findOne({ _id: doc._id }, { projection: HIDDEN });
        return { doc: stored!, created: false };
      }
    },

    get: (orgId, id) => campaigns.findOne({ _id: id, org_id: orgId }, { projection: HIDDEN }),

    byId: (id) => campaigns.findOne({ _id: id }, { projection: HIDDEN }),

    running: (accountIds) =>
      campaigns
        .find({ status: 'running', account_id: { $in: accountIds } }, { projection: HIDDEN })
        .toArray(),

    list(orgId, { limit, before }) {
      const filter: Filter<StoredCampaign> = { org_id: orgId };
      if (before) {
        filter.$or = [
          { created_at: { $lt: before.created_at } },
          { created_at: before.created_at, _id: { $lt: before.id } },
        ];
      }
      return campaigns
        .find(filter, { projection: HIDDEN })
        .sort({ created_at: -1, _id: -1 })
        .limit(limit)
        .toArray();
    },

    async update(id, patch) {
      const set: Partial<CampaignDoc> = { updated_at: new Date() };
      for (const f of CAMPAIGN_PATCH_FIELDS) {
        if (patch[f] !== undefined) Object.assign(set, { [f]: patch[f] });
      }
      // FerretDB takes no projection on findAndModify: the mark is left out here.
      const doc = await retryBusy(() =>
        campaigns.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }),
      );
      if (!doc) return null;
      const { snapshot_at, ...campaign } = doc;
      return campaign;
    },

    async audienceSize(orgId, audience) {
      const filter = audienceFilter(audience);
      if (!filter) return 0;
      return contacts.countDocuments(audienceMatch(orgId, filter));
    },

    async audienceSample(orgId, audience, limit) {
      const filter = audienceFilter(audience);
      return filter && limit > 0 ? audienceContacts(db, orgId, filter, limit) : [];
    },

    async snapshot(campaign) {
      const stored = await campaigns.findOne(
        { _id: campaign._id },
        { projection: { snapshot_at: 1 } },
      );
      if (!stored) throw new Error(`Campaign ${campaign._id} not found`);
      if (stored.snapshot_at) return countRecipients(campaign._id);
      const filter = audienceFilter(campaign.audience);
      const matched = filter ? await audienceContacts(db, campaign.org_id, filter) : [];
      const docs: StoredRecipient[] = matched.map((c, i) => ({
        _id: recipientId(campaign._id, c._id),
        campaign_id: campaign._id,
        contact_id: c._id,
        seq: i + 1,
        phone_number: c.phone_number,
        state: 'pending',
        message_id: null,
        reason: null,
      }));
      for (let i = 0; i < docs.length; i += INSERT_CHUNK) {
        const chunk = docs.slice(i, i + INSERT_CHUNK);
        await retryBusy(() => insertManyNew(recipients, chunk));
      }
      await retryBusy(() =>
        campaigns.updateOne({ _id: campaign._id }, { $set: { snapshot_at: new Date() } }),
      );
      return countRecipients(campaign._id);
    },

    async nextRecipients(campaignId, afterSeq, limit) {
      const page = await recipients
        .find(
          { campaign_id: campaignId, state: 'pending', seq: { $gt: afterSeq } },
          { projection: { _id: 0 } },
        )
        .sort({ seq: 1 })
        .limit(limit)
        .toArray();
      if (!page.length) return [];
      const found = await contacts
        .find({ _id: { $in: page.map((r) => r.contact_id) } }, { projection: CONTACT_PROJECTION })
        .toArray();
      const byId = new Map(found.map((c) => [c._id, c as ContactDoc]));
      return page.map((r) => ({
        recipient: r,
        contact: byId.get(r.contact_id) ?? null,
      }));
    },

    async markRecipients(campaignId, updates) {
      const ops: AnyBulkWriteOperation<StoredRecipient>[] = updates.map((u) => ({
        updateOne: {
          filter: { _id: recipientId(campaignId, u.contact_id) },
          update: { $set: { state: u.state, message_id: u.message_id, reason: u.reason } },
        },
      }));
      for (let i = 0; i < ops.length; i += BULK_CHUNK) {
        const chunk = ops.slice(i, i + BULK_CHUNK);
        await retryBusy(() => recipients.bulkWrite(chunk, { ordered: true }));
      }
    },

    async cancelPending(campaignId) {
      const res = await retryBusy(() =>
        recipients.updateMany(
          { campaign_id: campaignId, state: 'pending' },
          { $set: { state: 'cancelled' } },
        ),
      );
      return res.modifiedCount;
    },

    ...recipientViews(db),
  };
}
