import Fastify, { type FastifyInstance } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../lib/config';
import { logSerializers } from './log-serializers';
import { actionsPlugin } from './plugins/actions';
import { authPlugin } from './plugins/auth';
import { closingPlugin } from './plugins/closing';
import { clientErrorHandler, errorsPlugin, frameworkErrors } from './plugins/errors';
import { automationsPlugin } from './plugins/automations';
import { httpMetricsPlugin } from './plugins/http-metrics';
import { inboxPlugin } from './plugins/inbox';
import { mediaPlugin } from './plugins/media';
import { metaPlugin } from './plugins/meta';
import { openapiPlugin } from './plugins/openapi';
import { paymentsPlugin } from './plugins/payments';
import { rateLimitPlugin } from './plugins/rate-limit';
import { sendingPlugin } from './plugins/sending';
import { sequencesPlugin } from './plugins/sequences';
import { storePlugin } from './plugins/store';
import { temporalPlugin } from './plugins/temporal';
import { webhooksPlugin } from './plugins/webhooks';
import { wooIntakePlugin } from './plugins/woo-intake';
import { accountRoutes } from './routes/accounts';
import { actionRoutes } from './routes/actions';
import { apiKeyRoutes } from './routes/api-keys';
import { authRoutes } from './routes/auth';
import { campaignRoutes } from './routes/campaigns';
import { sequenceRoutes } from './routes/sequences';
import { automationRoutes } from './routes/automations';
import { contactBulkRoutes } from './routes/contacts-bulk';
import { contactRoutes } from './routes/contacts';
import { healthRoutes } from './routes/health';
import { inboundWebhookRoutes } from './routes/inbound-webhooks';
import { metaEventRoutes } from './routes/meta-events';
import { integrationRoutes } from './routes/integrations';
import { mediaRoutes } from './routes/media';
import { messageMediaRoutes } from './routes/message-media';
import { messageRoutes } from './routes/messages';
import { metricsRoutes } from './routes/metrics';
import { organizationRoutes } from './routes/organization';
import { paymentLinkRoutes } from './routes/payment-links';
import { templateRoutes } from './routes/templates';
import { transferRoutes } from './routes/transfers';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import { metaWebhookRoutes } from './routes/webhooks-meta';
import { wooWebhookRoutes } from './routes/webhooks-woocommerce';
import { wooStoreRoutes } from './routes/woocommerce-stores';
import { paymentWebhookRoutes } from './routes/webhooks-payments';
import './types';
import type * as ApiTracing from './tracing';

export interface AppOptions {
  /** Clock for the rate limiter and for signing media URLs (tests). */
  now?: () => number;
  logger?: boolean;
  /** Where the log goes instead of stdout (tests). */
  logStream?: { write(line: string): void };
}

/**
 * A hop count trusts the nearest `hops` addresses, whoever they are (Fastify itself now
 * refuses a number for that reason): right only when every request comes through the proxies.
 */
function trustProxyOf(setting: Config['http']['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/** Builds the API without listening, so tests can `inject` and the server entry can `listen`. */
export async function buildApp(config: Config, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: config.http.bodyLimit,
    trustProxy: trustProxyOf(config.http.trustProxy),
    logger:
      (opts.logger ?? true)
        ? { level: config.logLevel, serializers: logSerializers, stream: opts.logStream }
        : false,
    ajv: { customOptions: { coerceTypes: false } },
    // Errors raised before a route runs get the same envelope as every other error.
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text body sent to a JSON route is refused with 415 instead of half-parsed.
  app.removeContentTypeParser('text/plain');
  app.decorate('config', config);

  try {
    // Before every route, so that each request gets its span. Without an endpoint the
    // OpenTelemetry SDK is never loaded.
    if (config.observability.otlpEndpoint) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when on
      const tracing = require('./tracing') as typeof ApiTracing;
      await tracing.registerTracing(app);
    }
    await app.register(closingPlugin);
    await app.register(errorsPlugin);
    await app.register(httpMetricsPlugin);
    await app.register(storePlugin);
    await app.register(temporalPlugin);
    await app.register(metaPlugin);
    await app.register(authPlugin);
    await app.register(rateLimitPlugin, { now: opts.now });
    await app.register(openapiPlugin);
    await app.register(webhooksPlugin);
    await app.register(actionsPlugin);
    await app.register(sequencesPlugin);
    await app.register(automationsPlugin);
    await app.register(inboxPlugin);
    await app.register(sendingPlugin);
    await app.register(wooIntakePlugin);
    await app.register(paymentsPlugin);
    await app.register(mediaPlugin);

    await app.register(healthRoutes);
    await app.register(authRoutes);
    await app.register(organizationRoutes);
    await app.register(apiKeyRoutes);
    await app.register(accountRoutes);
    await app.register(templateRoutes);
    await app.register(contactRoutes);
    await app.register(contactBulkRoutes);
    await app.register(transferRoutes);
    await app.register(messageRoutes, { now: opts.now });
    await app.register(mediaRoutes);
    await app.register(messageMediaRoutes);
    await app.register(campaignRoutes);
    await app.register(actionRoutes);
    await app.register(sequenceRoutes);
    await app.register(automationRoutes);
    await app.register(metaWebhookRoutes);
    await app.register(inboundWebhookRoutes);
    await app.register(metaEventRoutes);
    await app.register(wooWebhookRoutes);
    await app.register(wooStoreRoutes);
    await app.register(integrationRoutes);
    await app.register(paymentLinkRoutes);
    await app.register(paymentWebhookRoutes);
    await app.register(webhookEndpointRoutes);
    await app.register(webhookDeliveryRoutes);
    await app.register(metricsRoutes);
  } catch (err) {
    // Release what the plugins that did load have opened (connections, timers).
    await app.close();
    throw err;
  }
  return app;
}
