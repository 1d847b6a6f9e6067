import { actionValuesForContacts } from '../actions/contact-values';
import type { ActionRunDeps } from '../actions/run';
import type { ActionValues } from '../messaging/campaign-message';
import type { CampaignDoc, ContactDoc } from '../store/documents';

/** Time a top-up may spend running its recipients' action; the rest waits for the next one. */
const ACTION_BUDGET_MS = 20_000;

/** What the campaign's action gave a recipient: values, or why the recipient is skipped. */
export type RecipientValues = { values: ActionValues } | { skip: string };

/**
 * Runs the campaign's action for the contacts about to be sent to, in order, within the
 * top-up's time budget: the map holds the contacts done, a prefix of `contacts`. The action
 * is compiled once per sandbox call and its isolates are reused, so a 100,000-recipient
 * campaign costs a run (well under a millisecond for a formatting action) per recipient.
 * Null when the campaign has no action. A preview passes a null campaign id.
 */
export async function campaignActionValues(
  deps: ActionRunDeps,
  campaign: Pick<CampaignDoc, 'org_id' | 'message'> & { _id: string | null },
  contacts: ContactDoc[],
): Promise<Map<string, RecipientValues> | null> {
  const actionId = campaign.message.action_id;
  if (!actionId) return null;
  const out = new Map<string, RecipientValues>();
  const action = await deps.store.actions.get(campaign.org_id, actionId);
  if (!action) {
    for (const c of contacts) out.set(c._id, { skip: 'The campaign action was deleted' });
    return out;
  }
  const results = await actionValuesForContacts(deps, {
    action,
    contacts,
    caller: { type: 'campaign', id: campaign._id },
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
