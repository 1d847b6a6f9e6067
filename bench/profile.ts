import type pg from 'pg';
import { parentPid, processCpuSeconds, row } from './support';

/** Statements and Temporal operations printed per phase. */
const TOP = 8;
/** The Temporal server's counters worth reading per phase, each summed by its `operation`. */
const TEMPORAL_COUNTERS = ['service_requests', 'persistence_requests'];
const STATS_LAG_MS = 1_500;

type Counts = Map<string, number>;

/** PostgreSQL's write-ahead log so far (pg_stat_wal). */
interface Wal {
  records: number;
  fpi: number;
  bytes: number;
}

/** PostgreSQL's processes by pid: the client's application_name, else the process's kind. */
type Sessions = Map<number, { who: string; cpuMs: number }>;

/** A multi-row VALUES list, its parameters already written `$`. */
const VALUES_LIST =
  /\((?:\$(?:::[\w[\]]+)?, )*\$(?:::[\w[\]]+)?\)(?:, \((?:\$(?:::[\w[\]]+)?, )*\$(?:::[\w[\]]+)?\))*/g;

/**
 * Statements by total time, those differing only in their parameters' numbers or how many rows
 * a VALUES list has (a batch insert of each size is a statement of its own) counted as one.
 */
function groupStatements(
  rows: { calls: string; total: number; plan: number; rows: string; query: string }[],
) {
  const groups = new Map<
    string,
    { calls: number; total: number; plan: number; rows: number; query: string }
  >();
  for (const r of rows) {
    const query = r.query
      .replace(/\s+/g, ' ')
      .replace(/\$\d+/g, '$')
      .replace(VALUES_LIST, '(…)')
      .slice(0, 110);
    const g = groups.get(query) ?? { calls: 0, total: 0, plan: 0, rows: 0, query };
    g.calls += Number(r.calls);
    g.total += r.total;
    g.plan += r.plan;
    g.rows += Number(r.rows);
    groups.set(query, g);
  }
  return [...groups.values()].sort((a, b) => b.total - a.total);
}

/** Row writes per table so far: inserts, updates, HOT updates (no index touched), deletes. */
type TableWrites = Map<string, [ins: number, upd: number, hot: number, del: number]>;

