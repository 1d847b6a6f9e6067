import { subscribeToStatuses } from './status-events';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildApp, type AppOptions } from '../../api/app';
import type { Config, Env } from '../../lib/config';
import { freePort } from '../../scripts/infra';
import { provisionOrganization, type Provisioned } from '../../scripts/provision';
import { createMetaSimulator, type MetaSimulator, type MetaSimulatorOptions } from '../../sim/meta';
import { openStore } from '../../store';
import { accountSettings } from '../../store/accounts';
import type { AccountDoc } from '../../store/documents';
import { testConfig } from './config';
import { startTestWorker, type TestWorker } from './worker';

export interface MessagingHarness {
  config: Config;
  app: FastifyInstance;
  sim: MetaSimulator;
  worker: TestWorker;
  org: Provisioned;
  /** The organization's sandbox account, on the simulator. */
  account: AccountDoc;
  call(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Waits until the simulator has posted its webhooks and the API has processed them. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API listening on loopback, the Meta simulator posting signed webhooks to it, and a
 * real worker: the same paths as production, with the simulator in Meta's place.
 */
export async function createMessagingHarness(
  opts: { env?: Env; sim?: Partial<MetaSimulatorOptions>; app?: AppOptions } = {},
): Promise<MessagingHarness> {
  const simPort = await freePort();
  const config = testConfig({
    SANDBOX_MODE: 'true',
    META_SIMULATOR_URL: `http://127.0.0.1:${simPort}`,
    // Accounts connected through the API are verified at the simulator too.
    META_GRAPH_URL: `http://127.0.0.1:${simPort}`,
    SEND_NO_ANSWER_RECHECK_SECONDS: '1',
    RATE_LIMIT_PER_SECOND: '1000',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...opts.env,
  });
  const sim = await createMetaSimulator({
    port: simPort,
    accessToken: config.meta.simulator.accessToken,
    appSecret: config.meta.simulator.appSecret,
    webhookUrl: null,
    statusWebhooks: { delayMs: 5, readRate: 1 },
    ...opts.sim,
  });
  const app = await buildApp(config, { logger: false, ...opts.app });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  sim.setOptions({ webhookUrl: `http://127.0.0.1:${port}/api/webhooks/meta` });
  // The worker's store is not the API's, as in production, where they are two processes.
  const workerDatabase = await openStore(config);
  const worker = await startTestWorker(config, workerDatabase);
  const org = await provisionOrganization(
    app.store,
    { name: 'Acme' },
    accountSettings(config).sandbox,
  );
  const account = (await app.store.accounts.get(org.organization.id, org.sandbox_account!.id))!;
  // The tests read message.* events: the organization subscribes to them.
  await subscribeToStatuses(app.store, org.organization.id);
  return {
    config,
    app,
    sim,
    worker,
    org,
    account,
    call: (o) =>
      app.inject({ ...o, headers: { 'x-api-key': org.api_key.key, ...(o.headers ?? {}) } }),
    async settle() {
      await sim.idle();
      await app.inbox.idle();
    },
    async close() {
      await worker.stop();
      await workerDatabase.close();
      await app.close();
      await sim.close();
    },
  };
}
