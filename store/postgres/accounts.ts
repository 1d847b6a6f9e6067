import type pg from 'pg';
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
import { insertValues, isUniqueViolation, many, one, transaction } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'phone_number_id',
  'waba_id',
  'display_phone_number',
  'access_token_enc',
  'app_secret_enc',
  'verify_token_enc',
  'verify_token_hash',
  'is_default',
  'throughput',
  'marketing_messages',
  'coexistence',
  'status',
  'status_reason',
  'sandbox',
  'graph_url',
  'messaging_limit_tier',
  'quality_rating',
  'limit_checked_at',
  'portfolio_id',
  'created_at',
  'updated_at',
];

/** Changes to an organization's accounts take its lock, so "the first is the default" holds. */
const lockOrg = (client: pg.PoolClient, orgId: string) =>
  client.query(`SELECT pg_advisory_xact_lock(hashtext('accounts:' || $1))`, [orgId]);

const hasDefault = async (client: pg.PoolClient, orgId: string) =>
  ((await client.query('SELECT 1 FROM accounts WHERE org_id = $1 AND is_default', [orgId]))
    .rowCount ?? 0) > 0;

/** Makes `id` the organization's only default (the unique index allows one). */
async function makeDefault(client: pg.PoolClient, orgId: string, id: string, at: Date) {
  await client.query(
    `UPDATE accounts SET is_default = false, updated_at = $3
     WHERE org_id = $1 AND is_default AND id <> $2`,
    [orgId, id, at],
  );
  await client.query(
    'UPDATE accounts SET is_default = true, updated_at = $3 WHERE id = $1 AND org_id = $2',
    [id, orgId, at],
  );
}

