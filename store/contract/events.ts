import type { EventDoc } from '../documents';
import type { EventListener } from '../event-feed';

export interface EventRepository {
  /**
   * Records an event whose id is derived from what happened (`message.read:<wamid>`), so the
   * same fact arriving twice is recorded once. Returns whether it was new.
   */
  record(
    orgId: string,
    id: string,
    type: string,
    data: Record<string, unknown>,
    at?: Date,
  ): Promise<boolean>;
  /** Records many events in one write, skipping ids already stored; returns those inserted. */
  recordMany(events: EventDoc[]): Promise<EventDoc[]>;
  /** Calls `listener` with the events this process records from now on. */
  onRecorded(listener: EventListener): () => void;
  /** Events recorded in [from, to), oldest first, a page at a time, for the delivery sweep. */
  recordedBetween(from: Date, to: Date, limit: number, after?: EventDoc): Promise<EventDoc[]>;
  get(id: string): Promise<EventDoc | null>;
  purgeBefore(before: Date): Promise<number>;
  /** Newest first. */
  list(orgId: string, filter?: { type?: string }, limit?: number): Promise<EventDoc[]>;
}

/** The sources whose changes carry events. */
export type OutboxCollection = 'contacts' | 'transfers';

/**
 * Makes the events written with a change visible in `events`. PostgreSQL writes them in the
 * change's own transaction, so it has nothing to flush; MongoDB keeps them in the changed
 * document until flushed (see store/mongo/outbox.ts). Callers flush after writing, and a
 * periodic sweep catches what a crash left.
 */
export interface OutboxRelay {
  flush(collection: OutboxCollection, id: string): Promise<number>;
  flushMany(collection: OutboxCollection, ids: readonly string[]): Promise<number>;
  sweep(limit?: number): Promise<number>;
}
