import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { inboundProcessor } from '../../inbound/processor';
import { Inbox, INBOX_DEFAULTS } from '../../inbound/inbox';
import { DEFAULT_RETRY_POLICY } from '../../inbound/retries';
import { mediaUrls } from '../../media/signed-url';
import { statusDeferrals } from '../../sending/status-deferrals';
import { subscribedOnly } from '../../webhooks/event-filter';

declare module 'fastify' {
  interface FastifyInstance {
    inbox: Inbox;
  }
}

/** Verified provider webhooks are stored, answered, then processed here in the background. */
export const inboxPlugin = fp(
  (app: FastifyInstance) => {
    const processor = inboundProcessor(app.store, {
      onMessages: (messages) => app.sequenceTriggers.onMessages(messages),
      onHookError: (err) => app.log.warn({ err }, 'sequence triggers failed'),
      marketingLimit: statusDeferrals(app.temporal, app.config),
      temporal: () => app.temporal,
      eventFilter: subscribedOnly(app.webhooks.directory),
      mediaUrl: mediaUrls(app.config),
      onMediaQueued: () =>
        void app.database.signals
          .publish('media_queued', '')
          .catch((err: unknown) => app.log.warn({ err }, 'media downloads not signalled')),
    });
    const inbox = new Inbox(app.store, processor, app.log, {
      ...INBOX_DEFAULTS,
      retry: { ...DEFAULT_RETRY_POLICY, ...app.config.inbound },
    });
    app.decorate('inbox', inbox);
    app.addHook('onClose', () => inbox.idle());
  },
  { name: 'inbox', dependencies: ['store', 'temporal', 'sequences', 'webhooks'] },
);
