import pg from 'pg';
import type { SignalChannel, Signals } from '../signals';

const RECONNECT_MS = 1_000;

/**
 * PostgreSQL's LISTEN/NOTIFY, on one connection of its own, with channels named per schema so
 * that stores sharing a server do not wake each other. After a lost connection it listens
 * again; what was published meanwhile is found by the listeners' own polling.
 */
export function postgresSignals(pool: pg.Pool, url: string, schema: string): Signals {
  const name = (channel: SignalChannel) => `${schema}.${channel}`.slice(0, 63);
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let closed = false;

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url, application_name: 'waflow-signals' });
    c.on('notification', (n) => {
      for (const l of listeners.get(n.channel) ?? []) l(n.payload ?? '');
    });
    c.on('error', () => {
      client = null;
      c.end().catch(() => {});
      if (!closed) setTimeout(() => void reconnect(), RECONNECT_MS).unref();
    });
    await c.connect();
    for (const channel of listeners.keys()) await c.query(`LISTEN "${channel}"`);
    return c;
  }

  async function reconnect(): Promise<void> {
    if (closed || client || !listeners.size) return;
    connecting ??= connect().finally(() => (connecting = null));
    try {
      client = await connecting;
    } catch {
      if (!closed) setTimeout(() => void reconnect(), RECONNECT_MS).unref();
    }
  }

  return {
    async publish(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [name(channel), payload]);
    },
    async subscribe(channel, listener) {
      const n = name(channel);
      const set = listeners.get(n) ?? new Set();
      const first = !listeners.has(n);
      listeners.set(n, set);
      set.add(listener);
      if (!client) await reconnect();
      else if (first) await client.query(`LISTEN "${n}"`);
      return async () => {
        set.delete(listener);
        if (!set.size) {
          listeners.delete(n);
          await client?.query(`UNLISTEN "${n}"`).catch(() => {});
        }
      };
    },
    async close() {
      closed = true;
      const c = client ?? (await connecting?.catch(() => null));
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
