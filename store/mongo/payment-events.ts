import type { Db } from 'mongodb';
import type { PaymentEventRepository } from '../contract/payments';
import type { PaymentEventDoc } from '../documents';
import { MAX_PAYMENT_EVENT_ATTEMPTS, newPaymentEventDocs } from '../payment-links';
import { insertManyNew, retryBusy } from './duplicate-key';

/** FerretDB never answers a bulk write of 100 operations or more. */
const CHUNK = 99;

export function paymentEventRepository(db: Db): PaymentEventRepository {
  const col = db.collection<PaymentEventDoc>('payment_events');
  return {
    async saveMany(events, at = new Date()) {
      const docs = newPaymentEventDocs(events, at);
      const saved: PaymentEventDoc[] = [];
      for (let i = 0; i < docs.length; i += CHUNK) {
        const chunk = docs.slice(i, i + CHUNK);
        // Duplicates within one call are stored once too.
        const unique = [...new Map(chunk.map((d) => [d._id, d])).values()];
        const refused = await retryBusy(() => insertManyNew(col, unique));
        saved.push(...unique.filter((_, j) => !refused.has(j)));
      }
      return saved;
    },
    async markProcessed(ids) {
      if (!ids.length) return;
      await retryBusy(() =>
        col.updateMany(
          { _id: { $in: ids } },
          { $set: { processed_at: new Date(), last_error: null } },
        ),
      );
    },
    async markFailed(id, error) {
      await retryBusy(() =>
        col.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { last_error: error } }),
      );
    },
    pending(olderThanMs, limit = 500) {
      return col
        .find({
          processed_at: null,
          received_at: { $lte: new Date(Date.now() - olderThanMs) },
          attempts: { $lt: MAX_PAYMENT_EVENT_ATTEMPTS },
        })
        .sort({ received_at: 1 })
        .limit(limit)
        .toArray();
    },
    get: (id) => col.findOne({ _id: id }),
  };
}
