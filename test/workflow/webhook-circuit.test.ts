import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { webhookActivities } from '../../activities/webhooks';
import { deliveryView } from '../../api/schemas/webhook-endpoints';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { EventDoc, WebhookAttemptDoc } from '../../store/documents';
import { DISABLED_REASON_PREFIX, ENDPOINT_DISABLED_EVENT } from '../../webhooks/circuit';
import { createDeliverer } from '../../webhooks/deliverer';
import { createWebhookDispatcher, type WebhookDispatcher } from '../../webhooks/dispatcher';
import { endpointDirectory } from '../../webhooks/endpoint-directory';
import { circuitStarter, workflowStarter, type CircuitSchedule } from '../../webhooks/engine';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';
import type { webhookCircuitWorkflow } from '../../workflows';
import { webhookCircuitWorkflowId } from '../../workflows/contracts/webhook-circuit';
import {
  type WebhookDeliveryInput,
  webhookDeliveryWorkflowId,
} from '../../workflows/contracts/webhook-delivery';
import { testConfig } from '../support/config';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { protoMs } from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { testWorkflowBundle } from '../support/workflow-bundle';

jest.setTimeout(120_000);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const taskQueue = 'webhook-circuit';
const quiet = { warn() {}, error() {} };
/** As documented (README): 30 s doubling to 1 h; disabled after 120 h, like Svix's 5 days. */
const schedule: CircuitSchedule = {
  probeFirstMs: 30 * SECOND,
  probeMaxMs: HOUR,
  disableAfterMs: 120 * HOUR,
  settleMs: 5 * SECOND,
};

let env: TestWorkflowEnvironment;
let database: StoreHandle;
let store: Store;
let http: WebhookHttp;
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher;
let worker: Worker;
let running: Promise<void>;
/** Retry workflows the dispatcher started. */
const handedOff: WebhookDeliveryInput[] = [];
let unsubscribe: () => void;

beforeAll(async () => {
  const config = testConfig();
  [env, database, receiver] = await Promise.all([
    createTimeSkippingEnv(),
    openStore(config),
    startWebhookReceiver(),
  ]);
  store = database.store;
  http = createWebhookHttp({ allowHttp: true, allowedNetworks: ['127.0.0.1/32'] });
  const directory = endpointDirectory(store, 0);
  const deliverer = createDeliverer({ store, directory, http, circuit: { failures: 5 } });
  const startDelivery = workflowStarter(env.client, taskQueue);
  dispatcher = createWebhookDispatcher({
    store,
    directory,
    deliverer,
    startWorkflow: async (input) => {
      handedOff.push(input);
      return startDelivery(input);
    },
    startCircuit: circuitStarter(env.client, taskQueue, schedule),
    log: quiet,
  });
  // As in a process: the events it records (webhook_endpoint.disabled) go out too.
  unsubscribe = store.events.onRecorded((events) => dispatcher.enqueue(events));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    activities: webhookActivities({ store, deliverer, dispatcher }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  unsubscribe?.();
  if (worker) {
    worker.shutdown();
    await running;
  }
  await dispatcher?.drain();
  await env?.teardown();
  await http?.close();
  await database?.close();
  await receiver?.close();
});

beforeEach(() => {
  handedOff.length = 0;
});

async function newEndpoint(path: string, orgId = `org-${randomUUID()}`, events = ['*']) {
  const { endpoint } = await store.webhookEndpoints.create(orgId, {
    name: path,
    url: `${receiver.url}/${path}`,
    events,
  });
  return { orgId, endpointId: endpoint._id, path: `/${path}` };
}

type Endpoint = Awaited<ReturnType<typeof newEndpoint>>;

let eventNo = 0;
/** Events dispatched one after another (each with a later claim), as recorded. */
async function dispatchEvents(ep: Endpoint, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `contact.created:${ep.path.slice(1)}-${String(eventNo++).padStart(3, '0')}`;
    const event: EventDoc = {
      _id: id,
      org_id: ep.orgId,
      type: 'contact.created',
      timestamp: new Date(),
      data: { id, n: i },
      created_at: new Date(),
    };
    expect(await dispatcher.dispatch([event])).toBe(1);
    ids.push(id);
    // Distinct claim times: the backlog's order is theirs.
    await new Promise((r) => setTimeout(r, 3));
  }
  return ids;
}

