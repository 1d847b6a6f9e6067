import type { Db } from 'mongodb';
import type { AutomationInputDoc, AutomationInputRepository } from '../contract/automations';
import { storedInOrder } from '../automations';
import { bulkChunks } from './bulk-chunks';
import { insertNew, retryBusy } from './duplicate-key';
import { sweepCursor } from './sweep-cursors';

export function automationInputRepository(db: Db): AutomationInputRepository {
  const inputs = db.collection<AutomationInputDoc>('automation_inputs');
  const cursor = sweepCursor(db, 'automation_inputs');
  return {
    async decide(given) {
      const inserted = new Set<string>();
      for (const chunk of bulkChunks(given)) {
        for (const id of await retryBusy(() => insertNew(inputs, chunk))) inserted.add(id);
      }
      const earlier = given.filter((i) => !inserted.has(i._id)).map((i) => i._id);
      const stored = earlier.length ? await inputs.find({ _id: { $in: earlier } }).toArray() : [];
      return storedInOrder(given, inserted, stored);
    },

    async redecide(id, decision) {
      await retryBusy(() =>
        inputs.updateOne({ _id: id, state: 'decided' }, { $set: { decision } }),
      );
    },

    async done(ids, at) {
      if (!ids.length) return;
      await retryBusy(() =>
        inputs.updateMany(
          { _id: { $in: [...ids] }, state: 'decided' },
          { $set: { state: 'done', done_at: at } },
        ),
      );
    },

    async unseen(ids) {
      const seen = new Set(
        (await inputs.find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } }).toArray()).map(
          (d) => d._id,
        ),
      );
      return ids.filter((id) => !seen.has(id));
    },

    undone: (before, limit) =>
      inputs
        .find({ state: 'decided', created_at: { $lt: before } })
        .sort({ created_at: 1, _id: 1 })
        .limit(limit)
        .toArray(),

    get: (id) => inputs.findOne({ _id: id }),

    sweptThrough: () => cursor.get(),
    setSweptThrough: (at) => cursor.set(at),

    async purgeBefore(before) {
      const res = await retryBusy(() => inputs.deleteMany({ created_at: { $lt: before } }));
      return res.deletedCount;
    },
  };
}
