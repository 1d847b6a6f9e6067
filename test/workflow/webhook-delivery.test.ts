import { randomUUID } from 'node:crypto';
import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { webhookActivities } from '../../activities/webhooks';
import { openStore, type Store, type StoreHandle } from '../../store';
import type { EventDoc } from '../../store/documents';
import { eventDoc } from '../../store/events';
import { createDeliverer } from '../../webhooks/deliverer';
import { createWebhookDispatcher, type WebhookDispatcher } from '../../webhooks/dispatcher';
import { endpointDirectory } from '../../webhooks/endpoint-directory';
import { createWebhookEngine, workflowStarter } from '../../webhooks/engine';
import { createWebhookHttp, type WebhookHttp } from '../../webhooks/http';
import { webhookBody } from '../../webhooks/signing';
import type { webhookDeliveryWorkflow } from '../../workflows';
import {
  type WebhookDeliveryInput,
  webhookDeliveryWorkflowId,
  webhookTaskQueue,
} from '../../workflows/contracts/webhook-delivery';
import { testConfig } from '../support/config';
import { createTimeSkippingEnv } from '../support/time-skipping';
import {
  answerInTurn,
  deliverySchedule,
  type DeliverySchedule,
  headerRecord,
  plainSignature,
  postsOf,
  waitForTimers,
} from '../support/webhook-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { testWorkflowBundle } from '../support/workflow-bundle';

jest.setTimeout(60_000);

const SECOND = 1000;
const taskQueue = 'webhook-delivery';
const quiet = { warn() {}, error() {} };

let env: TestWorkflowEnvironment;
let database: StoreHandle;
let store: Store;
let http: WebhookHttp;
let receiver: WebhookReceiver;
let activities: ReturnType<typeof webhookActivities>;
let dispatcher: WebhookDispatcher;
let startDelivery: ReturnType<typeof workflowStarter>;
/** What the dispatcher handed to workflows. */
const handedOff: WebhookDeliveryInput[] = [];
let worker: Worker;
let running: Promise<void>;

async function startWorker(): Promise<void> {
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    activities,
    // The test server keeps sending a stopped worker's workflow tasks to its sticky queue and
    // never times them out (a real server falls back to the normal queue within seconds), so the
    // crash test would hang. Without a cache there is no sticky queue, and every task replays
    // the history from the start.
    maxCachedWorkflows: 0,
  });
  running = worker.run();
}

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
  const deliverer = createDeliverer({ store, directory, http });
  startDelivery = workflowStarter(env.client, taskQueue);
  dispatcher = createWebhookDispatcher({
    store,
    directory,
    deliverer,
    startWorkflow: async (input) => {
      handedOff.push(input);
      return startDelivery(input);
    },
    log: quiet,
  });
  activities = webhookActivities({ store, deliverer, dispatcher });
  await startWorker();
}, 120_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
  await http?.close();
  await database?.close();
  await receiver?.close();
});

async function newEndpoint(events = ['*']) {
  const orgId = `org-${randomUUID()}`;
  const { endpoint, secret } = await store.webhookEndpoints.create(orgId, {
    name: 'CRM',
    url: `${receiver.url}/hooks`,
    events,
  });
  return { orgId, endpointId: endpoint._id, secret };
}

function deliveryInput(
  ep: { orgId: string; endpointId: string },
  changes: Partial<WebhookDeliveryInput> = {},
): WebhookDeliveryInput {
  const eventId = `evt_${randomUUID()}`;
  return {
    orgId: ep.orgId,
    endpointId: ep.endpointId,
    eventId,
    eventType: 'contact.created',
    body: webhookBody({
      type: 'contact.created',
      timestamp: new Date(),
      data: { id: eventId, phone_number: '+14155550100' },
    }),
    run: 0,
    attempt: 1,
    waitMs: 0,
    ...changes,
  };
}

/** The event the dispatcher tests hand over: a contact created, under the given id. */
const contactCreated = (orgId: string, eventId: string): EventDoc =>
  eventDoc(orgId, {
    id: eventId,
    type: 'contact.created',
    timestamp: new Date(),
    data: { id: 'contact-1', phone_number: '+14155550100' },
  });

function startWorkflow(input: WebhookDeliveryInput): Promise<WorkflowHandle> {
  return env.client.workflow.start<typeof webhookDeliveryWorkflow>('webhookDeliveryWorkflow', {
    taskQueue,
    workflowId: webhookDeliveryWorkflowId(input.endpointId, input.eventId),
    args: [input],
  });
}

