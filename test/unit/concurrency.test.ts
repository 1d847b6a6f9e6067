import { setTimeout as sleep } from 'node:timers/promises';
import { limiter } from '../../lib/concurrency';
import { keyedLock } from '../../lib/keyed-lock';

describe('limiter', () => {
  it('runs at most its limit at once, and every call', async () => {
    const slot = limiter(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slot(async () => {
          most = Math.max(most, ++running);
          await sleep(i % 4);
          running--;
          return i;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees the slot of a call that throws', async () => {
    const slot = limiter(1);
    await expect(slot(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(slot(() => Promise.resolve('yes'))).resolves.toBe('yes');
  });
});

describe('keyedLock', () => {
  it("runs one key's calls in the order they were made, a slow first one included", async () => {
    const inOrder = keyedLock();
    const done: string[] = [];
    const call = (key: string, name: string, ms: number) =>
      inOrder(key, async () => {
        await sleep(ms);
        done.push(name);
      });
    await Promise.all([
      call('order-1', 'processing', 30),
      call('order-2', 'other order', 0),
      call('order-1', 'completed', 0),
    ]);
    // The other order did not wait for order-1; order-1's two kept their order.
    expect(done).toEqual(['other order', 'processing', 'completed']);
  });
});
