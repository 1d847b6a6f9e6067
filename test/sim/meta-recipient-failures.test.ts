import {
  CUSTOMER,
  CUSTOMER_WA_ID,
  control,
  errorOf,
  startHarness,
  template,
  text,
  wamidOf,
  type Harness,
} from './helpers';

const OTHER = '+919876500000';

describe("Meta simulator: a recipient's 131049 and 130472 on demand", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.sim.reset();
    h.receiver.received.splice(0);
  });

  it("answers the named recipient with Meta's 131049 in its error shape, for the count asked, others not", async () => {
    const res = await control(h.sim, 'POST', 'fail-next', {
      code: 131049,
      recipient: CUSTOMER_WA_ID,
      count: 2,
    });
    expect(res.status).toBe(200);
    // Another recipient's send is not touched, and does not use up the failure.
    expect((await h.send(text('Hi', OTHER))).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const refused = await h.send(text('Sale!'));
      expect(refused.status).toBe(400);
      expect(await errorOf(refused)).toEqual({
        message:
          '(#131049) This message was not delivered to maintain healthy ecosystem engagement.',
        type: 'OAuthException',
        code: 131049,
        error_data: {
          messaging_product: 'whatsapp',
          details:
            'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
        },
        fbtrace_id: expect.any(String),
      });
    }
    expect((await h.send(text('Sale!'))).status).toBe(200);
  });

  it('checks the body first: an invalid send gets its own error, and the failure waits', async () => {
    await control(h.sim, 'POST', 'fail-next', { code: 130472, recipient: CUSTOMER });
    const invalid = await h.send({ messaging_product: 'whatsapp', to: CUSTOMER, type: 'text' });
    expect((await errorOf(invalid)).code).toBe(100);
    const refused = await h.send(text());
    expect(await errorOf(refused)).toMatchObject({
      code: 130472,
      message: "(#130472) User's number is part of an experiment",
      error_data: {
        details:
          "Failed to send message because this user's phone number is part of an experiment.",
      },
    });
  });

  it("matches a BSUID given as `recipient`, and 'always' lasts until reset", async () => {
    await control(h.sim, 'POST', 'fail-next', {
      code: 130472,
      recipient: 'IN.1234567890',
      count: 'always',
    });
    const toUser = { ...text(), recipient: 'IN.1234567890' };
    for (let i = 0; i < 3; i++) expect((await errorOf(await h.send(toUser))).code).toBe(130472);
    h.sim.reset();
    expect((await h.send(toUser)).status).toBe(200);
  });

  it("via 'status': accepts the send, then posts a failed status carrying 131049 instead of sent", async () => {
    await control(h.sim, 'POST', 'fail-next', {
      code: 131049,
      recipient: CUSTOMER_WA_ID,
      via: 'status',
    });
    const res = await h.send(text('Sale!'));
    expect(res.status).toBe(200);
    const wamid = await wamidOf(res);
    await h.sim.idle();
    expect(h.receiver.statusesOf(wamid)).toEqual(['failed']);
    const failed = h.receiver.statuses().find((s) => s.id === wamid);
    expect(failed?.errors).toEqual([
      {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
        message: 'This message was not delivered to maintain healthy ecosystem engagement.',
        error_data: {
          details:
            'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
        },
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ]);
    expect(failed).not.toHaveProperty('pricing');
    // Only that send: the next goes through as usual.
    const next = await wamidOf(await h.send(template('hello_world', [], 'en_US')));
    await h.sim.idle();
    expect(h.receiver.statusesOf(next)).toEqual(['sent', 'delivered']);
  });

  it('refuses what it cannot inject, naming it', async () => {
    const noRecipient = await control(h.sim, 'POST', 'fail-next', { code: 131049, via: 'status' });
    expect(noRecipient.status).toBe(400);
    expect(await noRecipient.json()).toEqual({ error: "via: via 'status' needs a recipient" });
    const unworded = await control(h.sim, 'POST', 'fail-next', {
      code: 131999,
      recipient: CUSTOMER,
    });
    expect(unworded.status).toBe(400);
    expect(await unworded.json()).toEqual({
      error: 'httpStatus and message are required for code 131999',
    });
  });
});
