import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { openStore, type Store } from '../store';
import { defaultWooSettings } from '../woocommerce/settings';
import { wooSignature } from '../woocommerce/signature';
import { benchEntry } from './servers';
import {
  CpuMeter,
  figuresOf,
  forkServer,
  loopbackUrl,
  parseFlags,
  positiveInt,
  row,
  startInfrastructure,
  storeKind,
  type Figures,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/woocommerce.js [--duration <s>] [--connections <n>]
       [--bodies <n>] [--drain-timeout <s>] [--store postgres|mongo]

Posts signed WooCommerce order webhooks (order.updated, REST v3 order bodies, each with its own
X-WC-Webhook-Delivery-ID and X-WC-Webhook-Signature) to POST /api/webhooks/woocommerce/:storeId
as fast as they are answered, and measures how many are acknowledged a second and the ack
latency; then how fast the API hands the stored deliveries to their orders' workflows
(signal-with-start on a real Temporal dev server). The store is PostgreSQL (embedded unless
DATABASE_URL is set) or, with --store mongo, FerretDB (unless MONGODB_URI is set).`;

const WARMUP_SECONDS = 2;
const TARGET_PER_SECOND = 1_000;
const DRAIN_POLL_MS = 1_000;
const EXPECTED_ACK = JSON.stringify({ data: { received: true }, status: 'success' });
const DUPLICATE_ACK = JSON.stringify({
  data: { received: true, duplicate: true },
  status: 'success',
});

interface Signed {
  body: string;
  signature: string;
  deliveryId: string;
}

/** A sale day's order: a few line items, billing, meta, as WooCommerce's REST API v3 shapes it. */
function orderBody(id: number): string {
  return JSON.stringify({
    id,
    parent_id: 0,
    number: String(id),
    order_key: `wc_order_${id}`,
    created_via: 'checkout',
    status: 'processing',
    currency: 'INR',
    currency_symbol: '₹',
    date_created: '2025-11-28T10:00:00',
    date_modified: '2025-11-28T10:00:05',
    total: '1499.00',
    total_tax: '0.00',
    customer_id: id % 5000,
    billing: {
      first_name: 'Asha',
      last_name: 'Patel',
      address_1: '12 MG Road',
      city: 'Bengaluru',
      state: 'KA',
      postcode: '560001',
      country: 'IN',
      email: `customer${id}@example.com`,
      phone: `98${String(id).padStart(8, '0').slice(-8)}`,
    },
    shipping: { first_name: 'Asha', last_name: 'Patel', city: 'Bengaluru', country: 'IN' },
    payment_method: 'razorpay',
    payment_method_title: 'UPI',
    date_paid: '2025-11-28T10:00:04',
    meta_data: [{ id: 1, key: 'whatsapp_opt_in', value: 'yes' }],
    line_items: [1, 2, 3].map((n) => ({
      id: n,
      name: `Product ${n}`,
      product_id: 100 + n,
      quantity: n,
      subtotal: '499.67',
      total: '499.67',
      sku: `SKU-${n}`,
      price: 499.67,
      image: { id: n, src: `https://shop.example/img/${n}.jpg` },
    })),
    shipping_lines: [{ id: 9, method_title: 'Free shipping', total: '0.00' }],
    payment_url: `https://shop.example/checkout/order-pay/${id}/`,
  });
}

export function signedBodies(secret: string, count: number): Signed[] {
  return Array.from({ length: count }, (_, i) => {
    const body = orderBody(100_000 + i);
    return { body, signature: wooSignature(secret, body), deliveryId: randomUUID() };
  });
}

/** Posts deliveries from `pool` for `limit.duration` seconds, or `limit.amount` of them. */
export async function measure(
  url: string,
  pool: Signed[],
  cursor: { n: number },
  connections: number,
  limit: { duration: number } | { amount: number },
) {
  let wrong = 0;
  let duplicates = 0;
  const samples: string[] = [];
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    ...limit,
    headers: {
      'content-type': 'application/json',
      'x-wc-webhook-topic': 'order.updated',
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-event': 'updated',
      'x-wc-webhook-source': 'https://shop.example/',
    },
    requests: [
      {
        setupRequest: (req) => {
          // Past the pool's end deliveries repeat: acknowledged as duplicates, which still
          // costs the insert that finds them.
          const w = pool[cursor.n++ % pool.length]!;
          return {
            ...req,
            body: w.body,
            headers: {
              ...req.headers,
              'x-wc-webhook-signature': w.signature,
              'x-wc-webhook-delivery-id': w.deliveryId,
            },
          };
        },
        onResponse: (status, body) => {
          if (status === 200 && body === EXPECTED_ACK) return;
          if (status === 200 && body === DUPLICATE_ACK) {
            duplicates++;
            return;
          }
          wrong++;
          if (samples.length < 3) samples.push(`${status} ${body.slice(0, 200)}`);
        },
      },
    ],
  });
  return { figures: figuresOf(r), completed: r.requests.total, wrong, duplicates, samples };
}

