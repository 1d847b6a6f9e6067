import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../lib/concurrency';
import { provisionOrganization, type Provisioned } from '../../scripts/provision';
import { openStore, type StoreHandle } from '../../store';
import { accountSettings } from '../../store/accounts';
import { campaignBody } from '../support/campaigns';
import { STRIPE_KEYS } from '../support/payments';
import { expectLimitAcross } from '../support/rate-limit';
import { waitUntil } from '../support/send-queue';
import { startTopology, type Topology } from '../support/topology';
import { wooDelivery, wooOrder } from '../support/woocommerce';

/**
 * The production topology on one machine: the real Temporal server on PostgreSQL, two API and
 * two worker processes, under a campaign, WooCommerce orders, payment links and sequence
 * subscriptions at once, while a worker and an API are killed, the Temporal server restarts and
 * PostgreSQL stops for 20 s. Every message must reach the simulator exactly once.
 */
jest.setTimeout(600_000);

const CAMPAIGN = 5_000;
const ORDERS = 500;
const LINKS = 200;
const SUBSCRIBERS = 1_000;
/** Messages a second the organization's number (account and simulator) allows. */
const THROUGHPUT = 200;
const PAUSE_MS = 20_000;
/** Each request's attempt; a slower one (a paused database) is tried again. */
const ATTEMPT_MS = 15_000;

let topo: Topology;
let database: StoreHandle;
let org: Provisioned;

/** Valid UK mobile numbers, one range per flow: `+44740<range><4 digits>`. */
const phone = (range: number, n: number) => `+44740${range}${String(n).padStart(4, '0')}`;
const RANGE = { campaign: 101, orders: 102, links: 103, sequence: 104 };
const phones = (range: number, count: number) =>
  Array.from({ length: count }, (_, n) => phone(range, n));

let turn = 0;
/**
 * A client of the two API processes, as a load balancer would be: each request goes to the
 * next one, and a refused, failed (5xx) or hanging attempt is tried on the other. POSTs that
 * create carry an Idempotency-Key, so a retry never creates twice.
 */
