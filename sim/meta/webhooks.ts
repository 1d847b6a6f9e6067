import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { appendBounded, type SimState } from './state';
import type { MessageStatus, WebhookLogEntry } from './types';

/** Waits `ms`, or less if the signal aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const signBody = (body: string, appSecret: string) =>
  `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;

const describe = (err: unknown) => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
};

/**
 * Posts signed webhooks to the configured URL in the background. A receiver that is down or
 * answers an error only fills the webhook log: the simulator itself never fails because of it.
 */
export class WebhookDispatcher {
  private readonly pending = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private nextId = 1;

  constructor(
    private readonly state: SimState,
    private readonly appSecret: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Runs a background job that `idle()` waits for and `close()` cuts short. */
  track(job: (signal: AbortSignal) => Promise<void>) {
    const run = job(this.abort.signal)
      .catch((err: unknown) => this.log.error({ err }, 'webhook job failed'))
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  async post(
    kind: WebhookLogEntry['kind'],
    wamid: string,
    status: MessageStatus | null,
    payload: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    const body = JSON.stringify(payload);
    const url = this.state.options.webhookUrl;
    const entry: WebhookLogEntry = {
      id: this.nextId++,
      time: new Date(this.state.now()).toISOString(),
      kind,
      wamid,
      status,
      url,
      body,
      signature: signBody(body, this.appSecret),
      attempts: 0,
      response_status: null,
      error: null,
      delivered: false,
    };
    appendBounded(this.state.webhookLog, entry);
    if (!url) {
      entry.error = 'no webhook URL configured';
      return;
    }
    const retry = this.state.options.webhookRetry;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (attempt > 1) await sleep(retry.backoffMs * 2 ** (attempt - 2), signal);
      if (signal.aborted) break;
      entry.attempts = attempt;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'facebookexternalua',
            'x-hub-signature-256': entry.signature,
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(retry.timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        entry.response_status = res.status;
        if (res.ok) {
          entry.delivered = true;
          entry.error = null;
          return;
        }
        entry.error = `HTTP ${res.status}`;
      } catch (err) {
        entry.response_status = null;
        entry.error = describe(err);
      }
    }
    this.log.warn(
      { url, wamid, status, attempts: entry.attempts, error: entry.error },
      'webhook not delivered',
    );
  }
}