/** Counters of the Prometheus text format, summed by metric and `operation` label. */
function parseCounters(text: string): Counts {
  const out: Counts = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\}\s+([\d.e+-]+)$/.exec(line);
    if (!m || !TEMPORAL_COUNTERS.includes(m[1]!)) continue;
    const operation = /operation="([^"]*)"/.exec(m[2]!)?.[1] ?? '-';
    const key = `${m[1]} ${operation}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[3]));
  }
  return out;
}

/**
 * Where a phase's database and Temporal time went: PostgreSQL's statements by total time
 * (pg_stat_statements, reset when the phase begins) and the Temporal server's requests by
 * operation (its metrics, read before and after).
 */
export class PhaseProfiler {
  private temporalBefore: Counts = new Map();
  private tablesBefore: TableWrites = new Map();
  private sessionsBefore: Sessions = new Map();
  private walBefore: Wal = { records: 0, fpi: 0, bytes: 0 };

  private constructor(
    private readonly sql: pg.Pool,
    private readonly temporalMetricsUrl: string | null,
  ) {}

  static async create(sql: pg.Pool, temporalMetricsUrl: string | null): Promise<PhaseProfiler> {
    await sql.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public');
    return new PhaseProfiler(sql, temporalMetricsUrl);
  }

  async begin(): Promise<void> {
    await this.sql.query('SELECT public.pg_stat_statements_reset()');
    this.temporalBefore = await this.temporalCounters();
    this.tablesBefore = await this.tableWrites();
    this.sessionsBefore = await this.sessions();
    this.walBefore = await this.wal();
  }

  /** The phase's top items, printed under its name. */
  async end(phase: string, messages: number): Promise<void> {
    const temporal = await this.temporalCounters();
    const { rows } = await this.sql.query<{
      calls: string;
      total: number;
      plan: number;
      rows: string;
      query: string;
    }>(
      `SELECT calls, total_exec_time AS total, total_plan_time AS plan, rows, query
       FROM public.pg_stat_statements
       WHERE query NOT LIKE '%pg_stat_statements%'`,
    );
    const statements = groupStatements(rows).slice(0, TOP);
    const per = (n: number) => (n / Math.max(1, messages)).toFixed(3);
    console.log(`\nProfile of ${phase} (${messages} messages): PostgreSQL statements by time`);
    console.log(
      `  ${row(['calls/msg', 'exec ms/msg', 'plan ms/msg', 'rows/call', 'statement'], 10, 12)}`,
    );
    for (const r of statements) {
      const rowsPerCall = (r.rows / Math.max(1, r.calls)).toFixed(1);
      const cells = [per(r.calls), per(r.total), per(r.plan), rowsPerCall, r.query];
      console.log(`  ${row(cells, 10, 12)}`);
    }
    console.log(`  Row writes per message by table: inserted, updated (of which HOT), deleted`);
    for (const [table, after] of await this.tableWrites()) {
      const before = this.tablesBefore.get(table) ?? [0, 0, 0, 0];
      const [ins, upd, hot, del] = after.map((n, i) => n - before[i]!) as [
        number,
        number,
        number,
        number,
      ];
      if (!ins && !upd && !del) continue;
      console.log(`  ${row([table, per(ins), `${per(upd)} (${per(hot)})`, per(del)], 22, 16)}`);
    }
    const wal = await this.wal();
    console.log(
      `  WAL per message: ${per(wal.records - this.walBefore.records)} records, ` +
        `${per(wal.fpi - this.walBefore.fpi)} full-page images, ` +
        `${Math.round((wal.bytes - this.walBefore.bytes) / Math.max(1, messages))} bytes`,
    );
    console.log(`  PostgreSQL CPU ms per message by client (application_name) or process kind`);
    const byWho = new Map<string, number>();
    for (const [pid, { who, cpuMs }] of await this.sessions()) {
      const spent = cpuMs - (this.sessionsBefore.get(pid)?.cpuMs ?? 0);
      byWho.set(who, (byWho.get(who) ?? 0) + spent);
    }
    for (const [who, ms] of [...byWho].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`  ${row([per(ms), who], 10, 12)}`);
    }
    if (!this.temporalMetricsUrl) return;
    const diff = [...temporal]
      .map(([key, n]) => [key, n - (this.temporalBefore.get(key) ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP);
    console.log(`  Temporal server requests by operation`);
    for (const [key, n] of diff) console.log(`  ${row([String(n), per(n), key], 10, 10)}`);
  }

  /** The statistics collector's counts lag up to a second behind: read after a pause. */
  private async tableWrites(): Promise<TableWrites> {
    await new Promise((r) => setTimeout(r, STATS_LAG_MS));
    const { rows } = await this.sql.query<{
      relname: string;
      ins: string;
      upd: string;
      hot: string;
      del: string;
    }>(
      `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del
       FROM pg_stat_user_tables WHERE schemaname = current_schema()`,
    );
    return new Map(
      rows.map((r) => [r.relname, [Number(r.ins), Number(r.upd), Number(r.hot), Number(r.del)]]),
    );
  }

  private async wal(): Promise<Wal> {
    const { rows } = await this.sql.query<{ records: string; fpi: string; bytes: string }>(
      'SELECT wal_records AS records, wal_fpi AS fpi, wal_bytes AS bytes FROM pg_stat_wal',
    );
    const r = rows[0]!;
    return { records: Number(r.records), fpi: Number(r.fpi), bytes: Number(r.bytes) };
  }

  private async sessions(): Promise<Sessions> {
    const { rows } = await this.sql.query<{ pid: number; who: string; own: boolean }>(
      `SELECT pid, COALESCE(NULLIF(application_name, ''), backend_type) AS who,
              pid = pg_backend_pid() AS own
       FROM pg_stat_activity`,
    );
    const sessions: Sessions = new Map(
      rows.map((r) => [r.pid, { who: r.who, cpuMs: (processCpuSeconds(r.pid)?.own ?? 0) * 1000 }]),
    );
    // Autovacuum workers and closed connections come and go between readings: the server's
    // main process holds what they spent once they end. (-1: no process has that pid.)
    const own = rows.find((r) => r.own);
    const postmaster = own ? parentPid(own.pid) : null;
    const ended = postmaster === null ? null : processCpuSeconds(postmaster);
    if (ended) sessions.set(-1, { who: 'ended processes', cpuMs: ended.endedChildren * 1000 });
    return sessions;
  }

  private async temporalCounters(): Promise<Counts> {
    if (!this.temporalMetricsUrl) return new Map();
    const res = await fetch(this.temporalMetricsUrl, { signal: AbortSignal.timeout(10_000) });
    return parseCounters(await res.text());
  }
}
