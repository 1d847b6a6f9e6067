import { randomUUID } from 'node:crypto';
import type { EventDoc, OutboxEvent } from './documents';

export function newEvent(
  type: string,
  data: Record<string, unknown>,
  at = new Date(),
): OutboxEvent {
  return { id: randomUUID(), type, timestamp: at, data };
}

/** The stored event of one that happened to a document of `orgId`. */
export function eventDoc(orgId: string, e: OutboxEvent, now = new Date()): EventDoc {
  return {
    _id: e.id,
    org_id: orgId,
    type: e.type,
    timestamp: e.timestamp,
    data: e.data,
    created_at: now,
  };
}
