import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { ValidationError } from '../lib/errors';
import type { Log } from '../lib/log';
import type { Store } from '../store';
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
 * scheduled time. A campaign whose workflow could not be started is marked failed.
 */
export async function createCampaign(
  { store, temporal, config, log }: CreateCampaignDeps,
  orgId: string,
  req: CampaignRequest,
): Promise<CampaignWithCounts> {
  const scheduledAt = checkSchedule(req.scheduled_at);
  const plan = await preflight(store, orgId, req);
  const campaign = await store.campaigns.create(orgId, {
    name: req.name,
    accountId: plan.account._id,
    audience: req.audience,
    message: plan.message,
    mode: plan.mode,
    scheduledAt,
    throughput: req.throughput ?? null,
  });
  try {
    await temporal.workflow.start<CampaignWorkflow>(CAMPAIGN_WORKFLOW, {
      workflowId: campaignWorkflowId(campaign._id),
      taskQueue: config.temporal.taskQueue,
      args: [{ campaignId: campaign._id, orgId }],
    });
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
