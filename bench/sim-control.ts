import type {
  RuntimeOptionsPatch,
  SendLogEntry,
  SendSummary,
  WebhookStats,
} from '../sim/meta/types';

/** The simulator's control routes, from a benchmark's process. */
export type SimControl = ReturnType<typeof simControl>;

export function simControl(url: string, timeoutMs: number) {
  const call = async <T>(method: string, path: string, body?: unknown, ms = timeoutMs) => {
    const res = await fetch(`${url}/_sim/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ms),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Simulator ${method} /_sim/${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    configure: (patch: RuntimeOptionsPatch) => call('POST', 'config', patch),
    /** Resolves once every status webhook has been posted; rejects after `ms`. */
    idle: (ms: number) => call('GET', 'idle', undefined, ms),
    /** Webhooks it posted and had answered 2xx, in all and per second. */
    webhookStats: () => call<WebhookStats>('GET', 'webhooks/stats'),
    /** Its send log as it is, every accepted send in it. */
    sends: () => call<SendSummary>('GET', 'sends?full=true'),
    /** Forgets its send log. */
    clear: () => call('DELETE', 'sends'),
    /** How many sends it accepted since the log was last taken. */
    async sendCount(): Promise<number> {
      return (await call<SendSummary>('GET', 'sends')).total;
    },
    /** Accepted sends since the last call, then forgotten there: the log stays small. */
    async takeSends(): Promise<SendLogEntry[]> {
      const summary = await call<SendSummary>('GET', 'sends?full=true');
      await call('DELETE', 'sends');
      const sends = summary.sends ?? [];
      if (sends.length !== summary.total) {
        throw new Error(`The simulator kept ${sends.length} of ${summary.total} sends`);
      }
      return sends;
    },
  };
}