const attemptsOf = (input: { endpointId: string; eventId: string }) =>
  store.webhookDeliveries.attemptsOf(input.endpointId, [input.eventId]);

const endpointOf = async (ep: { orgId: string; endpointId: string }) =>
  (await store.webhookEndpoints.get(ep.orgId, ep.endpointId))!;

/**
 * Attempts recorded at workflow-time offsets no earlier than `expectedMs` and not much later:
 * each wait starts when the previous attempt is recorded, and attempts take real time, which the
 * server's clock counts.
 */
function expectNear(actualMs: number[], expectedMs: number[]) {
  expect(actualMs).toHaveLength(expectedMs.length);
  actualMs.forEach((ms, i) => {
    expect(ms).toBeGreaterThanOrEqual(expectedMs[i]!);
    expect(ms).toBeLessThan(expectedMs[i]! + 3 * SECOND);
  });
}

/** Each timer starts as its attempt is recorded, and the next attempt follows its firing. */
function expectWaitsBetweenAttempts(schedule: DeliverySchedule) {
  schedule.timersMs.forEach((timerMs, i) => {
    const waited = schedule.firedAtMs[i]! - schedule.attemptsAtMs[i]!;
    expect(waited).toBeGreaterThanOrEqual(timerMs);
    expect(waited).toBeLessThan(timerMs + SECOND);
    const resumed = schedule.attemptsAtMs[i + 1]! - schedule.firedAtMs[i]!;
    expect(resumed).toBeGreaterThanOrEqual(0);
    expect(resumed).toBeLessThan(2 * SECOND);
  });
}

