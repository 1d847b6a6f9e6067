import { DEFAULT_OPTIONS, mergeOptions } from '../../sim/meta/options';
import { FailureQueue } from '../../sim/meta/failure-queue';
import { PairRate } from '../../sim/meta/pair-rate';
import { SimState } from '../../sim/meta/state';
import type { InjectedFailure, RuntimeOptions } from '../../sim/meta';
import {
  control,
  CUSTOMER,
  errorOf,
  fakeClock,
  json,
  PHONE_ID,
  startHarness,
  template,
  text,
  textParams,
  TOKEN,
  type Harness,
  wamidOf,
} from './helpers';

const OTHER_ID = '200000000000001';
const OTHER_CUSTOMER = '+14155550123';
const rateLimit = {
  httpStatus: 429,
  code: 130429,
  message: '(#130429) Rate limit hit',
} as const;

describe('Meta simulator: per-number throughput', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const statuses = async (n: number, phoneId = PHONE_ID) => {
    const out: number[] = [];
    // Each send to its own user, so only the number's throughput applies.
    for (let i = 0; i < n; i++) {
      out.push(
        (await h.send(text('x', `+1415555${String(i).padStart(4, '0')}`), { phoneId })).status,
      );
    }
    return out;
  };

  it('caps one number at its own rate while another keeps the default', async () => {
    h.sim.setOptions({ throughputPerNumber: { [PHONE_ID]: 5 } });
    expect(h.sim.options.throughputPerNumber).toEqual({ [PHONE_ID]: 5 });
    expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(h.sim.log.at(-1)).toMatchObject({ error_code: 130429, wamid: null });
    expect((await statuses(20, OTHER_ID)).every((s) => s === 200)).toBe(true);
    h.clock.advance(999);
    expect(await statuses(1)).toEqual([429]);
    h.clock.advance(1);
    expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('takes overrides over HTTP, merges them, and drops one set to null', async () => {
    const res = await control(h.sim, 'POST', 'config', {
      throughputPerSecond: 2,
      throughputPerNumber: { [PHONE_ID]: 4, [OTHER_ID]: 1 },
    });
    expect(res.status).toBe(200);
    await control(h.sim, 'POST', 'config', { throughputPerNumber: { [OTHER_ID]: 3 } });
    const options = await json<RuntimeOptions>(await control(h.sim, 'GET', 'config'));
    expect(options.throughputPerNumber).toEqual({ [PHONE_ID]: 4, [OTHER_ID]: 3 });
    expect(await statuses(5)).toEqual([200, 200, 200, 200, 429]);
    expect(await statuses(4, OTHER_ID)).toEqual([200, 200, 200, 429]);

    h.clock.advance(1_000);
    h.sim.setOptions({ throughputPerNumber: { [PHONE_ID]: null } });
    expect(h.sim.options.throughputPerNumber).toEqual({ [OTHER_ID]: 3 });
    expect(await statuses(3)).toEqual([200, 200, 429]);

    const bad = await control(h.sim, 'POST', 'config', { throughputPerNumber: { [PHONE_ID]: 0 } });
    expect(bad.status).toBe(400);
    expect((await json<{ error: string }>(bad)).error).toContain(`throughputPerNumber.${PHONE_ID}`);
  });
});

describe('Meta simulator: pair rate', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ pairRate: { intervalMs: 1_000, burst: 3 } });
  });
  afterEach(() => h.close());

  const status = async (to = CUSTOMER, phoneId = PHONE_ID) =>
    (await h.send(text('x', to), { phoneId })).status;

  it('defaults to one message per 6 s with bursts of 45', async () => {
    const plain = await startHarness();
    try {
      const send = async () => (await plain.send(text())).status;
      for (let i = 0; i < 45; i++) expect(await send()).toBe(200);
      expect(await send()).toBe(400);
      plain.clock.advance(5_999);
      expect(await send()).toBe(400);
      plain.clock.advance(1);
      expect(await send()).toBe(200);
    } finally {
      await plain.close();
    }
  });

  it('allows a burst, answers 131056, then one send per interval', async () => {
    for (let i = 0; i < 3; i++) expect(await status()).toBe(200);
    const refused = await h.send(text());
    expect(refused.status).toBe(400);
    expect(await json<unknown>(refused)).toEqual({
      error: {
        message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
        type: 'OAuthException',
        code: 131056,
        error_data: {
          messaging_product: 'whatsapp',
          details: expect.stringContaining('to the same phone number'),
        },
        fbtrace_id: expect.any(String),
      },
    });
    expect(h.sim.log.at(-1)).toMatchObject({ status: 400, error_code: 131056, wamid: null });
    // The limit is per (number, user): another user, or another number, is not held back.
    expect(await status(OTHER_CUSTOMER)).toBe(200);
    expect(await status(CUSTOMER, OTHER_ID)).toBe(200);

    h.clock.advance(999);
    expect(await status()).toBe(400);
    h.clock.advance(1);
    expect(await status()).toBe(200);
    expect(await status()).toBe(400);

    // Idle time refills up to the burst, no further.
    h.clock.advance(60_000);
    expect([await status(), await status(), await status(), await status()]).toEqual([
      200, 200, 200, 400,
    ]);
    expect(h.sim.sends().total).toBe(3 + 2 + 1 + 3);
  });

  it('counts neither throughput nor a send for a refused message', async () => {
    h.sim.setOptions({ throughputPerSecond: 4, pairRate: { burst: 2 } });
    expect([await status(), await status(), await status(), await status()]).toEqual([
      200, 200, 400, 400,
    ]);
    expect([await status(OTHER_CUSTOMER), await status(OTHER_CUSTOMER)]).toEqual([200, 200]);
    expect(await status('+14155550999')).toBe(429);
    expect(h.sim.sends().by_number[PHONE_ID]).toEqual({ total: 4, max_per_second: 4 });
  });

  it('is off with intervalMs 0', async () => {
    h.sim.setOptions({ pairRate: { intervalMs: 0 } });
    expect(h.sim.options.pairRate).toEqual({ intervalMs: 0, burst: 3 });
    for (let i = 0; i < 10; i++) expect(await status()).toBe(200);
    const bad = await control(h.sim, 'POST', 'config', { pairRate: { burst: 0 } });
    expect(bad.status).toBe(400);
    expect((await json<{ error: string }>(bad)).error).toContain('pairRate.burst');
  });
});

