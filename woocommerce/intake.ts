import { BatchedIntake } from '../lib/batched-intake';
import type { Store } from '../store';
import type { WooDeliveryDoc } from '../store/contract/woocommerce';

export const INTAKE_DEFAULTS = {
  /** Deliveries per insert. */
  maxBatch: 500,
  /** Deliveries per hand-off batch, and batches handed off at once. */
  handoffBatch: 64,
  concurrency: 2,
  /** Past this many waiting for their hand-off here, new ones are left to the recovery sweep. */
  maxQueued: 20_000,
};

/**
 * Where verified WooCommerce deliveries land. `accept` resolves once the delivery is stored
 * (with everything that arrived meanwhile, in one insert that skips delivery ids seen before),
 * so WooCommerce can be answered; new deliveries are then handed to their order's workflow in
 * the background. The worker's recovery sweep hands off what a process that dies leaves.
 */
export class WooIntake {
  private readonly intake: BatchedIntake<WooDeliveryDoc, WooDeliveryDoc, boolean>;

  constructor(
    store: Store,
    handOff: (docs: WooDeliveryDoc[]) => Promise<unknown>,
    opts = INTAKE_DEFAULTS,
  ) {
    this.intake = new BatchedIntake(
      {
        save: async (docs) => {
          const stored = await store.wooDeliveries.saveMany(docs);
          const fresh: WooDeliveryDoc[] = [];
          // The same delivery twice in one batch: the first is the one stored.
          const results = docs.map((doc) => {
            const created = stored.delete(doc._id);
            if (created) fresh.push(doc);
            return created;
          });
          return { docs: fresh, results };
        },
        process: async (docs) => {
          await handOff(docs);
        },
      },
      { ...opts, processBatch: opts.handoffBatch },
    );
  }

  /** Resolves once stored: true for a new delivery, false for a delivery id seen before. */
  accept(doc: WooDeliveryDoc): Promise<boolean> {
    return this.intake.accept(doc);
  }

  /** Resolves when everything accepted so far has been handed off or given up (tests, shutdown). */
  idle(): Promise<void> {
    return this.intake.idle();
  }
}
