import type { Client } from '@temporalio/client';
import type { Store } from '../store';
import type { EventDoc } from '../store/documents';
import { ExitReason, exitRuns } from './exits';

export interface ChangeLog {
  warn(obj: object, msg: string): void;
}

/**
 * Contact changes that end sequence runs, from the contact.updated events this process
 * records: opted out ends every run, a tag ends the runs whose goal it is. Steps check the
 * same against the store before sending, so a change made elsewhere ends runs at their next
 * step at the latest.
 */
export function watchContactChanges(store: Store, client: () => Client, log: ChangeLog) {
  let chain = Promise.resolve();

  async function apply(events: EventDoc[]): Promise<void> {
    for (const e of events) {
      if (e.type !== 'contact.updated') continue;
      const changes = (e.data.changes as string[] | undefined) ?? [];
      const contactId = e.data.id as string;
      const match = { orgId: e.org_id, contactIds: [contactId] };
      if (changes.includes('opted_in') && e.data.opted_in === false) {
        await exitRuns(store, client(), match, ExitReason.optedOut);
      } else if (changes.includes('tags')) {
        for (const tag of (e.data.tags as string[] | undefined) ?? []) {
          await exitRuns(store, client(), { ...match, tags: [tag] }, ExitReason.tag(tag));
        }
      }
    }
  }

  return store.events.onRecorded((events) => {
    if (!events.some((e) => e.type === 'contact.updated')) return;
    // One after the other: the listener is called synchronously and must not block the write.
    chain = chain
      .then(() => apply(events))
      .catch((err: unknown) => log.warn({ err }, 'sequence exits from contact changes failed'));
  });
}
