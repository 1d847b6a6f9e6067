import { randomUUID } from 'node:crypto';
import type { Db, Filter } from 'mongodb';
import type { Config } from '../lib/config';
import { decryptSecret, encryptSecret, sha256Hex } from '../lib/crypto';
import { ConflictError } from '../lib/errors';
import type { AccountDoc } from './documents';
import { isDuplicateKey } from './duplicate-key';
import { SANDBOX_ACCOUNT_NAME, sandboxAccountIds, type SandboxSettings } from './sandbox-account';

export const DEFAULT_THROUGHPUT = 80;

export interface AccountSettings {
  /** Graph API base URL of real accounts. */
  graphUrl: string;
  /** Set in sandbox mode: every organization then has an account on the simulator. */
  sandbox: SandboxSettings | null;
}

export function accountSettings(config: Pick<Config, 'sandbox' | 'meta'>): AccountSettings {
  const sim = config.meta.simulator;
  return {
    graphUrl: config.meta.graphUrl,
    sandbox: config.sandbox
      ? {
          graphUrl: sim.url,
          accessToken: sim.accessToken,
          appSecret: sim.appSecret,
          verifyToken: sim.verifyToken,
        }
      : null,
  };
}

export interface NewAccount {
  name: string;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  displayPhoneNumber?: string | null;
  isDefault?: boolean;
  throughput?: number;
  /** Overrides the configured Graph API URL (tests, private gateways). */
  graphUrl?: string;
}

export type AccountChanges = Partial<Omit<NewAccount, 'graphUrl'>>;

export interface AccountCredentials {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
}

