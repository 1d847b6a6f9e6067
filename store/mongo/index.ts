import type { Db } from 'mongodb';
import type { AccountSettings } from '../accounts';
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
import { outboxRelay } from './outbox';
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

export function createMongoStore(db: Db, encryptionKey: Buffer, accounts?: AccountSettings): Store {
  const feed = new EventFeed();
  const outbox = outboxRelay(db, feed);
  return {
    accounts: accountRepository(db, encryptionKey, accounts),
    templates: templateRepository(db),
    organizations: organizationRepository(db),
    users: userRepository(db),
    apiKeys: apiKeyRepository(db),
    sessions: sessionRepository(db),
    events: eventRepository(db, feed),
    outbox,
    contacts: contactRepository(db, outbox),
    transfers: transferRepository(db),
    messages: messageRepository(db),
    inboundWebhooks: inboundWebhookRepository(db),
    metaEvents: metaEventRepository(db),
    webhookEndpoints: webhookEndpointRepository(db, encryptionKey),
    webhookDeliveries: webhookDeliveryRepository(db),
    webhookBacklog: webhookBacklogRepository(db),
    sendQueue: sendQueueRepository(db, feed),
    sendLanes: sendLaneRepository(db),
    counters: counterRepository(db),
    rateWindows: rateWindowRepository(db),
    loginFailures: loginFailureRepository(db),
    campaigns: campaignRepository(db),
    wooStores: wooStoreRepository(db, encryptionKey),
    wooDeliveries: wooDeliveryRepository(db),
    wooOrders: wooOrderRepository(db),
    actions: actionRepository(db),
    gatewaySettings: gatewaySettingsRepository(db, encryptionKey),
    paymentLinks: paymentLinkRepository(db),
    paymentEvents: paymentEventRepository(db),
    sequences: sequenceRepository(db),
    sequenceSubscriptions: subscriptionRepository(db),
    automations: automationRepository(db),
    automationRuns: automationRunRepository(db),
    automationInputs: automationInputRepository(db),
    media: mediaRepository(db),
    mediaUploads: mediaUploadRepository(db),
  };
}
