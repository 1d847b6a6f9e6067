import type { Engine } from './engine';
import { IsolatePool } from './isolate-pool';
import type { SandboxLimits } from './types';

/** Isolates in this very process: the fastest, but a V8 fatal error ends the process. */
export function inlineEngine(limits: SandboxLimits): Engine {
  const pool = new IsolatePool(limits, (message) => {
    process.stderr.write(`isolated-vm catastrophic error: ${message}\n`);
    process.abort();
  });
  return {
    check: (code) => pool.check(code),
    run: (code, context) => pool.run(code, context),
    close: () => pool.close(),
  };
}
