import {
  type Client,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ConflictError, DomainError } from '../lib/errors';
import type { Store } from '../store';
import type { CampaignDoc, CampaignPauseReason, CampaignStatus } from '../store/documents';
import {
  type CampaignWorkflow,
  campaignWorkflowId,
  cancelCampaignUpdate,
  MANUAL_PAUSE,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
} from '../workflows/contracts/campaign';
import { type CampaignWithCounts, findCampaign, withCounts } from './queries';

const FINISHED = new Set<CampaignStatus>(['completed', 'cancelled', 'failed']);
/** How long pause, resume and cancel wait for the workflow to take the update. */
const UPDATE_DEADLINE_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;

export type CampaignControl = 'pause' | 'resume' | 'cancel';

const update = (
  handle: WorkflowHandle<CampaignWorkflow>,
  action: CampaignControl,
  reason: CampaignPauseReason,
) => {
  switch (action) {
    case 'pause':
      return handle.executeUpdate(pauseCampaignUpdate, { args: [reason] });
    case 'resume':
      return handle.executeUpdate(resumeCampaignUpdate);
    case 'cancel':
      return handle.executeUpdate(cancelCampaignUpdate);
  }
};

export interface ControlCampaignDeps {
  store: Store;
  temporal: Client;
}

/** Runs a control update; the workflow's refusals and absence are conflicts, not failures. */
export async function control(
  { store, temporal }: ControlCampaignDeps,
  campaign: CampaignDoc,
  action: CampaignControl,
  reason: CampaignPauseReason = MANUAL_PAUSE,
): Promise<CampaignStatus> {
  const handle = temporal.workflow.getHandle<CampaignWorkflow>(campaignWorkflowId(campaign._id));
  try {
    return await temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      update(handle, action, reason),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConflictError(err.cause?.message ?? `Campaign cannot be ${action}d`);
    }
    if (err instanceof WorkflowNotFoundError) {
      // It may have finished since the store was read.
      const now = await store.campaigns.get(campaign.org_id, campaign._id);
      const status = now?.status ?? campaign.status;
      throw new ConflictError(
        FINISHED.has(status) ? `Campaign is ${status}` : 'Campaign is not running',
      );
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new DomainError(
        `The campaign did not answer in time; the ${action} may still take effect. ` +
          `Check its status, or try again in ${RETRY_AFTER_SECONDS} seconds.`,
        503,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    throw err;
  }
}

/** Pauses, resumes or cancels a campaign; answers it with the status its workflow took. */
export async function controlCampaign(
  deps: ControlCampaignDeps,
  orgId: string,
  id: string,
  action: CampaignControl,
): Promise<CampaignWithCounts> {
  const campaign = await findCampaign(deps.store, orgId, id);
  if (FINISHED.has(campaign.status)) {
    throw new ConflictError(`Campaign is ${campaign.status}`);
  }
  const status = await control(deps, campaign, action);
  const now = (await deps.store.campaigns.get(orgId, campaign._id)) ?? campaign;
  return withCounts(deps.store, { ...now, status });
}
