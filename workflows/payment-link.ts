import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { GatewayLinkCreated, PaymentActivities } from '../activities/payments';
import type { PaymentLinkStatus } from '../store/documents';
import {
  type PaymentGatewayEvent,
  type PaymentLinkInput,
  cancelPaymentLinkUpdate,
  paymentEventSignal,
} from './contracts/payment-link';

const NON_RETRYABLE = ['PaymentGatewayRejected', 'PaymentLinkGone'];

const acts = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Creating at the gateway is given up after about ten minutes: the link has failed then. */
const create = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

const OPEN: PaymentLinkStatus[] = ['created', 'failed'];

/**
 * A payment link, `payment:<linkId>`: created at its gateway, sent on WhatsApp, then waiting for
 * the gateway's outcome (signals from its webhooks), its reminder and its expiry. A failed
 * attempt leaves it payable; a payment ends it with a receipt; expiry or a cancel deactivates it
 * at the gateway. A payment reported while it closes is still recorded (the gateway is the
 * truth); one reported after it ended is recorded by the webhook's processing directly.
 */
export async function paymentLinkWorkflow({
  linkId,
}: PaymentLinkInput): Promise<PaymentLinkStatus> {
  const events: PaymentGatewayEvent[] = [];
  let status: PaymentLinkStatus = 'created';
  let cancelRequested = false;
  let done = false;

  setHandler(paymentEventSignal, (e) => {
    events.push(e);
  });
  setHandler(
    cancelPaymentLinkUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => done);
      return status;
    },
    {
      validator: () => {
        if (!OPEN.includes(status) || done) {
          throw ApplicationFailure.create({
            message: `A ${status} payment link cannot be cancelled`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  let link: GatewayLinkCreated;
  try {
    link = await create.createGatewayLink(linkId);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.type === 'PaymentLinkGone') throw err;
    status = 'failed';
    await acts.failPaymentLinkCreation(linkId, (cause as Error)?.message ?? String(err));
    return finish();
  }
  if (!cancelRequested) await acts.sendPaymentMessage(linkId, 'link');
  let reminded = link.remindersSent > 0 || link.remindAt === null;

  for (;;) {
    const next = reminded ? link.expiresAt : Math.min(link.expiresAt, link.remindAt!);
    await condition(() => events.length > 0 || cancelRequested, Math.max(1, next - Date.now()));
    while (events.length) {
      const e = events.shift()!;
      if (e.kind === 'paid') {
        await acts.paymentLinkPaid(linkId, e.paymentId, e.at);
        status = 'paid';
        return finish();
      }
      if (e.kind === 'failed') {
        await acts.paymentLinkFailed(linkId, e);
        status = 'failed';
      } else {
        // The gateway expired or cancelled the link itself.
        await acts.closePaymentLink(linkId, e.kind, false);
        status = e.kind;
        return finish();
      }
    }
    if (cancelRequested || Date.now() >= link.expiresAt) {
      status = cancelRequested ? 'cancelled' : 'expired';
      await acts.closePaymentLink(linkId, status, true);
      return finish();
    }
    if (!reminded && Date.now() >= link.remindAt!) {
      await acts.sendPaymentMessage(linkId, 'reminder', 1);
      reminded = true;
    }
  }

  /** A payment that arrived while the link was closing is recorded, flagged late. */
  async function finish(): Promise<PaymentLinkStatus> {
    for (;;) {
      const paid = events.find((e) => e.kind === 'paid');
      events.length = 0;
      if (paid && status !== 'paid') {
        await acts.paymentLinkPaid(linkId, paid.paymentId, paid.at);
        status = 'paid';
      }
      done = true;
      await condition(allHandlersFinished);
      if (!events.length) return status;
    }
  }
}
