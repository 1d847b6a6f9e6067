import type { Db } from 'mongodb';
import { apiKeyRepository } from './api-keys';
import { eventRepository } from './events';
import { organizationRepository } from './organizations';
import { outboxRelay } from './outbox';
import { sessionRepository } from './sessions';
import { userRepository } from './users';

export function createStore(db: Db) {
  return {
    organizations: organizationRepository(db),
    users: userRepository(db),
    apiKeys: apiKeyRepository(db),
    sessions: sessionRepository(db),
    events: eventRepository(db),
    outbox: outboxRelay(db),
  };
}

export type Store = ReturnType<typeof createStore>;
