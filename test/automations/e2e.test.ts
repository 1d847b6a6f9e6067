import { sweepAutomations } from '../../automations/sweep';
import { campaignBody, campaignEnds, createCampaign, importContacts } from '../support/campaigns';
import { createPaymentsHarness, type PaymentsHarness } from '../support/payments';
import { waitUntil } from '../support/send-queue';
import { STORE_KINDS } from '../support/store';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { wooDelivery, wooOrder } from '../support/woocommerce';

/**
 * Automations end to end on each store: created through the API, set off by the simulator
 * playing the customer (texts, a template's quick reply, interactive buttons and lists), by the
 * API (a contact, a tag), a signed WooCommerce order, Razorpay's payment outcomes and a
 * campaign; their messages read from the simulator's log, their runs from the API, their events
 * from a webhook endpoint. Waits and delays are not waited for: the overdue sweep runs as if
 * hours later (`sweepAt`), and times them out as their timer workflows would.
 */
jest.setTimeout(240_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON views
type Json = Record<string, any>;

const HOUR = 3_600_000;
const ALL_DAY = {
  timezone: 'UTC',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  start: '00:00',
  end: '24:00',
};
const HELLO = { type: 'template', template: { name: 'hello_world', language: 'en_US' } };

describe.each(STORE_KINDS)('automations end to end on %s', (kind) => {
  let h: PaymentsHarness;
  let receiver: WebhookReceiver;
  let orgId: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await createPaymentsHarness({
      env: {
        WAFLOW_STORE: kind,
        SEND_POLL_MS: '100',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        WEBHOOK_ENDPOINT_CACHE_MS: '0',
      },
    });
    orgId = h.org.organization.id;
    const endpoint = await h.call({
      method: 'POST',
      url: '/api/webhook-endpoints',
      payload: {
        name: 'Automations',
        url: `${receiver.url}/hooks`,
        events: [
          'automation.completed',
          'automation.failed',
          'automation.event',
          'transfer.created',
        ],
      },
    });
    expect(endpoint.statusCode).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  async function automation(body: Record<string, unknown>): Promise<string> {
    const res = await h.call({ method: 'POST', url: '/api/automations', payload: body });
    if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
    // The worker's engine reads automations at most every 5 s: it routes payment outcomes and
    // order statuses, so it reads them now, as the API's engine does after a change.
    h.worker.automations.forget(orgId);
    return res.json().data.id as string;
  }

  /** Valid UK mobile numbers, one per customer. */
  let numbers = 0;
  const newPhone = () => `+4474009${String(++numbers).padStart(5, '0')}`;
  const digits = (phone: string) => phone.slice(1);

  /** What the simulator accepted for the customer, oldest first. */
  const sentTo = (phone: string): Json[] =>
    h.sim.log
      .filter(
        (e) =>
          e.status === 200 &&
          e.path.endsWith('/messages') &&
          (e.body as Json)?.to === digits(phone),
      )
      .map((e) => e.body as Json);
  const textsTo = (phone: string) =>
    sentTo(phone).map((b): string =>
      b.type === 'text' ? String(b.text.body) : `${b.type}:${b.template?.name}`,
    );

  /** The customer writes to the sandbox number; resolves once it is routed. */
  async function says(phone: string, input: Record<string, unknown>, name = 'Ana') {
    const wrote = await h.sim.inbound({
      phone_number_id: h.account.phone_number_id,
      from: digits(phone),
      name,
      ...input,
    });
    await h.settle();
    await h.app.automations.idle();
    return wrote;
  }

  async function newContact(name: string, extra: Record<string, unknown> = {}) {
    const phone = newPhone();
    const res = await h.call({
      method: 'POST',
      url: '/api/contacts',
      payload: { phone_number: phone, name, opted_in: true, ...extra },
    });
    expect(res.statusCode).toBe(201);
    return { phone, id: res.json().data.id as string };
  }

  const contactOf = async (phone: string) =>
    (await h.app.store.contacts.findByPhone(orgId, phone))!;

  const runsOf = async (automationId: string): Promise<Json[]> => {
    const res = await h.call({ method: 'GET', url: `/api/automations/${automationId}/runs` });
    expect(res.statusCode).toBe(200);
    return res.json<Json>().data.runs as Json[];
  };

  /** The contact's run of the automation, once it is in `state` (at `step`, if given). */
  async function runIs(automationId: string, contactId: string, state: string, step?: string) {
    let run: Json = {};
    await waitUntil(`${contactId}'s run of ${automationId} is ${state}`, async () => {
      run = (await runsOf(automationId)).find((r) => r.contact_id === contactId) ?? {};
      return run.state === state && (step === undefined || run.step === step);
    });
    return run;
  }

  const path = (run: Json): string[] => (run.path as Json[]).map((p) => `${p.step}:${p.outcome}`);

  /** The recovery sweep as if it ran `ms` from now: waits that would be over by then time out. */
  const sweepAt = (ms: number) =>
    sweepAutomations(
      {
        store: h.app.store,
        engine: h.app.automations,
        optOutWords: h.config.sequences.optOutWords,
      },
      new Date(Date.now() + ms),
    );

  const hooks = (event: string): Json[] =>
    receiver.received.map((r) => JSON.parse(r.body) as Json).filter((b) => b.event === event);
  const hookArrives = (event: string, fits: (data: Json) => boolean) =>
    waitUntil(`${event} delivered`, async () => hooks(event).some((b) => fits(b.data)));

  it('a keyword: buttons, the tapped branch, an answer saved, hours and fields checked, tags, fields, an event, the end', async () => {
    const id = await automation({
      name: 'Menu',
      trigger: { type: 'keyword', keywords: ['menu'] },
      steps: [
        {
          id: 'menu',
          type: 'send_message',
          message: {
            type: 'interactive',
            interactive: {
              type: 'button',
              body: { text: 'Hi {{name}}, how can we help?' },
              action: {
                buttons: [
                  { type: 'reply', reply: { id: 'order', title: 'My order' } },
                  { type: 'reply', reply: { id: 'human', title: 'A person' } },
                ],
              },
            },
          },
        },
        {
          id: 'choice',
          type: 'wait_for_reply',
          timeout: '30m',
          branches: [
            { match: { button: 'order' }, next: 'ask' },
            { match: { button: 'human' }, next: 'handover' },
          ],
          otherwise: 'handover',
          on_timeout: null,
        },
        { id: 'ask', type: 'send_message', message: { type: 'text', text: 'Your order number?' } },
        {
          id: 'number',
          type: 'wait_for_reply',
          timeout: '1h',
          save_to: 'order_no',
          on_timeout: null,
        },
        {
          id: 'open',
          type: 'condition',
          conditions: [
            { hours: ALL_DAY, op: 'within' },
            { field: 'custom_fields.order_no', op: 'matches', value: '^ord-\\d+$' },
          ],
          then: 'tag',
          else: 'handover',
        },
        { id: 'tag', type: 'set_tags', add: ['asked-order'], remove: ['prospect'] },
        {
          id: 'fields',
          type: 'set_fields',
          set: { last_topic: 'order {{message.text}}' },
          remove: ['draft'],
        },
        {
          id: 'event',
          type: 'emit_event',
          name: 'order_asked',
          data: { order: '{{custom_fields.order_no}}', phone: '{{phone_number}}' },
        },
        { id: 'done', type: 'end' },
        { id: 'handover', type: 'transfer', team_id: 'support', agent_id: null, notes: null },
      ],
    });
    const phone = newPhone();
    await says(phone, { text: 'MENU' });
    const contact = await contactOf(phone);
    await h.app.store.contacts.update(orgId, contact._id, {
      tags: ['prospect'],
      custom_fields: { draft: 'x' },
    });
    await runIs(id, contact._id, 'waiting', 'choice');
    await waitUntil('the menu is sent', async () => sentTo(phone).length === 1);
    expect(sentTo(phone)[0]).toMatchObject({
      type: 'interactive',
      interactive: { type: 'button', body: { text: 'Hi Ana, how can we help?' } },
    });

    await says(phone, {
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'order', title: 'My order' } },
    });
    await runIs(id, contact._id, 'waiting', 'number');
    await says(phone, { text: 'ORD-42' });
    const run = await runIs(id, contact._id, 'completed');

    expect(path(run)).toEqual([
      'menu:sent',
      'choice:waiting',
      'choice:reply',
      'ask:sent',
      'number:waiting',
      'number:reply',
      'number:updated',
      'open:then',
      'tag:tagged',
      'fields:updated',
      'event:emitted',
      'done:ended',
    ]);
    expect(run.path[2].detail).toMatchObject({ branch: 0 });
    await waitUntil('the question is sent', async () => sentTo(phone).length === 2);
    expect(textsTo(phone)).toEqual(['interactive:undefined', 'Your order number?']);
    const after = await contactOf(phone);
    expect(after.tags).toEqual(['asked-order']);
    expect(after.custom_fields).toEqual({ order_no: 'ORD-42', last_topic: 'order ORD-42' });

    await hookArrives('automation.event', (d) => d.run_id === run.id);
    expect(hooks('automation.event').filter((b) => b.data.run_id === run.id)).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          automation_id: id,
          contact_id: contact._id,
          name: 'order_asked',
          data: { order: 'ORD-42', phone },
        }),
      }),
    ]);
    await hookArrives('automation.completed', (d) => d.run_id === run.id);
  });

  it('a pattern: a reply on a keyword branch transfers; no reply times out through the sweep', async () => {
    const id = await automation({
      name: 'Help',
      trigger: { type: 'pattern', pattern: '^(help|support)\\b' },
      steps: [
        { id: 'hello', type: 'send_message', message: { type: 'text', text: 'How can we help?' } },
        {
          id: 'wait',
          type: 'wait_for_reply',
          timeout: '30m',
          branches: [{ match: { keywords: ['agent', 'a human'] }, next: 'handover' }],
          otherwise: 'sorry',
          on_timeout: 'nudge',
        },
        {
          id: 'handover',
          type: 'transfer',
          team_id: 'support',
          agent_id: null,
          notes: 'Asked for {{message.text}}',
          next: null,
        },
        {
          id: 'sorry',
          type: 'send_message',
          message: { type: 'text', text: 'Write agent for a person.' },
          next: null,
        },
        {
          id: 'nudge',
          type: 'send_message',
          message: { type: 'text', text: 'Still there, {{name}}?' },
        },
      ],
    });
    const quiet = newPhone();
    const talker = newPhone();
    await says(quiet, { text: 'Help please' }, 'Quinn');
    await says(talker, { text: 'support' }, 'Tara');
    const quietId = (await contactOf(quiet))._id;
    const talkerId = (await contactOf(talker))._id;
    const waiting = await runIs(id, quietId, 'waiting', 'wait');
    await runIs(id, talkerId, 'waiting', 'wait');
    expect(Date.parse(waiting.waiting.until) - Date.parse(waiting.path[1].at)).toBe(30 * 60_000);

    await says(talker, { text: 'Agent' });
    const transferred = await runIs(id, talkerId, 'completed');
    expect(path(transferred)).toEqual([
      'hello:sent',
      'wait:waiting',
      'wait:reply',
      'handover:transferred',
    ]);
    const transferId = transferred.path[3].detail.transfer_id;
    await hookArrives('transfer.created', (d) => JSON.stringify(d).includes(transferId));
    const [hook] = hooks('transfer.created').filter((b) =>
      JSON.stringify(b.data).includes(transferId),
    );
    expect(JSON.stringify(hook!.data)).toContain('Asked for Agent');
    expect(JSON.stringify(hook!.data)).toContain(talkerId);

    // Nobody answers the quiet one: an hour later its wait is over (its timer sleeps 30 m).
    expect((await runsOf(id)).find((r) => r.contact_id === quietId)?.state).toBe('waiting');
    const swept = await sweepAt(HOUR);
    expect(swept.timedOut).toBeGreaterThanOrEqual(1);
    const timedOut = await runIs(id, quietId, 'completed');
    expect(path(timedOut)).toEqual(['hello:sent', 'wait:waiting', 'wait:timeout', 'nudge:sent']);
    await waitUntil('the nudge is sent', async () => sentTo(quiet).length === 2);
    expect(textsTo(quiet)).toEqual(['How can we help?', 'Still there, Quinn?']);
    expect(textsTo(talker)).toEqual(['How can we help?']);
    // A second sweep finds nothing more to do for it.
    await sweepAt(2 * HOUR);
    expect(path((await runsOf(id)).find((r) => r.contact_id === quietId)!)).toHaveLength(4);
  });

  it('any message of a tagged contact: an action, a branch on its value, media by link, a delay continued later, business hours', async () => {
    const action = await h.call({
      method: 'POST',
      url: '/api/actions',
      payload: {
        name: `tier-${kind}`,
        code: 'return { tier: contact.name === "Goldie" ? "gold" : "silver", said: message.text }',
      },
    });
    expect(action.statusCode).toBe(201);
    const id = await automation({
      name: 'VIP',
      trigger: { type: 'any_message' },
      conditions: [{ field: 'tags', op: 'contains', value: 'vip' }],
      steps: [
        {
          id: 'look',
          type: 'run_action',
          action_id: action.json().data.id,
          input: { from: 'vip' },
        },
        {
          id: 'tier',
          type: 'condition',
          conditions: [{ field: 'action.tier', op: 'equals', value: 'gold' }],
          then: 'photo',
          else: 'plain',
        },
        {
          id: 'photo',
          type: 'send_message',
          message: {
            type: 'image',
            media: {
              link: 'https://cdn.example.com/gold.jpg',
              caption: 'A {{action.tier}} welcome',
            },
          },
          next: 'pause',
        },
        { id: 'plain', type: 'send_message', message: { type: 'text', text: 'Welcome' } },
        { id: 'pause', type: 'delay', duration: '2h' },
        {
          id: 'closed',
          type: 'condition',
          conditions: [{ hours: ALL_DAY, op: 'outside' }],
          then: null,
          else: 'later',
        },
        {
          id: 'later',
          type: 'send_message',
          message: { type: 'text', text: 'Two hours on, {{name}}: still {{action.said}}?' },
        },
      ],
    });
    const gold = await newContact('Goldie', { tags: ['vip'] });
    const plain = newPhone();
    await says(gold.phone, { text: 'hi there' }, 'Goldie');
    // An untagged customer's message starts nothing.
    await says(plain, { text: 'hi there' }, 'Pat');
    const waiting = await runIs(id, gold.id, 'waiting', 'pause');
    expect(path(waiting)).toEqual(['look:ran', 'tier:then', 'photo:sent', 'pause:waiting']);
    expect(waiting.context.action).toEqual({ tier: 'gold', said: 'hi there' });
    expect(waiting.waiting).toMatchObject({ kind: 'delay', step: 'pause' });
    await waitUntil('the photo is sent', async () => sentTo(gold.phone).length === 1);
    expect(sentTo(gold.phone)[0]).toMatchObject({
      type: 'image',
      image: { link: 'https://cdn.example.com/gold.jpg', caption: 'A gold welcome' },
    });
    // The untagged customer's message started nothing.
    expect(await runsOf(id)).toHaveLength(1);

    await sweepAt(3 * HOUR);
    const done = await runIs(id, gold.id, 'completed');
    expect(path(done)).toEqual([
      'look:ran',
      'tier:then',
      'photo:sent',
      'pause:waiting',
      'pause:waited',
      'closed:else',
      'later:sent',
    ]);
    await waitUntil('the later text is sent', async () => sentTo(gold.phone).length === 2);
    expect(textsTo(gold.phone)[1]).toBe('Two hours on, Goldie: still hi there?');
    const actionRuns = await h.app.store.actions.runs(orgId, action.json().data.id, { limit: 10 });
    expect(actionRuns).toHaveLength(1);
  });

  it('a new contact: the text in the window of a first message, the fallback template outside it', async () => {
    const id = await automation({
      name: 'Welcome',
      trigger: { type: 'contact_created' },
      conditions: [{ field: 'name', op: 'equals', value: 'Newcomer' }],
      steps: [
        {
          id: 'hi',
          type: 'send_message',
          message: { type: 'text', text: 'Welcome, {{name}}!' },
          fallback: HELLO,
        },
      ],
    });
    const viaApi = await newContact('Newcomer');
    const writer = newPhone();
    await says(writer, { text: 'hello?' }, 'Newcomer');
    const writerId = (await contactOf(writer))._id;
    const fallback = await runIs(id, viaApi.id, 'completed');
    const sent = await runIs(id, writerId, 'completed');
    expect(fallback.trigger.type).toBe('contact_created');
    expect(path(fallback)).toEqual(['hi:fallback']);
    expect(fallback.path[0].detail).toMatchObject({ type: 'template', reason: expect.any(String) });
    expect(path(sent)).toEqual(['hi:sent']);
    await waitUntil(
      'both sent',
      async () => sentTo(viaApi.phone).length === 1 && sentTo(writer).length === 1,
    );
    expect(textsTo(viaApi.phone)).toEqual(['template:hello_world']);
    expect(textsTo(writer)).toEqual(['Welcome, Newcomer!']);
    // Other contacts created meanwhile do not fit its condition.
    expect(await runsOf(id)).toHaveLength(2);
  });

  it('a tag added through the API: a template, a sequence subscribed; another tag unsubscribes it', async () => {
    const seq = await h.call({
      method: 'POST',
      url: '/api/sequences',
      payload: {
        name: 'Trial',
        steps: [
          { delay: '0m', type: 'anytime', message: HELLO },
          { delay: '3d', type: '24h', message: { type: 'text', text: 'How is it going?' } },
        ],
      },
    });
    expect(seq.statusCode).toBe(201);
    const sequenceId = seq.json().data.id as string;
    const subscribe = await automation({
      name: 'Trial started',
      trigger: { type: 'tag_added', tag: 'trial' },
      steps: [
        {
          id: 'note',
          type: 'send_message',
          message: {
            type: 'template',
            template: {
              name: 'order_confirmation',
              language: 'en',
              components: [
                {
                  type: 'body',
                  parameters: [
                    { type: 'text', text: '{{name}}' },
                    { type: 'text', text: 'TRIAL' },
                  ],
                },
              ],
            },
          },
        },
        { id: 'sub', type: 'subscribe_sequence', sequence_id: sequenceId },
      ],
    });
    const unsubscribe = await automation({
      name: 'Bought',
      trigger: { type: 'tag_added', tag: 'bought' },
      steps: [{ id: 'unsub', type: 'unsubscribe_sequence', sequence_id: sequenceId }],
    });
    const c = await newContact('Tess');
    const tag = (tags: string[]) =>
      h.call({ method: 'PUT', url: `/api/contacts/${c.id}`, payload: { tags } });
    expect((await tag(['trial'])).statusCode).toBe(200);
    await h.app.automations.idle();
    const started = await runIs(subscribe, c.id, 'completed');
    expect(path(started)).toEqual(['note:sent', 'sub:subscribed']);
    expect(started.trigger.type).toBe('tag_added');
    const subscriber = async () =>
      (
        (
          await h.call({ method: 'GET', url: `/api/sequences/${sequenceId}/subscribers` })
        ).json<Json>().data.subscribers as Json[]
      ).find((s) => s.contact_id === c.id);
    await waitUntil('the sequence sends its first step', async () => sentTo(c.phone).length === 2);
    expect(textsTo(c.phone).sort()).toEqual([
      'template:hello_world',
      'template:order_confirmation',
    ]);
    expect((await subscriber())?.state).toBe('active');

    expect((await tag(['trial', 'bought'])).statusCode).toBe(200);
    await h.app.automations.idle();
    const ended = await runIs(unsubscribe, c.id, 'completed');
    expect(path(ended)).toEqual(['unsub:unsubscribed']);
    await waitUntil('unsubscribed', async () => (await subscriber())?.state === 'exited');
    // Tags given again are not added again: nothing starts twice.
    expect((await tag(['trial', 'bought'])).statusCode).toBe(200);
    await h.app.automations.idle();
    expect(await runsOf(subscribe)).toHaveLength(1);
  });

  it("a template's quick-reply button, an interactive button reply and a list reply", async () => {
    const quick = await automation({
      name: 'Track',
      trigger: { type: 'button', payloads: ['TRACK'] },
      steps: [
        {
          id: 'r',
          type: 'send_message',
          message: { type: 'text', text: 'Tracking: {{message.button}}' },
        },
      ],
    });
    const reply = await automation({
      name: 'Yes',
      trigger: { type: 'button', payloads: ['yes-please'] },
      steps: [
        {
          id: 'r',
          type: 'send_message',
          message: { type: 'text', text: 'Great: {{message.button}}' },
        },
      ],
    });
    const list = await automation({
      name: 'Size',
      trigger: { type: 'list_reply', ids: ['size-m'] },
      steps: [
        {
          id: 'r',
          type: 'send_message',
          message: { type: 'text', text: 'Size {{message.list_reply}} it is' },
        },
      ],
    });
    const [a, b, c, d] = [newPhone(), newPhone(), newPhone(), newPhone()];
    await says(a, { type: 'button', button: { payload: 'TRACK', text: 'Track my order' } });
    await says(b, {
      type: 'interactive',
      interactive: {
        type: 'button_reply',
        button_reply: { id: 'yes-please', title: 'Yes please' },
      },
    });
    await says(c, {
      type: 'interactive',
      interactive: { type: 'list_reply', list_reply: { id: 'size-m', title: 'Medium' } },
    });
    // Another row of the list fits none of them.
    await says(d, {
      type: 'interactive',
      interactive: { type: 'list_reply', list_reply: { id: 'size-l', title: 'Large' } },
    });
    const run = async (automationId: string, phone: string) =>
      runIs(automationId, (await contactOf(phone))._id, 'completed');
    expect((await run(quick, a)).trigger).toMatchObject({
      type: 'button',
      message: { type: 'button', button: 'TRACK' },
    });
    expect((await run(reply, b)).trigger.message).toMatchObject({ button: 'yes-please' });
    expect((await run(list, c)).trigger.message).toMatchObject({ list_reply: 'size-m' });
    await waitUntil('the answers are sent', async () =>
      [a, b, c].every((p) => sentTo(p).length === 1),
    );
    expect([a, b, c].map((p) => textsTo(p)[0])).toEqual([
      'Tracking: TRACK',
      'Great: yes-please',
      'Size size-m it is',
    ]);
    expect(await runsOf(list)).toHaveLength(1);
    expect(sentTo(d)).toEqual([]);
  });

  it('a WooCommerce order status: a signed order webhook starts a run for its customer', async () => {
    const res = await h.call({
      method: 'POST',
      url: '/api/integrations/woocommerce/stores',
      payload: { name: 'Shop', site_url: 'https://shop.example' },
    });
    expect(res.statusCode).toBe(201);
    const shop = res.json().data as { id: string; webhook_secret: string };
    const id = await automation({
      name: 'Order placed',
      trigger: { type: 'order_status', statuses: ['processing'], store_id: shop.id },
      steps: [
        { id: 'tag', type: 'set_tags', add: ['customer'], remove: [] },
        { id: 'hi', type: 'send_message', message: HELLO },
      ],
    });
    const c = await newContact('Asha');
    const order = wooOrder({ billing: { ...wooOrder().billing, phone: c.phone } });
    const post = await h.app.inject(
      wooDelivery({
        storeId: shop.id,
        secret: shop.webhook_secret,
        body: order,
        topic: 'order.created',
      }),
    );
    expect(post.statusCode).toBe(200);
    const run = await runIs(id, c.id, 'completed');
    expect(run.trigger).toMatchObject({
      type: 'order_status',
      input: `woo:${shop.id}:${order.id}:processing`,
    });
    expect(path(run)).toEqual(['tag:tagged', 'hi:sent']);
    // The store's own confirmation first, then the automation's message.
    await waitUntil('both sent', async () => sentTo(c.phone).length === 2);
    expect(textsTo(c.phone)).toEqual(['template:order_confirmation', 'template:hello_world']);
    expect((await contactOf(c.phone)).tags).toContain('customer');
  });

  it('a payment link sent by a step, then its failed, paid and expired outcomes', async () => {
    await automation({
      name: 'Pay',
      trigger: { type: 'keyword', keywords: ['pay'] },
      steps: [
        {
          id: 'link',
          type: 'send_payment_link',
          amount: 49_900,
          currency: 'INR',
          description: 'Order for {{name}}',
          gateway: 'razorpay',
          expires_in: '1h',
        },
      ],
    });
    const paid = await automation({
      name: 'Paid',
      trigger: { type: 'payment_link', outcomes: ['paid'] },
      steps: [
        { id: 'r', type: 'send_message', message: { type: 'text', text: 'Paid, thanks {{name}}' } },
      ],
    });
    const lost = await automation({
      name: 'Not paid',
      trigger: { type: 'payment_link', outcomes: ['failed', 'expired'] },
      steps: [
        {
          id: 'r',
          type: 'send_message',
          message: { type: 'text', text: 'No payment yet, {{name}}' },
        },
      ],
    });
    const payer = newPhone();
    const quitter = newPhone();
    await says(payer, { text: 'Pay' }, 'Priya');
    await says(quitter, { text: 'pay' }, 'Quentin');
    const payerId = (await contactOf(payer))._id;
    const quitterId = (await contactOf(quitter))._id;
    const linkOf = async (contactId: string) => {
      const runs = await h.app.store.automationRuns.listForContact(orgId, contactId, { limit: 10 });
      const step = runs.flatMap((r) => r.path).find((p) => p.step === 'link');
      expect(step?.outcome).toBe('created');
      const linkId = step!.detail!.payment_link_id as string;
      let link: Json = {};
      await waitUntil('the link is sent', async () => {
        const res = await h.call({ method: 'GET', url: `/api/payment-links/${linkId}` });
        link = res.json<Json>().data as Json;
        return link.gateway_link_id !== null && link.link_message_id !== null;
      });
      return link;
    };
    const link = await linkOf(payerId);
    expect(link).toMatchObject({ amount: 49_900, currency: 'INR', description: 'Order for Priya' });

    await h.razorpay.fail(link.gateway_link_id);
    const failedRun = await runIs(lost, payerId, 'completed');
    expect(failedRun.trigger.type).toBe('payment_link');
    await h.razorpay.pay(link.gateway_link_id);
    await runIs(paid, payerId, 'completed');

    const other = await linkOf(quitterId);
    const cancel = await h.call({ method: 'POST', url: `/api/payment-links/${other.id}/cancel` });
    expect(cancel.statusCode).toBe(200);
    await runIs(lost, quitterId, 'completed');

    await waitUntil(
      'the answers are sent',
      async () =>
        textsTo(payer).includes('Paid, thanks Priya') &&
        textsTo(quitter).includes('No payment yet, Quentin'),
    );
    expect(textsTo(payer).filter((t) => t === 'No payment yet, Priya')).toHaveLength(1);
    expect(textsTo(payer).filter((t) => t === 'Paid, thanks Priya')).toHaveLength(1);
    expect((await runsOf(lost)).map((r) => String(r.contact_id)).sort()).toEqual(
      [payerId, quitterId].sort(),
    );
  });

  it("a reply within the campaign's hours starts a run; one stamped after them does not", async () => {
    const tag = `camp-${kind}`;
    const [early, late] = await importContacts(h, 2, tag, '950');
    const campaign = await createCampaign(h, campaignBody(tag));
    await campaignEnds(h, campaign.id);
    const id = await automation({
      name: 'Campaign answers',
      trigger: { type: 'campaign_reply', campaign_id: campaign.id, within_hours: 2 },
      steps: [
        { id: 'r', type: 'send_message', message: { type: 'text', text: 'Thanks for answering' } },
      ],
    });
    await says(early!, { text: 'interested' }, 'Customer 0');
    // Meta's timestamp is the message's time: three hours after the campaign's send.
    const stamped = String(Math.floor((Date.now() + 3 * HOUR) / 1000));
    const wrote = await says(
      late!,
      { message: { type: 'text', text: { body: 'interested too' }, timestamp: stamped } },
      'Customer 1',
    );
    await runIs(id, (await contactOf(early!))._id, 'completed');
    await waitUntil(
      'the late message is routed',
      async () =>
        (await h.app.store.automationInputs.get(`message.incoming:${wrote.wamid}`)) !== null,
    );
    expect(await h.app.store.automationInputs.get(`message.incoming:${wrote.wamid}`)).toMatchObject(
      {
        decision: { kind: 'none', reason: 'no automation matched' },
      },
    );
    expect(await runsOf(id)).toHaveLength(1);
    await waitUntil('the answer is sent', async () =>
      textsTo(early!).includes('Thanks for answering'),
    );
    expect(textsTo(late!)).toEqual(['template:order_confirmation']);
  });
});
