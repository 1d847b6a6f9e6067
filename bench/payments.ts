import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import autocannon from 'autocannon';
import Stripe from 'stripe';
import { mapLimit } from '../lib/concurrency';
import { loadConfig } from '../lib/config';
import { binPath, freePort, startStripeMock } from '../scripts/infra';
import { provisionOrganization } from '../scripts/provision';
import { createRazorpaySimulator, type RazorpaySimulator } from '../sim/razorpay';
import { openStore, type Store } from '../store';
import { accountSettings } from '../store/accounts';
import { paymentLinkWorkflowId } from '../workflows/contracts/payment-link';
import { benchEntry, type SimRequest } from './servers';
import {
  figuresOf,
  forkServer,
  loopbackUrl,
  parseFlags,
  positiveInt,
  row,
  rssBytes,
  startInfrastructure,
  storeKind,
  launchWorker,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/payments.js [--duration <s>] [--connections <n>] [--links <n>]
       [--store postgres|mongo]

1. Posts signed Stripe and Razorpay webhooks to the organization's own URLs (each a new
   gateway event, for links Waflow does not know, so each is verified, stored once and
   acknowledged) to the forked API for --duration seconds each: acknowledged per second and
   p99.
2. Creates --links payment links through POST /api/payment-links (half Razorpay on its
   simulator, half Stripe on stripe-mock), waits until each workflow has created its gateway
   link, queued its message and waits on its reminder and expiry timers; reports the time to
   create them, the worker's RSS, and the Temporal history size of a sample of links.`;

const GOAL_PER_SECOND = 1_000;
const STRIPE_SECRET = 'whsec_benchbenchbenchbench';
const RAZORPAY_SECRET = 'razorpay-bench-webhook-secret';
const HISTORY_SAMPLE = 20;

/**
 * stripe-mock and the Razorpay simulator on free loopback ports, with the configuration that
 * points Waflow at them.
 */
export async function startGatewaySimulators(resources: Resources, cacheDir: string, dir: string) {
  const [razorpayPort, stripePort] = await Promise.all([freePort(), freePort()]);
  resources.managed(
    await startStripeMock({
      bin: binPath(cacheDir, 'stripe-mock'),
      port: stripePort,
      logFile: join(dir, 'stripe-mock.log'),
    }),
  );
  const razorpay = await createRazorpaySimulator({ port: razorpayPort, webhookUrl: null });
  resources.add(() => razorpay.close());
  const env = {
    RAZORPAY_SIMULATOR_URL: loopbackUrl(razorpayPort),
    STRIPE_MOCK_URL: loopbackUrl(stripePort),
  };
  return { env, razorpay };
}

/** The organization's test keys of both gateways, known to the Razorpay simulator. */
export async function configureGateways(store: Store, orgId: string, razorpay: RazorpaySimulator) {
  const razorpayKeys = {
    key_id: 'rzp_test_bench0001',
    key_secret: 'benchsecret',
    webhook_secret: RAZORPAY_SECRET,
  };
  razorpay.register(razorpayKeys);
  await store.gatewaySettings.put(orgId, 'razorpay', razorpayKeys, 'test');
  await store.gatewaySettings.put(
    orgId,
    'stripe',
    {
      secret_key: 'sk_test_bench',
      publishable_key: 'pk_test_bench',
      webhook_secret: STRIPE_SECRET,
    },
    'test',
  );
}

/** Creates `count` payment links through the API, half Razorpay and half Stripe: their ids. */
export function createLinks(apiUrl: string, apiKey: string, count: number): Promise<string[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    32,
    async (i) => {
      const res = await fetch(`${apiUrl}/api/payment-links`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({
          phone_number: `+9190000${String(i).padStart(5, '0')}`,
          amount: 49_900 + i,
          currency: i % 2 ? 'USD' : 'INR',
          description: `Order #${i}`,
        }),
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { data: { id: string } }).data.id;
    },
  );
}

/**
 * Waits until every link has queued its message (its workflow then waits on its timers), or
 * until `deadline`: how many had.
 */
