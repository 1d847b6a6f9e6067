import type { FastifyError, FastifyInstance } from 'fastify';
import { withMetaWording } from './errors';
import { InboundError, type InboundInput } from './inbound';
import {
  AccountEvent,
  AddTemplate,
  AddMedia,
  AdvanceClock,
  ChangeTemplate,
  ControlError,
  FailNext,
  Inbound,
  MediaFaults,
  OptionsPatch,
  parse,
  RegisterNumber,
  SendsQuery,
  SystemMessage,
} from './schemas';
import type { MetaSimulator } from './simulator';

/** `/_sim/*`: inspection and control for tests and the sandbox. No auth: bind it to loopback. */
export function controlRoutes(sim: MetaSimulator) {
  return async (app: FastifyInstance) => {
    app.setErrorHandler<FastifyError>(async (err, _req, reply) => {
      const status =
        err instanceof ControlError || err instanceof InboundError ? 400 : (err.statusCode ?? 500);
      return reply.code(status).send({ error: err.message });
    });

    app.get('/_sim/health', async () => ({ status: 'ok' }));

    app.get('/_sim/log', async () => sim.log);
    app.delete('/_sim/log', async (_req, reply) => {
      sim.clearLog();
      return reply.code(204).send();
    });

    app.get('/_sim/webhooks', async () => sim.webhookLog);
    app.delete('/_sim/webhooks', async (_req, reply) => {
      sim.clearWebhookLog();
      return reply.code(204).send();
    });
    app.get('/_sim/sends', async (req) =>
      sim.sends({ full: parse(SendsQuery, req.query).full === 'true' }),
    );
    app.delete('/_sim/sends', async (_req, reply) => {
      sim.clearSends();
      return reply.code(204).send();
    });

    app.post('/_sim/reset', async (_req, reply) => {
      sim.reset();
      return reply.code(204).send();
    });

    /** Answers once no webhook is pending, for clients in other processes. */
    app.get('/_sim/idle', async () => {
      await sim.idle();
      return { idle: true };
    });

    app.get('/_sim/config', async () => sim.options);
    app.post('/_sim/config', async (req) => {
      sim.setOptions(parse(OptionsPatch, req.body));
      return sim.options;
    });

    app.post('/_sim/fail-next', async (req) => {
      const { count, ...given } = parse(FailNext, req.body);
      const failure = 'code' in given ? withMetaWording(given) : given;
      if (!failure) {
        throw new ControlError(
          `httpStatus and message are required for code ${(given as { code: number }).code}`,
        );
      }
      sim.failNext(count, failure);
      return { queued: count };
    });

    app.post('/_sim/templates', async (req, reply) => {
      const body = parse(AddTemplate, req.body);
      const wabaId = body.wabaId ?? sim.phoneNumber(body.phoneNumberId ?? '').wabaId;
      return reply.code(201).send(sim.addTemplate(wabaId, body.template));
    });

    /** Meta's review changes a template: it posts the status, category or quality webhook. */
    app.patch('/_sim/templates', async (req) => {
      const { wabaId, phoneNumberId, name, language, ...change } = parse(ChangeTemplate, req.body);
      const waba = wabaId ?? sim.phoneNumber(phoneNumberId ?? '').wabaId;
      const template = sim.changeTemplate(waba, name, language, change);
      if (!template) throw new ControlError(`No template ${name} (${language}) in WABA ${waba}`);
      return template;
    });

    /** Any other account-level webhook, as Meta would post it: `{field, value}` about a WABA. */
    app.post('/_sim/account-events', async (req, reply) => {
      const { wabaId, phoneNumberId, field, value } = parse(AccountEvent, req.body);
      const waba = wabaId ?? sim.phoneNumber(phoneNumberId ?? '').wabaId;
      sim.accountEvent(waba, field, value);
      return reply.code(202).send({ posted: true, waba_id: waba });
    });

    app.post('/_sim/phone-numbers', async (req, reply) => {
      const body = parse(RegisterNumber, req.body);
      const number = sim.registerNumber(body);
      return reply.code(201).send({
        phone_number_id: number.id,
        waba_id: number.wabaId,
        display_phone_number: number.displayPhoneNumber,
      });
    });

    app.post('/_sim/inbound', async (req) => {
      parse(Inbound, req.body);
      return sim.inbound(req.body as InboundInput);
    });

    /** A media file to serve; an inbound message then names it (`image: {id}`). */
    app.post('/_sim/media', async (req, reply) => {
      const { data, size, ...rest } = parse(AddMedia, req.body);
      const file = sim.addMedia({
        ...rest,
        bytes: data ? Buffer.from(data, 'base64') : { size: size! },
      });
      return reply.code(201).send({ id: file.id, sha256: file.sha256, file_size: file.size });
    });

    app.post<{ Params: { id: string } }>('/_sim/media/:id/faults', async (req) => {
      const file = sim.mediaFaults(req.params.id, parse(MediaFaults, req.body));
      if (!file) throw new ControlError(`No media file ${req.params.id}`);
      return { id: file.id, fail_downloads: file.failDownloads, wrong_bytes: file.wrongBytes };
    });

    /** A user changes number or BSUID: Meta's system message reaches the webhook. */
    app.post('/_sim/system', async (req) => sim.system(parse(SystemMessage, req.body)));

    app.post('/_sim/clock', async (req) => {
      sim.advanceClock(parse(AdvanceClock, req.body).advanceMs);
      return { now: new Date(sim.now()).toISOString() };
    });
  };
}
