import type { RequestLogEntry, RuntimeOptions, Template, WebhookLogEntry } from '../../sim/meta';
import {
  json,
  PHONE_ID,
  startHarness,
  template,
  text,
  textParams,
  TOKEN,
  type Harness,
  errorOf,
} from './helpers';

interface TemplatePage {
  data: Template[];
  paging: { cursors: { before: string; after: string }; next?: string; previous?: string };
}

describe('Meta simulator: template listing', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const list = (url: string, token: string | null = TOKEN) =>
    fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it('walks every template of a WABA with limit=2 through paging.next', async () => {
    const waba = '102290129340398';
    let url: string | undefined = `${h.sim.url}/v25.0/${waba}/message_templates?limit=2`;
    const names: string[] = [];
    const pages: TemplatePage[] = [];
    while (url) {
      const res = await list(url);
      expect(res.status).toBe(200);
      const page = await json<TemplatePage>(res);
      pages.push(page);
      expect(page.data.length).toBeLessThanOrEqual(2);
      names.push(...page.data.map((t) => t.name));
      url = page.paging.next;
    }
    expect(names).toEqual([
      'hello_world',
      'order_confirmation',
      'order_shipped',
      'track_order',
      'payment_reminder',
      'abandoned_cart',
      'promo_pending',
      'promo_rejected',
      'payment_link',
      'payment_receipt',
      'order_delivered',
    ]);
    expect(pages).toHaveLength(6);
    expect(pages[0]!.paging.previous).toBeUndefined();
    expect(pages[1]!.paging.previous).toEqual(expect.stringContaining('before='));
    expect(pages[1]!.paging.next).toMatch(
      new RegExp(`^${h.sim.url}/v25\\.0/${waba}/message_templates\\?limit=2&after=`),
    );
    expect(pages[1]!.paging.cursors).toEqual({
      before: expect.any(String),
      after: expect.any(String),
    });

    const shipped = pages[1]!.data[0];
    expect(shipped).toEqual({
      name: 'order_shipped',
      parameter_format: 'POSITIONAL',
      components: [
        expect.objectContaining({
          type: 'BODY',
          text: 'Your order #{{1}} has been shipped. Track: {{2}}',
        }),
      ],
      language: 'en',
      status: 'APPROVED',
      category: 'UTILITY',
      id: expect.stringMatching(/^\d+$/),
    });
    const statuses = pages.flatMap((p) => p.data.map((t) => t.status));
    expect(statuses.filter((s) => s !== 'APPROVED')).toEqual(['PENDING', 'REJECTED']);
  });

  it('pages back with the before cursor, and defaults to 25 per page', async () => {
    const base = `${h.sim.url}/v25.0/555/message_templates`;
    const all = await json<TemplatePage>(await list(base));
    expect(all.data).toHaveLength(11);
    expect(all.paging.next).toBeUndefined();
    const second = await json<TemplatePage>(
      await list(`${base}?limit=3&after=${all.paging.cursors.before}`),
    );
    expect(second.data.map((t) => t.name)).toEqual([
      'order_confirmation',
      'order_shipped',
      'track_order',
    ]);
    const back = await json<TemplatePage>(
      await list(`${base}?limit=3&before=${second.paging.cursors.before}`),
    );
    expect(back.data.map((t) => t.name)).toEqual(['hello_world']);
  });

  it('requires the token and refuses a bad cursor', async () => {
    const base = `${h.sim.url}/v25.0/555/message_templates`;
    const denied = await list(base, null);
    expect(denied.status).toBe(401);
    expect((await errorOf(denied)).code).toBe(190);
    const bad = await list(`${base}?after=nope`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).error_data?.details).toContain('after');
  });
});

