import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../api/app';
import type { Env } from '../../lib/config';
import { provisionOrganization, type Provisioned } from '../../scripts/provision';
import { testConfig } from './config';

export interface TestApp {
  app: FastifyInstance;
  /** An organization with a user (password below) and an API key. */
  org: Provisioned;
  password: string;
  /** inject() with the organization's API key. */
  call(opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** The real app on the test servers (own database), with one provisioned organization. */
export async function createTestApp(
  opts: AppOptions & { env?: Env; beforeReady?: (app: FastifyInstance) => void } = {},
): Promise<TestApp> {
  const app = await buildApp(testConfig(opts.env), { logger: false, ...opts });
  opts.beforeReady?.(app);
  await app.ready();
  const org = await provisionOrganization(app.store, {
    name: 'Acme',
    email: `owner-${Math.random().toString(36).slice(2)}@acme.test`,
    password: TEST_PASSWORD,
  });
  return {
    app,
    org,
    password: TEST_PASSWORD,
    call: (o) =>
      app.inject({ ...o, headers: { 'x-api-key': org.api_key.key, ...(o.headers ?? {}) } }),
    close: () => app.close(),
  };
}

/** A Meta webhook posted to the app as Meta posts it, with `signature` unless null. */
export const postMetaWebhook = (app: FastifyInstance, body: string, signature: string | null) =>
  app.inject({
    method: 'POST',
    url: '/api/webhooks/meta',
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    payload: body,
  });
