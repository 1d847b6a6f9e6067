import { z } from 'zod';
import type { TransferDoc } from '../../store/documents';
import type { TransferRequest } from '../../contacts/transfer';
import { checked, Timestamp } from './common';

const AgentId = z.string().trim().min(1).max(100);

export const TransferBody = checked<TransferRequest>()(
  z
    .object({
      to_agent_id: AgentId.nullable().optional().describe('The agent taking the conversation'),
      to_team_id: AgentId.nullable().optional().describe('The team taking the conversation'),
      from_agent_id: AgentId.nullable().optional().describe('The agent handing it over, if any'),
      notes: z.string().trim().max(2_000).nullable().optional(),
    })
    .refine((b) => Boolean(b.to_agent_id || b.to_team_id), {
      message: 'to_agent_id or to_team_id is required',
      path: ['to_agent_id'],
    }),
);

export const TransferView = z.object({
  id: z.uuid(),
  contact_id: z.uuid(),
  from_agent_id: z.string().nullable(),
  to_agent_id: z.string().nullable(),
  to_team_id: z.string().nullable(),
  notes: z.string().nullable(),
  created_at: Timestamp,
});

export function transferView(doc: TransferDoc): z.infer<typeof TransferView> {
  return {
    id: doc._id,
    contact_id: doc.contact_id,
    from_agent_id: doc.from_agent_id,
    to_agent_id: doc.to_agent_id,
    to_team_id: doc.to_team_id,
    notes: doc.notes,
    created_at: doc.created_at.toISOString(),
  };
}