describe('Meta simulator: control API', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${h.sim.url}/_sim/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('reports health, and lists and clears the request log', async () => {
    expect(await json(await control('GET', 'health'))).toEqual({ status: 'ok' });
    await h.send(text());
    const log = await json<RequestLogEntry[]>(await control('GET', 'log'));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'POST', status: 200, authorization: true });
    expect(JSON.stringify(log)).not.toContain(TOKEN);
    expect((await control('DELETE', 'log')).status).toBe(204);
    expect(await json(await control('GET', 'log'))).toEqual([]);
  });

  it('changes options at run time and refuses invalid ones naming the field', async () => {
    const res = await control('POST', 'config', {
      throughputPerSecond: 1,
      statusWebhooks: { readRate: 1 },
    });
    expect(res.status).toBe(200);
    const options = await json<RuntimeOptions>(res);
    expect(options.throughputPerSecond).toBe(1);
    expect(options.statusWebhooks).toMatchObject({ readRate: 1, deliveredRate: 1, delayMs: 1 });
    expect((await h.send(text())).status).toBe(200);
    expect((await h.send(text())).status).toBe(429);

    const bad = await control('POST', 'config', { statusWebhooks: { readRate: 7 } });
    expect(bad.status).toBe(400);
    expect((await json<{ error: string }>(bad)).error).toContain('statusWebhooks.readRate');
  });

  it('queues failures, adds templates and numbers, simulates inbound messages and moves the clock', async () => {
    const queued = await control('POST', 'fail-next', {
      count: 2,
      httpStatus: 503,
      code: 131057,
      message: '(#131057) Account in maintenance mode',
    });
    expect(await json(queued)).toEqual({ queued: 2 });
    expect((await h.send(text())).status).toBe(503);
    expect((await h.send(text())).status).toBe(503);

    const registered = await control('POST', 'phone-numbers', {
      phoneNumberId: PHONE_ID,
      wabaId: '200000000000042',
      displayPhoneNumber: '+1 555 0100',
    });
    expect(await json(registered)).toEqual({
      phone_number_id: PHONE_ID,
      waba_id: '200000000000042',
      display_phone_number: '15550100',
    });
    const added = await control('POST', 'templates', {
      phoneNumberId: PHONE_ID,
      template: {
        name: 'welcome',
        language: 'en',
        components: [{ type: 'BODY', text: 'Welcome {{1}}' }],
      },
    });
    expect(added.status).toBe(201);
    expect(await json(added)).toMatchObject({ name: 'welcome', status: 'APPROVED' });
    const send = await h.send(
      template('welcome', [{ type: 'body', parameters: textParams('Asha') }]),
    );
    expect(send.status).toBe(200);

    const inbound = await control('POST', 'inbound', {
      phone_number_id: PHONE_ID,
      from: '+14155550123',
      text: 'hello',
    });
    expect(await json(inbound)).toEqual({
      wamid: expect.stringMatching(/^wamid\./),
      user_id: expect.stringMatching(/^US\.\d+$/),
    });
    expect(await json(await control('GET', 'idle'))).toEqual({ idle: true });
    const posted = h.receiver.messages().at(-1)!.body.entry[0]!;
    expect(posted.id).toBe('200000000000042');
    expect(posted.changes[0]!.value.metadata.display_phone_number).toBe('15550100');

    const before = h.sim.now();
    const moved = await json<{ now: string }>(
      await control('POST', 'clock', { advanceMs: 60_000 }),
    );
    expect(Date.parse(moved.now)).toBe(before + 60_000);

    const hooks = await json<WebhookLogEntry[]>(await control('GET', 'webhooks'));
    expect(hooks.length).toBeGreaterThan(0);
    expect(hooks[0]).toMatchObject({
      attempts: 1,
      delivered: true,
      signature: expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
    });
    expect((await control('POST', 'inbound', { from: '+14155550123' })).status).toBe(400);
  });

  it('answers unknown Graph paths in the Graph error shape', async () => {
    const res = await fetch(`${h.sim.url}/v25.0/${PHONE_ID}/nothing/here`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 2500, type: 'OAuthException' });
    const read = (token: string) =>
      fetch(`${h.sim.url}/v25.0/${PHONE_ID}`, { headers: { authorization: `Bearer ${token}` } });
    // A number nobody used or registered does not exist for another business's token...
    await control('POST', 'phone-numbers', {
      phoneNumberId: '106540352242929',
      accessToken: 'EAAG-elsewhere',
    });
    const unseen = await read('EAAG-elsewhere');
    expect(unseen.status).toBe(400);
    expect(await errorOf(unseen)).toMatchObject({ code: 100, error_subcode: 33 });
    // ...while the sandbox's numbers exist from the start, as sends treat them.
    const number = await json<unknown>(await read(TOKEN));
    expect(number).toMatchObject({
      id: PHONE_ID,
      display_phone_number: h.sim.phoneNumber(PHONE_ID).displayPhoneNumber,
    });
  });

  it("makes a number registered with a token readable and usable with that token or the sandbox's only", async () => {
    const OTHER_ID = '106540352242923';
    const FREE_ID = '106540352242924';
    const read = (id: string, token: string, query = '') =>
      fetch(`${h.sim.url}/v25.0/${id}${query}`, { headers: { authorization: `Bearer ${token}` } });
    const registered = await control('POST', 'phone-numbers', {
      phoneNumberId: PHONE_ID,
      displayPhoneNumber: '+1 555 0100',
      accessToken: 'EAAG-owner',
    });
    expect(registered.status).toBe(201);
    expect(JSON.stringify(await json(registered))).not.toContain('EAAG-owner');
    await control('POST', 'phone-numbers', { phoneNumberId: OTHER_ID, accessToken: 'EAAG-other' });

    const mine = await read(
      PHONE_ID,
      'EAAG-owner',
      '?fields=id,display_phone_number,verified_name',
    );
    expect(mine.status).toBe(200);
    expect(await json(mine)).toEqual({
      id: PHONE_ID,
      display_phone_number: '15550100',
      verified_name: 'Waflow Sandbox',
    });
    expect((await read(PHONE_ID, TOKEN)).status).toBe(200);

    const theirs = await read(PHONE_ID, 'EAAG-other');
    expect(theirs.status).toBe(400);
    expect(await errorOf(theirs)).toEqual({
      message: `Unsupported get request. Object with ID '${PHONE_ID}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: expect.any(String),
    });
    const unknownToken = await read(PHONE_ID, 'EAAG-nobody');
    expect(unknownToken.status).toBe(401);
    expect((await errorOf(unknownToken)).code).toBe(190);
    const never = await read('106540352242999', 'EAAG-owner');
    expect(never.status).toBe(400);
    expect(await errorOf(never)).toMatchObject({ code: 100, error_subcode: 33 });
    const bogus = await read(PHONE_ID, 'EAAG-owner', '?fields=id,bogus');
    expect(bogus.status).toBe(400);
    expect(await errorOf(bogus)).toMatchObject({
      code: 100,
      message:
        '(#100) Tried accessing nonexisting field (bogus) on node type (WhatsAppBusinessPhoneNumber)',
    });

    const refused = await h.send(text(), { token: 'EAAG-other' });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      message: expect.stringMatching(/^Unsupported post request\. Object with ID '\d+'/),
    });
    expect((await h.send(text(), { token: 'EAAG-owner' })).status).toBe(200);
    expect((await h.send(text())).status).toBe(200);
    // A number registered without a token keeps taking every accepted token.
    expect((await h.send(text(), { token: 'EAAG-other', phoneId: FREE_ID })).status).toBe(200);
    expect((await h.send(text(), { token: 'EAAG-nobody', phoneId: FREE_ID })).status).toBe(401);

    const spaced = await control('POST', 'phone-numbers', {
      phoneNumberId: FREE_ID,
      accessToken: 'two words',
    });
    expect(spaced.status).toBe(400);
    expect((await json<{ error: string }>(spaced)).error).toContain('accessToken');
  });
});
