import { actionValuesForContacts } from './contact-values';
import type { ActionRunDeps } from './run';
import type { ActionValues } from '../campaigns/message';
import type { ActionCaller, CampaignMessage, ContactDoc } from '../store/documents';

/** Time one call may spend running recipients' action; the rest waits for the next call. */
const ACTION_BUDGET_MS = 20_000;

/** What the message's action gave a recipient: values, or why the recipient is skipped. */
export type RecipientValues = { values: ActionValues } | { skip: string };

/**
 * Runs the action of a campaign's or sequence step's message (its `action_id`) for the contacts
 * about to be sent to, in order, within a time budget: the map holds the contacts done, a
 * prefix of `contacts`. The action is compiled once per sandbox call and its isolates are
 * reused, so a 100,000-recipient campaign costs a run (well under a millisecond for a
 * formatting action) per recipient. Null when the message has no action.
 */
export async function messageActionValues(
  deps: ActionRunDeps,
  owner: { org_id: string; message: CampaignMessage; caller: ActionCaller },
  contacts: ContactDoc[],
): Promise<Map<string, RecipientValues> | null> {
  const actionId = owner.message.action_id;
  if (!actionId) return null;
  const out = new Map<string, RecipientValues>();
  const action = await deps.store.actions.get(owner.org_id, actionId);
  if (!action) {
    for (const c of contacts) out.set(c._id, { skip: "The message's action was deleted" });
    return out;
  }
  const results = await actionValuesForContacts(deps, {
    action,
    contacts,
    caller: owner.caller,
    budgetMs: ACTION_BUDGET_MS,
  });
  for (const [contactId, r] of results) {
    out.set(
      contactId,
      r.ok ? { values: r.values } : { skip: `Action ${r.error.type} error: ${r.error.message}` },
    );
  }
  return out;
}
