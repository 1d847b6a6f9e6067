import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { deliverPaymentEvents } from '../payments/deliver-events';
import { gatewayFor, GatewayRejectedError } from '../payments/gateways';
import { paymentOutcomes } from '../payments/outcomes';
import type { PaymentLinkDoc } from '../store/documents';
import type { ActivityDeps } from './deps';

export const PaymentFailure = {
  rejected: 'PaymentGatewayRejected',
  gone: 'PaymentLinkGone',
} as const;

/**
 * Stored gateway events this old and still undelivered were left behind: their API process
 * died, or its queue was full. (Delivering twice is harmless: outcomes apply once.)
 */
const ABANDONED_AFTER_MS = 2 * 60_000;
const EVENTS_PER_RUN = 200;

export interface GatewayLinkCreated {
  /** Epoch ms. */
  expiresAt: number;
  remindAt: number | null;
  remindersSent: number;
}

/** What a payment link's workflow (`payment:<id>`) does with the gateway, the store and the send queue. */
export function paymentActivities({ store, signals, config }: ActivityDeps) {
  const outcomes = paymentOutcomes({ store, signals });

  async function link(id: string): Promise<PaymentLinkDoc> {
    const doc = await store.paymentLinks.byId(id);
    if (!doc)
      throw ApplicationFailure.nonRetryable(`Payment link ${id} not found`, PaymentFailure.gone);
    return doc;
  }

  const rejected = (err: unknown) =>
    err instanceof GatewayRejectedError
      ? ApplicationFailure.nonRetryable(err.message, PaymentFailure.rejected)
      : err;

  return {
    /** Hands stored gateway events that no API process delivered to their links' workflows. */
    async deliverAbandonedPaymentEvents(): Promise<number> {
      const pending = await store.paymentEvents.pending(ABANDONED_AFTER_MS, EVENTS_PER_RUN);
      const logger = {
        warn(meta: object, msg: string) {
          log.warn(msg, { ...meta });
        },
      };
      const done = await deliverPaymentEvents(
        { store, temporal: Context.current().client, outcomes, log: logger },
        pending,
      );
      await store.paymentEvents.markProcessed(done);
      return done.length;
    },

    /**
     * Creates the link at its gateway (idempotent: the gateway is given our link id as its key),
     * records its id and URL, and `payment_link.created`.
     */
    async createGatewayLink(linkId: string): Promise<GatewayLinkCreated> {
      let doc = await link(linkId);
      if (!doc.gateway_link_id) {
        const contact = await store.contacts.get(doc.org_id, doc.contact_id);
        try {
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
        } catch (err) {
          throw rejected(err);
        }
      }
      await outcomes.record(doc, 'payment_link.created', linkId, doc.created_at);
      return {
        expiresAt: doc.expires_at.getTime(),
        remindAt: doc.remind_at?.getTime() ?? null,
        remindersSent: doc.reminders_sent,
      };
    },

    /** The gateway would not create the link: the link has failed for good. */
    async failPaymentLinkCreation(linkId: string, error: string): Promise<void> {
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
    },

    /** The link message, or reminder number `n` while the link is unpaid. */
    async sendPaymentMessage(linkId: string, kind: 'link' | 'reminder', n = 1): Promise<void> {
      const doc = await link(linkId);
      if (kind === 'reminder') {
        if (doc.status !== 'created' && doc.status !== 'failed') return;
        await outcomes.send(doc, 'reminder', n);
        await store.paymentLinks.countReminder(linkId, n);
        return;
      }
      await store.paymentLinks.setMessage(linkId, 'link', await outcomes.send(doc, 'link'));
    },

    async paymentLinkPaid(linkId: string, paymentId: string | null, at: number): Promise<void> {
      await outcomes.paid(linkId, { paymentId, at: new Date(at) });
    },

    async paymentLinkFailed(
      linkId: string,
      attempt: { eventId: string; paymentId: string | null; reason: string | null; at: number },
    ): Promise<void> {
      await outcomes.failed(linkId, { ...attempt, at: new Date(attempt.at) });
    },

    /**
     * Expired or cancelled: deactivated at the gateway first (unless the gateway said so
     * itself), so that no payment starts after the link is closed here.
     */
    async closePaymentLink(
      linkId: string,
      to: 'expired' | 'cancelled',
      deactivate: boolean,
    ): Promise<void> {
      const doc = await link(linkId);
      if (deactivate && doc.gateway_link_id) {
        try {
          const gateway = await gatewayFor(store, config, doc.org_id, doc.gateway);
          await gateway.deactivateLink(doc.gateway_link_id);
        } catch (err) {
          if (!(err instanceof GatewayRejectedError)) throw err;
          log.warn('the gateway refused to deactivate the link', { linkId, error: err.message });
        }
      }
      await outcomes.closed(linkId, to, deactivate ? null : `${to} at the gateway`);
    },
  };
}

export type PaymentActivities = ReturnType<typeof paymentActivities>;