const postsTo = (ep: Endpoint) => receiver.received.filter((r) => r.path === ep.path);
const idsOf = (posts: { headers: Record<string, unknown> }[]) =>
  posts.map((p) => String(p.headers['x-webhook-id']));

async function attemptsOf(ep: Endpoint, eventId: string): Promise<WebhookAttemptDoc[]> {
  return store.webhookDeliveries.attemptsOf(ep.endpointId, [eventId]);
}

const endpointOf = async (ep: Endpoint) =>
  (await store.webhookEndpoints.get(ep.orgId, ep.endpointId))!;

const circuitOf = (ep: Endpoint): WorkflowHandle<typeof webhookCircuitWorkflow> =>
  env.client.workflow.getHandle(webhookCircuitWorkflowId(ep.endpointId));

/** The latest circuit's timers in order, through its runs (continue-as-new), and its runs. */
async function circuitTimers(ep: Endpoint): Promise<{ timersMs: number[]; runs: number }> {
  const workflowId = webhookCircuitWorkflowId(ep.endpointId);
  const perRun: number[][] = [];
  let runId: string | undefined;
  do {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    perRun.unshift(
      events.flatMap((e) =>
        e.timerStartedEventAttributes
          ? [protoMs(e.timerStartedEventAttributes.startToFireTimeout)]
          : [],
      ),
    );
    runId =
      events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return { timersMs: perRun.flat(), runs: perRun.length };
}

/** The endpoint answers `status` to its first `count` POSTs, then 200. */
function failFirst(ep: Endpoint, count: number, status = 500): void {
  let n = 0;
  receiver.answer((req) => {
    if (req.path !== ep.path) return { status: 200 };
    return n++ < count ? { status } : { status: 200 };
  });
}

describe('webhook circuit on the time-skipping server', () => {
  it('opens after 5 failures in a row, probes after 30 s doubling, then releases the backlog in order', async () => {
    const ep = await newEndpoint('comes-back');
    // 5 failed first attempts, then 3 failed probes; the 4th probe gets through.
    failFirst(ep, 8);

    const events = await dispatchEvents(ep, 8);

    // Four failures hand their delivery to a retry workflow; the fifth opens the circuit, and
    // from then on nothing is sent: the deliveries wait in the backlog.
    expect(postsTo(ep)).toHaveLength(5);
    expect(handedOff.map((h) => [h.eventId, h.attempt])).toEqual(
      events.slice(0, 4).map((id) => [id, 2]),
    );
    const failing = await endpointOf(ep);
    expect(failing.status).toBe('failing');
    expect(failing.failing_since).toBeInstanceOf(Date);
    expect(failing.status_reason).toBe(
      `5 attempts in a row failed, the last for event ${events[4]}: Answered HTTP 500`,
    );
    expect(await store.webhookBacklog.count(ep.endpointId)).toBe(4);
    // Parked without a POST, they have no attempt yet: their first is the circuit's to make.
    expect(await attemptsOf(ep, events[7]!)).toEqual([]);
    const parked = (id: string) => store.webhookBacklog.parkedAmong([`${ep.endpointId}:${id}:0`]);
    expect(await parked(events[7]!)).toEqual([
      expect.objectContaining({ event_id: events[7], run: 0, attempt: 1 }),
    ]);
    expect((await circuitOf(ep).describe()).status.name).toBe('RUNNING');

    // The retry workflows find the circuit open at their next attempt: they park and end.
    for (const id of events.slice(0, 4)) {
      const retry = env.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.endpointId, id));
      expect(await retry.result()).toBe('held');
      // Without a POST: parked for its second attempt (awaiting skips time, so the circuit may
      // have probed the oldest meanwhile).
      const [row] = await parked(id);
      expect(row!.attempt).toBeGreaterThanOrEqual(2);
      expect((await attemptsOf(ep, id))[1]?.status_code ?? 500).toBe(500);
    }
    expect(await store.webhookBacklog.count(ep.endpointId)).toBe(8);
    // Waiting deliveries show as retrying, due at the circuit's next probe.
    const probeAt = (await endpointOf(ep)).next_probe_at;
    expect(probeAt).toBeInstanceOf(Date);
    const dispatch = (await store.webhookDeliveries.dispatch(events[6]!))!;
    expect(
      deliveryView(dispatch, await attemptsOf(ep, events[6]!), { run: 0, nextProbeAt: probeAt }),
    ).toMatchObject({ state: 'pending', attempts: [], next_attempt_at: probeAt!.toISOString() });

    expect(await circuitOf(ep).result()).toBe('closed');

    const { timersMs } = await circuitTimers(ep);
    expect(timersMs).toEqual([30 * SECOND, 60 * SECOND, 120 * SECOND, 240 * SECOND, 5 * SECOND]);
    const posts = postsTo(ep);
    expect(posts).toHaveLength(5 + 3 + 8);
    // Probes use the longest-waiting delivery; once one gets through, the rest follow in order.
    expect(idsOf(posts.slice(5, 8))).toEqual([events[0], events[0], events[0]]);
    expect(idsOf(posts.slice(8))).toEqual(events);
    expect(await store.webhookBacklog.count(ep.endpointId)).toBe(0);

    const active = await endpointOf(ep);
    expect(active).toMatchObject({
      status: 'active',
      status_reason: null,
      failing_since: null,
      next_probe_at: null,
    });
    // The oldest: failed, parked by its retry, failed three probes, then went through.
    expect(
      (await attemptsOf(ep, events[0]!)).map((a) => [a.attempt, a.outcome, a.status_code]),
    ).toEqual([
      [1, 'retrying', 500],
      [2, 'held', 500],
      [3, 'held', 500],
      [4, 'held', 500],
      [5, 'delivered', 200],
    ]);
    for (const id of events.slice(1, 4)) {
      expect((await attemptsOf(ep, id)).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'retrying'],
        [2, 'delivered'],
      ]);
    }
    // The one that opened the circuit, then those that came while it was open.
    expect(
      (await attemptsOf(ep, events[4]!)).map((a) => [a.attempt, a.outcome, a.status_code]),
    ).toEqual([
      [1, 'held', 500],
      [2, 'delivered', 200],
    ]);
    for (const id of events.slice(5)) {
      expect((await attemptsOf(ep, id)).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'delivered'],
      ]);
    }

    // Closed again: the next event is sent at once.
    const [next] = await dispatchEvents(ep, 1);
    expect((await attemptsOf(ep, next!)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'delivered'],
    ]);
    expect(idsOf(postsTo(ep)).at(-1)).toBe(next);
  });

  it('disables an endpoint failing for 120 hours, records webhook_endpoint.disabled and fails its backlog', async () => {
    const dead = await newEndpoint('never-answers');
    const watcher = await newEndpoint('watcher', dead.orgId, [ENDPOINT_DISABLED_EVENT]);
    receiver.answer((req) => ({ status: req.path === dead.path ? 503 : 200 }));

    const events = await dispatchEvents(dead, 7);
    const failingSince = (await endpointOf(dead)).failing_since!.getTime();
    for (const id of events.slice(0, 4)) {
      const retry = env.client.workflow.getHandle(webhookDeliveryWorkflowId(dead.endpointId, id));
      expect(await retry.result()).toBe('held');
    }

    expect(await circuitOf(dead).result()).toBe('disabled');

    const disabled = await endpointOf(dead);
    expect(disabled.status).toBe('disabled');
    expect(disabled.status_reason).toBe(
      `${DISABLED_REASON_PREFIX} 5 days since ${new Date(failingSince).toISOString()} ` +
        '(WEBHOOK_DISABLE_AFTER_HOURS); enable it to receive events again',
    );
    expect(disabled.failing_since).toBeNull();
    expect(await store.webhookBacklog.count(dead.endpointId)).toBe(0);
    for (const id of events) {
      const last = (await attemptsOf(dead, id)).at(-1)!;
      expect([id, last.outcome, last.error]).toEqual([
        id,
        'failed',
        'The endpoint was disabled after failing too long',
      ]);
    }

    // Probes: 30 s doubling to the 1 h cap, then hourly until 120 h after the circuit opened;
    // then a last wait for deliveries parked by processes that had not seen the disable yet.
    const { timersMs: all, runs } = await circuitTimers(dead);
    expect(all.at(-1)).toBe(schedule.settleMs);
    const timersMs = all.slice(0, -1);
    expect(timersMs.slice(0, 9)).toEqual(
      [30, 60, 120, 240, 480, 960, 1920, 3600, 3600].map((s) => s * SECOND),
    );
    expect(timersMs.slice(7, -1).every((ms) => ms === HOUR)).toBe(true);
    const waited = timersMs.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(120 * HOUR);
    expect(waited).toBeGreaterThan(120 * HOUR - MINUTE);
    // After each wait but the last (which ends at the deadline) a probe, with the oldest event.
    const probes = postsTo(dead).slice(5);
    expect(probes.length).toBe(timersMs.length - 1);
    expect(new Set(idsOf(probes))).toEqual(new Set([events[0]]));
    // Its history stays small: it continued as new along the way.
    expect(runs).toBeGreaterThan(1);

    const [event] = await store.events.list(dead.orgId, { type: ENDPOINT_DISABLED_EVENT });
    expect(event).toMatchObject({
      type: ENDPOINT_DISABLED_EVENT,
      data: {
        id: dead.endpointId,
        status: 'disabled',
        status_reason: disabled.status_reason,
        failing_since: new Date(failingSince).toISOString(),
        failing_reason: `5 attempts in a row failed, the last for event ${events[4]}: Answered HTTP 503`,
      },
    });
    for (let i = 0; i < 100 && !postsTo(watcher).length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const notified = postsTo(watcher);
    expect(notified).toHaveLength(1);
    expect(JSON.parse(notified[0]!.body)).toMatchObject({
      event: ENDPOINT_DISABLED_EVENT,
      data: { id: dead.endpointId, status: 'disabled' },
    });

    // A disabled endpoint gets nothing, and nothing is parked for it.
    const later: EventDoc = {
      _id: `contact.created:after-${randomUUID()}`,
      org_id: dead.orgId,
      type: 'contact.created',
      timestamp: new Date(),
      data: {},
      created_at: new Date(),
    };
    expect(await dispatcher.dispatch([later])).toBe(0);
    expect(await store.webhookBacklog.count(dead.endpointId)).toBe(0);
  });

  it('goes back to probing when the endpoint fails while its backlog is sent', async () => {
    const ep = await newEndpoint('flaps');
    let n = 0;
    // 5 failures open the circuit; the probe and two more go through, the next fails.
    receiver.answer((req) => {
      if (req.path !== ep.path) return { status: 200 };
      const i = n++;
      return { status: i < 5 || i === 8 ? 500 : 200 };
    });
    const events = await dispatchEvents(ep, 8);
    for (const id of events.slice(0, 4)) {
      const retry = env.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.endpointId, id));
      expect(await retry.result()).toBe('held');
    }

    expect(await circuitOf(ep).result()).toBe('closed');

    // The probe after the failure waits the first wait again.
    expect((await circuitTimers(ep)).timersMs).toEqual([30 * SECOND, 30 * SECOND, 5 * SECOND]);
    const posts = idsOf(postsTo(ep));
    expect(posts.slice(5)).toEqual([...events.slice(0, 4), ...events.slice(3)]);
    expect((await attemptsOf(ep, events[3]!)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'held'],
      [3, 'delivered'],
    ]);
    expect(await endpointOf(ep)).toMatchObject({ status: 'active', failing_since: null });
  });

  it('skips the backlog of an endpoint deleted while its circuit is open', async () => {
    const ep = await newEndpoint('deleted');
    receiver.answer((req) => ({ status: req.path === ep.path ? 500 : 200 }));
    const events = await dispatchEvents(ep, 6);
    expect(await store.webhookBacklog.count(ep.endpointId)).toBe(2);
    expect(await store.webhookEndpoints.delete(ep.orgId, ep.endpointId)).toBe(true);

    expect(await circuitOf(ep).result()).toBe('skipped');
    for (const id of events.slice(0, 4)) {
      const retry = env.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.endpointId, id));
      expect(await retry.result()).toBe('skipped');
    }
    expect(await store.webhookBacklog.count(ep.endpointId)).toBe(0);
    for (const id of events) {
      const last = (await attemptsOf(ep, id)).at(-1)!;
      expect([id, last.outcome]).toEqual([id, 'skipped']);
    }
    // Nothing was sent after the circuit opened.
    expect(postsTo(ep)).toHaveLength(5);
  });
});
