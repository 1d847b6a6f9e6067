import { resolveAccount } from '../accounts/resolve';
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { flushOutbox } from '../contacts/outbox';
import { requestPhone } from '../contacts/phone';
import type { Config } from '../lib/config';
import { sha256Hex } from '../lib/crypto';
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../lib/errors';
import { idFrom } from '../lib/ids';
import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { ContactDoc, PaymentGateway, PaymentLinkDoc } from '../store/documents';
import {
  PAYMENT_LINK_WORKFLOW,
  type PaymentLinkInput,
  type PaymentLinkWorkflow,
  paymentLinkWorkflowId,
} from '../workflows/contracts/payment-link';
import { defaultGateway, paymentTermsProblem } from './currencies';
import { GATEWAY_NAMES } from './gateways';

/** A payment link to create and send: to a contact, by its id, phone number or user id. */
export interface CreatePaymentLinkRequest {
  contact_id?: string;
  phone_number?: string;
  /** A contact's business-scoped user id: for customers known without a number. */
  user_id?: string;
  /** The country of a national phone_number (else the organization's). */
  default_country?: string;
  /** In the currency's minor unit. */
  amount: number;
  currency: string;
  description: string;
  gateway?: PaymentGateway;
  expires_in_minutes: number;
  /** Undefined: half the expiry; null: no reminder. */
  reminder_after_minutes?: number | null;
  reference_id?: string;
  whatsapp_account?: string;
}

export interface CreatePaymentLinkDeps {
  store: Store;
  temporal: Client;
  config: Pick<Config, 'temporal'>;
  log: Log;
}

const MINUTE = 60_000;

/** How long a link may stay payable, in minutes: 15 minutes to 48 hours. */
export const LINK_EXPIRY_MINUTES = { min: 15, max: 48 * 60 } as const;

/** How long a link lasts when its request does not say. */
export const DEFAULT_EXPIRES_IN_MINUTES = 24 * 60;

/**
 * Creates a payment link and starts its workflow, which creates it at the gateway and sends it.
 * With an idempotency key, repeating the same request returns the first link (a different
 * request under the same key is a conflict).
 */
export async function createPaymentLink(
  deps: CreatePaymentLinkDeps,
  orgId: string,
  body: CreatePaymentLinkRequest,
  idempotencyKey?: string,
): Promise<PaymentLinkDoc> {
  const { store, log } = deps;
  const terms = paymentTermsProblem(body.amount, body.currency, body.gateway);
  if (terms) throw new ValidationError(terms);
  const gateway = body.gateway ?? defaultGateway(body.currency);
  const expiresInMs = body.expires_in_minutes * MINUTE;
  const remindAfterMs =
    body.reminder_after_minutes === null
      ? null
      : body.reminder_after_minutes === undefined
        ? Math.round(expiresInMs / 2)
        : body.reminder_after_minutes * MINUTE;
  if (remindAfterMs !== null && remindAfterMs >= expiresInMs) {
    throw new ValidationError('reminder_after_minutes: must be before the link expires');
  }
  if (!(await store.gatewaySettings.get(orgId, gateway))) {
    throw new ValidationError(
      `gateway: ${GATEWAY_NAMES[gateway]} is not configured (PUT /api/integrations/${gateway})`,
      'gateway_not_configured',
    );
  }
  const account = await resolveAccount(store, orgId, body.whatsapp_account);
  const contact = await recipientOf(store, log, orgId, body);

  const key = idempotencyKey;
  const requestHash = key ? sha256Hex(JSON.stringify(body)) : null;
  const now = new Date();
  const { doc, created } = await store.paymentLinks.create(
    {
      _id: key ? idFrom(`payment-link:${orgId}:${key}`) : randomUUID(),
      org_id: orgId,
      contact_id: contact._id,
      phone_number: contact.phone_number,
      account_id: account._id,
      amount: body.amount,
      currency: body.currency,
      description: body.description,
      gateway,
      reference_id: body.reference_id ?? null,
      expires_at: new Date(now.getTime() + expiresInMs),
      remind_at: remindAfterMs === null ? null : new Date(now.getTime() + remindAfterMs),
      request_hash: requestHash,
    },
    now,
  );
  if (!created && (doc.org_id !== orgId || doc.request_hash !== requestHash)) {
    throw new IdempotencyKeyReusedError(key!);
  }
  try {
    await startWorkflow(deps, doc);
  } catch (err) {
    if (created) {
      const reason = `The payment link could not be started: ${(err as Error).message}`;
      await store.paymentLinks
        .transition(doc._id, ['created'], 'failed', new Date(), reason, { error: reason })
        .catch((e: unknown) => log.error({ err: e }, 'payment link not marked failed'));
    }
    throw err;
  }
  return doc;
}

/** The contact by id, by user id, or by phone number (a new number becomes a contact). */
async function recipientOf(
  store: Store,
  log: Log,
  orgId: string,
  body: CreatePaymentLinkRequest,
): Promise<ContactDoc> {
  if (body.contact_id !== undefined) {
    const contact = await store.contacts.get(orgId, body.contact_id);
    if (!contact) throw new NotFoundError(`Contact '${body.contact_id}' not found`);
    return contact;
  }
  if (body.user_id !== undefined) {
    const contact = await store.contacts.findByUserId(orgId, body.user_id);
    if (!contact) throw new NotFoundError(`No contact has user_id '${body.user_id}'`);
    return contact;
  }
  const phone = await requestPhone(
    store,
    orgId,
    body.phone_number!,
    'phone_number',
    body.default_country,
  );
  const found = await store.contacts.findByPhone(orgId, phone);
  if (found) return found;
  const contact = await store.contacts.ensure(orgId, phone, 'api');
  await flushOutbox(store, log, 'contacts', contact._id);
  return contact;
}

async function startWorkflow(
  { temporal, config }: Pick<CreatePaymentLinkDeps, 'temporal' | 'config'>,
  link: PaymentLinkDoc,
) {
  try {
    await temporal.workflow.start<PaymentLinkWorkflow>(PAYMENT_LINK_WORKFLOW, {
      workflowId: paymentLinkWorkflowId(link._id),
      taskQueue: config.temporal.taskQueue,
      // One workflow per link, ever: a replayed create must not run it again.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [{ linkId: link._id, orgId: link.org_id } satisfies PaymentLinkInput],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
