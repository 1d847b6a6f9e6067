import type { Db, Filter } from 'mongodb';
import type { PaymentLinkRepository } from '../contract/payments';
import type { PaymentLinkDoc } from '../documents';
import { newPaymentLinkDoc } from '../payment-links';
import { isDuplicateKey, retryBusy } from './duplicate-key';
import { keyedLock } from '../../lib/keyed-lock';

export function paymentLinkRepository(db: Db): PaymentLinkRepository {
  const col = db.collection<PaymentLinkDoc>('payment_links');
  // Conditional updates of one link run one at a time (see keyedLock: FerretDB's are not atomic).
  const serially = keyedLock();
  return {
    async create(link, at = new Date()) {
      const doc = newPaymentLinkDoc(link, at);
      try {
        await retryBusy(() => col.insertOne(doc));
        return { doc, created: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return { doc: (await col.findOne({ _id: doc._id }))!, created: false };
      }
    },
    get: (orgId, id) => col.findOne({ _id: id, org_id: orgId }),
    byId: (id) => col.findOne({ _id: id }),
    byGatewayLinkId: (orgId, gateway, gatewayLinkId) =>
      col.findOne(
        { org_id: orgId, gateway, gateway_link_id: gatewayLinkId },
        { sort: { created_at: -1 } },
      ),
    list(orgId, q) {
      const filter: Filter<PaymentLinkDoc> = { org_id: orgId };
      if (q.status) filter.status = q.status;
      if (q.contactId) filter.contact_id = q.contactId;
      if (q.before) {
        filter.$or = [
          { created_at: { $lt: q.before.created_at } },
          { created_at: q.before.created_at, _id: { $lt: q.before.id } },
        ];
      }
      return col.find(filter).sort({ created_at: -1, _id: -1 }).limit(q.limit).toArray();
    },
    async setGatewayLink(id, gatewayLinkId, url) {
      await serially(id, () =>
        retryBusy(() =>
          col.updateOne(
            { _id: id, gateway_link_id: null },
            { $set: { gateway_link_id: gatewayLinkId, url, updated_at: new Date() } },
          ),
        ),
      );
      return col.findOne({ _id: id });
    },
    async setMessage(id, kind, messageId) {
      const field = kind === 'link' ? 'link_message_id' : 'receipt_message_id';
      await retryBusy(() =>
        col.updateOne({ _id: id }, { $set: { [field]: messageId, updated_at: new Date() } }),
      );
    },
    async countReminder(id, n) {
      await serially(id, () =>
        retryBusy(() =>
          col.updateOne(
            { _id: id, reminders_sent: { $lt: n } },
            { $set: { reminders_sent: n, updated_at: new Date() } },
          ),
        ),
      );
    },
    transition(id, from, to, at, detail, fields = {}) {
      return serially(id, () =>
        retryBusy(() =>
          col.findOneAndUpdate(
            { _id: id, status: { $in: from } },
            {
              $set: { ...fields, status: to, updated_at: at },
              $push: { status_history: { status: to, at, detail } },
            },
            { returnDocument: 'after' },
          ),
        ),
      );
    },
  };
}
