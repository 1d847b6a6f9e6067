import type { Db, Filter } from 'mongodb';
import { ConflictError } from '../../lib/errors';
import { ACTION_FIELDS, duplicateActionName, newAction } from '../actions';
import type { ActionRepository } from '../contract/actions';
import type { ActionDoc, ActionRunDoc } from '../documents';
import { insertManyNew, isDuplicateKey, retryBusy } from './duplicate-key';

const RUN_CHUNK = 500;

async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await retryBusy(write);
  } catch (err) {
    if (isDuplicateKey(err)) throw new ConflictError(duplicateActionName(name ?? ''));
    throw err;
  }
}

/** Actions (unique by organization and name, see indexes.ts) and their runs. */
export function actionRepository(db: Db): ActionRepository {
  const actions = db.collection<ActionDoc>('actions');
  const runs = db.collection<ActionRunDoc>('action_runs');

  return {
    async create(orgId, input) {
      const doc = newAction(orgId, input);
      await uniqueName(input.name, () => actions.insertOne({ ...doc }));
      return doc;
    },

    list: (orgId) => actions.find({ org_id: orgId }).sort({ name: 1, _id: 1 }).toArray(),

    get: (orgId, id) => actions.findOne({ _id: id, org_id: orgId }),

    update(orgId, id, changes) {
      const set: Partial<ActionDoc> = { updated_at: new Date() };
      for (const f of ACTION_FIELDS) {
        if (changes[f] !== undefined) Object.assign(set, { [f]: changes[f] });
      }
      if (changes.code !== undefined)
        Object.assign(set, { disabled_reason: null, disabled_at: null });
      return uniqueName(changes.name, () =>
        actions.findOneAndUpdate(
          { _id: id, org_id: orgId },
          { $set: set },
          { returnDocument: 'after' },
        ),
      );
    },

    disable: (orgId, id, reason) =>
      retryBusy(() =>
        actions.findOneAndUpdate(
          { _id: id, org_id: orgId },
          { $set: { disabled_reason: reason, disabled_at: new Date(), updated_at: new Date() } },
          { returnDocument: 'after' },
        ),
      ),

    async delete(orgId, id) {
      const res = await retryBusy(() => actions.deleteOne({ _id: id, org_id: orgId }));
      if (!res.deletedCount) return false;
      await retryBusy(() => runs.deleteMany({ action_id: id }));
      return true;
    },

    async recordRuns(docs) {
      for (let i = 0; i < docs.length; i += RUN_CHUNK) {
        const chunk = docs.slice(i, i + RUN_CHUNK);
        await retryBusy(() => insertManyNew(runs, chunk));
      }
    },

    runs(orgId, actionId, { limit, before }) {
      const filter: Filter<ActionRunDoc> = { action_id: actionId, org_id: orgId };
      if (before) {
        filter.$or = [
          { created_at: { $lt: before.created_at } },
          { created_at: before.created_at, _id: { $lt: before.id } },
        ];
      }
      return runs.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
    },
  };
}
