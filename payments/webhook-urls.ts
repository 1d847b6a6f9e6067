import type { PaymentGateway } from '../store/documents';

/**
 * Where the organization points the gateway's webhooks: its own URL, whose signature is checked
 * with its secret only. The organization id in it is no secret: the signature authenticates.
 */
export const gatewayWebhookUrl = (publicUrl: string, gateway: PaymentGateway, orgId: string) =>
  `${publicUrl.replace(/\/$/, '')}/api/webhooks/${gateway}/${orgId}`;
