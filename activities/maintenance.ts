import { Context, log } from '@temporalio/activity';
import { inboundProcessor } from '../inbound/processor';
import { processStored } from '../inbound/inbox';
import type { Store } from '../store';
import { sequenceTriggers } from '../sequences/inbound-triggers';

/**
 * Stored webhooks this old and still unprocessed were left behind: their API process died, or
 * its queue was full. (Processing twice is harmless, only wasted work.)
 */
const ABANDONED_AFTER_MS = 2 * 60_000;
/** Per run, so one run fits well within its activity timeout even on a slow store. */
const WEBHOOKS_PER_RUN = 100;
/** Processed webhooks are kept this long, for investigation. */
const KEEP_PROCESSED_WEBHOOKS_MS = 7 * 24 * 3_600_000;

export function maintenanceActivities({
  store,
  config,
}: {
  store: Store;
  config: { eventRetentionDays: number; sequences?: { optOutWords: string[] } };
}) {
  // Keyword subscriptions made here are started by the recovery sweep's next pass.
  const triggers = sequenceTriggers({
    store,
    client: () => Context.current().client,
    optOutWords: config.sequences?.optOutWords ?? [],
    starter: null,
  });
  const processor = inboundProcessor(store, {
    onMessages: (messages) => triggers.onMessages(messages),
    onHookError: (err) => {
      log.warn('sequence triggers failed', { err: String(err) });
    },
  });
  const logger = {
    warn(meta: object, msg: string) {
      log.warn(msg, { ...meta });
    },
  };
  return {
    async purgeExpiredSessions(): Promise<number> {
      return store.sessions.purgeExpired();
    },
    /** Provider webhooks (Meta, WooCommerce) that were processed or handed off long enough ago. */
    async purgeProcessedWebhooks(): Promise<number> {
      const before = new Date(Date.now() - KEEP_PROCESSED_WEBHOOKS_MS);
      const counts = await Promise.all([
        store.inboundWebhooks.purgeProcessed(before),
        store.wooDeliveries.purgeHandedOff(before),
      ]);
      return counts.reduce((a, b) => a + b, 0);
    },
    /** Events, webhook deliveries and their attempts past the retention period. */
    async purgeOldEvents(): Promise<{ events: number; deliveries: number }> {
      const before = new Date(Date.now() - config.eventRetentionDays * 86_400_000);
      const deliveries = await store.webhookDeliveries.purgeBefore(before);
      return { events: await store.events.purgeBefore(before), deliveries };
    },
    /** Delivers events left in outboxes by a crash between a write and its flush. */
    async sweepOutbox(): Promise<number> {
      return store.outbox.sweep();
    },
    /** Processes stored provider webhooks that no API process finished. */
    async processAbandonedWebhooks(): Promise<number> {
      const pending = await store.inboundWebhooks.pending(ABANDONED_AFTER_MS, WEBHOOKS_PER_RUN);
      const processed = await processStored(store, processor, pending, logger);
      await store.inboundWebhooks.markProcessed(processed);
      return processed.length;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof maintenanceActivities>;
