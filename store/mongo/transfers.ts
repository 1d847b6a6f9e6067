import type { Db } from 'mongodb';
import { ConflictError } from '../../lib/errors';
import type { TransferRepository } from '../contract/contacts';
import type { TransferDoc } from '../documents';
import { newTransfer } from '../transfers';
import { isDuplicateKey } from './duplicate-key';
import { outboxFields, type WithOutbox } from './outbox';

/** Each transfer is written with its transfer.created event (see outbox.ts). */
export function transferRepository(db: Db): TransferRepository {
  const col = db.collection<TransferDoc & WithOutbox>('transfers');
  const get = (orgId: string, id: string) =>
    col.findOne(
      { _id: id, org_id: orgId },
      { projection: { version: 0, outbox: 0, outbox_pending: 0 } },
    );
  return {
    /** The caller flushes `transfers` afterwards. */
    async create(orgId, input) {
      const { doc, event } = newTransfer(orgId, input);
      try {
        await col.insertOne({ ...doc, ...outboxFields([event]) });
        return doc;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const existing = await get(orgId, doc._id);
        if (!existing) throw new ConflictError(`Transfer id '${doc._id}' is taken`);
        return existing;
      }
    },
    get,
  };
}
