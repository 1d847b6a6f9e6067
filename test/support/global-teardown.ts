import { rmSync } from 'node:fs';
import type { TestGlobals } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as TestGlobals).__waflowInfra;
  if (!infra) return;
  for (const proc of infra.started.reverse()) await proc.stop();
  rmSync(infra.dir, { recursive: true, force: true });
}
