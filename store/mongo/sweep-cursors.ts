import type { Db } from 'mongodb';
import { upsertRacing } from './duplicate-key';

/**
 * Where a sweep stopped: one document per sweep, by name, in `webhook_recovery` (the
 * collection the webhook recovery's sweep, the first of them, created).
 */
export function sweepCursor(db: Db, name: string) {
  const cursors = db.collection<{ _id: string; through: Date }>('webhook_recovery');
  return {
    async get(): Promise<Date | null> {
      return (await cursors.findOne({ _id: name }))?.through ?? null;
    },
    async set(through: Date): Promise<void> {
      // Two sweeps may write a cursor's first position at once.
      await upsertRacing(() =>
        cursors.updateOne({ _id: name }, { $set: { through } }, { upsert: true }),
      );
    },
  };
}
