import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { TransferDoc } from '../store/documents';
import { flushOutbox } from './outbox';
import { contactNotFound } from './read';

/** Who takes the conversation: an agent, a team, or both. */
export interface TransferRequest {
  to_agent_id?: string | null;
  to_team_id?: string | null;
  from_agent_id?: string | null;
  notes?: string | null;
}

/** Hands a contact's conversation over; recorded with its transfer.created event. */
export async function transferContact(
  { store, log }: { store: Store; log: Log },
  orgId: string,
  contactId: string,
  req: TransferRequest,
): Promise<TransferDoc> {
  if (!(await store.contacts.get(orgId, contactId))) throw contactNotFound(contactId);
  const doc = await store.transfers.create(orgId, {
    contactId,
    toAgentId: req.to_agent_id,
    toTeamId: req.to_team_id,
    fromAgentId: req.from_agent_id,
    notes: req.notes || null,
  });
  await flushOutbox(store, log, 'transfers', doc._id);
  return doc;
}
