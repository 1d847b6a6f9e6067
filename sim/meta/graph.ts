import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import {
  invalidParameter,
  invalidToken,
  MetaError,
  nonexistingField,
  unsupportedRequest,
} from './errors';
import { mediaDownloadRoute, mediaNode } from './media-routes';
import { messageRoutes } from './messages';
import { bearerToken, entryOf, openEntry } from './request-log';
import type { SimState } from './state';
import { templatePage, type TemplatePageQuery } from './templates';
import { versionError } from './versions';
import type { WebhookDispatcher } from './webhooks';

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** A Graph node limited to the asked `fields` (comma-separated); `id` always comes along. */
function pickFields(node: Record<string, unknown>, fields: string | undefined, nodeType: string) {
  if (fields === undefined) return node;
  const asked = new Set(
    fields
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== ''),
  );
  for (const field of asked) if (!(field in node)) throw nonexistingField(field, nodeType);
  return Object.fromEntries(Object.entries(node).filter(([k]) => k === 'id' || asked.has(k)));
}

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
  // Every candidate is compared, so the time taken does not tell which one matched.
  const accepted = (token: string) => {
    let ok = sameToken(token, accessToken);
    for (const registered of state.registeredTokens()) ok = sameToken(token, registered) || ok;
    return ok;
  };
  /** A number registered with a token is that token's (and the sandbox token's) only. */
  const mayUse = (req: FastifyRequest, phoneNumberId: string) => {
    const owner = state.ownerOf(phoneNumberId);
    if (owner === undefined) return true;
    const token = bearerToken(req) ?? '';
    const isOwner = sameToken(token, owner);
    const isSandbox = sameToken(token, accessToken);
    return isOwner || isSandbox;
  };
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (req) => {
      openEntry(state, req);
      if (state.options.latencyMs > 0) await sleep(state.options.latencyMs);
    });
    app.addHook('preValidation', async (req) => {
      const entry = entryOf(req);
      if (entry) entry.body = req.body ?? null;
      const path = req.url.split('?')[0] ?? req.url;
      const refused = versionError(path.split('/')[1] ?? '', path, state.today());
      if (refused) throw refused;
      const token = bearerToken(req);
      if (token === null || !accepted(token)) throw invalidToken();
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

    await app.register(messageRoutes(state, dispatcher, mayUse));
    await app.register(mediaDownloadRoute(state, mayUse));

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

    /** A WABA node: readable by a token that may use one of its numbers. */
    const wabaNode = (req: FastifyRequest, wabaId: string, fields: string | undefined) => {
      const numbers = state.numbersOf(wabaId);
      if (numbers.length && !numbers.some((n) => mayUse(req, n.id))) {
        throw unsupportedRequest('GET', wabaId);
      }
      const business = state.businessOf(wabaId);
      const node = {
        name: 'Waflow Sandbox',
        account_review_status: 'APPROVED',
        owner_business_info: { id: business, name: `Business ${business}` },
        id: wabaId,
      };
      return pickFields(node, fields, 'WhatsAppBusinessAccount');
    };

    app.get<{
      Params: { version: string; phoneNumberId: string };
      Querystring: { fields?: string };
    }>('/:version/:phoneNumberId', async (req) => {
      const { phoneNumberId } = req.params;
      const media = mediaNode(req, state, mayUse, phoneNumberId);
      if (media) return media;
      // Unlike a send, a read does not register the number (Meta knows only existing ones),
      // except with the sandbox token, whose numbers exist from the start as sends treat them.
      const sandbox = sameToken(bearerToken(req) ?? '', accessToken);
      if (!state.knownNumber(phoneNumberId) && state.knownWaba(phoneNumberId)) {
        return wabaNode(req, phoneNumberId, req.query.fields);
      }
      const number =
        state.knownNumber(phoneNumberId) ?? (sandbox ? state.number(phoneNumberId) : undefined);
      if (!number || !mayUse(req, phoneNumberId)) throw unsupportedRequest('GET', phoneNumberId);
      const node = {
        verified_name: 'Waflow Sandbox',
        code_verification_status: 'VERIFIED',
        display_phone_number: number.displayPhoneNumber,
        quality_rating: number.qualityRating ?? 'GREEN',
        whatsapp_business_manager_messaging_limit: state.messagingLimitTier(number.wabaId),
        platform_type: 'CLOUD_API',
        throughput: { level: 'STANDARD' },
        id: number.id,
      };
      return pickFields(node, req.query.fields, 'WhatsAppBusinessPhoneNumber');
    });
  };
}
