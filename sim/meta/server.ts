import Fastify from 'fastify';
import { accountWebhook, templateWebhooks } from './account-events';
import { controlRoutes } from './control';
import { unknownPath } from './errors';
import { graphRoutes } from './graph';
import { inboundPayload, systemPayload } from './inbound';
import { withMediaFile } from './media-files';
import { DEFAULT_OPTIONS, mergeOptions } from './options';
import { openEntry } from './request-log';
import { OptionsPatch, parse } from './schemas';
import type { MetaSimulator } from './simulator';
import { SimState } from './state';
import type { MetaSimulatorOptions, RuntimeOptionsPatch } from './types';
import { WebhookDispatcher } from './webhooks';

function baseUrl(host: string, port: number) {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Starts a Meta WhatsApp Cloud API simulator listening on `host:port`. */
export async function createMetaSimulator(opts: MetaSimulatorOptions): Promise<MetaSimulator> {
  const { host = '127.0.0.1', port = 0, accessToken, appSecret, now = Date.now } = opts;
  const initial = mergeOptions(DEFAULT_OPTIONS, parse(OptionsPatch, pickRuntime(opts)));
  const state = new SimState(initial, now, opts.templates ?? []);
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 5 * 1024 * 1024 });
  const dispatcher = new WebhookDispatcher(state, appSecret, app.log);
  app.removeContentTypeParser('text/plain');

  const sim: MetaSimulator = {
    url: '',
    app,
    get log() {
      return state.requestLog;
    },
    get webhookLog() {
      return state.webhookLog;
    },
    get options() {
      return state.options;
    },
    async inbound(input) {
      const number = state.number(input.phone_number_id);
      const { wamid, waId, userId, phone, payload } = inboundPayload(
        number,
        withMediaFile(state.media, input),
        state.now(),
      );
      state.knowUser(userId, phone);
      state.recordInbound(number.id, waId);
      dispatcher.track(() => dispatcher.post('message', wamid, null, payload));
      return { wamid, user_id: userId };
    },
    async system(input) {
      const number = state.number(input.phone_number_id);
      const { wamid, before, after, payload } = systemPayload(number, input, state.now());
      state.forgetUser(before.userId);
      state.knowUser(after.userId, after.waId);
      dispatcher.track(() => dispatcher.post('message', wamid, null, payload));
      return { wamid, user_id: after.userId };
    },
    addMedia: (input) => state.media.add(input),
    mediaFaults(id, faults) {
      const file = state.media.any(id);
      if (!file) return null;
      if (faults.fail_downloads !== undefined) file.failDownloads = faults.fail_downloads;
      if (faults.status !== undefined) file.failStatus = faults.status;
      if (faults.wrong_bytes !== undefined) file.wrongBytes = faults.wrong_bytes;
      return file;
    },
    failNext: (count, failure) => state.failNext(count, failure),
    sends: (o) => state.sendLog.summary(o?.full ?? false),
    setOptions: (patch) => state.setOptions(parse(OptionsPatch, patch)),
    addTemplate: (wabaId, template) => state.addTemplate(wabaId, template),
    changeTemplate(wabaId, name, language, change) {
      const changed = state.changeTemplate(wabaId, name, language, change);
      if (!changed) return null;
      for (const { field, value } of templateWebhooks(
        changed.before,
        changed.after,
        change.reason,
      )) {
        sim.accountEvent(wabaId, field, value);
      }
      return changed.after;
    },
    accountEvent(wabaId, field, value) {
      const payload = accountWebhook(wabaId, state.now(), field, value);
      dispatcher.track(() => dispatcher.post('account', '', null, payload));
    },
    phoneNumber: (id) => state.number(id),
    registerNumber: (n) =>
      state.registerNumber({
        id: n.phoneNumberId,
        wabaId: n.wabaId,
        displayPhoneNumber: n.displayPhoneNumber,
        accessToken: n.accessToken,
        marketingMessages: n.marketingMessages,
        qualityRating: n.qualityRating,
        businessId: n.businessId,
      }),
    now: () => state.now(),
    advanceClock: (ms) => state.advanceClock(ms),
    clearLog: () => void state.requestLog.splice(0),
    clearWebhookLog: () => void state.webhookLog.splice(0),
    clearSends: () => state.sendLog.clear(),
    reset: () => state.reset(),
    idle: () => dispatcher.idle(),
    async close() {
      await dispatcher.close();
      await app.close();
    },
  };

  app.setNotFoundHandler(async (req, reply) => {
    const entry = openEntry(state, req);
    const err = unknownPath(req.url.split('?')[0] ?? req.url);
    entry.status = 400;
    entry.error_code = err.code;
    return reply.code(400).send(err.body());
  });
  await app.register(controlRoutes(sim));
  await app.register(graphRoutes({ state, dispatcher, accessToken }));

  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  sim.url = baseUrl(host, actualPort);
  return sim;
}

function pickRuntime(o: MetaSimulatorOptions): RuntimeOptionsPatch {
  return {
    webhookUrl: o.webhookUrl,
    throughputPerSecond: o.throughputPerSecond,
    throughputPerNumber: o.throughputPerNumber,
    pairRate: o.pairRate,
    latencyMs: o.latencyMs,
    answerLatencyMs: o.answerLatencyMs,
    failureRate: o.failureRate,
    statusWebhooks: o.statusWebhooks,
    webhookRetry: o.webhookRetry,
    today: o.today,
  };
}
