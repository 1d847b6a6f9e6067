import type { Config } from '../lib/config';
import { createSandbox } from '.';
import type { Sandbox } from './types';

/** The sandbox as configured (ACTIONS_* settings). */
export function sandboxFromConfig(config: Config): Sandbox {
  const a = config.actions;
  return createSandbox({
    isolation: a.isolation,
    limits: {
      timeoutMs: a.timeoutMs,
      memoryMb: a.memoryMb,
      poolSize: a.poolSize,
      maxQueuedPerKey: a.maxQueuedPerOrg,
    },
  });
}

let shared: { config: Config; sandbox: Sandbox } | null = null;

/**
 * One sandbox per process and configuration, for activities built without one: its sandbox
 * process starts on the first run and never keeps this process alive on its own.
 */
export function sharedSandbox(config: Config): Sandbox {
  if (shared?.config !== config) shared = { config, sandbox: sandboxFromConfig(config) };
  return shared.sandbox;
}