describe('Meta simulator: failures injected for one number', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const codes = async (phoneId: string, n: number) => {
    const out: (number | string)[] = [];
    for (let i = 0; i < n; i++) {
      const res = await h.send(text('x', `+1415555${String(i).padStart(4, '0')}`), { phoneId });
      out.push(res.ok ? 'ok' : (await errorOf(res)).code);
    }
    return out;
  };

  it('answers 130429 to the next N sends from that number only', async () => {
    h.sim.failNext(3, { ...rateLimit, phoneNumberId: PHONE_ID });
    expect(await codes(OTHER_ID, 2)).toEqual(['ok', 'ok']);
    const limited = await h.send(text());
    expect(limited.status).toBe(429);
    expect(await errorOf(limited)).toMatchObject({ code: 130429 });
    expect(await codes(PHONE_ID, 3)).toEqual([130429, 130429, 'ok']);
    // Injected refusals are not sends, and leave the number's throughput untouched.
    expect(h.sim.sends().by_number[PHONE_ID]?.total).toBe(1);
  });

  it('queues targeted failures over HTTP, drops included', async () => {
    const queued = await control(h.sim, 'POST', 'fail-next', {
      count: 2,
      phoneNumberId: OTHER_ID,
      ...rateLimit,
    });
    expect(await json(queued)).toEqual({ queued: 2 });
    await control(h.sim, 'POST', 'fail-next', { kind: 'drop', phoneNumberId: PHONE_ID });
    expect(await codes(OTHER_ID, 3)).toEqual([130429, 130429, 'ok']);
    await expect(h.send(text())).rejects.toThrow();
    expect(await codes(PHONE_ID, 1)).toEqual(['ok']);
    const bad = await control(h.sim, 'POST', 'fail-next', { ...rateLimit, phoneNumberId: '' });
    expect(bad.status).toBe(400);
  });
});

