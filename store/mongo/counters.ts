import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import type { CounterRepository, CounterSample } from '../contract/counters';
import { isDuplicateKey, retryBusy } from './duplicate-key';
import { keyedLock } from '../../lib/keyed-lock';

/** FerretDB never answers a bulkWrite of 100 operations or more: write fewer at a time. */
const BULK_CHUNK = 99;

/**
 * A counter under an id made of its name and its labels in key order, so `{a, b}` and
 * `{b, a}` are one counter and concurrent first adds cannot create it twice.
 */
type StoredCounter = CounterSample & { _id: string };

function normalized(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function counterRepository(db: Db): CounterRepository {
  const col = db.collection<StoredCounter>('counters');
  // FerretDB's $inc is an unisolated read-modify-write: adds within a process go one at a time.
  const serially = keyedLock();

  /** Ordered writes from `from`; an upsert that lost its insert race is written again. */
  async function write(ops: AnyBulkWriteOperation<StoredCounter>[]): Promise<void> {
    let from = 0;
    while (from < ops.length) {
      const rest = ops.slice(from);
      try {
        await retryBusy(() => col.bulkWrite(rest, { ordered: true }));
        return;
      } catch (err) {
        const failed = err instanceof MongoBulkWriteError ? [err.writeErrors].flat()[0] : null;
        if (!failed || !isDuplicateKey(err)) throw err;
        from += failed.index;
      }
    }
  }

  return {
    add: (samples) =>
      serially('counters', async () => {
        const sums = new Map<string, StoredCounter>();
        for (const s of samples) {
          const labels = normalized(s.labels);
          const _id = JSON.stringify([s.name, labels]);
          const sum = sums.get(_id);
          if (sum) sum.value += s.value;
          else sums.set(_id, { _id, name: s.name, labels, value: s.value });
        }
        const ops = [...sums.values()].map(
          ({ _id, name, labels, value }): AnyBulkWriteOperation<StoredCounter> => ({
            updateOne: {
              filter: { _id },
              update: { $inc: { value }, $setOnInsert: { name, labels } },
              upsert: true,
            },
          }),
        );
        for (let i = 0; i < ops.length; i += BULK_CHUNK) await write(ops.slice(i, i + BULK_CHUNK));
      }),

    async list() {
      const docs = await col.find({}).sort({ _id: 1 }).toArray();
      return docs.map(({ name, labels, value }) => ({ name, labels, value }));
    },
  };
}
