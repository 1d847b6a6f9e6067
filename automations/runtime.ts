import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Log } from '../lib/log';
import type { MetaClient } from '../meta/client';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { Sandbox } from '../vm/types';
import { automationEngine, type AutomationEngine } from './engine';
import { inputsOf } from './inputs';
import { createStepEffects } from './step-effects';
import { temporalTimers } from './timers';

export interface AutomationRuntimeDeps {
  store: Store;
  signals: Signals;
  sandbox: Sandbox;
  temporal: Client;
  /** Sends the read receipts of mark_read steps. */
  meta: Pick<MetaClient, 'markRead'>;
  config: Pick<Config, 'temporal' | 'sequences'>;
  log: Log;
  /** How long a process keeps an organization's automations when no change is announced. */
  cacheMs?: number;
  /** Starts subscriptions' workflows at once (else the recovery sweep starts them). */
  kickSequences?: () => void;
}

/**
 * The automation engine of one process, fed with the inputs of the events this process
 * records (its inbound messages, contact changes, payment outcomes); what a crash keeps it
 * from routing, the worker's sweep routes (automations/sweep.ts).
 */
export function startAutomations(deps: AutomationRuntimeDeps): {
  /** Its `forget` tells every process (through the store's signals), not only this one. */
  engine: AutomationEngine;
  close(): Promise<void>;
} {
  const { store, temporal, config, log } = deps;
  const effects = createStepEffects({ ...deps, config });
  const engine = automationEngine({
    store,
    effects,
    timers: temporalTimers(() => temporal, config.temporal.taskQueue),
    log,
    cacheMs: deps.cacheMs,
  });
  // Other processes' caches would keep a changed automation's old state for up to 5 s.
  const listening = deps.signals
    .subscribe('automations_changed', (orgId) => engine.forget(orgId))
    .catch((err: unknown) => {
      log.warn({ err }, 'automation changes not heard; other processes see them within 5 s');
      return null;
    });
  const forget = (orgId: string) => {
    engine.forget(orgId);
    deps.signals.publish('automations_changed', orgId).catch(() => undefined);
  };
  let behind = false;
  const unsubscribe = store.events.onRecorded((events) => {
    const inputs = inputsOf(events, config.sequences.optOutWords);
    if (!inputs.length) return;
    const offered = engine.offer(inputs);
    if (!offered && !behind) {
      log.warn(
        { inputs: inputs.length },
        'automation routing is behind; the sweep routes the rest',
      );
    }
    behind = !offered;
  });
  return {
    engine: { ...engine, forget },
    async close() {
      unsubscribe();
      await (
        await listening
      )?.();
      await engine.idle();
    },
  };
}
