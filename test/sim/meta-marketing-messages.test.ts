import {
  CUSTOMER_WA_ID,
  errorOf,
  json,
  PHONE_ID,
  startHarness,
  template,
  text,
  textParams,
  TOKEN,
  type Harness,
} from './helpers';

describe('Meta simulator: the Marketing Messages API', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.sim.reset());

  const post = (phoneId: string, body: unknown) =>
    fetch(`${h.sim.url}/v25.0/${phoneId}/marketing_messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
  const cart = template('abandoned_cart', [
    { type: 'body', parameters: textParams('Asha', 'Running shoes') },
  ]);

  it('sends a MARKETING template of an onboarded number, as /messages answers, and logs where', async () => {
    h.sim.registerNumber({ phoneNumberId: PHONE_ID, marketingMessages: true });
    const res = await post(PHONE_ID, cart);
    expect(res.status).toBe(200);
    const answer = await json<{ contacts: { wa_id: string }[]; messages: { id: string }[] }>(res);
    expect(answer.contacts[0]!.wa_id).toBe(CUSTOMER_WA_ID);
    expect(answer.messages[0]!.id).toMatch(/^wamid\./);
    expect((await h.send(cart)).status).toBe(200);
    const sends = h.sim.sends({ full: true }).sends!;
    expect(sends.map((s) => s.endpoint)).toEqual(['marketing_messages', 'messages']);
  });

  it('refuses a template of another category, and a message that is no template', async () => {
    h.sim.registerNumber({ phoneNumberId: PHONE_ID, marketingMessages: true });
    const utility = template('order_confirmation', [
      { type: 'body', parameters: textParams('Ana', 'ORD-1') },
    ]);
    const res = await post(PHONE_ID, utility);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({
      code: 100,
      error_data: { details: expect.stringMatching(/UTILITY.*MARKETING/) },
    });
    expect((await errorOf(await post(PHONE_ID, text()))).code).toBe(100);
    expect(h.sim.sends().total).toBe(0);
  });

  it('refuses a number whose business has not accepted the terms', async () => {
    const res = await post('106540352249999', cart);
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ code: 10, fbtrace_id: expect.any(String) });
  });
});
