import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { TransferDoc, WithOutbox } from './documents';
import { newEvent, outboxFields } from './outbox';

export interface NewTransfer {
  contactId: string;
  fromAgentId?: string | null;
  toAgentId?: string | null;
  toTeamId?: string | null;
  notes?: string | null;
}

/** The transfer as outbound webhooks describe it. */
export function transferEventData(
  doc: Omit<TransferDoc, keyof WithOutbox>,
): Record<string, unknown> {
  return {
    id: doc._id,
    contact_id: doc.contact_id,
    from_agent_id: doc.from_agent_id,
    to_agent_id: doc.to_agent_id,
    to_team_id: doc.to_team_id,
    notes: doc.notes,
  };
}

/** Conversation hand-overs; each is written with its transfer.created event (see outbox.ts). */
export function transferRepository(db: Db) {
  const col = db.collection<TransferDoc>('transfers');
  return {
    /** The caller checks the contact belongs to the organization, then flushes `transfers`. */
    async create(orgId: string, input: NewTransfer): Promise<TransferDoc> {
      const transfer: Omit<TransferDoc, keyof WithOutbox> = {
        _id: randomUUID(),
        org_id: orgId,
        contact_id: input.contactId,
        from_agent_id: input.fromAgentId ?? null,
        to_agent_id: input.toAgentId ?? null,
        to_team_id: input.toTeamId ?? null,
        notes: input.notes ?? null,
        created_at: new Date(),
      };
      const event = newEvent('transfer.created', transferEventData(transfer));
      const doc: TransferDoc = { ...transfer, ...outboxFields([event]) };
      await col.insertOne(doc);
      return doc;
    },
    get(orgId: string, id: string) {
      return col.findOne({ _id: id, org_id: orgId });
    },
  };
}

export type TransferRepository = ReturnType<typeof transferRepository>;
