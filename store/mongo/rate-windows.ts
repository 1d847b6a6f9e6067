import type { Db } from 'mongodb';
import type { RateWindowRepository } from '../contract/rate-windows';
import { isDuplicateKey, retryBusy } from './duplicate-key';

/** A claimed block: its id names the window and the block, so only one insert of it succeeds. */
interface BlockDoc {
  _id: string;
  window: string;
  block: number;
  ends_at: Date;
}

/**
 * One document per claimed block, claimed by inserting it. An insert refused by the unique
 * `_id` is atomic on FerretDB too, where a guarded `$inc` is not (it applies updates as an
 * unisolated read-modify-write, so two processes could take the same share).
 */
export function rateWindowRepository(db: Db): RateWindowRepository {
  const col = db.collection<BlockDoc>('rate_window_blocks');
  return {
    async claim({ key, start, end }, blocks, from) {
      const window = `${key}|${start}`;
      for (let block = from; block < blocks;) {
        try {
          await retryBusy(() =>
            col.insertOne({ _id: `${window}|${block}`, window, block, ends_at: new Date(end) }),
          );
          return block;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // Taken by another process: go past the last block claimed.
          const last = await col.find({ window }).sort({ block: -1 }).limit(1).next();
          block = Math.max(block + 1, (last?.block ?? block) + 1);
        }
      }
      return null;
    },
    async purgeEnded(now) {
      const res = await retryBusy(() => col.deleteMany({ ends_at: { $lt: new Date(now) } }));
      return res.deletedCount;
    },
  };
}
