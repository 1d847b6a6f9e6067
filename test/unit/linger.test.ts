import { Linger } from '../../lib/linger';

/** Whether `before` has resolved, after the microtasks now queued have run. */
async function resolved(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('Linger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('never waits before the first batch, or after a batch of one', async () => {
    const linger = new Linger(20, 10);
    expect(await resolved(linger.before(() => 1))).toBe(true);
    linger.took(1);
    expect(await resolved(linger.before(() => 1))).toBe(true);
  });

  it('after a larger batch, waits in steps while more items come, up to its time', async () => {
    const linger = new Linger(20, 100);
    linger.took(2);
    let waiting = 1;
    const wait = linger.before(() => waiting);
    for (let step = 0; step < 4; step++) {
      waiting += 3;
      await jest.advanceTimersByTimeAsync(4);
      expect(await resolved(wait)).toBe(false);
    }
    waiting += 3;
    await jest.advanceTimersByTimeAsync(4);
    expect(await resolved(wait)).toBe(true);
  });

  it('stops at the first step in which nothing came', async () => {
    const linger = new Linger(20, 100);
    linger.took(5);
    let waiting = 1;
    const wait = linger.before(() => waiting);
    waiting = 2;
    await jest.advanceTimersByTimeAsync(4);
    expect(await resolved(wait)).toBe(false);
    await jest.advanceTimersByTimeAsync(4);
    expect(await resolved(wait)).toBe(true);
  });

  it('does not wait once a full batch is waiting', async () => {
    const linger = new Linger(20, 10);
    linger.took(5);
    expect(await resolved(linger.before(() => 10))).toBe(true);
  });
});
