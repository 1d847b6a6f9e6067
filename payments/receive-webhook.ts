import { NotFoundError } from '../lib/errors';
import type { PaymentGateway } from '../store/documents';
import type { PaymentEventInbox } from './event-inbox';
import { GATEWAY_NAMES, verifyWebhook, type WebhookHeaders } from './gateways';
import type { GatewaySecretCache } from './gateway-secrets';

/**
 * A gateway's webhook, at the organization's own URL (`orgId`: checked with its secret only) or
 * at the shared one (null: every organization's secret is tried, and the one that verifies
 * names the organization). The event is stored once (webhook-events.ts says by what) before
 * this resolves, so the gateway can be answered, and handed to its link's workflow after
 * (event-inbox.ts). Nothing is stored for a bad signature. `ignored`: an event Waflow does not
 * act on.
 */
export async function receiveGatewayWebhook(
  deps: {
    secrets: Pick<GatewaySecretCache, 'get' | 'forOrg'>;
    inbox: Pick<PaymentEventInbox, 'accept'>;
  },
  gateway: PaymentGateway,
  orgId: string | null,
  raw: Buffer,
  headers: WebhookHeaders,
): Promise<{ ignored: boolean }> {
  const secrets = async () => {
    if (orgId === null) return deps.secrets.get(gateway);
    const secret = await deps.secrets.forOrg(gateway, orgId);
    if (!secret) {
      throw new NotFoundError(
        `${GATEWAY_NAMES[gateway]} is not configured for organization '${orgId}'`,
      );
    }
    return [secret];
  };
  const verified = await verifyWebhook[gateway](raw, headers, secrets);
  const { event } = verified;
  if (event) await deps.inbox.accept({ ...event, org_id: verified.orgId });
  return { ignored: event === null };
}
