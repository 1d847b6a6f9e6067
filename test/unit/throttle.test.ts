import { Throttle } from '../../webhooks/throttle';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Throttle', () => {
  it('runs at most `concurrency` jobs at once, in the order given', async () => {
    const throttle = new Throttle(Infinity, 2);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const done = [0, 1, 2, 3, 4].map((n) =>
      throttle.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => finish.push(resolve));
        return n;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(throttle.queued).toBe(3);
    finish.shift()!();
    await tick();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    while (finish.length || started.length < 5) {
      finish.shift()?.();
      await tick();
    }
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts at most `perSecond` jobs a second', async () => {
    let clock = 0;
    const throttle = new Throttle(10, 100, () => clock);
    const started: number[] = [];
    const all = Array.from({ length: 25 }, (_, n) => throttle.run(async () => started.push(n)));
    await tick();
    // A second's worth at once, then a token every 100 ms.
    expect(started).toHaveLength(10);
    clock += 500;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(started).toHaveLength(15);
    clock += 1_000;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(started).toHaveLength(25);
    await Promise.all(all);
  });

  it('passes a failure to its caller and goes on with the others', async () => {
    const throttle = new Throttle(Infinity, 1);
    const failed = throttle.run(() => Promise.reject(new Error('no')));
    const next = throttle.run(async () => 'yes');
    await expect(failed).rejects.toThrow('no');
    expect(await next).toBe('yes');
  });
});
