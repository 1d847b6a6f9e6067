import type { Config } from '../lib/config';
import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { PaymentLinkDoc } from '../store/documents';
import { gatewayFor, GatewayRejectedError } from './gateways';
import type { PaymentOutcomes } from './outcomes';

/**
 * The steps of a payment link's workflow that reach the gateway, the store and the send queue.
 * A link that is gone is a NotFoundError; a gateway that refuses, a GatewayRejectedError.
 */
export interface LinkStepDeps {
  store: Store;
  config: Pick<Config, 'payments'>;
  outcomes: PaymentOutcomes;
}

export interface GatewayLinkCreated {
  /** Epoch ms. */
  expiresAt: number;
  remindAt: number | null;
  remindersSent: number;
}

async function linkOf(store: Store, id: string): Promise<PaymentLinkDoc> {
  const doc = await store.paymentLinks.byId(id);
  if (!doc) throw new NotFoundError(`Payment link ${id} not found`);
  return doc;
}

/**
 * Creates the link at its gateway (idempotent: the gateway is given our link id as its key),
 * records its id and URL, and `payment_link.created`.
 */
export async function createGatewayLink(
  { store, config, outcomes }: LinkStepDeps,
  linkId: string,
): Promise<GatewayLinkCreated> {
  let doc = await linkOf(store, linkId);
  if (!doc.gateway_link_id) {
    const contact = await store.contacts.get(doc.org_id, doc.contact_id);
    const gateway = await gatewayFor(store, config, doc.org_id, doc.gateway);
    const created = await gateway.createLink({
      linkId,
      amount: doc.amount,
      currency: doc.currency,
      description: doc.description,
      expiresAt: doc.expires_at,
      customer: { name: contact?.name ?? null, phone: doc.phone_number },
      referenceId: doc.reference_id,
    });
    doc = (await store.paymentLinks.setGatewayLink(linkId, created.id, created.url)) ?? doc;
  }
  await outcomes.record(doc, 'payment_link.created', linkId, doc.created_at);
  return {
    expiresAt: doc.expires_at.getTime(),
    remindAt: doc.remind_at?.getTime() ?? null,
    remindersSent: doc.reminders_sent,
  };
}

/** The gateway would not create the link: the link has failed for good. */
export async function failLinkCreation(
  { store, outcomes }: Pick<LinkStepDeps, 'store' | 'outcomes'>,
  linkId: string,
  error: string,
): Promise<void> {
  const doc = await store.paymentLinks.transition(
    linkId,
    ['created'],
    'failed',
    new Date(),
    error,
    { error },
  );
  if (doc) {
    await outcomes.record(doc, 'payment_link.failed', `${linkId}:create`, new Date(), {
      reason: error,
    });
  }
}

/** The link message, or reminder number `n` while the link is unpaid. */
export async function sendLinkMessage(
  { store, outcomes }: Pick<LinkStepDeps, 'store' | 'outcomes'>,
  linkId: string,
  kind: 'link' | 'reminder',
  n = 1,
): Promise<void> {
  const doc = await linkOf(store, linkId);
  if (kind === 'reminder') {
    if (doc.status !== 'created' && doc.status !== 'failed') return;
    await outcomes.send(doc, 'reminder', n);
    await store.paymentLinks.countReminder(linkId, n);
    return;
  }
  await store.paymentLinks.setMessage(linkId, 'link', await outcomes.send(doc, 'link'));
}

/**
 * Expired or cancelled: deactivated at the gateway first (unless the gateway said so itself),
 * so that no payment starts after the link is closed here. A gateway that refuses to
 * deactivate is reported to `refused`, and the link closed all the same.
 */
export async function closeLink(
  { store, config, outcomes }: LinkStepDeps,
  linkId: string,
  to: 'expired' | 'cancelled',
  deactivate: boolean,
  refused: (err: GatewayRejectedError) => void,
): Promise<void> {
  const doc = await linkOf(store, linkId);
  if (deactivate && doc.gateway_link_id) {
    try {
      const gateway = await gatewayFor(store, config, doc.org_id, doc.gateway);
      await gateway.deactivateLink(doc.gateway_link_id);
    } catch (err) {
      if (!(err instanceof GatewayRejectedError)) throw err;
      refused(err);
    }
  }
  await outcomes.closed(linkId, to, deactivate ? null : `${to} at the gateway`);
}
