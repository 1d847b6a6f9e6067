import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { Managed } from '../../scripts/infra';
import { createSupervisor } from '../../scripts/supervisor';

/** A stand-in child whose exit the test decides. */
function fakeProcess(name: string) {
  const child = new EventEmitter() as ChildProcess;
  let stopped = false;
  const proc: Managed & { crash(): void; stopped(): boolean } = {
    name,
    child,
    stop: async () => {
      stopped = true;
    },
    crash: () => child.emit('exit', null, 'SIGKILL'),
    stopped: () => stopped,
  };
  return proc;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('dev stack supervisor', () => {
  it('restarts a crashed child after a delay that doubles with each crash', async () => {
    let clock = 0;
    const started: ReturnType<typeof fakeProcess>[] = [];
    const logs: string[] = [];
    const giveUp = jest.fn();
    const s = createSupervisor({
      baseDelayMs: 2,
      maxCrashes: 5,
      windowMs: 60_000,
      now: () => clock,
      log: (m) => logs.push(m),
      onGiveUp: giveUp,
    });
    s.supervise('worker', () => {
      const p = fakeProcess('worker');
      started.push(p);
      return p;
    });
    for (let crash = 1; crash <= 3; crash++) {
      clock += 1_000;
      started.at(-1)!.crash();
      await until(() => started.length === crash + 1);
    }
    expect(logs).toEqual([
      'worker exited (SIGKILL); restarting in 0.002 s',
      'worker exited (SIGKILL); restarting in 0.004 s',
      'worker exited (SIGKILL); restarting in 0.008 s',
    ]);
    expect(s.running()).toEqual([started[3]]);
    expect(giveUp).not.toHaveBeenCalled();
    await s.stop();
    expect(started[3]!.stopped()).toBe(true);
  });

  it('gives up on a child that keeps crashing fast, and forgets old crashes', async () => {
    let clock = 0;
    const started: ReturnType<typeof fakeProcess>[] = [];
    const giveUp = jest.fn();
    const s = createSupervisor({
      baseDelayMs: 1,
      maxCrashes: 3,
      windowMs: 10_000,
      now: () => clock,
      log: () => {},
      onGiveUp: giveUp,
    });
    s.supervise('api', () => {
      const p = fakeProcess('api');
      started.push(p);
      return p;
    });
    // Two crashes, then a quiet spell longer than the window: those two no longer count.
    started.at(-1)!.crash();
    await until(() => started.length === 2);
    started.at(-1)!.crash();
    await until(() => started.length === 3);
    clock += 20_000;
    for (let i = 0; i < 2; i++) {
      started.at(-1)!.crash();
      await until(() => started.length === 4 + i);
    }
    expect(giveUp).not.toHaveBeenCalled();
    started.at(-1)!.crash();
    await until(() => giveUp.mock.calls.length === 1);
    expect(giveUp).toHaveBeenCalledWith('api');
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toHaveLength(5);
    await s.stop();
  });

  it('does not restart what it was asked to stop', async () => {
    const started: ReturnType<typeof fakeProcess>[] = [];
    const s = createSupervisor({ baseDelayMs: 1, log: () => {}, onGiveUp: () => {} });
    s.supervise('sim', () => {
      const p = fakeProcess('sim');
      started.push(p);
      return p;
    });
    await s.stop();
    started[0]!.crash();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toHaveLength(1);
  });
});
