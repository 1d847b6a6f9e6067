import type { Db } from 'mongodb';
import type { TransferRepository } from '../contract/contacts';
import type { TransferDoc } from '../documents';
import { newTransfer } from '../transfers';
import { outboxFields, type WithOutbox } from './outbox';

/** Each transfer is written with its transfer.created event (see outbox.ts). */
export function transferRepository(db: Db): TransferRepository {
  const col = db.collection<TransferDoc & WithOutbox>('transfers');
  return {
    /** The caller flushes `transfers` afterwards. */
    async create(orgId, input) {
      const { doc, event } = newTransfer(orgId, input);
      await col.insertOne({ ...doc, ...outboxFields([event]) });
      return doc;
    },
    get(orgId, id) {
      return col.findOne(
        { _id: id, org_id: orgId },
        { projection: { version: 0, outbox: 0, outbox_pending: 0 } },
      );
    },
  };
}
