import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { DeferredSent } from '../store/contract/send-queue';
import { MARKETING_LIMIT } from './attempt';
import { type RetryReporter, temporalRetryReporter } from './retries';

const MARKETING_LIMIT_REASON = { code: MARKETING_LIMIT, message: 'Marketing message limit' };

/**
 * 131049 in a `failed` status sent these messages back to the queue, held: each one's retry
 * workflow sends it again after `retryMs`, as for a refused send. Messages a copy of the
 * status deferred are reported again while still deferred (the workflow ignores a wamid it has
 * seen): a batch retried after a failed report then still reaches the workflow.
 */
export async function reportStatusDeferrals(
  retries: RetryReporter,
  limit: { retryMs: number; maxMs: number },
  deferred: (DeferredSent & { wamid: string })[],
): Promise<void> {
  const waiting = deferred.filter((d) => d.fresh || d.message.deferred);
  await Promise.all(
    waiting.map(({ message, wamid }) => {
      const nth = message.status_history.filter((h) => h.status === 'deferred').length;
      const entry = message.status_history.find(
        (h) => h.status === 'deferred' && h.wamid === wamid,
      );
      const reason = entry?.error ?? message.deferred?.reason ?? MARKETING_LIMIT_REASON;
      return retries.retry(message, { kind: 'deferred', reason, ...limit, wamid, nth });
    }),
  );
}

/** The inbound processor's `marketingLimit` hook, reporting through `client`. */
export function statusDeferrals(
  client: Client | (() => Client),
  config: Pick<Config, 'send' | 'temporal'>,
) {
  const limit = config.send.marketingLimit;
  const reporter = () =>
    temporalRetryReporter(
      typeof client === 'function' ? client() : client,
      config.temporal.taskQueue,
      config.send.retryDelaysMs,
    );
  return {
    retryMs: limit.retryMs,
    onDeferred: (deferred: (DeferredSent & { wamid: string })[]) =>
      reportStatusDeferrals(reporter(), limit, deferred),
  };
}
