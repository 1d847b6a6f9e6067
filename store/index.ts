import type { Db } from 'mongodb';
import { accountRepository, type AccountSettings } from './accounts';
import { apiKeyRepository } from './api-keys';
import { contactRepository } from './contacts';
import { EventFeed } from './event-feed';
import { eventRepository } from './events';
import { inboundWebhookRepository } from './inbound-webhooks';
import { messageRepository } from './messages';
import { organizationRepository } from './organizations';
import { outboxRelay } from './outbox';
import { sessionRepository } from './sessions';
import { templateRepository } from './templates';
import { transferRepository } from './transfers';
import { userRepository } from './users';
import { webhookDeliveryRepository } from './webhook-deliveries';
import { webhookEndpointRepository } from './webhook-endpoints';

/**
 * `encryptionKey` seals provider secrets; `accounts` (from `accountSettings(config)`) gives real
 * accounts their Graph API URL and, in sandbox mode, every organization its sandbox account.
 */
export function createStore(db: Db, encryptionKey: Buffer, accounts?: AccountSettings) {
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
    webhookEndpoints: webhookEndpointRepository(db, encryptionKey),
    webhookDeliveries: webhookDeliveryRepository(db),
  };
}

export type Store = ReturnType<typeof createStore>;
