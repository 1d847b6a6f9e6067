import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { decryptSecret, encryptSecret } from '../lib/crypto';
import type { WebhookEndpointDoc, WebhookEndpointStatus } from './documents';

export interface NewWebhookEndpoint {
  name: string;
  url: string;
  events: string[];
}

export interface WebhookEndpointChanges {
  name?: string;
  url?: string;
  events?: string[];
  /** Enabling (`active`) or disabling by hand. */
  status?: 'active' | 'disabled';
}

/**
 * `whsec_` and 32 random bytes in base64: the Standard Webhooks format, whose libraries take
 * the bytes after the prefix as the key; the plain `X-Webhook-Signature` uses the whole string.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function webhookEndpointRepository(db: Db, encryptionKey: Buffer) {
  const col = db.collection<WebhookEndpointDoc>('webhook_endpoints');
  return {
    async create(
      orgId: string,
      input: NewWebhookEndpoint,
    ): Promise<{ endpoint: WebhookEndpointDoc; secret: string }> {
      const secret = newWebhookSecret();
      const now = new Date();
      const endpoint: WebhookEndpointDoc = {
        _id: randomUUID(),
        org_id: orgId,
        name: input.name,
        url: input.url,
        events: input.events,
        secret_enc: encryptSecret(secret, encryptionKey),
        status: 'active',
        status_reason: null,
        created_at: now,
        updated_at: now,
      };
      await col.insertOne(endpoint);
      return { endpoint, secret };
    },
    list(orgId: string) {
      return col.find({ org_id: orgId }).sort({ created_at: 1, _id: 1 }).toArray();
    },
    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },
    secretOf(endpoint: WebhookEndpointDoc): string {
      return decryptSecret(endpoint.secret_enc, encryptionKey);
    },
    async update(orgId: string, id: string, changes: WebhookEndpointChanges) {
      const { status, ...fields } = changes;
      const statusFields = status ? { status, status_reason: null } : {};
      return col.findOneAndUpdate(
        { _id: id, org_id: orgId },
        { $set: { ...fields, ...statusFields, updated_at: new Date() } },
        { returnDocument: 'after' },
      );
    },
    async rotateSecret(orgId: string, id: string): Promise<string | null> {
      const secret = newWebhookSecret();
      const res = await col.updateOne(
        { _id: id, org_id: orgId },
        { $set: { secret_enc: encryptSecret(secret, encryptionKey), updated_at: new Date() } },
      );
      return res.matchedCount ? secret : null;
    },
    async delete(orgId: string, id: string): Promise<boolean> {
      return (await col.deleteOne({ _id: id, org_id: orgId })).deletedCount === 1;
    },
    /**
     * What delivery learns about an endpoint: it is failing, works again, or answered 410.
     * `from` names the status (or statuses) it must still have, so a manual disable is never
     * undone.
     */
    async setStatus(
      id: string,
      from: WebhookEndpointStatus | WebhookEndpointStatus[],
      to: WebhookEndpointStatus,
      reason: string | null,
    ): Promise<boolean> {
      const res = await col.updateOne(
        { _id: id, status: Array.isArray(from) ? { $in: from } : from },
        { $set: { status: to, status_reason: reason, updated_at: new Date() } },
      );
      return res.modifiedCount === 1;
    },
  };
}

export type WebhookEndpointRepository = ReturnType<typeof webhookEndpointRepository>;
