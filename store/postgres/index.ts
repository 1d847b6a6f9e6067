import type pg from 'pg';
import type { AccountSettings } from '../accounts';
import type { OutboxRelay } from '../contract/events';
import type { Store } from '../contract';
import { EventFeed } from '../event-feed';
import { accountRepository } from './accounts';
import { actionRepository } from './actions';
import { apiKeyRepository } from './api-keys';
import { automationInputRepository } from './automation-inputs';
import { automationRunRepository } from './automation-runs';
import { automationRepository } from './automations';
import { campaignRepository } from './campaigns';
import { contactRepository } from './contacts';
import { counterRepository } from './counters';
import { eventRepository } from './events';
import { gatewaySettingsRepository } from './gateway-settings';
import { inboundWebhookRepository } from './inbound-webhooks';
import { loginFailureRepository } from './login-failures';
import { mediaRepository } from './media';
import { mediaUploadRepository } from './media-uploads';
import { messageRepository } from './messages';
import { metaEventRepository } from './meta-events';
import { organizationRepository } from './organizations';
import { paymentEventRepository } from './payment-events';
import { paymentLinkRepository } from './payment-links';
import { rateWindowRepository } from './rate-windows';
import { sendLaneRepository } from './send-lanes';
import { sendQueueRepository } from './send-queue';
import { subscriptionRepository } from './sequence-subscriptions';
import { sequenceRepository } from './sequences';
import { sessionRepository } from './sessions';
import { templateRepository } from './templates';
import { transferRepository } from './transfers';
import { userRepository } from './users';
import { webhookBacklogRepository } from './webhook-backlog';
import { webhookDeliveryRepository } from './webhook-deliveries';
import { webhookEndpointRepository } from './webhook-endpoints';
import { wooDeliveryRepository } from './woo-deliveries';
import { wooOrderRepository } from './woo-orders';
import { wooStoreRepository } from './woo-stores';

/** Events are written in their change's transaction here: there is never anything to flush. */
const committedWithTheirChange: OutboxRelay = {
  flush: () => Promise.resolve(0),
  flushMany: () => Promise.resolve(0),
  sweep: () => Promise.resolve(0),
};

export function createPostgresStore(
  pool: pg.Pool,
  encryptionKey: Buffer,
  accounts?: AccountSettings,
): Store {
  const feed = new EventFeed();
  return {
    accounts: accountRepository(pool, encryptionKey, accounts),
    templates: templateRepository(pool),
    organizations: organizationRepository(pool),
    users: userRepository(pool),
    apiKeys: apiKeyRepository(pool),
    sessions: sessionRepository(pool),
    events: eventRepository(pool, feed),
    outbox: committedWithTheirChange,
    contacts: contactRepository(pool, feed),
    transfers: transferRepository(pool, feed),
    messages: messageRepository(pool),
    inboundWebhooks: inboundWebhookRepository(pool),
    metaEvents: metaEventRepository(pool),
    webhookEndpoints: webhookEndpointRepository(pool, encryptionKey),
    webhookDeliveries: webhookDeliveryRepository(pool),
    webhookBacklog: webhookBacklogRepository(pool),
    sendQueue: sendQueueRepository(pool, feed),
    sendLanes: sendLaneRepository(pool),
    counters: counterRepository(pool),
    rateWindows: rateWindowRepository(pool),
    loginFailures: loginFailureRepository(pool),
    campaigns: campaignRepository(pool),
    wooStores: wooStoreRepository(pool, encryptionKey),
    wooDeliveries: wooDeliveryRepository(pool),
    wooOrders: wooOrderRepository(pool),
    actions: actionRepository(pool),
    gatewaySettings: gatewaySettingsRepository(pool, encryptionKey),
    paymentLinks: paymentLinkRepository(pool),
    paymentEvents: paymentEventRepository(pool),
    sequences: sequenceRepository(pool),
    sequenceSubscriptions: subscriptionRepository(pool),
    automations: automationRepository(pool),
    automationRuns: automationRunRepository(pool),
    automationInputs: automationInputRepository(pool),
    media: mediaRepository(pool),
    mediaUploads: mediaUploadRepository(pool),
  };
}
