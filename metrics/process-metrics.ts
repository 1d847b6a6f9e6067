import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, heap, event loop lag, GC, handles), in a registry
 * of their own made once per process: they describe the process, however many apps a test
 * builds in it, and each collection starts observers that are never stopped.
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
