import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import { invalidParameter, invalidToken, MetaError } from './errors';
import { messageRoutes } from './messages';
import { bearerToken, entryOf, openEntry } from './request-log';
import type { SimState } from './state';
import { templatePage, type TemplatePageQuery } from './templates';
import { sleep, type WebhookDispatcher } from './webhooks';

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Fastify's own errors (bad JSON, wrong content type) in Graph API form. */
function asMetaError(err: FastifyError): MetaError {
  if (err instanceof MetaError) return err;
  if (err.statusCode !== undefined && err.statusCode < 500) {
    return invalidParameter(`The request could not be read: ${err.message}`);
  }
  return new MetaError(500, 1, 'An unknown error has occurred.');
}

/** The Graph API part: bearer auth, latency, the request log and Meta-shaped errors. */
export function graphRoutes(opts: {
  state: SimState;
  dispatcher: WebhookDispatcher;
  accessToken: string;
}) {
  const { state, dispatcher, accessToken } = opts;
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (req) => {
      openEntry(state, req);
      if (state.options.latencyMs > 0) await sleep(state.options.latencyMs);
    });
    app.addHook('preValidation', async (req) => {
      const entry = entryOf(req);
      if (entry) entry.body = req.body ?? null;
      const token = bearerToken(req);
      if (token === null || !sameToken(token, accessToken)) throw invalidToken();
    });
    app.addHook('onResponse', async (req, reply) => {
      const entry = entryOf(req);
      if (entry?.outcome === 'answered') entry.status = reply.statusCode;
    });
    app.setErrorHandler<FastifyError>(async (err, req, reply) => {
      const e = asMetaError(err);
      if (e.httpStatus >= 500 && !(err instanceof MetaError)) req.log.error({ err }, 'failed');
      const entry = entryOf(req);
      if (entry) entry.error_code = e.code;
      return reply.code(e.httpStatus).send(e.body());
    });

    await app.register(messageRoutes(state, dispatcher));

    app.get<{ Params: { version: string; wabaId: string }; Querystring: TemplatePageQuery }>(
      '/:version/:wabaId/message_templates',
      async (req) => {
        const { version, wabaId } = req.params;
        const base = `${req.protocol}://${req.host}/${version}/${wabaId}/message_templates`;
        return templatePage(state.templatesOf(wabaId), req.query, (cursor, limit) => {
          const query = new URLSearchParams({ limit: String(limit), ...cursor });
          return `${base}?${query.toString()}`;
        });
      },
    );

    app.get<{ Params: { version: string; phoneNumberId: string } }>(
      '/:version/:phoneNumberId',
      async (req) => {
        const number = state.number(req.params.phoneNumberId);
        return {
          verified_name: 'Waflow Sandbox',
          code_verification_status: 'VERIFIED',
          display_phone_number: number.displayPhoneNumber,
          quality_rating: 'GREEN',
          platform_type: 'CLOUD_API',
          throughput: { level: 'STANDARD' },
          id: number.id,
        };
      },
    );
  };
}
