import { Context, log } from '@temporalio/activity';
import { purgeExpiredSessions } from '../accounts/sessions';
import { sweepOutbox } from '../contacts/outbox';
import {
  processAbandonedWebhooks,
  purgeOldMetaEvents,
  purgeProcessedWebhooks,
} from '../inbound/cleanup';
import { inboundProcessor } from '../inbound/processor';
import { DEFAULT_RETRY_POLICY } from '../inbound/retries';
import type { Config } from '../lib/config';
import { mediaUrls } from '../media/signed-url';
import { statusDeferrals } from '../sending/status-deferrals';
import type { Store } from '../store';
import { sequenceTriggers } from '../sequences/inbound-triggers';

export function maintenanceActivities({
  store,
  config,
}: {
  store: Store;
  config: {
    eventRetentionDays: number;
    metaEventRetentionDays: number;
    sequences?: { optOutWords: string[] };
    inbound?: { retryDelaysMs: number[] };
    send?: Config['send'];
    http?: Config['http'];
    media?: Config['media'];
    temporal?: Config['temporal'];
  };
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
    ...(config.send && config.temporal
      ? {
          marketingLimit: statusDeferrals(() => Context.current().client, {
            send: config.send,
            temporal: config.temporal,
          }),
        }
      : {}),
    temporal: () => Context.current().client,
    ...(config.http && config.media
      ? { mediaUrl: mediaUrls({ http: config.http, media: config.media }) }
      : {}),
  });
  const logger = {
    warn(meta: object, msg: string) {
      log.warn(msg, { ...meta });
    },
  };
  const retry = config.inbound ? { ...DEFAULT_RETRY_POLICY, ...config.inbound } : undefined;
  return {
    async purgeExpiredSessions(): Promise<number> {
      return purgeExpiredSessions({ store });
    },
    async purgeProcessedWebhooks(): Promise<number> {
      return purgeProcessedWebhooks({ store });
    },
    /**
     * Events, webhook deliveries and their attempts, the automation inputs routed from events,
     * and Meta events past their retention.
     */
    async purgeOldEvents(): Promise<{
      events: number;
      deliveries: number;
      automationInputs: number;
      metaEvents: number;
    }> {
      const before = new Date(Date.now() - config.eventRetentionDays * 86_400_000);
      const deliveries = await store.webhookDeliveries.purgeBefore(before);
      const automationInputs = await store.automationInputs.purgeBefore(before);
      const metaEvents = await purgeOldMetaEvents({ store }, config.metaEventRetentionDays);
      const events = await store.events.purgeBefore(before);
      return { events, deliveries, automationInputs, metaEvents };
    },
    async sweepOutbox(): Promise<number> {
      return sweepOutbox({ store });
    },
    async processAbandonedWebhooks(): Promise<number> {
      return processAbandonedWebhooks({ store, processor, log: logger, retry });
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof maintenanceActivities>;