export function accountRepository(
  pool: pg.Pool,
  encryptionKey: Buffer,
  settings: AccountSettings = NO_SANDBOX,
): AccountRepository {
  const byId = (id: string) => one<AccountDoc>(pool, 'SELECT * FROM accounts WHERE id = $1', [id]);

  async function insert(client: pg.PoolClient, doc: AccountDoc, onConflictKeep: boolean) {
    const { text, values } = insertValues('accounts', COLUMNS, [{ ...doc, is_default: false }]);
    await client.query(
      onConflictKeep ? `${text} ON CONFLICT (phone_number_id) DO NOTHING` : text,
      values,
    );
  }

  async function ensureSandbox(orgId: string, sandbox = settings.sandbox) {
    if (!sandbox) return null;
    const { phoneNumberId } = sandboxAccountIds(orgId);
    const existing = await one<AccountDoc>(
      pool,
      'SELECT * FROM accounts WHERE phone_number_id = $1',
      [phoneNumberId],
    );
    if (existing) {
      // The simulator's address can change between runs (another port); follow it.
      if (existing.graph_url === sandbox.graphUrl) return existing;
      await pool.query('UPDATE accounts SET graph_url = $2 WHERE id = $1', [
        existing._id,
        sandbox.graphUrl,
      ]);
      return { ...existing, graph_url: sandbox.graphUrl };
    }
    await transaction(pool, async (client) => {
      await lockOrg(client, orgId);
      const doc = sandboxAccountDoc(orgId, sandbox, encryptionKey, false);
      await insert(client, doc, true);
      if (!(await hasDefault(client, orgId)))
        await makeDefault(client, orgId, doc._id, doc.created_at);
    });
    return one<AccountDoc>(pool, 'SELECT * FROM accounts WHERE phone_number_id = $1', [
      phoneNumberId,
    ]);
  }

  return {
    ensureSandbox,

    async create(orgId, input) {
      try {
        return await transaction(pool, async (client) => {
          await lockOrg(client, orgId);
          const isDefault = input.isDefault === true || !(await hasDefault(client, orgId));
          const doc = newAccountDoc(orgId, input, encryptionKey, settings.graphUrl, isDefault);
          await insert(client, doc, false);
          if (isDefault) await makeDefault(client, orgId, doc._id, doc.created_at);
          return doc;
        });
      } catch (err) {
        throw isUniqueViolation(err, 'accounts_phone_number_id_key')
          ? phoneNumberTaken(input.phoneNumberId)
          : err;
      }
    },

    async list(orgId) {
      await ensureSandbox(orgId);
      return many(pool, 'SELECT * FROM accounts WHERE org_id = $1 ORDER BY created_at', [orgId]);
    },

    get: (orgId, id) =>
      one(pool, 'SELECT * FROM accounts WHERE id = $1 AND org_id = $2', [id, orgId]),

    findById: byId,

    async resolve(orgId, id) {
      if (id) return one(pool, 'SELECT * FROM accounts WHERE id = $1 AND org_id = $2', [id, orgId]);
      const byDefault = () =>
        one<AccountDoc>(pool, 'SELECT * FROM accounts WHERE org_id = $1 AND is_default', [orgId]);
      const found = await byDefault();
      if (found || !settings.sandbox) return found;
      await ensureSandbox(orgId);
      return byDefault();
    },

    findByPhoneNumberId: (phoneNumberId) =>
      one(pool, 'SELECT * FROM accounts WHERE phone_number_id = $1', [phoneNumberId]),

    findByWabaId: (wabaId) =>
      many(pool, 'SELECT * FROM accounts WHERE waba_id = $1 ORDER BY created_at', [wabaId]),

    findInPortfolio: ({ wabaId, portfolioId }) =>
      many(
        pool,
        'SELECT * FROM accounts WHERE waba_id = $1 OR portfolio_id = $2 ORDER BY created_at',
        [wabaId, portfolioId],
      ),

    findByVerifyToken: (token) =>
      one(pool, 'SELECT * FROM accounts WHERE verify_token_hash = $1 LIMIT 1', [sha256Hex(token)]),

    credentials: (doc) => accountCredentials(doc, encryptionKey),

    listConnected: (orgId = null) =>
      orgId
        ? many(
            pool,
            `SELECT * FROM accounts WHERE org_id = $1 AND status = 'connected' ORDER BY created_at`,
            [orgId],
          )
        : many(pool, `SELECT * FROM accounts WHERE status = 'connected' ORDER BY created_at`, []),

    async update(orgId, id, changes) {
      const set = accountChangeFields(changes, encryptionKey);
      const fields = Object.keys(set);
      try {
        return await transaction(pool, async (client) => {
          await lockOrg(client, orgId);
          const assignments = fields.map((f, i) => `${f} = $${i + 3}`).join(', ');
          const res = await client.query(
            `UPDATE accounts SET ${assignments} WHERE id = $1 AND org_id = $2`,
            [id, orgId, ...fields.map((f) => set[f as keyof AccountDoc])],
          );
          if (res.rowCount === 0) return null;
          if (changes.isDefault === true) {
            await makeDefault(client, orgId, id, set.updated_at ?? new Date());
          }
          return one<AccountDoc>(client, 'SELECT * FROM accounts WHERE id = $1', [id]);
        });
      } catch (err) {
        throw isUniqueViolation(err, 'accounts_phone_number_id_key')
          ? phoneNumberTaken(changes.phoneNumberId)
          : err;
      }
    },

    remove: (orgId, id) =>
      transaction(pool, async (client) => {
        await lockOrg(client, orgId);
        const doc = await one<AccountDoc>(
          client,
          'DELETE FROM accounts WHERE id = $1 AND org_id = $2 RETURNING *',
          [id, orgId],
        );
        if (doc?.is_default) {
          const next = await one<AccountDoc>(
            client,
            'SELECT * FROM accounts WHERE org_id = $1 ORDER BY created_at LIMIT 1',
            [orgId],
          );
          if (next) await makeDefault(client, orgId, next._id, new Date());
        }
        return doc;
      }),

    async markDisconnected(id, reason) {
      await pool.query(
        `UPDATE accounts SET status = 'disconnected', status_reason = $2, updated_at = $3
         WHERE id = $1`,
        [id, reason, new Date()],
      );
    },

    async setMessagingLimit(where, facts) {
      const set = messagingLimitFields(facts, new Date());
      const columns = Object.keys(set);
      const [filter, keys] =
        'id' in where
          ? ['id = $1', [where.id]]
          : ['(waba_id = $1 OR portfolio_id = $2)', [where.wabaId, where.portfolioId ?? null]];
      const at = (i: number) => `$${keys.length + i + 1}`;
      const res = await pool.query(
        `UPDATE accounts SET ${columns.map((c, i) => `${c} = ${at(i)}`).join(', ')}
         WHERE ${filter}`,
        [...keys, ...Object.values(set)],
      );
      return res.rowCount ?? 0;
    },
  };
}
