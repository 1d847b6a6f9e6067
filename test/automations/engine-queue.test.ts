import { automationEngine, MAX_QUEUED } from '../../automations/engine';
import type { RouteInput } from '../../automations/inputs';
import type { Store } from '../../store/contract';

/**
 * A burst beyond what a process can route is left to the sweep instead of piling up in
 * memory: the engine takes at most MAX_QUEUED inputs before it says no.
 */
it('leaves inputs to the sweep once MAX_QUEUED wait in the process', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // A store that holds the first batch until released, then finds nothing to do.
  const store = {
    contacts: { getMany: () => gate.then(() => []) },
    automationRuns: { active: () => gate.then(() => []) },
    automationInputs: {
      decide: (docs: unknown[]) => Promise.resolve(docs),
      done: () => Promise.resolve(),
    },
  } as unknown as Store;
  const engine = automationEngine({
    store,
    effects: { run: () => Promise.reject(new Error('no steps here')) },
    timers: { arm: () => Promise.resolve(), drop: () => Promise.resolve() },
    log: { warn() {}, error() {} },
  });
  const input = (n: number): RouteInput => ({
    id: `e${n}`,
    orgId: 'o',
    contactId: `c${n}`,
    at: new Date(),
    kind: 'contact_created',
  });
  const burst = Array.from({ length: MAX_QUEUED - 1 }, (_, i) => input(i));
  expect(engine.offer(burst)).toBe(true);
  expect(engine.offer([input(-1)])).toBe(true);
  expect(engine.offer([input(-2)])).toBe(false);
  release();
  await engine.idle();
  // Routed and gone: there is room again.
  expect(engine.offer([input(-3)])).toBe(true);
  await engine.idle();
});