describe('Meta simulator: limit bookkeeping', () => {
  const failure = (code: number, phoneNumberId?: string): InjectedFailure => ({
    httpStatus: 400,
    code,
    message: String(code),
    ...(phoneNumberId === undefined ? {} : { phoneNumberId }),
  });

  it('hands out queued failures in queue order, each to its number', () => {
    const q = new FailureQueue();
    q.push(2, failure(1));
    q.push(1, failure(2, 'A'));
    q.push(1, failure(3));
    q.push(1, failure(4, 'B'));
    const next = (id: string) => q.next(id)?.code ?? null;
    expect([next('B'), next('A'), next('A'), next('B'), next('A'), next('A')]).toEqual([
      1,
      1,
      2,
      3,
      null,
      null,
    ]);
    expect([next('B'), next('B')]).toEqual([4, null]);
  });

  it('keeps draining pairs when idle full buckets are swept', () => {
    const pairs = new PairRate();
    const o = { intervalMs: 1_000, burst: 2 };
    pairs.take('held', o, 0);
    pairs.take('held', o, 0);
    for (let i = 0; i < 25_000; i++) pairs.take(`other:${i}`, o, 500);
    expect(pairs.available('held', o, 500)).toBe(false);
    expect(pairs.available('held', o, 1_000)).toBe(true);
  });

  it('holds a high per-number rate exactly', () => {
    const clock = fakeClock();
    const options = mergeOptions(DEFAULT_OPTIONS, {
      throughputPerNumber: { [PHONE_ID]: 10_000 },
      pairRate: { intervalMs: 0 },
    });
    const state = new SimState(options, clock.now, []);
    let accepted = 0;
    // 20,000 attempts a second for 10 s against a 10,000/s cap.
    for (let i = 0; i < 200_000; i++) {
      if (i > 0 && i % 20 === 0) clock.advance(1);
      if (state.admit(PHONE_ID, CUSTOMER) === null) accepted++;
    }
    expect(accepted).toBe(100_000);
  });
});