async function pendingCount(store: Store): Promise<number> {
  return (await store.wooDeliveries.pending(0, 1_000_000)).length;
}

/**
 * Waits until no stored delivery waits for its hand-off, or `timeoutMs` passed: how many
 * waited at first, how many are left, and when the last poll was.
 */
export async function drainHandOffs(store: Store, timeoutMs: number, pollMs = DRAIN_POLL_MS) {
  const start = Date.now();
  let left = await pendingCount(store);
  const atStart = left;
  while (left > 0 && Date.now() - start < timeoutMs) {
    await new Promise((r) => setTimeout(r, pollMs));
    left = await pendingCount(store);
  }
  return { atStart, left, at: Date.now() };
}

/** A WooCommerce store of the organization, with the default settings: its id and secret. */
export async function wooShop(store: Store, orgId: string) {
  const { store: shop, secret } = await store.wooStores.create(orgId, {
    name: 'Sale day',
    site_url: 'https://shop.example',
    settings: defaultWooSettings(),
  });
  return { id: shop._id, secret };
}

/** Where a store's deliveries are posted. */
export const wooUrl = (apiUrl: string, storeId: string) =>
  `${apiUrl}/api/webhooks/woocommerce/${storeId}`;

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, {
    duration: '10',
    connections: '50',
    bodies: '60000',
    'drain-timeout': '60',
    store: 'postgres',
  });
  const duration = positiveInt(flags.duration, '--duration');
  const connections = positiveInt(flags.connections, '--connections');
  const bodies = positiveInt(flags.bodies, '--bodies');
  const drainTimeout = positiveInt(flags['drain-timeout'], '--drain-timeout');

  const { env, config, servers } = await startInfrastructure(resources, {
    temporal: true,
    store: storeKind(flags.store),
    env: { SANDBOX_MODE: 'false', LOG_LEVEL: 'warn' },
  });
  const database = await openStore(config);
  resources.add(() => database.close());
  const { store } = database;
  const org = await store.organizations.create('bench');
  const shop = await wooShop(store, org._id);
  const pool = signedBodies(shop.secret, bodies);
  const api = await forkServer<{ port: number }>(resources, 'API', __filename, ['serve', 'api'], {
    env,
  });
  const url = wooUrl(loopbackUrl(api.port), shop.id);
  const meter = new CpuMeter({ api: api.pid, ...servers, 'load gen': process.pid });

  console.log(
    `POST /api/webhooks/woocommerce/:storeId: signed order.updated deliveries (${
      pool[0]!.body.length
    } bytes each, ${bodies} distinct), ${connections} connections, ${duration} s after ` +
      `${WARMUP_SECONDS} s warm-up; hand-off to Temporal runs in the API meanwhile.\n`,
  );
  const cursor = { n: 0 };
  await measure(url, pool, cursor, connections, { duration: WARMUP_SECONDS });
  const before = meter.read();
  const run = await measure(url, pool, cursor, connections, { duration });
  const cpu = CpuMeter.diff(before, meter.read());
  const f: Figures = run.figures;
  console.log(row(['', 'acks/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], 10));
  console.log(row(['api', Math.round(f.rps), f.p50, f.p99, f.non2xx, f.errors], 10));
  if (run.duplicates) {
    console.log(`(${run.duplicates} of them repeated a delivery id: the pool of bodies ran out)`);
  }
  console.log(
    `\nCPU seconds over the ${duration} s run: ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );

  const drainStart = Date.now();
  const { atStart: leftAtEnd, left, at } = await drainHandOffs(store, drainTimeout * 1000);
  const stored = Math.min(cursor.n, bodies);
  const drainSeconds = (at - drainStart) / 1000;
  console.log(
    `Hand-off: ${leftAtEnd} of ${stored} stored deliveries were waiting when the load stopped; ` +
      `${leftAtEnd - left} handed off in the next ${drainSeconds.toFixed(1)} s ` +
      `(${((leftAtEnd - left) / Math.max(drainSeconds, 0.001)).toFixed(0)}/s), ${left} left ` +
      `for the API (or the recovery sweep) after the drain timeout.`,
  );
  const verdict = f.rps >= TARGET_PER_SECOND ? 'meets' : 'misses';
  console.log(
    `\nGoal: ${TARGET_PER_SECOND} acks/s on 2 cores: ${verdict} it (${Math.round(f.rps)}/s).`,
  );
  if (run.wrong) console.log(`Unexpected answers (${run.wrong}): ${run.samples.join(' | ')}`);
  await api.stop();
  return run.wrong || f.non2xx || f.errors ? 1 : 0;
}

if (require.main === module) benchEntry(USAGE, main);
