import type { Client } from '@temporalio/client';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { Sandbox } from '../vm/types';
import { automationEngine, type AutomationEngine, type EngineLog } from './engine';
import { inputsOf } from './inputs';
import { createStepEffects } from './step-effects';
import { temporalTimers } from './timers';

export interface AutomationRuntimeDeps {
  store: Store;
  signals: Signals;
  sandbox: Sandbox;
  /** Null where no Temporal client is at hand: waits are then timed out by the sweep. */
  client: () => Client | null;
  taskQueue: string;
  /** Words (whole message, any case) that opt a contact out: they end every run. */
  optOutWords: string[];
  log: EngineLog;
  /** Starts subscriptions' workflows at once (else the recovery sweep starts them). */
  kickSequences?: () => void;
}

/**
 * The automation engine of one process, fed with the inputs of the events this process
 * records (its inbound messages, contact changes, payment outcomes); what a crash keeps it
 * from routing, the worker's sweep routes (automations/sweep.ts).
 */
export function startAutomations(deps: AutomationRuntimeDeps): {
  engine: AutomationEngine;
  close(): Promise<void>;
} {
  const { store, signals, sandbox, log } = deps;
  const effects = createStepEffects({ store, signals, sandbox, kickSequences: deps.kickSequences });
  const engine = automationEngine({
    store,
    effects,
    timers: temporalTimers(deps.client, deps.taskQueue),
    log,
  });
  const unsubscribe = store.events.onRecorded((events) => {
    const inputs = inputsOf(events, deps.optOutWords);
    if (!inputs.length) return;
    engine.route(inputs).catch((err: unknown) => {
      log.warn({ err }, 'automation routing failed; the sweep routes these inputs again');
    });
  });
  return {
    engine,
    async close() {
      unsubscribe();
      await engine.idle();
    },
  };
}