export function accountRepository(
  db: Db,
  encryptionKey: Buffer,
  settings: AccountSettings = { graphUrl: 'https://graph.facebook.com', sandbox: null },
) {
  const col = db.collection<AccountDoc>('accounts');
  const seal = (secret: string) => encryptSecret(secret, encryptionKey);

  const conflict = (err: unknown, phoneNumberId: string | undefined): unknown =>
    isDuplicateKey(err)
      ? new ConflictError(`An account with phone_number_id '${phoneNumberId}' already exists`)
      : err;

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
    const { phoneNumberId, wabaId, displayPhoneNumber } = sandboxAccountIds(orgId);
    const existing = await col.findOne({ phone_number_id: phoneNumberId });
    if (existing) {
      // The simulator's address can change between runs (another port); follow it.
      if (existing.graph_url === sandbox.graphUrl) return existing;
      await col.updateOne({ _id: existing._id }, { $set: { graph_url: sandbox.graphUrl } });
      return { ...existing, graph_url: sandbox.graphUrl };
    }
    const now = new Date();
    const doc: AccountDoc = {
      _id: randomUUID(),
      org_id: orgId,
      name: SANDBOX_ACCOUNT_NAME,
      phone_number_id: phoneNumberId,
      waba_id: wabaId,
      display_phone_number: displayPhoneNumber,
      access_token_enc: seal(sandbox.accessToken),
      app_secret_enc: seal(sandbox.appSecret),
      verify_token_enc: seal(sandbox.verifyToken),
      verify_token_hash: sha256Hex(sandbox.verifyToken),
      is_default: !(await hasDefault(orgId)),
      throughput: DEFAULT_THROUGHPUT,
      status: 'connected',
      status_reason: null,
      sandbox: true,
      graph_url: sandbox.graphUrl,
      created_at: now,
      updated_at: now,
    };
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

    async create(orgId: string, input: NewAccount): Promise<AccountDoc> {
      const now = new Date();
      const doc: AccountDoc = {
        _id: randomUUID(),
        org_id: orgId,
        name: input.name,
        phone_number_id: input.phoneNumberId,
        waba_id: input.wabaId,
        display_phone_number: input.displayPhoneNumber ?? null,
        access_token_enc: seal(input.accessToken),
        app_secret_enc: seal(input.appSecret),
        verify_token_enc: seal(input.verifyToken),
        verify_token_hash: sha256Hex(input.verifyToken),
        is_default: input.isDefault === true || !(await hasDefault(orgId)),
        throughput: input.throughput ?? DEFAULT_THROUGHPUT,
        status: 'connected',
        status_reason: null,
        sandbox: false,
        graph_url: input.graphUrl ?? settings.graphUrl,
        created_at: now,
        updated_at: now,
      };
      try {
        await col.insertOne(doc);
      } catch (err) {
        throw conflict(err, doc.phone_number_id);
      }
      if (doc.is_default) await makeDefault(orgId, doc._id, now);
      return doc;
    },

    /** Oldest first; in sandbox mode the sandbox account is created on the way. */
    async list(orgId: string): Promise<AccountDoc[]> {
      await ensureSandbox(orgId);
      return col.find({ org_id: orgId }).sort({ created_at: 1 }).toArray();
    },

    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },

    /** Unscoped: for the worker, which gets account ids from already-scoped callers. */
    findById(id: string) {
      return col.findOne({ _id: id });
    },

    /** The given account, or the organization's default; null when there is none. */
    async resolve(orgId: string, id: string | null): Promise<AccountDoc | null> {
      if (id) return col.findOne({ _id: id, org_id: orgId });
      const byDefault = () =>
        col.find({ org_id: orgId, is_default: true }).sort({ created_at: 1 }).limit(1).next();
      const found = await byDefault();
      if (found || !settings.sandbox) return found;
      await ensureSandbox(orgId);
      return byDefault();
    },

    /** Unscoped: an inbound webhook names the number, which tells the organization. */
    findByPhoneNumberId(phoneNumberId: string) {
      return col.findOne({ phone_number_id: phoneNumberId });
    },

    /** Unscoped: Meta's subscription handshake only carries the verify token. */
    findByVerifyToken(token: string) {
      return col.findOne({ verify_token_hash: sha256Hex(token) });
    },

    credentials(doc: AccountDoc): AccountCredentials {
      return {
        accessToken: decryptSecret(doc.access_token_enc, encryptionKey),
        appSecret: decryptSecret(doc.app_secret_enc, encryptionKey),
        verifyToken: decryptSecret(doc.verify_token_enc, encryptionKey),
      };
    },

    /** Connected accounts of one organization, or of all of them (scheduled sync). */
    listConnected(orgId: string | null = null): Promise<AccountDoc[]> {
      const filter: Filter<AccountDoc> = { status: 'connected' };
      if (orgId) filter.org_id = orgId;
      return col.find(filter).sort({ created_at: 1 }).toArray();
    },

    /** Applies the given fields only; a new access token reconnects the account. */
    async update(orgId: string, id: string, changes: AccountChanges): Promise<AccountDoc | null> {
      const now = new Date();
      const set: Partial<AccountDoc> = { updated_at: now };
      if (changes.name !== undefined) set.name = changes.name;
      if (changes.phoneNumberId !== undefined) set.phone_number_id = changes.phoneNumberId;
      if (changes.wabaId !== undefined) set.waba_id = changes.wabaId;
      if (changes.displayPhoneNumber !== undefined)
        set.display_phone_number = changes.displayPhoneNumber;
      if (changes.throughput !== undefined) set.throughput = changes.throughput;
      if (changes.appSecret !== undefined) set.app_secret_enc = seal(changes.appSecret);
      if (changes.verifyToken !== undefined) {
        set.verify_token_enc = seal(changes.verifyToken);
        set.verify_token_hash = sha256Hex(changes.verifyToken);
      }
      if (changes.accessToken !== undefined) {
        set.access_token_enc = seal(changes.accessToken);
        set.status = 'connected';
        set.status_reason = null;
      }
      try {
        const res = await col.updateOne({ _id: id, org_id: orgId }, { $set: set });
        if (res.matchedCount === 0) return null;
      } catch (err) {
        throw conflict(err, changes.phoneNumberId);
      }
      if (changes.isDefault === true) await makeDefault(orgId, id, now);
      return col.findOne({ _id: id, org_id: orgId });
    },

    /** Deletes the account; if it was the default, the oldest remaining one takes over. */
    async remove(orgId: string, id: string): Promise<AccountDoc | null> {
      const doc = await col.findOne({ _id: id, org_id: orgId });
      if (!doc) return null;
      await col.deleteOne({ _id: id, org_id: orgId });
      if (doc.is_default && !(await hasDefault(orgId))) {
        const next = await col.find({ org_id: orgId }).sort({ created_at: 1 }).limit(1).next();
        if (next) await makeDefault(orgId, next._id, new Date());
      }
      return doc;
    },

    async markDisconnected(id: string, reason: string): Promise<void> {
      await col.updateOne(
        { _id: id },
        { $set: { status: 'disconnected', status_reason: reason, updated_at: new Date() } },
      );
    },
  };
}

export type AccountRepository = ReturnType<typeof accountRepository>;