export async function untilSent(
  store: Store,
  orgId: string,
  ids: string[],
  deadline: number,
  pollMs = 2_000,
): Promise<number> {
  for (;;) {
    const rows = await mapLimit(ids, 16, (id) => store.paymentLinks.get(orgId, id));
    const waiting = rows.filter((l) => l?.link_message_id).length;
    if (waiting === ids.length || Date.now() > deadline) return waiting;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function main(argv: string[], resources: Resources) {
  const flags = parseFlags(argv, {
    duration: '10',
    connections: '50',
    links: '10000',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const connections = positiveInt(flags.connections, '--connections');
  const links = positiveInt(flags.links, '--links');
  const infra = await startInfrastructure(resources, {
    temporal: true,
    store: storeKind(flags.store),
  });

  const gateways = await startGatewaySimulators(resources, infra.config.cacheDir, infra.tmp);
  const simPort = await freePort();
  Object.assign(infra.env, {
    SANDBOX_MODE: 'true',
    META_SIMULATOR_URL: loopbackUrl(simPort),
    ...gateways.env,
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const config = loadConfig(infra.env);
  const script = join(__dirname, 'payments.js');
  await forkServer<{ port: number }>(resources, 'Meta simulator', script, ['serve', 'simulator'], {
    port: simPort,
    accessToken: config.meta.simulator.accessToken,
    appSecret: config.meta.simulator.appSecret,
  } satisfies SimRequest);

  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const org = await provisionOrganization(
    store,
    { name: 'bench' },
    accountSettings(config).sandbox,
  );
  const orgId = org.organization.id;
  await configureGateways(store, orgId, gateways.razorpay);

  const api = await forkServer<{ port: number }>(resources, 'API', script, ['serve', 'api'], {
    env: infra.env,
  });
  const base = loopbackUrl(api.port);
  const worker = launchWorker(resources, { ...process.env, ...infra.env }, infra.tmp);

  // 1. Webhooks.
  const stripe = new Stripe('sk_test_helpers_only');
  let n = 0;
  const stripeRequest = () => {
    const payload = JSON.stringify({
      id: `evt_bench_${n++}_${randomUUID()}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: `cs_${n}`,
          payment_link: `plink_unknown${n}`,
          payment_status: 'paid',
          metadata: {},
        },
      },
    });
    return {
      method: 'POST' as const,
      path: `/api/webhooks/stripe/${orgId}`,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload,
          secret: STRIPE_SECRET,
        }),
      },
      body: payload,
    };
  };
  const razorpayRequest = () => {
    const payload = JSON.stringify({
      entity: 'event',
      event: 'payment_link.paid',
      contains: ['payment_link', 'payment'],
      payload: {
        payment_link: {
          entity: { id: `plink_unknown${n}`, reference_id: `elsewhere-${n}`, notes: [] },
        },
        payment: { entity: { id: `pay_${n}`, entity: 'payment', status: 'captured' } },
      },
      created_at: Math.floor(Date.now() / 1000),
    });
    return {
      method: 'POST' as const,
      path: `/api/webhooks/razorpay/${orgId}`,
      headers: {
        'content-type': 'application/json',
        'x-razorpay-signature': createHmac('sha256', RAZORPAY_SECRET).update(payload).digest('hex'),
        'x-razorpay-event-id': `Ebench${n++}${randomUUID().slice(0, 8)}`,
      },
      body: payload,
    };
  };
  console.log(
    `\nSigned gateway webhooks, ${connections} connections, ${duration} s each (goal ${GOAL_PER_SECOND}/s):`,
  );
  console.log(row(['gateway', 'acks/s', 'p50 ms', 'p99 ms', 'non-2xx'], 10));
  for (const [name, build] of [
    ['stripe', stripeRequest],
    ['razorpay', razorpayRequest],
  ] as const) {
    // Warm-up.
    await autocannon({ url: base, connections, duration: 2, requests: [{ setupRequest: build }] });
    const f = figuresOf(
      await autocannon({ url: base, connections, duration, requests: [{ setupRequest: build }] }),
    );
    console.log(row([name, f.rps.toFixed(0), f.p50, f.p99, f.non2xx + f.errors], 10));
  }

  // 2. Open links waiting on their timers.
  const rssBefore = rssBytes(worker.pid);
  const started = Date.now();
  const ids = await createLinks(base, org.api_key.key, links);
  const createdMs = Date.now() - started;
  const waiting = await untilSent(store, orgId, ids, started + 30 * 60_000);
  const waitingMs = Date.now() - started;
  const rssAfter = rssBytes(worker.pid);

  const connection = await Connection.connect({ address: config.temporal.address });
  resources.add(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const sample = ids.slice(0, HISTORY_SAMPLE);
  const histories = await mapLimit(sample, 4, async (id) => {
    const h = await client.workflow.getHandle(paymentLinkWorkflowId(id)).fetchHistory();
    return {
      events: h.events?.length ?? 0,
      bytes: temporal.api.history.v1.History.encode(h).finish().byteLength,
    };
  });
  const avg = (f: (h: { events: number; bytes: number }) => number) =>
    histories.reduce((a, h) => a + f(h), 0) / histories.length;

  const mb = (b: number | null) => (b === null ? '?' : (b / 1024 / 1024).toFixed(0));
  console.log(`\n${links} open payment links (half Razorpay, half Stripe):`);
  console.log(
    `  created through the API in   ${(createdMs / 1000).toFixed(1)} s (${((links * 1000) / createdMs).toFixed(0)}/s)`,
  );
  console.log(
    `  all waiting on their timers  ${(waitingMs / 1000).toFixed(1)} s after the first (${waiting}/${links})`,
  );
  console.log(
    `  worker RSS                   ${mb(rssBefore)} MB before, ${mb(rssAfter)} MB with them open`,
  );
  console.log(
    `  history per link (sample ${sample.length}) ${avg((h) => h.events).toFixed(0)} events, ${(avg((h) => h.bytes) / 1024).toFixed(1)} KB`,
  );
  return 0;
}

if (require.main === module) benchEntry(USAGE, main);
