import type { Db } from 'mongodb';
import { apiKeyRepository } from './api-keys';
import { organizationRepository } from './organizations';
import { sessionRepository } from './sessions';
import { userRepository } from './users';

export function createStore(db: Db) {
  return {
    organizations: organizationRepository(db),
    users: userRepository(db),
    apiKeys: apiKeyRepository(db),
    sessions: sessionRepository(db),
  };
}

export type Store = ReturnType<typeof createStore>;
