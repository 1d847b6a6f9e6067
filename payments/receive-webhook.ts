import type { PaymentGateway } from '../store/documents';
import type { PaymentEventInbox } from './event-inbox';
import { verifyWebhook, type WebhookHeaders } from './gateways';
import type { GatewaySecretCache } from './gateway-secrets';

/**
 * A gateway's webhook: the secret that verifies its signature tells the organization; the
 * event is stored once per gateway event id before this resolves (so the gateway can be
 * answered), and handed to its link's workflow after (event-inbox.ts). Nothing is stored for a
 * bad signature. `ignored`: an event Waflow does not act on.
 */
export async function receiveGatewayWebhook(
  deps: { secrets: Pick<GatewaySecretCache, 'get'>; inbox: Pick<PaymentEventInbox, 'accept'> },
  gateway: PaymentGateway,
  raw: Buffer,
  headers: WebhookHeaders,
): Promise<{ ignored: boolean }> {
  const { orgId, event } = await verifyWebhook[gateway](raw, headers, () =>
    deps.secrets.get(gateway),
  );
  if (event) await deps.inbox.accept({ ...event, org_id: orgId });
  return { ignored: event === null };
}
