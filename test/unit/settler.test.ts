import { Settler } from '../../sending/settler';
import type { Store } from '../../store/contract';
import type { SendOutcome } from '../../store/contract/send-queue';
import type { Signals } from '../../store/signals';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sent = (id: string): SendOutcome => ({
  id,
  kind: 'sent',
  wamid: `wamid.${id}`,
  at: new Date(),
});

/** A settler whose writes are recorded and held until released, one at a time. */
function recorded() {
  const writes: string[][] = [];
  const published: string[] = [];
  let release: (() => void)[] = [];
  const store = {
    sendQueue: {
      settle: async (_owner: string, outcomes: SendOutcome[]) => {
        writes.push(outcomes.map((o) => o.id));
        await new Promise<void>((resolve) => release.push(resolve));
      },
    },
  } as unknown as Store;
  const signals = {
    publish: async (_channel: string, payload: string) => void published.push(payload),
  } as unknown as Signals;
  const settler = new Settler(store, signals, 'owner-1', { warn: () => undefined });
  const releaseAll = () => {
    const held = release;
    release = [];
    held.forEach((r) => r());
  };
  return { settler, writes, published, releaseAll };
}

describe('Settler', () => {
  beforeEach(() =>
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }),
  );
  afterEach(() => jest.useRealTimers());

  it('writes what came during a write in one batch, and waits for more only under load', async () => {
    const { settler, writes, published, releaseAll } = recorded();
    const a = settler.settle(sent('a'));
    await tick();
    expect(writes).toEqual([['a']]);
    const bc = [settler.settle(sent('b')), settler.settle(sent('c'))];
    releaseAll();
    await a;
    await tick();
    // The last write held one outcome: no wait.
    expect(writes).toEqual([['a'], ['b', 'c']]);

    const d = settler.settle(sent('d'));
    releaseAll();
    await Promise.all(bc);
    await tick();
    // The last write held two: the next waits while more come (in steps of 6 ms).
    expect(writes).toHaveLength(2);
    const e = settler.settle(sent('e'));
    await jest.advanceTimersByTimeAsync(6);
    expect(writes).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(6);
    expect(writes).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    releaseAll();
    await Promise.all([d, e]);
    expect(published).toEqual(['a', 'b,c', 'd,e']);
  });
});
