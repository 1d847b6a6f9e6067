import type { Config } from '../lib/config';
import type { Log } from '../lib/log';
import { createSandbox } from '.';
import type { Sandbox } from './types';

/** The sandbox as configured (ACTIONS_* settings); its warnings go to `log` when given. */
export function sandboxFromConfig(config: Config, log?: Log): Sandbox {
  const a = config.actions;
  return createSandbox({
    log: log && ((message) => log.warn({}, message)),
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
