import type { EventDoc } from './documents';

export type EventListener = (events: EventDoc[]) => void;

/**
 * Announces newly recorded events inside the process that recorded them, so webhook delivery
 * can start at once instead of polling the database. What a listener misses (it was busy, or
 * the process died) stays in `events` for the delivery sweep.
 */
export class EventFeed {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: EventDoc[]): void {
    if (!events.length) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // A listener's failure must not fail the write that recorded the events.
      }
    }
  }
}