describe('webhook delivery workflow on the time-skipping server', () => {
  it('retries after exactly 10 s, 60 s and 5 min, then fails and marks the endpoint failing', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep);
    answerInTurn(receiver, input.eventId, [{ status: 500 }]);

    const handle = await startWorkflow(input);
    expect(handle.workflowId).toBe(`webhook:${ep.endpointId}:${input.eventId}`);

    expect(await handle.result()).toBe('failed');
    expect(postsOf(receiver, input.eventId)).toHaveLength(4);
    const schedule = await deliverySchedule(handle);
    expect(schedule.timersMs).toEqual([10 * SECOND, 60 * SECOND, 300 * SECOND]);
    expectNear(schedule.attemptsAtMs, [0, 10 * SECOND, 70 * SECOND, 370 * SECOND]);
    expectNear(schedule.firedAtMs, [10 * SECOND, 70 * SECOND, 370 * SECOND]);
    expectWaitsBetweenAttempts(schedule);

    const attempts = await attemptsOf(input);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, 'retrying', 500],
      [2, 'retrying', 500],
      [3, 'retrying', 500],
      [4, 'failed', 500],
    ]);
    expect(attempts.map((a) => a._id)).toEqual(
      [1, 2, 3, 4].map((n) => `${ep.endpointId}:${input.eventId}:0:${n}`),
    );
    for (const a of attempts.slice(0, 3)) expect(a.next_attempt_at).toBeInstanceOf(Date);
    expect(attempts[3]!.next_attempt_at).toBeNull();
    const endpoint = await endpointOf(ep);
    expect(endpoint.status).toBe('failing');
    expect(endpoint.status_reason).toContain(input.eventId);
  });

  it('marks a failing endpoint active again when a retry succeeds', async () => {
    const ep = await newEndpoint();
    expect(
      await store.webhookEndpoints.setStatus(ep.endpointId, 'active', 'failing', 'earlier'),
    ).toBe(true);
    const input = deliveryInput(ep);
    answerInTurn(receiver, input.eventId, [{ status: 500 }, { status: 200 }]);

    expect(await (await startWorkflow(input)).result()).toBe('delivered');

    expect(postsOf(receiver, input.eventId)).toHaveLength(2);
    const attempts = await attemptsOf(input);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'delivered'],
    ]);
    expect(attempts[1]!.next_attempt_at).toBeNull();
    const endpoint = await endpointOf(ep);
    expect(endpoint.status).toBe('active');
    expect(endpoint.status_reason).toBeNull();
  });

  it('stops at a 410, disables the endpoint and skips its later deliveries', async () => {
    const ep = await newEndpoint();
    const gone = deliveryInput(ep);
    answerInTurn(receiver, gone.eventId, [{ status: 410 }]);

    const handle = await startWorkflow(gone);
    expect(await handle.result()).toBe('gone');

    expect(postsOf(receiver, gone.eventId)).toHaveLength(1);
    expect((await deliverySchedule(handle)).timersMs).toEqual([]);
    expect((await attemptsOf(gone)).map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, 'gone', 410],
    ]);
    const endpoint = await endpointOf(ep);
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.status_reason).toContain(gone.eventId);

    const later = deliveryInput(ep);
    expect(await (await startWorkflow(later)).result()).toBe('skipped');
    expect(postsOf(receiver, later.eventId)).toHaveLength(0);
    expect((await attemptsOf(later)).map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, 'skipped', null],
    ]);
  });

  it('honours Retry-After on 429 and 503, never beyond the scheduled retry', async () => {
    const ep = await newEndpoint();

    // 503 brings the 10 s retry forward to 3 s; a 500's Retry-After is not honoured, and the
    // schedule goes on with the second retry's 60 s.
    const soon = deliveryInput(ep);
    answerInTurn(receiver, soon.eventId, [
      { status: 503, headers: { 'Retry-After': '3' } },
      { status: 500, headers: { 'Retry-After': '1' } },
      { status: 200 },
    ]);
    const soonHandle = await startWorkflow(soon);
    expect(await soonHandle.result()).toBe('delivered');
    expect((await deliverySchedule(soonHandle)).timersMs).toEqual([3 * SECOND, 60 * SECOND]);
    const soonAttempts = await attemptsOf(soon);
    expect(soonAttempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'delivered']);
    const firstWait = soonAttempts[0]!.next_attempt_at!.getTime() - soonAttempts[0]!.at.getTime();
    expect(firstWait).toBeGreaterThanOrEqual(3 * SECOND);
    expect(firstWait).toBeLessThan(4 * SECOND);

    const capped = deliveryInput(ep);
    answerInTurn(receiver, capped.eventId, [
      { status: 429, headers: { 'Retry-After': '120' } },
      { status: 200 },
    ]);
    const cappedHandle = await startWorkflow(capped);
    expect(await cappedHandle.result()).toBe('delivered');
    expect((await deliverySchedule(cappedHandle)).timersMs).toEqual([10 * SECOND]);

    const dated = deliveryInput(ep);
    receiver.answer((req) =>
      req.headers['x-webhook-id'] !== dated.eventId || postsOf(receiver, dated.eventId).length > 1
        ? { status: 200 }
        : { status: 503, headers: { 'Retry-After': new Date(Date.now() + 6_000).toUTCString() } },
    );
    const datedHandle = await startWorkflow(dated);
    expect(await datedHandle.result()).toBe('delivered');
    const [datedWait] = (await deliverySchedule(datedHandle)).timersMs;
    // An HTTP date has whole seconds, and the answer takes a moment to be read.
    expect(datedWait).toBeGreaterThan(3 * SECOND);
    expect(datedWait).toBeLessThanOrEqual(6 * SECOND);
    expect(postsOf(receiver, dated.eventId)).toHaveLength(2);
  });

  it('takes over from an inline first attempt: waits waitMs, then attempts 2 to 4', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep, { attempt: 2, waitMs: 7_500 });
    answerInTurn(receiver, input.eventId, [{ status: 500 }]);

    const handle = await startWorkflow(input);
    expect(await handle.result()).toBe('failed');

    expect(postsOf(receiver, input.eventId)).toHaveLength(3);
    const schedule = await deliverySchedule(handle);
    expect(schedule.timersMs).toEqual([7_500, 60 * SECOND, 300 * SECOND]);
    expectNear(schedule.attemptsAtMs, [7_500, 67_500, 367_500]);
    expect((await attemptsOf(input)).map((a) => [a.attempt, a.outcome])).toEqual([
      [2, 'retrying'],
      [3, 'retrying'],
      [4, 'failed'],
    ]);
  });

  it('loses and repeats nothing when the worker is stopped during a retry wait', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep);
    answerInTurn(receiver, input.eventId, [{ status: 500 }]);

    const handle = await startWorkflow(input);
    await waitForTimers(handle);
    expect((await attemptsOf(input)).map((a) => a.outcome)).toEqual(['retrying']);

    worker.shutdown();
    await running;
    answerInTurn(receiver, input.eventId, [{ status: 200 }]);
    await startWorker();

    expect(await handle.result()).toBe('delivered');
    const attempts = await attemptsOf(input);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'delivered'],
    ]);
    expect(new Set(attempts.map((a) => a._id)).size).toBe(2);
    expect(postsOf(receiver, input.eventId)).toHaveLength(2);
    expect((await deliverySchedule(handle)).timersMs).toEqual([10 * SECOND]);
  });

  it('sends the same body, ids and valid signatures on every attempt', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep);
    answerInTurn(receiver, input.eventId, [{ status: 500 }]);

    expect(await (await startWorkflow(input)).result()).toBe('failed');

    const posts = postsOf(receiver, input.eventId);
    expect(posts).toHaveLength(4);
    const standard = new Webhook(ep.secret);
    for (const post of posts) {
      expect(post.path).toBe('/hooks');
      expect(post.body).toBe(input.body);
      expect(post.headers['x-webhook-id']).toBe(input.eventId);
      expect(post.headers['webhook-id']).toBe(input.eventId);
      expect(post.headers['x-webhook-event']).toBe('contact.created');
      expect(post.headers['content-type']).toBe('application/json');
      expect(post.headers['x-webhook-signature']).toBe(plainSignature(ep.secret, post.body));
      expect(standard.verify(post.body, headerRecord(post.headers))).toEqual(
        JSON.parse(input.body),
      );
    }
    // A signature made with another secret is refused, so the checks above mean something.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(
        posts[0]!.body,
        headerRecord(posts[0]!.headers),
      ),
    ).toThrow();
  });

  it('hands a failed inline first attempt to the workflow, exactly once', async () => {
    const ep = await newEndpoint(['contact.created']);
    const eventId = `evt_${randomUUID()}`;
    const event = contactCreated(ep.orgId, eventId);
    answerInTurn(receiver, eventId, [{ status: 500 }, { status: 200 }]);
    handedOff.length = 0;

    expect(await dispatcher.dispatch([event])).toBe(1);

    const target = { endpointId: ep.endpointId, eventId };
    expect((await attemptsOf(target)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
    ]);
    expect(postsOf(receiver, eventId)).toHaveLength(1);
    expect(handedOff).toEqual([
      expect.objectContaining({ ...target, run: 0, attempt: 2, waitMs: 10 * SECOND }),
    ]);
    const handle = env.client.workflow.getHandle(`webhook:${ep.endpointId}:${eventId}`);
    const { runId } = await handle.describe();
    expect(await handle.result()).toBe('delivered');
    expect((await attemptsOf(target)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'delivered'],
    ]);
    const posts = postsOf(receiver, eventId);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toBe(webhookBody(event));
    expect((await deliverySchedule(handle)).timersMs).toEqual([10 * SECOND]);

    expect(await dispatcher.dispatch([event])).toBe(0);
    expect(postsOf(receiver, eventId)).toHaveLength(2);
    expect(handedOff).toHaveLength(1);
    const after = await handle.describe();
    expect(after.runId).toBe(runId);
    expect(after.status.name).toBe('COMPLETED');
  });

  it('follows the retry schedule its input carries', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep, { retryDelaysMs: [2 * SECOND, 5 * SECOND] });
    answerInTurn(receiver, input.eventId, [{ status: 500 }]);

    const handle = await startWorkflow(input);
    expect(await handle.result()).toBe('failed');

    expect(postsOf(receiver, input.eventId)).toHaveLength(3);
    const schedule = await deliverySchedule(handle);
    expect(schedule.timersMs).toEqual([2 * SECOND, 5 * SECOND]);
    expectWaitsBetweenAttempts(schedule);
    expect((await attemptsOf(input)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'failed'],
    ]);
  });

  it("hands a failed inline first attempt to its workflow with the dispatcher's schedule", async () => {
    const ep = await newEndpoint(['contact.created']);
    const eventId = `evt_${randomUUID()}`;
    answerInTurn(receiver, eventId, [{ status: 500 }, { status: 500 }]);
    const started: WebhookDeliveryInput[] = [];
    const directory = endpointDirectory(store, 0);
    const configured = createWebhookDispatcher({
      store,
      directory,
      deliverer: createDeliverer({ store, directory, http }),
      startWorkflow: async (input) => {
        started.push(input);
        return startDelivery(input);
      },
      retryDelaysMs: [3 * SECOND],
      log: quiet,
    });

    const event = contactCreated(ep.orgId, eventId);
    expect(await configured.dispatch([event])).toBe(1);

    expect(started).toEqual([
      expect.objectContaining({
        eventId,
        attempt: 2,
        waitMs: 3 * SECOND,
        retryDelaysMs: [3 * SECOND],
      }),
    ]);
    const handle = env.client.workflow.getHandle(webhookDeliveryWorkflowId(ep.endpointId, eventId));
    expect(await handle.result()).toBe('failed');
    expect((await deliverySchedule(handle)).timersMs).toEqual([3 * SECOND]);
    expect(
      (await attemptsOf({ endpointId: ep.endpointId, eventId })).map((a) => [a.attempt, a.outcome]),
    ).toEqual([
      [1, 'retrying'],
      [2, 'failed'],
    ]);
  });

  it("follows WEBHOOK_RETRY_SCHEDULE, here Svix's day-long one, from the configuration", async () => {
    const config = testConfig({
      WEBHOOK_RETRY_SCHEDULE: '5s,5m,30m,2h,5h,10h,10h',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ENDPOINT_CACHE_MS: '0',
      // Eight failures in a row: the circuit would otherwise take the delivery over.
      WEBHOOK_CIRCUIT_FAILURES: '100',
    });
    // As the worker runs it: the engine, and its activities on the webhook task queue.
    const engine = createWebhookEngine({ config, store, client: env.client, log: quiet });
    const configured = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: webhookTaskQueue(config.temporal.taskQueue),
      workflowBundle: testWorkflowBundle(),
      activities: webhookActivities({
        store,
        deliverer: engine.deliverer,
        dispatcher: engine.dispatcher,
      }),
      maxCachedWorkflows: 0,
    });
    const runningConfigured = configured.run();
    try {
      const ep = await newEndpoint(['contact.created']);
      const eventId = `evt_${randomUUID()}`;
      answerInTurn(receiver, eventId, [{ status: 500 }]);
      const event = contactCreated(ep.orgId, eventId);
      expect(await engine.dispatcher.dispatch([event])).toBe(1);

      const handle = env.client.workflow.getHandle(
        webhookDeliveryWorkflowId(ep.endpointId, eventId),
      );
      expect(await handle.result()).toBe('failed');
      const HOUR = 3_600 * SECOND;
      expect((await deliverySchedule(handle)).timersMs).toEqual([
        5 * SECOND,
        5 * 60 * SECOND,
        30 * 60 * SECOND,
        2 * HOUR,
        5 * HOUR,
        10 * HOUR,
        10 * HOUR,
      ]);
      expect(postsOf(receiver, eventId)).toHaveLength(8);
      const attempts = await attemptsOf({ endpointId: ep.endpointId, eventId });
      expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        ...[1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'retrying']),
        [8, 'failed'],
      ]);
    } finally {
      configured.shutdown();
      await runningConfigured;
      await engine.close();
    }
  });

  it('replays a finished delivery as a new run, and only once no run is going', async () => {
    const ep = await newEndpoint();
    const input = deliveryInput(ep);
    const workflowId = webhookDeliveryWorkflowId(ep.endpointId, input.eventId);
    const handle = env.client.workflow.getHandle(workflowId);
    answerInTurn(receiver, input.eventId, [{ status: 200 }]);

    expect(await startDelivery(input)).toBe(true);
    expect(await handle.result()).toBe('delivered');
    // A first delivery's ID is never reused.
    expect(await startDelivery(input)).toBe(false);

    const replay = { ...input, run: 1 };
    expect(await startDelivery(replay, WorkflowIdReusePolicy.ALLOW_DUPLICATE)).toBe(true);
    expect(await handle.result()).toBe('delivered');

    answerInTurn(receiver, input.eventId, [{ status: 500 }, { status: 200 }]);
    expect(await startDelivery({ ...input, run: 2 }, WorkflowIdReusePolicy.ALLOW_DUPLICATE)).toBe(
      true,
    );
    await waitForTimers(handle);
    expect(await startDelivery({ ...input, run: 3 }, WorkflowIdReusePolicy.ALLOW_DUPLICATE)).toBe(
      false,
    );
    expect(await handle.result()).toBe('delivered');

    const attempts = await attemptsOf(input);
    expect(attempts.map((a) => [a._id, a.outcome])).toEqual([
      [`${ep.endpointId}:${input.eventId}:0:1`, 'delivered'],
      [`${ep.endpointId}:${input.eventId}:1:1`, 'delivered'],
      [`${ep.endpointId}:${input.eventId}:2:1`, 'retrying'],
      [`${ep.endpointId}:${input.eventId}:2:2`, 'delivered'],
    ]);
    expect(postsOf(receiver, input.eventId)).toHaveLength(4);
  });
});
