import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Config } from '../lib/config';
import { ValidationError } from '../lib/errors';
import { checkSameRequest, idempotentCreate, type IdempotentCreate } from '../lib/idempotency';
import type { Log } from '../lib/log';
import type { Store } from '../store';
import type { CampaignDoc } from '../store/documents';
import {
  CAMPAIGN_WORKFLOW,
  type CampaignWorkflow,
  campaignWorkflowId,
} from '../workflows/contracts/campaign';
import { preflight } from './preflight';
import { type CampaignWithCounts, withCounts } from './queries';
import type { CampaignRequest } from './request';

const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3_600_000;

export interface CreateCampaignDeps {
  store: Store;
  temporal: Client;
  config: Pick<Config, 'temporal'>;
  log: Log;
}

function checkSchedule(scheduledAt: string | undefined, now = Date.now()): Date | null {
  if (scheduledAt === undefined) return null;
  const at = new Date(scheduledAt);
  if (at.getTime() <= now) throw new ValidationError('scheduled_at: must be in the future');
  if (at.getTime() - now > MAX_SCHEDULE_AHEAD_MS) {
    throw new ValidationError('scheduled_at: must be within a year');
  }
  return at;
}

/**
 * Creates a campaign that passed its preflight and starts its workflow, which waits for the
 * scheduled time. A campaign whose workflow could not be started is marked failed. With an
 * idempotency key, repeating the same request returns the first campaign (a different request
 * under the same key is a conflict), and never starts a second workflow.
 */
export async function createCampaign(
  deps: CreateCampaignDeps,
  orgId: string,
  req: CampaignRequest,
  idempotencyKey?: string,
): Promise<CampaignWithCounts> {
  const { store, log } = deps;
  const idempotent = idempotentCreate('campaign', orgId, idempotencyKey, req);
  // A repeat is answered before the checks: its schedule may be past, its audience changed.
  const earlier = idempotent && (await store.campaigns.byId(idempotent.id));
  if (idempotent && earlier) return repeated(deps, idempotent, orgId, earlier);

  const scheduledAt = checkSchedule(req.scheduled_at);
  const plan = await preflight(store, orgId, req);
  const { doc: campaign, created } = await store.campaigns.create(orgId, {
    name: req.name,
    accountId: plan.account._id,
    audience: req.audience,
    message: plan.message,
    mode: plan.mode,
    scheduledAt,
    throughput: req.throughput ?? null,
    id: idempotent?.id,
    requestHash: idempotent?.requestHash ?? null,
  });
  if (idempotent && !created) return repeated(deps, idempotent, orgId, campaign);
  try {
    await startWorkflow(deps, campaign);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await store.campaigns
      .update(campaign._id, {
        status: 'failed',
        error: `The campaign could not be started: ${reason}`,
        completed_at: new Date(),
      })
      .catch((e: unknown) => log.error({ err: e }, 'campaign not marked failed'));
    throw err;
  }
  return withCounts(store, campaign);
}

/** The first request's campaign; started if that request stopped before starting it. */
async function repeated(
  deps: CreateCampaignDeps,
  idempotent: IdempotentCreate,
  orgId: string,
  campaign: CampaignDoc,
): Promise<CampaignWithCounts> {
  checkSameRequest(idempotent, orgId, campaign);
  if (campaign.status === 'scheduled') await startWorkflow(deps, campaign);
  return withCounts(deps.store, campaign);
}

async function startWorkflow(
  { temporal, config }: Pick<CreateCampaignDeps, 'temporal' | 'config'>,
  campaign: CampaignDoc,
): Promise<void> {
  try {
    await temporal.workflow.start<CampaignWorkflow>(CAMPAIGN_WORKFLOW, {
      workflowId: campaignWorkflowId(campaign._id),
      taskQueue: config.temporal.taskQueue,
      // One workflow per campaign, ever: a repeated create must not run it again.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [{ campaignId: campaign._id, orgId: campaign.org_id }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
