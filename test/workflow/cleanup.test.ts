import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMetaClient } from '../../activities/meta/client';
import type { Config } from '../../lib/config';
import { createStore, type Store } from '../../store';
import { connectMongo, type MongoHandle } from '../../store/mongo';
import { ensureSchedules } from '../../worker/schedules';
import { createWorker } from '../../worker/worker';
import { scheduleIds, workflowIds } from '../../workflows/definitions';
import { testConfig } from '../support/config';

let config: Config;
let mongo: MongoHandle;
let store: Store;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  config = testConfig();
  mongo = await connectMongo(config.mongo.uri, config.mongo.db);
  store = createStore(mongo.db);
  nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, namespace: config.temporal.namespace });
  worker = await createWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({
      config,
      store,
      meta: createMetaClient({ apiVersion: config.meta.apiVersion }),
    }),
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await mongo.close();
});

describe('cleanup workflow on the real Temporal server', () => {
  it('runs through a worker and purges expired sessions only', async () => {
    const org = await store.organizations.create('Acme');
    const live = await store.sessions.create(org._id, 'u', 3_600_000);
    await store.sessions.create(org._id, 'u', -1);
    await store.sessions.create(org._id, 'u', -1);

    const result = await client.workflow.execute('cleanupWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `${workflowIds.cleanup()}-${config.mongo.db}`,
    });

    expect(result).toEqual({ sessionsPurged: 2 });
    expect(await store.sessions.findActive(live.token)).not.toBeNull();
    expect(await mongo.db.collection('sessions').countDocuments()).toBe(1);
  });

  it('is scheduled once, however often the worker starts', async () => {
    const opts = { taskQueue: config.temporal.taskQueue, cleanupIntervalMinutes: 30 };
    await ensureSchedules(client, opts);
    await ensureSchedules(client, opts);
    const schedule = await client.schedule.getHandle(scheduleIds.cleanup).describe();
    expect(schedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'cleanupWorkflow',
    });
    expect(schedule.spec.intervals?.[0]?.every).toBe(30 * 60_000);
    const listed: string[] = [];
    for await (const s of client.schedule.list()) listed.push(s.scheduleId);
    expect(listed.filter((id) => id === scheduleIds.cleanup)).toHaveLength(1);
  });
});
