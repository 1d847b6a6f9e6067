import { BatchedIntake, type BatchedIntakeOptions } from '../../lib/batched-intake';

const tick = () => new Promise((resolve) => setImmediate(resolve));

const OPTS: BatchedIntakeOptions = {
  maxBatch: 100,
  processBatch: 100,
  concurrency: 1,
  maxQueued: 100,
};

/** An intake over numbers whose store and processing are recorded, processing held by a gate. */
function recorded(opts: Partial<BatchedIntakeOptions> = {}) {
  const writes: number[][] = [];
  const processed: number[][] = [];
  const drops: number[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const intake = new BatchedIntake<number, number, string>(
    {
      save: async (items) => {
        writes.push(items);
        return { docs: items, results: items.map((n) => `stored ${n}`) };
      },
      process: async (docs) => {
        await gate;
        processed.push(docs);
      },
      dropped: (count) => drops.push(count),
    },
    { ...OPTS, ...opts },
  );
  return { intake, writes, processed, drops, open };
}

describe('BatchedIntake', () => {
  it('stores items accepted together in one write, each resolving to its own result', async () => {
    const { intake, writes, open } = recorded();
    open();
    const results = await Promise.all([1, 2, 3].map((n) => intake.accept(n)));
    expect(writes).toEqual([[1, 2, 3]]);
    expect(results).toEqual(['stored 1', 'stored 2', 'stored 3']);
  });

  it('under load, lets a write wait for items that keep coming', async () => {
    const { intake, writes, open } = recorded({ linger: { ms: 50, full: 100 } });
    open();
    await intake.accept(1);
    await Promise.all([2, 3].map((n) => intake.accept(n)));
    // The last write held two: the next waits while more arrive (one, a moment later).
    const late = new Promise<void>((resolve) =>
      setTimeout(() => void intake.accept(6).then(() => resolve()), 2),
    );
    await Promise.all([4, 5].map((n) => intake.accept(n)));
    await late;
    // Without load (a write of one), nothing waits.
    expect(writes).toEqual([[1], [2, 3], [4, 5, 6]]);
  });

  it('writes at most maxBatch items at once', async () => {
    const { intake, writes, open } = recorded({ maxBatch: 2 });
    open();
    await Promise.all([1, 2, 3, 4, 5].map((n) => intake.accept(n)));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects the accepts of a failed write', async () => {
    const intake = new BatchedIntake<number, number>(
      {
        save: () => Promise.reject(new Error('store down')),
        process: () => Promise.resolve(),
      },
      OPTS,
    );
    const accepted = [1, 2].map((n) => intake.accept(n));
    await expect(Promise.all(accepted)).rejects.toThrow('store down');
    await expect(accepted[1]).rejects.toThrow('store down');
    await intake.idle();
  });

  it('queues at most maxQueued stored docs and reports the ones left out', async () => {
    const { intake, processed, drops, open } = recorded({ maxQueued: 2, processBatch: 1 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => intake.accept(n)));
    open();
    await intake.idle();
    expect(drops).toEqual([3]);
    expect(processed).toEqual([[1], [2]]);
  });

  it('processes in batches of what queued meanwhile, no more than `concurrency` at once', async () => {
    let running = 0;
    let most = 0;
    const batches: number[][] = [];
    const intake = new BatchedIntake<number, number>(
      {
        save: async (items) => ({ docs: items }),
        process: async (docs) => {
          most = Math.max(most, ++running);
          await tick();
          batches.push(docs);
          running--;
        },
      },
      { ...OPTS, processBatch: 2, concurrency: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => intake.accept(n)));
    await intake.idle();
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(batches.every((b) => b.length <= 2)).toBe(true);
    expect(most).toBe(2);
  });

  it('idle() resolves once everything accepted is processed', async () => {
    const { intake, processed, open } = recorded();
    await intake.idle();
    await Promise.all([1, 2].map((n) => intake.accept(n)));
    let idle = false;
    const waiting = intake.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    open();
    await waiting;
    expect(processed).toEqual([[1, 2]]);
  });

  it('idle() also waits for work the owner reports busy, until it settles', async () => {
    let ownWork = true;
    const intake = new BatchedIntake<number, number>(
      {
        save: async (items) => ({ docs: items }),
        process: () => Promise.resolve(),
        busy: () => ownWork,
      },
      OPTS,
    );
    await intake.accept(1);
    let idle = false;
    const waiting = intake.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    ownWork = false;
    intake.settle();
    await waiting;
  });
});
