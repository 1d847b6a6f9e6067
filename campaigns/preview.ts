import type { MetaContent } from '../meta/messages';
import { windowOpen } from '../meta/window';
import { messageActionValues, type RecipientValues } from '../actions/message-values';
import type { ActionRunDeps } from '../actions/run';
import type { ContactDoc } from '../store/documents';
import { missingPlaceholders, renderCampaignMessage } from './message';
import { preflight } from './preflight';
import type { CampaignRequest } from './request';

const PREVIEW_SAMPLES = 3;

/** One of the first recipients, and the message the campaign would send them. */
export interface PreviewSample extends MetaContent {
  contact: ContactDoc;
  windowOpen: boolean;
  /** Placeholders with neither a value for this contact nor a default. */
  missing: string[];
  /** With an action: what its run gave this contact. */
  action?: RecipientValues;
}

export interface CampaignPreview {
  audienceSize: number;
  samples: PreviewSample[];
}

/** The audience size and the first recipients' messages, without creating anything. */
export async function previewCampaign(
  deps: ActionRunDeps,
  orgId: string,
  req: CampaignRequest,
): Promise<CampaignPreview> {
  const { store } = deps;
  const plan = await preflight(store, orgId, req);
  const contacts = await store.campaigns.audienceSample(orgId, req.audience, PREVIEW_SAMPLES);
  const now = new Date();
  const fromAction = await messageActionValues(
    deps,
    { org_id: orgId, message: plan.message, caller: { type: 'campaign', id: null } },
    contacts,
  );
  return {
    audienceSize: plan.audienceSize,
    samples: contacts.map((contact) => {
      const action = fromAction?.get(contact._id);
      const values = action && 'values' in action ? action.values : undefined;
      return {
        contact,
        windowOpen: windowOpen(contact.last_inbound_at, now),
        ...renderCampaignMessage(plan.message, contact, values),
        missing: missingPlaceholders(plan.message, contact, values),
        ...(action ? { action } : {}),
      };
    }),
  };
}
