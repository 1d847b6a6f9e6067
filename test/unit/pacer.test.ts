import { CATCH_UP_MS, Pacer } from '../../sending/pacer';

/** Sends as soon as each slot allows, on a clock that the test moves. */
function simulate(pacer: Pacer, clock: { t: number }, until: number, stalls: Map<number, number>) {
  const sent: number[] = [];
  while (clock.t < until) {
    const stall = stalls.get(sent.length);
    if (stall) clock.t += stall;
    const slot = pacer.reserve();
    clock.t = Math.max(clock.t, slot);
    sent.push(clock.t);
  }
  return sent;
}

function busiestSecond(sent: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < sent.length; i++) {
    while (sent[i]! - sent[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('Pacer', () => {
  it('spaces sends evenly at 95% of the throughput', () => {
    const clock = { t: 0 };
    const pacer = new Pacer(1000, () => clock.t);
    const sent = simulate(pacer, clock, 10_000, new Map());
    expect(sent.length).toBeGreaterThanOrEqual(9_490);
    expect(sent.length).toBeLessThanOrEqual(9_510);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(951);
  });

  it('makes up for a late event loop without any second over the cap', () => {
    const clock = { t: 0 };
    const pacer = new Pacer(1000, () => clock.t);
    // A 20 ms stall every 100 sends: the missed slots are caught up, not lost.
    const stalls = new Map(Array.from({ length: 100 }, (_, i) => [i * 100 + 50, 20]));
    const sent = simulate(pacer, clock, 10_000, stalls);
    expect(sent.length).toBeGreaterThanOrEqual(9_450);
    expect(busiestSecond(sent)).toBeLessThan(1000);
  });

  it('loses what a long stall missed beyond the catch-up allowance', () => {
    const clock = { t: 0 };
    const pacer = new Pacer(80, () => clock.t);
    pacer.reserve();
    clock.t += 5_000;
    // After 5 s of nothing, only CATCH_UP_MS of slots go out at once, then the pace resumes.
    const burst = [];
    while (pacer.reserve() <= clock.t) burst.push(clock.t);
    expect(burst.length).toBe(Math.floor((CATCH_UP_MS * 80 * 0.95) / 1000) + 1);
  });

  it('takes a quarter off the pace and pauses after a 130429, then recovers', () => {
    const clock = { t: 0 };
    const pacer = new Pacer(100, () => clock.t);
    pacer.reserve();
    pacer.slowDown();
    expect(pacer.reserve()).toBeGreaterThanOrEqual(250);
    expect(pacer.rate()).toBeCloseTo(71.25);
    // Refusals of one burst count once; a second later they count again.
    pacer.slowDown();
    expect(pacer.rate()).toBeCloseTo(71.25);
    clock.t = 1_000;
    pacer.slowDown();
    expect(pacer.rate()).toBeCloseTo(53.44);
    // A tenth of the throughput back each quiet second after the first.
    clock.t = 3_000;
    expect(pacer.rate()).toBeCloseTo(95 * (0.5625 + 0.1));
    clock.t = 10_000;
    expect(pacer.rate()).toBeCloseTo(95);
  });
});
