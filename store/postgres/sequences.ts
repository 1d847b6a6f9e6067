import type pg from 'pg';
import type { SequenceDoc, SequenceRepository, SequenceVersionDoc } from '../contract/sequences';
import { newSequence, versionDoc } from '../sequences';
import { insertValues, json, many, one, transaction } from './db';

const COLUMNS = [
  'id',
  'org_id',
  'name',
  'account_id',
  'keywords',
  'steps',
  'schedule',
  'reentry',
  'exit',
  'version',
  'created_at',
  'updated_at',
];
const JSON_COLUMNS = ['steps', 'schedule', 'exit'];
const SELECT = COLUMNS.join(', ');
const VERSION_COLUMNS = ['id', 'org_id', 'sequence_id', 'version', 'definition', 'created_at'];

export function sequenceRepository(pool: pg.Pool): SequenceRepository {
  const writeVersion = (db: pg.PoolClient, seq: SequenceDoc) => {
    const { text, values } = insertValues(
      'sequence_versions',
      VERSION_COLUMNS,
      [{ ...versionDoc(seq, seq.updated_at) }],
      ['definition'],
    );
    return db.query(text, values);
  };

  return {
    async create(orgId, input) {
      const doc = newSequence(orgId, input);
      await transaction(pool, async (db) => {
        const { text, values } = insertValues('sequences', COLUMNS, [{ ...doc }], JSON_COLUMNS);
        await db.query(text, values);
        await writeVersion(db, doc);
      });
      return doc;
    },

    get: (orgId, id) =>
      one<SequenceDoc>(pool, `SELECT ${SELECT} FROM sequences WHERE id = $1 AND org_id = $2`, [
        id,
        orgId,
      ]),

    list(orgId, { limit, before }) {
      const values: unknown[] = [orgId, limit];
      let cursor = '';
      if (before) {
        values.push(before.created_at, before.id);
        cursor = 'AND (created_at, id) < ($3, $4)';
      }
      return many<SequenceDoc>(
        pool,
        `SELECT ${SELECT} FROM sequences WHERE org_id = $1 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        values,
      );
    },

    update(orgId, id, input) {
      return transaction(pool, async (db) => {
        const doc = await one<SequenceDoc>(
          db,
          `UPDATE sequences SET name = $3, account_id = $4, keywords = $5, steps = $6,
             schedule = $7, reentry = $8, exit = $9, version = version + 1, updated_at = now()
           WHERE id = $1 AND org_id = $2 RETURNING ${SELECT}`,
          [
            id,
            orgId,
            input.name,
            input.account_id,
            input.keywords,
            json(input.steps),
            input.schedule ? json(input.schedule) : null,
            input.reentry,
            json(input.exit),
          ],
        );
        if (doc) await writeVersion(db, doc);
        return doc;
      });
    },

    delete(orgId, id) {
      return transaction(pool, async (db) => {
        const res = await db.query('DELETE FROM sequences WHERE id = $1 AND org_id = $2', [
          id,
          orgId,
        ]);
        if (!res.rowCount) return false;
        await db.query('DELETE FROM sequence_versions WHERE sequence_id = $1', [id]);
        await db.query('DELETE FROM sequence_subscriptions WHERE sequence_id = $1', [id]);
        return true;
      });
    },

    version: (sequenceId, version) =>
      one<SequenceVersionDoc>(
        pool,
        `SELECT ${VERSION_COLUMNS.join(', ')} FROM sequence_versions
         WHERE sequence_id = $1 AND version = $2`,
        [sequenceId, version],
      ),

    withKeywords: (orgId) =>
      many<SequenceDoc>(
        pool,
        `SELECT ${SELECT} FROM sequences WHERE org_id = $1 AND cardinality(keywords) > 0
         ORDER BY created_at, id`,
        [orgId],
      ),
  };
}
