import type { PaymentGateway } from '../../store/documents';

/** How messages name each gateway. */
export const GATEWAY_NAMES: Record<PaymentGateway, string> = {
  stripe: 'Stripe',
  razorpay: 'Razorpay',
};

export interface GatewayLinkRequest {
  /** Our link id: the gateway's idempotency key and the id its webhooks carry back. */
  linkId: string;
  amount: number;
  currency: string;
  description: string;
  expiresAt: Date;
  customer: { name: string | null; phone: string | null };
  referenceId: string | null;
}

export interface GatewayLink {
  id: string;
  url: string;
}

/** What Waflow asks of a payment gateway; card data never passes through it. */
export interface GatewayClient {
  gateway: PaymentGateway;
  /** Creating twice for the same link id gives the same gateway link. */
  createLink(req: GatewayLinkRequest): Promise<GatewayLink>;
  /** Makes the link unpayable; one already paid, expired or cancelled is left as it is. */
  deactivateLink(gatewayLinkId: string): Promise<void>;
}

/** The gateway refused the request itself (bad keys, bad amount): trying again will not help. */
export class GatewayRejectedError extends Error {
  constructor(
    readonly gateway: PaymentGateway,
    message: string,
  ) {
    super(`${GATEWAY_NAMES[gateway]}: ${message}`);
    this.name = 'GatewayRejectedError';
  }
}

/** The key under which our link id travels in the gateway's metadata / notes. */
export const LINK_ID_KEY = 'waflow_payment_link_id';
