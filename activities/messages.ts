import {
  failQueuedMessage,
  queuedMessageState,
  releaseQueuedMessage,
} from '../sending/retry-queue';
import type { StatusReason } from '../store/contract/messages';
import type { ActivityDeps } from './deps';

/** What a message's retry workflow does to its queue entry. */
export function messageActivities(deps: Pick<ActivityDeps, 'store' | 'signals'>) {
  return {
    async releaseQueuedMessage(messageId: string): Promise<void> {
      return releaseQueuedMessage(deps, messageId);
    },

    async queuedMessageState(messageId: string): Promise<'held' | 'queued' | 'gone'> {
      return queuedMessageState(deps, messageId);
    },

    async failQueuedMessage(messageId: string, reason: StatusReason): Promise<void> {
      return failQueuedMessage(deps, messageId, reason);
    },
  };
}

export type MessageActivities = ReturnType<typeof messageActivities>;
