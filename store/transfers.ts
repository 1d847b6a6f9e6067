import { randomUUID } from 'node:crypto';
import type { NewTransfer } from './contract/contacts';
import type { OutboxEvent, TransferDoc } from './documents';
import { newEvent } from './events';

/** The transfer as outbound webhooks describe it. */
export function transferEventData(doc: TransferDoc): Record<string, unknown> {
  return {
    id: doc._id,
    contact_id: doc.contact_id,
    from_agent_id: doc.from_agent_id,
    to_agent_id: doc.to_agent_id,
    to_team_id: doc.to_team_id,
    notes: doc.notes,
  };
}

/** A new transfer and its transfer.created event. */
export function newTransfer(
  orgId: string,
  input: NewTransfer,
): { doc: TransferDoc; event: OutboxEvent } {
  const doc: TransferDoc = {
    _id: input.id ?? randomUUID(),
    org_id: orgId,
    contact_id: input.contactId,
    from_agent_id: input.fromAgentId ?? null,
    to_agent_id: input.toAgentId ?? null,
    to_team_id: input.toTeamId ?? null,
    notes: input.notes ?? null,
    created_at: new Date(),
  };
  return { doc, event: newEvent('transfer.created', transferEventData(doc)) };
}
