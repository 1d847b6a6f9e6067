import { randomUUID } from 'node:crypto';
import { openStore, type Store } from '../store';
import type { NewMessage, StatusUpdate } from '../store/contract/messages';
import type { ClaimedSend } from '../store/contract/send-queue';
import { eventDoc } from '../store/events';
import { sentEvent } from '../sending/message-events';
import type { PhoneNumber } from '../sim/meta/state';
import { statusPayload } from '../sim/meta/statuses';
import {
  CpuMeter,
  parseFlags,
  positiveInt,
  row,
  runMain,
  sqlPool,
  startInfrastructure,
  UsageError,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/batches.js [--messages <n>] [--settles <sizes>] [--statuses <sizes>]

What each store write of the send and status path costs per message, and how that depends on
how many items one write takes: PostgreSQL's CPU (its whole process tree) and this process's
(the driver's side: building parameters, reading rows), through the Store contract, on a fresh
set of --messages messages (default 20,000) for each size. The writes, in a message's order:
  enqueue   2,000 messages and their queue entries at a time, as a campaign's top-up
  claim     200 entries at a time, as a lane
  settle    answered sends with their message.sent events, --settles at a time (default
            4,8,32,64): how the worker records Meta's answers
  statuses  each message's sent, delivered and read statuses, arriving 10 messages apart, in
            batches of --statuses (default 25,50,200), as the inbox writes them: applyStatuses,
            then their events, then the webhooks stored as processed
Round i takes the i-th size of each list (a shorter list repeats its last) on empty tables.
PostgreSQL is embedded unless DATABASE_URL is set.`;

const ENQUEUE_CHUNK = 2_000;
const CLAIM_LIMIT = 200;
/** A status's place in the arrival order: message i's come at i, i + 10 and i + 20. */
const STATUS_SPACING = 10;
const STATUSES = ['sent', 'delivered', 'read'] as const;
const PRICING = { billable: true, category: 'utility', type: 'regular', pricing_model: 'PMP' };
const OWNER = 'bench-lane';

interface Options {
  messages: number;
  settles: number[];
  statuses: number[];
}

function sizes(value: string, flag: string): number[] {
  const list = value.split(',').map((v) => positiveInt(v.trim(), flag));
  if (!list.length) throw new UsageError(`${flag}: give at least one size`);
  return list;
}

function options(argv: string[]): Options {
  const f = parseFlags(argv, { messages: '20000', settles: '4,8,32,64', statuses: '25,50,200' });
  return {
    messages: positiveInt(f.messages, '--messages'),
    settles: sizes(f.settles, '--settles'),
    statuses: sizes(f.statuses, '--statuses'),
  };
}

function newMessages(orgId: string, accountId: string, count: number): NewMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: randomUUID(),
    org_id: orgId,
    account_id: accountId,
    contact_id: `bench-${i}`,
    direction: 'outbound',
    phone_number: `1555${String(i).padStart(7, '0')}`,
    user_id: null,
    type: 'template',
    content: {
      name: 'order_confirmation',
      language: { code: 'en' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Alice' },
            { type: 'text', text: '#1234' },
          ],
        },
      ],
    },
    origin: 'campaign',
    origin_id: null,
    request_hash: null,
    wamid: null,
    status: 'queued',
  }));
}

/** The number the statuses are for, as the simulator describes it. */
const NUMBER: PhoneNumber = {
  id: '100000000000001',
  wabaId: '200000000000001',
  displayPhoneNumber: '15550000001',
};

/** A status webhook as the simulator posts it (Meta's shape), for the stored body. */
function statusBody(m: NewMessage, wamid: string, status: (typeof STATUSES)[number]): string {
  const accepted = {
    wamid,
    number: NUMBER,
    waId: m.phone_number!,
    userId: null,
    category: 'utility',
    bizOpaqueCallbackData: m._id,
    outsideWindow: false,
  };
  return JSON.stringify(statusPayload(accepted, status, Date.now()));
}

type Costs = Record<string, { postgres: number; driver: number }>;

/** Runs `fn`, returning PostgreSQL's and this process's CPU ms per message meanwhile. */
async function measured(meter: CpuMeter, messages: number, fn: () => Promise<void>) {
  const before = meter.read();
  await fn();
  const cpu = CpuMeter.diff(before, meter.read());
  return {
    postgres: ((cpu.postgres ?? NaN) * 1000) / messages,
    driver: ((cpu.driver ?? 0) * 1000) / messages,
  };
}

/** One fresh set of messages through every write, settles and statuses at the given sizes. */
async function round(
  store: Store,
  meter: CpuMeter,
  o: { orgId: string; accountId: string; messages: number; settle: number; statuses: number },
): Promise<Costs> {
  const messages = newMessages(o.orgId, o.accountId, o.messages);
  const costs: Costs = {};
  costs.enqueue = await measured(meter, o.messages, async () => {
    for (let i = 0; i < messages.length; i += ENQUEUE_CHUNK) {
      await store.sendQueue.enqueue(messages.slice(i, i + ENQUEUE_CHUNK), 'bulk');
    }
  });
  const claimed: ClaimedSend[] = [];
  costs.claim = await measured(meter, o.messages, async () => {
    for (;;) {
      const batch = await store.sendQueue.claim(o.accountId, OWNER, {
        limit: CLAIM_LIMIT,
        leaseMs: 600_000,
      });
      if (!batch.length) break;
      claimed.push(...batch);
    }
  });
  const wamid = (id: string) => `wamid.${id}`;
  costs.settle = await measured(meter, o.messages, async () => {
    const at = new Date();
    for (let i = 0; i < claimed.length; i += o.settle) {
      const batch = claimed.slice(i, i + o.settle);
      await store.sendQueue.settle(
        OWNER,
        batch.map((c) => ({ id: c.message._id, kind: 'sent', wamid: wamid(c.message._id), at })),
        batch.map((c) => sentEvent(c.message, wamid(c.message._id), at)),
      );
    }
  });
  const arrivals = messages
    .flatMap((m, i) => STATUSES.map((status, k) => ({ m, status, order: i + k * STATUS_SPACING })))
    .sort((a, b) => a.order - b.order);
  const batches: (typeof arrivals)[] = [];
  for (let i = 0; i < arrivals.length; i += o.statuses) {
    batches.push(arrivals.slice(i, i + o.statuses));
  }
  const at = new Date();
  costs.applyStatuses = await measured(meter, o.messages, async () => {
    for (const batch of batches) {
      const updates: StatusUpdate[] = batch.map(({ m, status }) => ({
        orgId: o.orgId,
        wamid: wamid(m._id),
        messageId: m._id,
        status,
        at,
        error: null,
        pricing: PRICING,
      }));
      await store.messages.applyStatuses(updates);
    }
  });
  costs.events = await measured(meter, o.messages, async () => {
    for (const batch of batches) {
      await store.events.recordMany(
        batch.map(({ m, status }) =>
          eventDoc(o.orgId, {
            id: `message.${status}:${wamid(m._id)}`,
            type: `message.${status}`,
            timestamp: at,
            data: { message_id: wamid(m._id), id: m._id, status, contact_id: m.contact_id },
          }),
        ),
      );
    }
  });
  costs.webhooks = await measured(meter, o.messages, async () => {
    for (const batch of batches) {
      await store.inboundWebhooks.saveMany(
        batch.map(({ m, status }) => ({
          provider: 'meta' as const,
          body: statusBody(m, wamid(m._id), status),
          processed: true,
        })),
      );
    }
  });
  return costs;
}

const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '-');

async function main(argv: string[], resources: Resources): Promise<number> {
  const o = options(argv);
  const { config, servers } = await startInfrastructure(resources, {
    temporal: false,
    store: 'postgres',
  });
  const database = await openStore(config, 'bench');
  resources.add(() => database.close());
  const sql = sqlPool(resources, config);
  const { store } = database;
  const org = await store.organizations.create('bench');
  const account = await store.accounts.create(org._id, {
    name: 'bench',
    phoneNumberId: NUMBER.id,
    wabaId: NUMBER.wabaId,
    accessToken: 'bench',
    appSecret: 'bench',
    verifyToken: 'bench',
    displayPhoneNumber: `+${NUMBER.displayPhoneNumber}`,
  });
  const meter = new CpuMeter({ postgres: servers.postgres!, driver: process.pid });
  const rounds = Math.max(o.settles.length, o.statuses.length);
  console.log(
    `${o.messages.toLocaleString('en')} messages a round; CPU ms per message, PostgreSQL (its ` +
      `process tree) / this process (the driver's side)\n`,
  );
  console.log(
    row(['settle', 'statuses', 'enqueue', 'claim', 'settle', 'apply', 'events', 'webhooks'], 9, 13),
  );
  for (let r = 0; r < rounds; r++) {
    const settle = o.settles[Math.min(r, o.settles.length - 1)]!;
    const statuses = o.statuses[Math.min(r, o.statuses.length - 1)]!;
    // Every round on empty tables, so that no round pays for an earlier one's rows.
    await sql.query('TRUNCATE messages, send_queue, events, inbound_webhooks');
    await sql.query('VACUUM ANALYZE messages, send_queue, events, inbound_webhooks');
    const costs = await round(store, meter, {
      orgId: org._id,
      accountId: account._id,
      messages: o.messages,
      settle,
      statuses,
    });
    const cells = ['enqueue', 'claim', 'settle', 'applyStatuses', 'events', 'webhooks'].map(
      (k) => `${fixed(costs[k]!.postgres)}/${fixed(costs[k]!.driver)}`,
    );
    console.log(row([String(settle), String(statuses), ...cells], 9, 13));
  }
  console.log(`\nCommand: ${['node dist/bench/batches.js', ...argv].join(' ')}`);
  return 0;
}

runMain(USAGE, main);
