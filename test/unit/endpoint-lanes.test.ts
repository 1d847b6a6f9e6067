import { EndpointLanes } from '../../webhooks/endpoint-lanes';

/** A call that runs until its test releases it. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('EndpointLanes', () => {
  it('runs at most perEndpoint calls per endpoint, the others in order, other endpoints freely', async () => {
    const lanes = new EndpointLanes(2, 60_000);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      lanes.run('slow', async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    const other = await lanes.run('fast', async () => 'done');
    expect(other).toBe('done');
    await tick();
    expect(started).toEqual([0, 1]);

    gates[1]!.release();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.release();
    gates[2]!.release();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]!.release();
    gates[4]!.release();
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees the slot when a call fails', async () => {
    const lanes = new EndpointLanes(1, 60_000);
    await expect(lanes.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lanes.run('a', async () => 1)).toBe(1);
  });

  it('says an endpoint is stuck once the first in line has waited longer than maxWaitMs', async () => {
    let clock = 0;
    const lanes = new EndpointLanes(1, 5_000, () => clock);
    const g = gate();
    const calls = [0, 1, 2].map(() => lanes.run('a', () => g.opened));
    await tick();
    clock = 5_000;
    expect(lanes.stuck('a')).toBe(false);
    clock = 5_001;
    expect(lanes.stuck('a')).toBe(true);
    expect(lanes.stuck('b')).toBe(false);
    g.release();
    await Promise.all(calls);
    expect(lanes.stuck('a')).toBe(false);
  });
});
