import type { Db } from 'mongodb';
import { decryptSecret, encryptSecret } from '../../lib/crypto';
import type { WebhookEndpointRepository } from '../contract/webhooks';
import type { WebhookEndpointDoc } from '../documents';
import { newWebhookEndpoint, newWebhookSecret } from '../webhook-endpoints';
import { isDuplicateKey, retryBusy } from './duplicate-key';

export function webhookEndpointRepository(
  db: Db,
  encryptionKey: Buffer,
): WebhookEndpointRepository {
  const col = db.collection<WebhookEndpointDoc>('webhook_endpoints');
  return {
    async create(orgId, input) {
      const created = newWebhookEndpoint(orgId, input, encryptionKey);
      try {
        await retryBusy(() => col.insertOne(created.endpoint));
        return { ...created, created: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const stored = (await col.findOne({ _id: created.endpoint._id }))!;
        return {
          endpoint: stored,
          secret: decryptSecret(stored.secret_enc, encryptionKey),
          created: false,
        };
      }
    },
    list(orgId) {
      return col.find({ org_id: orgId }).sort({ created_at: 1, _id: 1 }).toArray();
    },
    get(orgId, id) {
      return col.findOne({ _id: id, org_id: orgId });
    },
    secretOf(endpoint) {
      return decryptSecret(endpoint.secret_enc, encryptionKey);
    },
    async update(orgId, id, changes) {
      const { status, ...fields } = changes;
      const statusFields = status
        ? { status, status_reason: null, failing_since: null, next_probe_at: null }
        : {};
      return col.findOneAndUpdate(
        { _id: id, org_id: orgId },
        { $set: { ...fields, ...statusFields, updated_at: new Date() } },
        { returnDocument: 'after' },
      );
    },
    async rotateSecret(orgId, id) {
      const secret = newWebhookSecret();
      const res = await col.updateOne(
        { _id: id, org_id: orgId },
        { $set: { secret_enc: encryptSecret(secret, encryptionKey), updated_at: new Date() } },
      );
      return res.matchedCount ? secret : null;
    },
    async delete(orgId, id) {
      return (await col.deleteOne({ _id: id, org_id: orgId })).deletedCount === 1;
    },
    async setStatus(id, from, to, reason) {
      const closes = to === 'failing' ? {} : { failing_since: null, next_probe_at: null };
      const res = await col.updateOne(
        { _id: id, status: Array.isArray(from) ? { $in: from } : from },
        { $set: { status: to, status_reason: reason, ...closes, updated_at: new Date() } },
      );
      return res.modifiedCount === 1;
    },
    async openCircuit(id, at, reason) {
      // Endpoints stored before circuits have no failing_since: `null` matches them too.
      const opened = await col.updateOne(
        { _id: id, status: { $in: ['active', 'failing'] }, failing_since: null },
        { $set: { status: 'failing', status_reason: reason, failing_since: at, updated_at: at } },
      );
      if (opened.modifiedCount === 1) return at;
      const open = await col.findOne(
        { _id: id, status: 'failing' },
        { projection: { failing_since: 1 } },
      );
      return open?.failing_since ?? null;
    },
    async setNextProbe(id, at) {
      await col.updateOne(
        { _id: id, failing_since: { $ne: null } },
        { $set: { next_probe_at: at } },
      );
    },
  };
}
