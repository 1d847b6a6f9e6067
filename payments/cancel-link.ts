import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ConflictError, DomainError } from '../lib/errors';
import type { Store } from '../store';
import type { PaymentLinkDoc } from '../store/documents';
import {
  cancelPaymentLinkUpdate,
  paymentLinkWorkflowId,
} from '../workflows/contracts/payment-link';
import { paymentLinkOf } from './find-links';

/** How long a cancel waits for the workflow to take it. */
const UPDATE_DEADLINE_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * Cancels an unpaid link through its workflow (which deactivates it at the gateway and records
 * `payment_link.expired`); answers the link as it is then.
 */
export async function cancelPaymentLink(
  { store, temporal }: { store: Store; temporal: Client },
  orgId: string,
  id: string,
): Promise<PaymentLinkDoc> {
  const link = await paymentLinkOf(store, orgId, id);
  const handle = temporal.workflow.getHandle(paymentLinkWorkflowId(link._id));
  try {
    await temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      handle.executeUpdate(cancelPaymentLinkUpdate),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConflictError(err.cause?.message ?? 'Payment link cannot be cancelled');
    }
    if (err instanceof WorkflowNotFoundError) {
      const now = await paymentLinkOf(store, orgId, link._id);
      throw new ConflictError(`A ${now.status} payment link cannot be cancelled`);
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new DomainError(
        `The payment link did not answer in time; the cancel may still take effect. ` +
          `Check its status, or try again in ${RETRY_AFTER_SECONDS} seconds.`,
        503,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    throw err;
  }
  return paymentLinkOf(store, orgId, link._id);
}
