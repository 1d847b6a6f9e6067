import { BatchedIntake } from '../lib/batched-intake';
import type { NewPaymentEvent } from '../store/contract/payments';
import type { PaymentEventDoc } from '../store/documents';
import { deliverPaymentEvents, type DeliverDeps } from './deliver-events';

/** Events per insert, and per delivered batch. */
const MAX_BATCH = 500;
/** Events waiting in memory for delivery; past it they wait in the store for the sweep. */
const MAX_QUEUED = 5_000;

/**
 * Where verified gateway webhooks land. `accept` resolves once the event is stored (one insert
 * for everything that arrived meanwhile, each gateway event id once), so the gateway can be
 * answered; new events are then signalled to their links' workflows in the background. The
 * worker's recovery sweep delivers what a process that dies (or a full queue) leaves.
 */
export class PaymentEventInbox {
  private readonly intake: BatchedIntake<NewPaymentEvent, PaymentEventDoc>;

  constructor(deps: DeliverDeps) {
    const { store, log } = deps;
    this.intake = new BatchedIntake(
      {
        save: async (events) => ({ docs: await store.paymentEvents.saveMany(events) }),
        process: async (docs) => {
          const done = await deliverPaymentEvents(deps, docs);
          await store.paymentEvents
            .markProcessed(done)
            .catch((err: unknown) => log.warn({ err }, 'marking payment events failed'));
        },
      },
      { maxBatch: MAX_BATCH, processBatch: MAX_BATCH, concurrency: 1, maxQueued: MAX_QUEUED },
    );
  }

  accept(event: NewPaymentEvent): Promise<void> {
    return this.intake.accept(event);
  }

  /** Resolves when everything accepted so far has been delivered (tests, shutdown). */
  idle(): Promise<void> {
    return this.intake.idle();
  }
}
