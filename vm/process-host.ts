import { IsolatePool } from './isolate-pool';
import type { SandboxLimits } from './types';

/**
 * The sandbox process: isolates live here, away from the API and the worker, so that a V8
 * fatal error (which aborts a whole process) takes only this process down. It answers
 * `{ id, value }` or `{ id, error }` to `{ id, op, code, contexts }` messages and exits when
 * its parent goes away.
 */
const limits = JSON.parse(process.env.WAFLOW_VM_LIMITS ?? '') as SandboxLimits;
const pool = new IsolatePool(limits, (message) => {
  process.stderr.write(`isolated-vm catastrophic error: ${message}\n`);
  process.abort();
});

interface Request {
  id: number;
  op: 'check' | 'run';
  code: string;
  contexts?: string[];
}

process.on('message', (m: Request) => {
  const work = m.op === 'check' ? pool.check(m.code) : pool.run(m.code, m.contexts ?? []);
  work.then(
    (value) => process.send?.({ id: m.id, value }),
    (err: unknown) => process.send?.({ id: m.id, error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
