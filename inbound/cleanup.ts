import type { Store } from '../store';
import { type InboxLogger, processAndMark } from './inbox';
import type { InboundProcessor } from './processor';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retries';

/**
 * Stored webhooks this old and still unprocessed were left behind: their API process died, or
 * its queue was full. (Processing twice is harmless, only wasted work.)
 */
const ABANDONED_AFTER_MS = 2 * 60_000;
/** Per run, so one run fits well within its activity timeout even on a slow store. */
const WEBHOOKS_PER_RUN = 100;
/** Processed webhooks are kept this long, for investigation. */
const KEEP_PROCESSED_WEBHOOKS_MS = 7 * 24 * 3_600_000;

/** Provider webhooks (Meta, WooCommerce) that were processed or handed off long enough ago. */
export async function purgeProcessedWebhooks(
  { store }: { store: Store },
  now = Date.now(),
): Promise<number> {
  const before = new Date(now - KEEP_PROCESSED_WEBHOOKS_MS);
  const counts = await Promise.all([
    store.inboundWebhooks.purgeProcessed(before),
    store.wooDeliveries.purgeHandedOff(before),
  ]);
  return counts.reduce((a, b) => a + b, 0);
}

/** Meta's account-level changes (and unmatched ones) received more than `retentionDays` ago. */
export function purgeOldMetaEvents(
  { store }: { store: Store },
  retentionDays: number,
  now = Date.now(),
): Promise<number> {
  return store.metaEvents.purgeBefore(new Date(now - retentionDays * 86_400_000));
}

/**
 * Processes stored provider webhooks that no API process finished, and failed ones whose next
 * attempt is due; how many it processed.
 */
export async function processAbandonedWebhooks({
  store,
  processor,
  log,
  retry = DEFAULT_RETRY_POLICY,
}: {
  store: Store;
  processor: InboundProcessor;
  log: InboxLogger;
  retry?: RetryPolicy;
}): Promise<number> {
  const pending = await store.inboundWebhooks.pending(
    ABANDONED_AFTER_MS,
    WEBHOOKS_PER_RUN,
    new Date(retry.now()),
  );
  return (await processAndMark(store, processor, pending, log, retry)).length;
}
