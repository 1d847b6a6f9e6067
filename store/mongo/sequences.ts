import type { Db, Filter } from 'mongodb';
import type { SequenceDoc, SequenceRepository, SequenceVersionDoc } from '../contract/sequences';
import { definitionOf, newSequence, versionDoc } from '../sequences';
import type { SubscriptionDoc } from '../contract/sequences';
import { retryBusy } from './duplicate-key';
import { updateVersioned } from './versioned';

/**
 * Without multi-document transactions a version is written before the sequence that names it:
 * a crash in between leaves an unused version, never a sequence whose version is missing (see
 * updateVersioned).
 */
export function sequenceRepository(db: Db): SequenceRepository {
  const sequences = db.collection<SequenceDoc>('sequences');
  const versions = db.collection<SequenceVersionDoc>('sequence_versions');
  const subscriptions = db.collection<SubscriptionDoc>('sequence_subscriptions');

  return {
    async create(orgId, input) {
      const doc = newSequence(orgId, input);
      await retryBusy(() => versions.insertOne(versionDoc(doc)));
      await retryBusy(() => sequences.insertOne({ ...doc }));
      return doc;
    },

    get: (orgId, id) => sequences.findOne({ _id: id, org_id: orgId }),

    list(orgId, { limit, before }) {
      const filter: Filter<SequenceDoc> = { org_id: orgId };
      if (before) {
        filter.$or = [
          { created_at: { $lt: before.created_at } },
          { created_at: before.created_at, _id: { $lt: before.id } },
        ];
      }
      return sequences.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
    },

    update: (orgId, id, input) =>
      updateVersioned(sequences, versions, { orgId, id }, (current) => {
        const next: SequenceDoc = {
          ...current,
          name: input.name,
          keywords: input.keywords,
          ...definitionOf(input),
          version: current.version + 1,
          updated_at: new Date(),
        };
        return { next, version: versionDoc(next, next.updated_at) };
      }),

    async delete(orgId, id) {
      const res = await retryBusy(() => sequences.deleteOne({ _id: id, org_id: orgId }));
      if (!res.deletedCount) return false;
      await retryBusy(() => versions.deleteMany({ sequence_id: id }));
      await retryBusy(() => subscriptions.deleteMany({ sequence_id: id }));
      return true;
    },

    version: (sequenceId, version) => versions.findOne({ sequence_id: sequenceId, version }),

    withKeywords: (orgId) =>
      sequences
        .find({ org_id: orgId, 'keywords.0': { $exists: true } })
        .sort({ created_at: 1, _id: 1 })
        .toArray(),
  };
}
