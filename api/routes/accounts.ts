import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetaApiError } from '../../meta/errors';
import type { MetaClient, MetaPhoneNumber } from '../../meta/client';
import { randomToken } from '../../lib/crypto';
import { NotFoundError, ServiceUnavailableError, ValidationError } from '../../lib/errors';
import { sendRatesByAccount } from '../../metrics/send-rate';
import type { AccountChanges } from '../../store/accounts';
import type { Store } from '../../store/contract';
import type { AccountDoc } from '../../store/documents';
import {
  accountView,
  AccountView,
  CreateAccountBody,
  CreatedAccountView,
  IDLE,
  UpdateAccountBody,
  type SendActivity,
} from '../schemas/accounts';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

type AccountBody = z.infer<typeof UpdateAccountBody>;

function changesOf(body: AccountBody): AccountChanges {
  return {
    name: body.name,
    phoneNumberId: body.phone_number_id,
    wabaId: body.waba_id,
    accessToken: body.access_token,
    appSecret: body.app_secret,
    verifyToken: body.webhook_verify_token,
    displayPhoneNumber: body.display_phone_number,
    isDefault: body.is_default,
    throughput: body.throughput,
  };
}

/** What the simulator needs to recognise a sandbox account cannot be changed. */
const SANDBOX_FIXED = [
  'phone_number_id',
  'waba_id',
  'access_token',
  'app_secret',
  'webhook_verify_token',
] as const;

const notFound = (id: string) => new NotFoundError(`Account '${id}' not found`);

/** The accounts' views with what each is sending: one queue and one lane read for them all. */
async function viewsOf(store: Store, docs: AccountDoc[]) {
  if (!docs.length) return [];
  const ids = docs.map((d) => d._id);
  const [depths, lanes] = await Promise.all([
    store.sendQueue.depths(ids),
    store.sendLanes.list(ids),
  ]);
  const rates = sendRatesByAccount(lanes);
  return docs.map((doc) => {
    const queue = depths.get(doc._id);
    const activity: SendActivity = {
      queue: { transactional: queue?.transactional ?? 0, bulk: queue?.bulk ?? 0 },
      send_rate: rates.get(doc._id) ?? IDLE.send_rate,
    };
    return accountView(doc, activity);
  });
}

const viewOf = async (store: Store, doc: AccountDoc) => (await viewsOf(store, [doc]))[0]!;

/**
 * Phone numbers are unique across organizations and route inbound webhooks, so a number is only
 * stored once its access token has shown it can read the number at Meta: otherwise anyone could
 * claim another business's number first and take its inbound messages.
 */
async function verifyNumber(
  meta: MetaClient,
  log: FastifyBaseLogger,
  target: {
    graphUrl: string;
    accessToken: string;
    phoneNumberId: string;
    /** The field to name when Meta says this token cannot read this number. */
    field: 'phone_number_id' | 'access_token';
  },
): Promise<MetaPhoneNumber> {
  try {
    return await meta.getPhoneNumber(target);
  } catch (err) {
    if (!(err instanceof MetaApiError)) throw err;
    if (err.httpStatus === null || err.httpStatus >= 500) {
      log.warn({ err }, 'Meta could not be reached to verify a phone number');
      throw new ServiceUnavailableError(
        'Meta could not be reached to verify the phone number; try again later',
      );
    }
    if (err.code === 100) {
      throw new ValidationError(
        `${target.field}: this access token cannot read phone number ${target.phoneNumberId} at Meta`,
      );
    }
    throw new ValidationError(`access_token: Meta refused it (${err.metaMessage})`);
  }
}

/** Meta shows some display numbers as bare digits; accounts keep them in E.164 form. */
const displayNumber = (n: MetaPhoneNumber) =>
  n.displayPhoneNumber && /^\d+$/.test(n.displayPhoneNumber)
    ? `+${n.displayPhoneNumber}`
    : n.displayPhoneNumber;

