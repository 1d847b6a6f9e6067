import { MongoClient } from 'mongodb';
import type pg from 'pg';
import type { Config } from '../../lib/config';
import { createPool, fromRow, insertValues, json, type Row } from '../../store/postgres/db';

/**
 * A look under the store's contract, for the few tests that need one: a secret as stored,
 * a row count, an old row inserted or aged, a table cleared. Rows are named as the store's
 * records (`_id`, not `id`) whichever database holds them.
 */
export interface RawStore {
  kind: Config['store'];
  count(table: string, where?: Where): Promise<number>;
  find(table: string, where?: Where): Promise<Row[]>;
  insert(table: string, records: readonly object[]): Promise<void>;
  /** Sets `set` on every row `where` matches; returns how many. */
  update(table: string, where: Where, set: Row): Promise<number>;
  clear(table: string): Promise<void>;
  close(): Promise<void>;
}

/** Each field equals its value (null: is null), or is one of `{ in: [...] }`. */
export type Where = Record<string, unknown>;

export type { Row };

const isIn = (v: unknown): v is { in: unknown[] } =>
  typeof v === 'object' &&
  v !== null &&
  !(v instanceof Date) &&
  Array.isArray((v as { in?: unknown }).in);

/** The raw store of the config's own database. */
export function openRawStore(config: Config): RawStore {
  return config.store === 'mongo' ? mongoRaw(config) : postgresRaw(config);
}

function postgresRaw(config: Config): RawStore {
  const pool = createPool(config.postgres.url, config.postgres.schema, 2);
  const column = (field: string) => (field === '_id' ? 'id' : field);
  /** The table's jsonb columns: their values go as JSON text, as the store sends them. */
  const jsonColumns = new Map<string, Promise<Set<string>>>();
  const jsonbOf = (table: string) => {
    let cols = jsonColumns.get(table);
    if (!cols) {
      cols = pool
        .query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2 AND data_type = 'jsonb'`,
          [config.postgres.schema, table],
        )
        .then((r) => new Set(r.rows.map((c) => c.column_name)));
      jsonColumns.set(table, cols);
    }
    return cols;
  };
  const whereSql = (where: Where, values: unknown[]) => {
    const terms = Object.entries(where).map(([field, value]) => {
      if (value === null) return `${column(field)} IS NULL`;
      values.push(isIn(value) ? value.in : value);
      return isIn(value)
        ? `${column(field)} = ANY($${values.length})`
        : `${column(field)} = $${values.length}`;
    });
    return terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
  };
  const query = (text: string, values: unknown[]): Promise<pg.QueryResult<Row>> =>
    pool.query<Row>(text, values);

  return {
    kind: 'postgres',
    async count(table, where = {}) {
      const values: unknown[] = [];
      const res = await query(
        `SELECT count(*) AS n FROM ${table}${whereSql(where, values)}`,
        values,
      );
      return Number(res.rows[0]!.n);
    },
    async find(table, where = {}) {
      const values: unknown[] = [];
      const res = await query(`SELECT * FROM ${table}${whereSql(where, values)}`, values);
      return res.rows.map((r) => fromRow<Row>(r));
    },
    async insert(table, records) {
      if (!records.length) return;
      const rows = records as Row[];
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].map(column);
      const jsonb = [...(await jsonbOf(table))];
      const { text, values } = insertValues(table, columns, rows, jsonb);
      await query(text, values);
    },
    async update(table, where, set) {
      const jsonb = await jsonbOf(table);
      const values: unknown[] = [];
      const assignments = Object.entries(set).map(([field, value]) => {
        values.push(jsonb.has(field) && value !== null ? json(value) : value);
        return `${column(field)} = $${values.length}`;
      });
      const res = await query(
        `UPDATE ${table} SET ${assignments.join(', ')}${whereSql(where, values)}`,
        values,
      );
      return res.rowCount ?? 0;
    },
    async clear(table) {
      await query(`DELETE FROM ${table}`, []);
    },
    close: () => pool.end(),
  };
}

function mongoRaw(config: Config): RawStore {
  const client = new MongoClient(config.mongo.uri);
  const db = client.db(config.mongo.db);
  const col = (table: string) => db.collection<Row>(table);
  const filter = (where: Where): Row =>
    Object.fromEntries(Object.entries(where).map(([f, v]) => [f, isIn(v) ? { $in: v.in } : v]));

  return {
    kind: 'mongo',
    count: (table, where = {}) => col(table).countDocuments(filter(where)),
    find: (table, where = {}) => col(table).find(filter(where)).toArray(),
    async insert(table, records) {
      if (records.length) await col(table).insertMany(records.map((r) => ({ ...r })));
    },
    async update(table, where, set) {
      return (await col(table).updateMany(filter(where), { $set: set })).matchedCount;
    },
    async clear(table) {
      await col(table).deleteMany({});
    },
    close: () => client.close(),
  };
}
