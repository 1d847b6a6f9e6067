import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sequenceTriggers, type SequenceTriggers } from '../../sequences/inbound-triggers';
import { watchContactChanges } from '../../sequences/contact-changes';
import { SubscriptionStarter } from '../../sequences/starter';

declare module 'fastify' {
  interface FastifyInstance {
    sequenceStarter: SubscriptionStarter;
    sequenceTriggers: SequenceTriggers;
  }
}

/** Starts subscriptions' workflows in the background, and lets inbound messages drive them. */
export const sequencesPlugin = fp(
  (app: FastifyInstance) => {
    const starter = new SubscriptionStarter({
      store: app.store,
      client: () => app.temporal,
      taskQueue: app.config.temporal.taskQueue,
      concurrency: app.config.sequences.startConcurrency,
      log: app.log,
    });
    app.decorate('sequenceStarter', starter);
    app.decorate(
      'sequenceTriggers',
      sequenceTriggers({
        store: app.store,
        client: () => app.temporal,
        optOutWords: app.config.sequences.optOutWords,
        starter,
      }),
    );
    const unwatch = watchContactChanges(app.store, () => app.temporal, app.log);
    app.addHook('onClose', async () => {
      unwatch();
      await starter.close();
    });
  },
  { name: 'sequences', dependencies: ['store', 'temporal'] },
);
