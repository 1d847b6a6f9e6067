import type { Db, Filter } from 'mongodb';
import { sha256Hex } from '../../lib/crypto';
import {
  accountChangeFields,
  accountCredentials,
  messagingLimitFields,
  newAccountDoc,
  NO_SANDBOX,
  phoneNumberTaken,
  sandboxAccountDoc,
  type AccountSettings,
} from '../accounts';
import type { AccountRepository } from '../contract/accounts';
import type { AccountDoc } from '../documents';
import { sandboxAccountIds } from '../sandbox-account';
import { isDuplicateKey, retryBusy } from './duplicate-key';

export function accountRepository(
  db: Db,
  encryptionKey: Buffer,
  settings: AccountSettings = NO_SANDBOX,
): AccountRepository {
  const col = db.collection<AccountDoc>('accounts');

  const conflict = (err: unknown, phoneNumberId: string | undefined): unknown =>
    isDuplicateKey(err) ? phoneNumberTaken(phoneNumberId) : err;

  const hasDefault = async (orgId: string) =>
    (await col.countDocuments({ org_id: orgId, is_default: true }, { limit: 1 })) > 0;

  /** Makes `id` the organization's only default: set it first so there is never none. */
  async function makeDefault(orgId: string, id: string, at: Date): Promise<void> {
    await col.updateOne({ _id: id, org_id: orgId }, { $set: { is_default: true, updated_at: at } });
    await col.updateMany(
      { org_id: orgId, _id: { $ne: id }, is_default: true },
      { $set: { is_default: false, updated_at: at } },
    );
  }

  async function ensureSandbox(
    orgId: string,
    sandbox = settings.sandbox,
  ): Promise<AccountDoc | null> {
    if (!sandbox) return null;
    const { phoneNumberId } = sandboxAccountIds(orgId);
    const existing = await col.findOne({ phone_number_id: phoneNumberId });
    if (existing) {
      // The simulator's address can change between runs (another port); follow it.
      if (existing.graph_url === sandbox.graphUrl) return existing;
      await col.updateOne({ _id: existing._id }, { $set: { graph_url: sandbox.graphUrl } });
      return { ...existing, graph_url: sandbox.graphUrl };
    }
    const doc = sandboxAccountDoc(orgId, sandbox, encryptionKey, !(await hasDefault(orgId)));
    // Insert-or-keep on the unique phone_number_id rather than an upsert with $setOnInsert,
    // which FerretDB v1 applies without its null fields.
    try {
      await col.insertOne(doc);
    } catch (err) {
      // A concurrent call inserted it first: the unique index kept one.
      if (!isDuplicateKey(err)) throw err;
    }
    return col.findOne({ phone_number_id: phoneNumberId });
  }

  return {
    ensureSandbox,

    async create(orgId, input) {
      const isDefault = input.isDefault === true || !(await hasDefault(orgId));
      const doc = newAccountDoc(orgId, input, encryptionKey, settings.graphUrl, isDefault);
      try {
        await col.insertOne(doc);
      } catch (err) {
        throw conflict(err, doc.phone_number_id);
      }
      if (doc.is_default) await makeDefault(orgId, doc._id, doc.created_at);
      return doc;
    },

    async list(orgId) {
      await ensureSandbox(orgId);
      return col.find({ org_id: orgId }).sort({ created_at: 1 }).toArray();
    },

    get(orgId, id) {
      return col.findOne({ _id: id, org_id: orgId });
    },

    findById(id) {
      return col.findOne({ _id: id });
    },

    async resolve(orgId, id) {
      if (id) return col.findOne({ _id: id, org_id: orgId });
      const byDefault = () =>
        col.find({ org_id: orgId, is_default: true }).sort({ created_at: 1 }).limit(1).next();
      const found = await byDefault();
      if (found || !settings.sandbox) return found;
      await ensureSandbox(orgId);
      return byDefault();
    },

    findByPhoneNumberId(phoneNumberId) {
      // Anything but a string (`{"$ne": null}` from a request body) would be a query operator.
      if (typeof phoneNumberId !== 'string') return Promise.resolve(null);
      return col.findOne({ phone_number_id: phoneNumberId });
    },

    findByWabaId(wabaId) {
      if (typeof wabaId !== 'string') return Promise.resolve([]);
      return col.find({ waba_id: wabaId }).sort({ created_at: 1 }).toArray();
    },

    findInPortfolio({ wabaId, portfolioId }) {
      if (typeof wabaId !== 'string') return Promise.resolve([]);
      const filter = portfolioId
        ? { $or: [{ waba_id: wabaId }, { portfolio_id: portfolioId }] }
        : { waba_id: wabaId };
      return col.find(filter).sort({ created_at: 1 }).toArray();
    },

    findByVerifyToken(token) {
      return col.findOne({ verify_token_hash: sha256Hex(token) });
    },

    credentials: (doc) => accountCredentials(doc, encryptionKey),

    listConnected(orgId = null) {
      const filter: Filter<AccountDoc> = { status: 'connected' };
      if (orgId) filter.org_id = orgId;
      return col.find(filter).sort({ created_at: 1 }).toArray();
    },

    async update(orgId, id, changes) {
      const set = accountChangeFields(changes, encryptionKey);
      try {
        const res = await col.updateOne({ _id: id, org_id: orgId }, { $set: set });
        if (res.matchedCount === 0) return null;
      } catch (err) {
        throw conflict(err, changes.phoneNumberId);
      }
      if (changes.isDefault === true) await makeDefault(orgId, id, set.updated_at ?? new Date());
      return col.findOne({ _id: id, org_id: orgId });
    },

    async remove(orgId, id) {
      const doc = await col.findOne({ _id: id, org_id: orgId });
      if (!doc) return null;
      await col.deleteOne({ _id: id, org_id: orgId });
      if (doc.is_default && !(await hasDefault(orgId))) {
        const next = await col.find({ org_id: orgId }).sort({ created_at: 1 }).limit(1).next();
        if (next) await makeDefault(orgId, next._id, new Date());
      }
      return doc;
    },

    async markDisconnected(id, reason) {
      await col.updateOne(
        { _id: id },
        { $set: { status: 'disconnected', status_reason: reason, updated_at: new Date() } },
      );
    },

    async setMessagingLimit(where, facts) {
      const filter =
        'id' in where
          ? { _id: where.id }
          : where.portfolioId
            ? { $or: [{ waba_id: where.wabaId }, { portfolio_id: where.portfolioId }] }
            : { waba_id: where.wabaId };
      const res = await retryBusy(() =>
        col.updateMany(filter, { $set: messagingLimitFields(facts, new Date()) }),
      );
      return res.matchedCount;
    },
  };
}
