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
    processes: {
      maxProcesses: a.maxProcesses,
      memoryCapMb: a.processMemoryMb,
      recycleRssMb: a.processRecycleMb,
      user: a.sandboxUser,
    },
  });
}
