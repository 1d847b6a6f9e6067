import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import { appendBounded, type SimState } from './state';
import type { MessageStatus, WebhookLogEntry, WebhookStats } from './types';

export const signBody = (body: string, appSecret: string) =>
  `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;

const describe = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause;
  return (
    cause?.code ?? cause?.message ?? e.code ?? (err instanceof Error ? err.message : String(err))
  );
};

/**
 * Posts signed webhooks to the configured URL in the background. A receiver that is down or
 * answers an error only fills the webhook log: the simulator itself never fails because of it.
 */
export class WebhookDispatcher {
  private readonly pending = new Set<Promise<void>>();
  /**
   * Waits in progress, ended early by `close()`. Kept here rather than as listeners on one
   * abort signal: thousands wait at once, and an event target's listeners cost O(n) each.
   */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private closing = false;
  /** Kept-alive connections to the receiver, as Meta's own delivery reuses them. */
  private readonly agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
  private nextId = 1;
  private readonly posted = new PerSecond();
  private readonly delivered = new PerSecond();

  constructor(
    private readonly state: SimState,
    private readonly appSecret: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** True once `close()` began: background jobs stop at their next step. */
  get closed(): boolean {
    return this.closing;
  }

  /** Waits `ms`, or less if the dispatcher closes first; never rejects. */
  wait(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      this.waits.set(timer, resolve);
    });
  }

  /** Runs a background job that `idle()` waits for and `close()` cuts short. */
  track(job: () => Promise<void>) {
    const run = job()
      .catch((err: unknown) => this.log.error({ err }, 'webhook job failed'))
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const [timer, resolve] of this.waits) {
      clearTimeout(timer);
      resolve();
    }
    this.waits.clear();
    // Ends the posts in flight (they fail, and their jobs stop).
    await this.agent.destroy();
    await this.idle();
  }

  stats(): WebhookStats {
    return {
      posted: this.posted.total,
      delivered: this.delivered.total,
      posted_per_second: this.posted.bySecond(),
      delivered_per_second: this.delivered.bySecond(),
    };
  }

  async post(
    kind: WebhookLogEntry['kind'],
    wamid: string,
    status: MessageStatus | null,
    payload: unknown,
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
    this.posted.add();
    if (!url) {
      entry.error = 'no webhook URL configured';
      return;
    }
    const retry = this.state.options.webhookRetry;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (attempt > 1) await this.wait(retry.backoffMs * 2 ** (attempt - 2));
      if (this.closing) break;
      entry.attempts = attempt;
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'facebookexternalua',
            'x-hub-signature-256': entry.signature,
          },
          body,
          headersTimeout: retry.timeoutMs,
          bodyTimeout: retry.timeoutMs,
        });
        await res.body.dump().catch(() => undefined);
        entry.response_status = res.statusCode;
        if (res.statusCode < 300) {
          entry.delivered = true;
          this.delivered.add();
          entry.error = null;
          return;
        }
        entry.error = `HTTP ${res.statusCode}`;
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

/** A count kept per wall-clock second for the last hour, and in all. */
class PerSecond {
  total = 0;
  private readonly seconds = new Map<number, number>();

  add(): void {
    this.total++;
    const second = Math.floor(Date.now() / 1000);
    this.seconds.set(second, (this.seconds.get(second) ?? 0) + 1);
    // Seconds are added in order: the first key is the oldest.
    if (this.seconds.size > 3_600) this.seconds.delete(this.seconds.keys().next().value!);
  }

  bySecond(): Record<string, number> {
    return Object.fromEntries(this.seconds);
  }
}