export const accountRoutes: FastifyPluginAsyncZod = async (app) => {
  const withId = {
    params: IdParams,
    response: {
      200: envelope(AccountView),
      400: ErrorSchema,
      404: ErrorSchema,
      ...protectedErrors,
    },
  };

  app.post(
    '/api/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Connect a WhatsApp Business number; its secrets are stored encrypted',
        body: CreateAccountBody,
        response: {
          201: envelope(CreatedAccountView),
          400: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const number = await verifyNumber(app.meta, request.log, {
        graphUrl: app.config.meta.graphUrl,
        accessToken: body.access_token,
        phoneNumberId: body.phone_number_id,
        field: 'phone_number_id',
      });
      const verifyToken = body.webhook_verify_token ?? randomToken(24);
      const doc = await app.store.accounts.create(orgOf(request.principal), {
        name: body.name,
        phoneNumberId: body.phone_number_id,
        wabaId: body.waba_id,
        accessToken: body.access_token,
        appSecret: body.app_secret,
        verifyToken,
        displayPhoneNumber: body.display_phone_number ?? displayNumber(number),
        isDefault: body.is_default,
        throughput: body.throughput,
      });
      const view = accountView(doc);
      return reply
        .code(201)
        .send(
          ok(body.webhook_verify_token ? view : { ...view, webhook_verify_token: verifyToken }),
        );
    },
  );

  app.get(
    '/api/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: "List the organization's WhatsApp accounts (never their secrets)",
        response: {
          200: envelope(z.object({ accounts: z.array(AccountView) })),
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const docs = await app.store.accounts.list(orgOf(request.principal));
      return ok({ accounts: await viewsOf(app.store, docs) });
    },
  );

  app.get(
    '/api/accounts/:id',
    { schema: { tags: ['accounts'], summary: 'Get a WhatsApp account', ...withId } },
    async (request) => {
      const doc = await app.store.accounts.get(orgOf(request.principal), request.params.id);
      if (!doc) throw notFound(request.params.id);
      return ok(await viewOf(app.store, doc));
    },
  );

  app.put(
    '/api/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Change the given fields; a new access_token reconnects the account',
        body: UpdateAccountBody,
        ...withId,
        response: { ...withId.response, 409: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const body = request.body;
      const current = await app.store.accounts.get(orgId, id);
      if (!current) throw notFound(id);
      if (current.sandbox) {
        const fixed = SANDBOX_FIXED.filter((field) => body[field] !== undefined);
        if (fixed.length) {
          throw new ValidationError(
            `The sandbox account's ${fixed.join(', ')} cannot be changed: connect your own number instead`,
          );
        }
      }
      if (body.is_default === false && current.is_default) {
        throw new ValidationError(
          'is_default: make another account the default instead of unsetting this one',
        );
      }
      const changes = changesOf(body);
      const numberChanged =
        body.phone_number_id !== undefined && body.phone_number_id !== current.phone_number_id;
      if (!current.sandbox && (numberChanged || body.access_token !== undefined)) {
        const number = await verifyNumber(app.meta, request.log, {
          graphUrl: current.graph_url,
          accessToken: body.access_token ?? app.store.accounts.credentials(current).accessToken,
          phoneNumberId: body.phone_number_id ?? current.phone_number_id,
          field: numberChanged ? 'phone_number_id' : 'access_token',
        });
        if (numberChanged && body.display_phone_number === undefined) {
          changes.displayPhoneNumber = displayNumber(number);
        }
      }
      const doc = await app.store.accounts.update(orgId, id, changes);
      if (!doc) throw notFound(id);
      return ok(await viewOf(app.store, doc));
    },
  );

  app.delete(
    '/api/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Disconnect and delete an account and its synced templates',
        ...withId,
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const { id } = request.params;
      const current = await app.store.accounts.get(orgId, id);
      if (!current) throw notFound(id);
      if (current.sandbox) {
        throw new ValidationError('The sandbox account cannot be deleted');
      }
      const doc = await app.store.accounts.remove(orgId, id);
      if (!doc) throw notFound(id);
      await app.store.templates.removeForAccount(id);
      return ok(await viewOf(app.store, doc));
    },
  );
};
