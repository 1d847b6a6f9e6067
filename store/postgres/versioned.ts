import type pg from 'pg';
import { insertValues, json, many, one, transaction } from './db';

/** A definition kept with every version of it (sequences, automations). */
export interface VersionedSpec<D> {
  table: string;
  /** The table of its versions. */
  versions: string;
  /** The versions' column naming their definition: `sequence_id`. */
  owner: string;
  columns: string[];
  jsonColumns: string[];
  versionDoc: (doc: D) => object;
}

/**
 * What versioned definitions share: created and replaced with a version row in the same
 * transaction, read and listed newest first, deleted with their versions.
 */
export function versionedDefinitions<D>(pool: pg.Pool, spec: VersionedSpec<D>) {
  const select = spec.columns.join(', ');
  const versionColumns = ['id', 'org_id', spec.owner, 'version', 'definition', 'created_at'];
  const writeVersion = (db: pg.PoolClient, doc: D) => {
    const { text, values } = insertValues(
      spec.versions,
      versionColumns,
      [{ ...spec.versionDoc(doc) }],
      ['definition'],
    );
    return db.query(text, values);
  };

  return {
    select,

    async create(doc: D): Promise<D> {
      await transaction(pool, async (db) => {
        const { text, values } = insertValues(
          spec.table,
          spec.columns,
          [{ ...(doc as Record<string, unknown>) }],
          spec.jsonColumns,
        );
        await db.query(text, values);
        await writeVersion(db, doc);
      });
      return doc;
    },

    get: (orgId: string, id: string) =>
      one<D>(pool, `SELECT ${select} FROM ${spec.table} WHERE id = $1 AND org_id = $2`, [
        id,
        orgId,
      ]),

    list: (
      orgId: string,
      { limit, before }: { limit: number; before?: { created_at: Date; id: string } },
    ) => {
      const values: unknown[] = [orgId, limit];
      let cursor = '';
      if (before) {
        values.push(before.created_at, before.id);
        cursor = 'AND (created_at, id) < ($3, $4)';
      }
      return many<D>(
        pool,
        `SELECT ${select} FROM ${spec.table} WHERE org_id = $1 ${cursor}
         ORDER BY created_at DESC, id DESC LIMIT $2`,
        values,
      );
    },

    /** A new version with these columns' values (JSON ones as given, stored as JSON). */
    update(orgId: string, id: string, set: Record<string, unknown>): Promise<D | null> {
      const columns = Object.keys(set);
      const assignments = columns.map((c, i) => `${c} = $${i + 3}`);
      const values = columns.map((c) =>
        spec.jsonColumns.includes(c) && set[c] !== null ? json(set[c]) : set[c],
      );
      return transaction(pool, async (db) => {
        const doc = await one<D>(
          db,
          `UPDATE ${spec.table} SET ${assignments.join(', ')}, version = version + 1,
             updated_at = now()
           WHERE id = $1 AND org_id = $2 RETURNING ${select}`,
          [id, orgId, ...values],
        );
        if (doc) await writeVersion(db, doc);
        return doc;
      });
    },

    /** Deletes the definition and its versions, and whatever `also` removes with them. */
    delete(
      orgId: string,
      id: string,
      also: (db: pg.PoolClient) => Promise<unknown> = () => Promise.resolve(),
    ): Promise<boolean> {
      return transaction(pool, async (db) => {
        const res = await db.query(`DELETE FROM ${spec.table} WHERE id = $1 AND org_id = $2`, [
          id,
          orgId,
        ]);
        if (!res.rowCount) return false;
        await db.query(`DELETE FROM ${spec.versions} WHERE ${spec.owner} = $1`, [id]);
        await also(db);
        return true;
      });
    },

    version: <V>(ownerId: string, version: number) =>
      one<V>(
        pool,
        `SELECT ${versionColumns.join(', ')} FROM ${spec.versions}
         WHERE ${spec.owner} = $1 AND version = $2`,
        [ownerId, version],
      ),
  };
}