async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  ok = [200, 201],
): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const url = topo.apiUrls()[turn++ % 2];
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          'x-api-key': org.api_key.key,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body:
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(ATTEMPT_MS),
      });
      const text = await res.text();
      if (ok.includes(res.status)) return (JSON.parse(text) as { data: T }).data;
      if (res.status < 500 && res.status !== 429) {
        throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      }
    } catch (err) {
      if ((err as Error).message.includes(' answered ')) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${method} ${path} never succeeded`);
    await sleep(250);
  }
}

/** How many times the simulator accepted a message to each phone number given. */
function acceptedPerPhone(numbers: string[]): Map<string, number> {
  const wanted = new Set(numbers.map((p) => p.replace('+', '')));
  const counts = new Map<string, number>();
  for (const s of topo.sim.sends({ full: true }).sends ?? []) {
    if (wanted.has(s.recipient)) counts.set(s.recipient, (counts.get(s.recipient) ?? 0) + 1);
  }
  return counts;
}

const sentTo = (numbers: string[]) => acceptedPerPhone(numbers).size;

async function importContacts(numbers: string[], tag: string) {
  for (let from = 0; from < numbers.length; from += 1_000) {
    const contacts = numbers.slice(from, from + 1_000).map((phone_number, i) => ({
      phone_number,
      name: `Customer ${from + i}`,
      tags: [tag],
      opted_in: true,
    }));
    await api('POST', '/api/contacts/bulk', { contacts });
  }
}

beforeAll(async () => {
  topo = await startTopology({
    env: {
      // A killed sender's claims and lanes change hands within seconds, as in the crash suites.
      SEND_CLAIM_LEASE_SECONDS: '2',
      SEND_LANE_LEASE_SECONDS: '1',
      SEND_POLL_MS: '100',
      // A send whose claim was lost waits this long for Meta's `sent` status before it is
      // taken for one that never went out.
      SEND_NO_ANSWER_RECHECK_SECONDS: '5',
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
    },
    // Meta's `sent` status for every message (delivered and read would only cost CPU): it is
    // how a send whose outcome was lost to a kill or the pause is known to have gone out. Meta
    // retries a webhook for days; here, past the API's restart and the database's pause.
    sim: {
      statusWebhooks: { enabled: true, deliveredRate: 0, readRate: 0 },
      webhookRetry: { attempts: 20, backoffMs: 500, timeoutMs: 30_000 },
      answerLatencyMs: 100,
    },
  });
  database = await openStore(topo.config);
  org = await provisionOrganization(
    database.store,
    { name: 'Acme' },
    accountSettings(topo.config).sandbox,
  );
  const account = org.sandbox_account!;
  await database.store.accounts.update(org.organization.id, account.id, {
    throughput: THROUGHPUT,
  });
  const { phone_number_id } = (await database.store.accounts.get(org.organization.id, account.id))!;
  topo.sim.setOptions({ throughputPerNumber: { [phone_number_id]: THROUGHPUT } });
  await api('POST', '/api/templates/sync', {});
  await api('PUT', '/api/integrations/stripe', STRIPE_KEYS);
  await importContacts(phones(RANGE.campaign, CAMPAIGN), 'campaign');
  await importContacts(phones(RANGE.sequence, SUBSCRIBERS), 'sequence');
}, 300_000);

afterAll(async () => {
  await database?.close();
  await topo?.close();
});

describe('the production topology', () => {
  it('sends every message exactly once through kills, a Temporal restart and a PostgreSQL pause', async () => {
    const campaignPhones = phones(RANGE.campaign, CAMPAIGN);
    const orderPhones = phones(RANGE.orders, ORDERS);
    const linkPhones = phones(RANGE.links, LINKS);
    const sequencePhones = phones(RANGE.sequence, SUBSCRIBERS);

    const shop = await api<{ id: string; webhook_secret: string }>(
      'POST',
      '/api/integrations/woocommerce/stores',
      { name: 'Shop', site_url: 'https://shop.example' },
    );
    const sequence = await api<{ id: string }>('POST', '/api/sequences', {
      name: 'Welcome',
      steps: [
        {
          delay: '0m',
          type: 'anytime',
          message: { type: 'template', template: { name: 'hello_world', language: 'en_US' } },
        },
      ],
    });
    const campaign = await api<{ id: string }>('POST', '/api/campaigns', campaignBody('campaign'), {
      'idempotency-key': randomUUID(),
    });

    // The other flows arrive while the campaign sends.
    const load = Promise.all([
      mapLimit(orderPhones, 8, async (p, i) => {
        const delivery = wooDelivery({
          storeId: shop.id,
          secret: shop.webhook_secret,
          body: wooOrder({
            id: 10_000 + i,
            billing: { ...wooOrder().billing, phone: p.replace('+44', '0') },
          }),
        });
        await api('POST', delivery.url as string, delivery.payload, {
          ...(delivery.headers as Record<string, string>),
        });
      }),
      mapLimit(linkPhones, 4, (p, i) =>
        api(
          'POST',
          '/api/payment-links',
          {
            phone_number: p,
            amount: 1_000 + i,
            currency: 'USD',
            gateway: 'stripe',
            description: `Order ${i}`,
          },
          { 'idempotency-key': randomUUID() },
        ),
      ),
      api('POST', `/api/sequences/${sequence.id}/subscribers`, { phone_numbers: sequencePhones }),
    ]);

    // Mid-way, a worker and an API die and come back.
    await waitUntil(
      '1,000 campaign messages',
      async () => sentTo(campaignPhones) >= 1_000,
      300_000,
    );
    await Promise.all([topo.kill(topo.workers[0]!), topo.kill(topo.apis[1]!)]);
    await sleep(2_000);
    await Promise.all([topo.start(topo.workers[0]!), topo.start(topo.apis[1]!)]);
    await load;

    await waitUntil(
      '2,000 campaign messages',
      async () => sentTo(campaignPhones) >= 2_000,
      300_000,
    );
    await topo.temporal.restart();

    await waitUntil(
      '3,000 campaign messages',
      async () => sentTo(campaignPhones) >= 3_000,
      300_000,
    );
    const paused = topo.pausePostgres();
    const sentBefore = sentTo(campaignPhones);
    await sleep(PAUSE_MS);
    // With the database stopped nothing can be claimed, so nothing new is sent.
    const sentDuring = sentTo(campaignPhones);
    topo.continuePostgres(paused);
    expect(sentDuring - sentBefore).toBeLessThanOrEqual(THROUGHPUT);

    await waitUntil(
      'the campaign completes',
      async () =>
        (await api<{ status: string }>('GET', `/api/campaigns/${campaign.id}`)).status ===
        'completed',
      240_000,
    );
    const all = [...campaignPhones, ...orderPhones, ...linkPhones, ...sequencePhones];
    // Abandoned hand-offs of the killed API wait for the recovery sweep (every minute).
    await waitUntil('every message is sent', async () => sentTo(all) === all.length, 300_000);
    // Late duplicates would come within a claim lease or two.
    await sleep(5_000);

    const accepted = acceptedPerPhone(all);
    const duplicated = [...accepted].filter(([, n]) => n > 1);
    expect(duplicated).toEqual([]);
    expect(topo.sim.sends().duplicates).toEqual([]);
    for (const [flow, numbers] of [
      ['campaign', campaignPhones],
      ['orders', orderPhones],
      ['payment links', linkPhones],
      ['sequence', sequencePhones],
    ] as const) {
      expect({ flow, sent: sentTo(numbers) }).toEqual({ flow, sent: numbers.length });
    }
  });

  it("holds a key's rate limit across the two API processes", async () => {
    const { key } = await database.store.apiKeys.create(org.organization.id, {
      name: 'replicas',
      rateLimit: { per_minute: 40, per_second: 1000 },
    });
    await expectLimitAcross(topo.apiUrls(), key, 40);
  });
});
