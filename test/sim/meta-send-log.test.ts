import type { SendSummary } from '../../sim/meta';
import { SendLog } from '../../sim/meta/send-log';
import { control, json, PHONE_ID, startHarness, text, wamidOf, type Harness } from './helpers';

const OTHER_ID = '200000000000001';

describe('Meta simulator: send log', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ throughputPerNumber: { [PHONE_ID]: 6 } });
  });
  afterEach(() => h.close());

  let recipient = 0;
  /** Each send to a new user, so the pair rate stays out of the way. */
  const send = (data: string | null, phoneId = PHONE_ID) =>
    h.send(
      {
        ...text('x', `+1415555${String(recipient++).padStart(4, '0')}`),
        ...(data === null ? {} : { biz_opaque_callback_data: data }),
      },
      { phoneId },
    );

  it('counts accepted sends, the busiest sliding second and repeated callback data', async () => {
    for (const data of ['o-1', 'o-2']) expect((await send(data)).status).toBe(200);
    h.clock.advance(700);
    for (const data of ['o-1', 'o-3', null]) expect((await send(data)).status).toBe(200);
    // 1.2 s in: the sends at 0.7 s and these 3 fall in one second, no calendar second holds 6.
    h.clock.advance(500);
    for (const data of ['o-4', 'o-5', 'o-3']) expect((await send(data)).status).toBe(200);
    expect((await send('o-2')).status).toBe(429);
    const other = await wamidOf(await send('o-3', OTHER_ID));
    h.sim.failNext(1, { kind: 'drop', phoneNumberId: OTHER_ID });
    await expect(send('o-5', OTHER_ID)).rejects.toThrow();

    const summary = await json<SendSummary>(await control(h.sim, 'GET', 'sends'));
    expect(summary).toEqual({
      total: 10,
      by_number: {
        [PHONE_ID]: { total: 8, max_per_second: 6 },
        [OTHER_ID]: { total: 2, max_per_second: 2 },
      },
      duplicates: [
        { biz_opaque_callback_data: 'o-1', count: 2 },
        { biz_opaque_callback_data: 'o-3', count: 3 },
        { biz_opaque_callback_data: 'o-5', count: 2 },
      ],
    });
    expect(h.sim.sends()).toEqual(summary);

    const full = await json<SendSummary>(await control(h.sim, 'GET', 'sends?full=true'));
    expect(full.sends).toHaveLength(10);
    expect(full.sends?.[0]).toEqual({
      time: new Date(h.sim.now() - 1_200).toISOString(),
      phone_number_id: PHONE_ID,
      recipient: '14155550000',
      wamid: h.sim.log[0]!.wamid,
      biz_opaque_callback_data: 'o-1',
      answered: true,
      endpoint: 'messages',
      type: 'text',
      content: { body: 'x' },
      context: null,
    });
    expect(full.sends?.slice(-2)).toMatchObject([
      { wamid: other, answered: true },
      { biz_opaque_callback_data: 'o-5', answered: false },
    ]);
    // The refused second o-2 is not a send.
    expect(full.sends?.filter((s) => s.biz_opaque_callback_data === 'o-2')).toHaveLength(1);
    expect((await control(h.sim, 'GET', 'sends?full=maybe')).status).toBe(400);
  });

  it('forgets sends, logs and rate windows on reset, and sends alone on DELETE', async () => {
    for (let i = 0; i < 6; i++) await send('same');
    expect((await send('same')).status).toBe(429);
    expect((await control(h.sim, 'POST', 'reset')).status).toBe(204);
    expect(h.sim.sends()).toEqual({ total: 0, by_number: {}, duplicates: [] });
    expect(h.sim.log).toHaveLength(0);
    expect((await send('same')).status).toBe(200);
    expect(h.sim.sends().duplicates).toEqual([]);
    expect((await send('same')).status).toBe(200);
    expect(h.sim.sends().duplicates).toEqual([{ biz_opaque_callback_data: 'same', count: 2 }]);

    expect((await control(h.sim, 'DELETE', 'sends')).status).toBe(204);
    expect(h.sim.sends({ full: true })).toEqual({
      total: 0,
      by_number: {},
      duplicates: [],
      sends: [],
    });
    expect(h.sim.log).toHaveLength(2);
  });
});

describe('Meta simulator: send log at volume', () => {
  it('keeps its summary exact over 200,000 sends', () => {
    const log = new SendLog();
    const start = Date.UTC(2025, 0, 15);
    for (let i = 0; i < 200_000; i++) {
      // 1,000 sends a second on each of two numbers; every 10,000th callback data is repeated.
      const now = start + Math.floor(i / 2);
      log.record(
        {
          time: '',
          phone_number_id: i % 2 === 0 ? 'a' : 'b',
          recipient: String(i),
          wamid: `w${i}`,
          biz_opaque_callback_data: `m-${i % 10_000 === 1 ? 1 : i}`,
          answered: true,
          endpoint: 'messages',
          type: 'text',
          content: { body: 'Hi' },
          context: null,
        },
        now,
      );
    }
    const summary = log.summary();
    expect(summary).toEqual({
      total: 200_000,
      by_number: {
        a: { total: 100_000, max_per_second: 1_000 },
        b: { total: 100_000, max_per_second: 1_000 },
      },
      duplicates: [{ biz_opaque_callback_data: 'm-1', count: 20 }],
    });
    const full = log.summary(true).sends!;
    expect(full).toHaveLength(100_000);
    expect(full[0]!.wamid).toBe('w100000');
    expect(full.at(-1)!.wamid).toBe('w199999');
  });
});
