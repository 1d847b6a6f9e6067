import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NotFoundError } from '../lib/errors';
import { deliverAbandonedPaymentEvents } from '../payments/deliver-events';
import { GatewayRejectedError } from '../payments/gateways';
import {
  closeLink,
  createGatewayLink,
  failLinkCreation,
  sendLinkMessage,
  type GatewayLinkCreated,
} from '../payments/link-steps';
import { paymentOutcomes } from '../payments/outcomes';
import type { ActivityDeps } from './deps';

export type { GatewayLinkCreated } from '../payments/link-steps';

export const PaymentFailure = {
  rejected: 'PaymentGatewayRejected',
  gone: 'PaymentLinkGone',
} as const;

/** A link that is gone, or a gateway that refused, fails the workflow's step for good. */
function nonRetryable(err: unknown): unknown {
  if (err instanceof NotFoundError) {
    return ApplicationFailure.nonRetryable(err.message, PaymentFailure.gone);
  }
  if (err instanceof GatewayRejectedError) {
    return ApplicationFailure.nonRetryable(err.message, PaymentFailure.rejected);
  }
  return err;
}

async function step<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw nonRetryable(err);
  }
}

/** What a payment link's workflow (`payment:<id>`) does with the gateway, the store and the send queue. */
export function paymentActivities({ store, signals, config }: ActivityDeps) {
  const outcomes = paymentOutcomes({ store, signals });
  const deps = { store, config, outcomes };

  return {
    /** Hands stored gateway events that no API process delivered to their links' workflows. */
    deliverAbandonedPaymentEvents(): Promise<number> {
      const logger = {
        warn(meta: object, msg: string) {
          log.warn(msg, { ...meta });
        },
      };
      return deliverAbandonedPaymentEvents({
        store,
        temporal: Context.current().client,
        outcomes,
        log: logger,
      });
    },

    /** Creates the link at its gateway, and `payment_link.created` (payments/link-steps.ts). */
    createGatewayLink(linkId: string): Promise<GatewayLinkCreated> {
      return step(() => createGatewayLink(deps, linkId));
    },

    /** The gateway would not create the link: the link has failed for good. */
    failPaymentLinkCreation(linkId: string, error: string): Promise<void> {
      return failLinkCreation(deps, linkId, error);
    },

    /** The link message, or reminder number `n` while the link is unpaid. */
    sendPaymentMessage(linkId: string, kind: 'link' | 'reminder', n = 1): Promise<void> {
      return step(() => sendLinkMessage(deps, linkId, kind, n));
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

    /** Expired or cancelled: deactivated at the gateway first (payments/link-steps.ts). */
    closePaymentLink(
      linkId: string,
      to: 'expired' | 'cancelled',
      deactivate: boolean,
    ): Promise<void> {
      return step(() =>
        closeLink(deps, linkId, to, deactivate, (err) => {
          log.warn('the gateway refused to deactivate the link', { linkId, error: err.message });
        }),
      );
    },
  };
}

export type PaymentActivities = ReturnType<typeof paymentActivities>;