describe("Meta simulator: a portfolio's messaging limit and pricing", () => {
  let h: Harness;
  const WABA = '200000000000077';
  const user = (i: number) => `+1415556${String(i).padStart(4, '0')}`;
  const hello = (to: string) => template('hello_world', [], 'en_US', to);

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const graph = (fields: string) =>
    fetch(`${h.sim.url}/v21.0/${PHONE_ID}?fields=${fields}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  it('serves the tier and quality rating set through its control API on the number node', async () => {
    await control(h.sim, 'POST', 'phone-numbers', { phoneNumberId: PHONE_ID, wabaId: WABA });
    const fields = 'whatsapp_business_manager_messaging_limit,quality_rating';
    expect(await json(await graph(fields))).toEqual({
      id: PHONE_ID,
      whatsapp_business_manager_messaging_limit: 'TIER_UNLIMITED',
      quality_rating: 'GREEN',
    });
    await control(h.sim, 'POST', 'config', { messagingLimitPerWaba: { [WABA]: 2_000 } });
    const rated = await control(h.sim, 'POST', 'phone-numbers', {
      phoneNumberId: PHONE_ID,
      qualityRating: 'YELLOW',
    });
    expect(rated.status).toBe(201);
    expect(await json(await graph(fields))).toEqual({
      id: PHONE_ID,
      whatsapp_business_manager_messaging_limit: 'TIER_2K',
      quality_rating: 'YELLOW',
    });
    // Registering it again without a rating keeps it.
    await control(h.sim, 'POST', 'phone-numbers', { phoneNumberId: PHONE_ID, wabaId: WABA });
    expect(await json(await graph('quality_rating'))).toMatchObject({ quality_rating: 'YELLOW' });
    const bad = await control(h.sim, 'POST', 'phone-numbers', {
      phoneNumberId: PHONE_ID,
      qualityRating: 'BLUE',
    });
    expect(bad.status).toBe(400);
    expect((await json<{ error: string }>(bad)).error).toContain('qualityRating');
  });

  it('refuses templates to new users beyond the limit with 131048, in a moving 24 h, per WABA', async () => {
    h.sim.registerNumber({ phoneNumberId: PHONE_ID, wabaId: WABA });
    h.sim.registerNumber({ phoneNumberId: OTHER_ID, wabaId: '200000000000078' });
    await control(h.sim, 'POST', 'config', { messagingLimitPerWaba: { [WABA]: 2 } });

    expect((await h.send(hello(user(1)))).status).toBe(200);
    h.clock.advance(60 * 60 * 1000);
    expect((await h.send(hello(user(2)))).status).toBe(200);
    // A user reached already does not count again.
    expect((await h.send(hello(user(2)))).status).toBe(200);
    const refused = await h.send(hello(user(3)));
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({ code: 131048 });
    expect(h.sim.log.at(-1)).toMatchObject({ error_code: 131048, wamid: null });
    // Inside the user's window a template is not business-initiated; another WABA has its own.
    await h.sim.inbound({ phone_number_id: PHONE_ID, from: user(4), text: 'hi' });
    expect((await h.send(hello(user(4)))).status).toBe(200);
    expect((await h.send(hello(user(3)), { phoneId: OTHER_ID })).status).toBe(200);

    // The first user leaves the window 24 h after it was reached; then there is room for one.
    h.clock.advance(23 * 60 * 60 * 1000);
    expect((await h.send(hello(user(3)))).status).toBe(200);
    expect((await h.send(hello(user(5)))).status).toBe(400);

    h.sim.setOptions({ messagingLimitPerWaba: { [WABA]: null } });
    expect((await h.send(hello(user(5)))).status).toBe(200);
  });

  it('serves the WABA node with its owning business, and counts the WABAs of one business together', async () => {
    const OTHER_WABA = '200000000000078';
    await control(h.sim, 'POST', 'phone-numbers', { phoneNumberId: PHONE_ID, wabaId: WABA });
    const node = (waba: string) =>
      fetch(`${h.sim.url}/v21.0/${waba}?fields=owner_business_info`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
    const derived = await json<{ id: string; owner_business_info: { id: string } }>(
      await node(WABA),
    );
    expect(derived).toEqual({
      id: WABA,
      owner_business_info: { id: expect.stringMatching(/^\d+$/), name: expect.any(String) },
    });

    // Two WABAs of one business: set on one's number, and through the config for the other.
    await control(h.sim, 'POST', 'phone-numbers', {
      phoneNumberId: PHONE_ID,
      wabaId: WABA,
      businessId: '900000000000001',
    });
    await control(h.sim, 'POST', 'phone-numbers', { phoneNumberId: OTHER_ID, wabaId: OTHER_WABA });
    const set = await control(h.sim, 'POST', 'config', {
      businessOfWaba: { [OTHER_WABA]: '900000000000001' },
      messagingLimitPerWaba: { [WABA]: 2 },
    });
    expect(set.status).toBe(200);
    expect(await json(await node(OTHER_WABA))).toMatchObject({
      owner_business_info: { id: '900000000000001' },
    });
    expect(
      await json(
        await fetch(
          `${h.sim.url}/v21.0/${OTHER_ID}?fields=whatsapp_business_manager_messaging_limit`,
          {
            headers: { authorization: `Bearer ${TOKEN}` },
          },
        ),
      ),
    ).toMatchObject({ whatsapp_business_manager_messaging_limit: 'TIER_2' });
    expect((await h.send(hello(user(1)))).status).toBe(200);
    expect((await h.send(hello(user(2)), { phoneId: OTHER_ID })).status).toBe(200);
    expect(await errorOf(await h.send(hello(user(3)), { phoneId: OTHER_ID }))).toMatchObject({
      code: 131048,
    });
    // Apart again, the other WABA is unlimited and counts alone.
    h.sim.setOptions({ businessOfWaba: { [OTHER_WABA]: null } });
    expect((await h.send(hello(user(3)), { phoneId: OTHER_ID })).status).toBe(200);

    const bad = await control(h.sim, 'POST', 'config', { businessOfWaba: { [WABA]: 'acme' } });
    expect(bad.status).toBe(400);
    expect(await node('999999999')).toHaveProperty('status', 400);
  });

  it("prices statuses per message: a template by its category, free inside the user's window for utility and replies", async () => {
    const sent = async (body: unknown) => {
      const wamid = await wamidOf(await h.send(body));
      await h.sim.idle();
      return h.receiver.statuses().find((s) => s.id === wamid && s.status === 'sent')!;
    };
    const outside = await sent(hello(user(10)));
    expect(outside.pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'utility',
    });
    expect(outside.conversation).toMatchObject({
      id: expect.any(String),
      origin: { type: 'utility' },
    });

    await h.sim.inbound({ phone_number_id: PHONE_ID, from: user(10), text: 'hi' });
    expect((await sent(hello(user(10)))).pricing).toMatchObject({
      billable: false,
      type: 'free_customer_service',
      category: 'utility',
    });
    expect((await sent(text('Thanks!', user(10)))).pricing).toMatchObject({
      billable: false,
      type: 'free_customer_service',
      category: 'service',
    });
    const marketing = template(
      'abandoned_cart',
      [{ type: 'body', parameters: textParams('Asha', 'shoes') }],
      'en',
      user(10),
    );
    expect((await sent(marketing)).pricing).toMatchObject({
      billable: true,
      type: 'regular',
      category: 'marketing',
    });
  });
});
