import { IsolatePool } from './isolate-pool';
import type { SandboxLimits } from './types';

/**
 * The sandbox process (see sandbox-process.ts). Its limits come as its one argument: its
 * environment is empty. It answers `{ id, value, rss }` (or `{ id, error }`) to `{ id, op, code, context }`
 * messages and exits when its parent goes away.
 */
const limits = JSON.parse(process.argv[2] ?? '') as SandboxLimits;
const pool = new IsolatePool(limits, (message) => {
  process.stderr.write(`isolated-vm catastrophic error: ${message}\n`);
  process.abort();
});

interface Request {
  id: number;
  op: 'check' | 'run';
  code: string;
  context?: string;
}

process.on('message', (m: Request) => {
  const work = m.op === 'check' ? pool.check(m.code) : pool.run(m.code, m.context ?? 'null');
  work.then(
    (value) => process.send?.({ id: m.id, value, rss: process.memoryUsage.rss() }),
    (err: unknown) => process.send?.({ id: m.id, error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
