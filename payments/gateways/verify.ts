import type { ParsedPaymentEvent } from '../webhook-events';

/** One organization's webhook signing secret for a gateway. */
export interface GatewaySecret {
  orgId: string;
  secret: string;
}

/** A request's headers, as Node gives them (lower-case names). */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

/** A webhook whose signature one organization's secret verified, and what it says. */
export interface VerifiedGatewayEvent {
  orgId: string;
  /** Null for events Waflow ignores. */
  event: ParsedPaymentEvent | null;
}

/**
 * Checks a gateway webhook's signature over its exact bytes with each organization's secret
 * (loaded only once the signature header is there): the one that verifies names the
 * organization. An UnauthorizedError when none does, a ValidationError for a verified body
 * that is not an event.
 */
export type VerifyGatewayWebhook = (
  raw: Buffer,
  headers: WebhookHeaders,
  secrets: () => Promise<readonly GatewaySecret[]>,
) => Promise<VerifiedGatewayEvent>;
