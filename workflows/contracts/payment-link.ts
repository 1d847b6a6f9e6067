import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentEventKind, PaymentLinkStatus } from '../../store/documents';

/** One payment link, created to paid, failed or expired: `payment:<paymentLinkId>`. */

export const PAYMENT_LINK_WORKFLOW = 'paymentLinkWorkflow';

export const paymentLinkWorkflowId = (paymentLinkId: string) => `payment:${paymentLinkId}`;

/** A payment link's workflow input. */
export interface PaymentLinkInput {
  linkId: string;
  orgId: string;
}

/** A gateway webhook, handed to its link's workflow. */
export interface PaymentGatewayEvent {
  /** `<gateway>:<gateway event id>` */
  eventId: string;
  kind: PaymentEventKind;
  paymentId: string | null;
  reason: string | null;
  /** When Waflow received it, epoch ms. */
  at: number;
}

export const paymentEventSignal = defineSignal<[PaymentGatewayEvent]>('paymentEvent');
/** Cancels an unpaid link; answers the link's status once the workflow took it. */
export const cancelPaymentLinkUpdate = defineUpdate<PaymentLinkStatus>('cancelPaymentLink');

export type PaymentLinkWorkflow = (input: PaymentLinkInput) => Promise<PaymentLinkStatus>;
