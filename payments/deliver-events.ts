import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { mapLimit } from '../lib/concurrency';
import type { Store } from '../store';
import type { PaymentEventDoc, PaymentLinkDoc } from '../store/documents';
import { paymentEventSignal, paymentLinkWorkflowId } from '../workflows/contracts/payment-link';
import type { PaymentOutcomes } from './outcomes';

export interface PaymentEventLogger {
  warn(obj: object, msg: string): void;
}

export interface DeliverDeps {
  store: Store;
  temporal: Client;
  outcomes: Pick<PaymentOutcomes, 'paid'>;
  log: PaymentEventLogger;
}

/** Signals in flight at once. */
const CONCURRENCY = 16;
/**
 * Stored gateway events this old and still undelivered were left behind: their API process
 * died, or its queue was full. (Delivering twice is harmless: outcomes apply once.)
 */
const ABANDONED_AFTER_MS = 2 * 60_000;
const EVENTS_PER_RUN = 200;

/** The link an event is about: by the id we gave the gateway, else by the gateway's own id. */
async function linkOf(store: Store, e: PaymentEventDoc): Promise<PaymentLinkDoc | null> {
  if (e.link_id) {
    const link = await store.paymentLinks.get(e.org_id, e.link_id);
    if (link) return link;
  }
  if (e.gateway_link_id) {
    return store.paymentLinks.byGatewayLinkId(e.org_id, e.gateway, e.gateway_link_id);
  }
  return null;
}

/**
 * Hands stored gateway events to their links' workflows; returns the ids handled (to mark
 * processed). Never throws: one that fails is recorded failed, for the recovery sweep. An
 * event for an unknown link is logged and done with. A payment for a link whose workflow has
 * ended (expired, cancelled) is recorded here directly, flagged as paid after close.
 */
export async function deliverPaymentEvents(
  deps: DeliverDeps,
  docs: PaymentEventDoc[],
): Promise<string[]> {
  const { store, temporal, outcomes, log } = deps;
  const handled = await mapLimit(docs, CONCURRENCY, async (e) => {
    try {
      const link = await linkOf(store, e);
      if (!link) {
        log.warn(
          { event: e._id, type: e.type, link_id: e.link_id, gateway_link_id: e.gateway_link_id },
          'payment event for an unknown link',
        );
        return e._id;
      }
      try {
        await temporal.workflow
          .getHandle(paymentLinkWorkflowId(link._id))
          .signal(paymentEventSignal, {
            eventId: e._id,
            kind: e.kind,
            paymentId: e.payment_id,
            reason: e.reason,
            at: e.received_at.getTime(),
          });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (e.kind === 'paid') {
          await outcomes.paid(link._id, { paymentId: e.payment_id, at: e.received_at });
        } else {
          log.warn(
            { event: e._id, link: link._id, status: link.status },
            'payment event after the link closed',
          );
        }
      }
      return e._id;
    } catch (err) {
      log.warn({ event: e._id, err }, 'payment event not delivered; the recovery sweep retries it');
      await store.paymentEvents.markFailed(e._id, (err as Error).message).catch(() => undefined);
      return null;
    }
  });
  return handled.filter((id): id is string => id !== null);
}

/** Hands stored gateway events that no API process delivered to their links' workflows. */
export async function deliverAbandonedPaymentEvents(deps: DeliverDeps): Promise<number> {
  const pending = await deps.store.paymentEvents.pending(ABANDONED_AFTER_MS, EVENTS_PER_RUN);
  const done = await deliverPaymentEvents(deps, pending);
  await deps.store.paymentEvents.markProcessed(done);
  return done.length;
}
