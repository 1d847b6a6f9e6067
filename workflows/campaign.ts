import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../activities/campaigns';
import type { CampaignPauseReason, CampaignStatus } from '../store/documents';
import {
  type CampaignInput,
  type CampaignProgress,
  campaignProgressQuery,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
} from './contracts/campaign';

const acts = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumInterval: '30 seconds', nonRetryableErrorTypes: ['CampaignGone'] },
});

/**
 * Between top-ups of the send queue: each costs the Temporal server a timer, an activity and two
 * workflow tasks, whatever it queues, so fewer and larger ones (see BACKLOG_SECONDS).
 */
const TICK_MS = 2_000;
/** Top-ups per run: about 10 history events each, so a run stays near 3,000 events. */
const TICKS_PER_RUN = 300;

const rejected = (message: string) => ApplicationFailure.create({ message, nonRetryable: true });

/**
 * A broadcast campaign, `campaign:<campaignId>`: waits for its start, snapshots its audience,
 * then keeps a few seconds of its messages in the number's send queue (bulk: the number's API
 * sends go first) until every recipient is queued or skipped and every message has left the
 * queue. Pause, resume and cancel are updates that answer once the store says so.
 */
export async function campaignWorkflow(input: CampaignInput): Promise<CampaignStatus> {
  const { campaignId } = input;
  const p: CampaignProgress = input.progress ?? {
    status: 'scheduled',
    cursor: 0,
    queued: 0,
    skipped: 0,
    total: null,
  };
  let exhausted = false;
  /** Paused by its messaging limit (not by hand): it resumes by itself. */
  let limitPaused = false;
  // Read through a function: the update handlers change it between awaits.
  const is = (status: CampaignStatus) => p.status === status;
  setHandler(campaignProgressQuery, () => p);
  setHandler(
    pauseCampaignUpdate,
    async (reason: CampaignPauseReason) => {
      p.status = 'paused';
      // A pause by hand during a limit pause stays until resumed by hand.
      limitPaused = false;
      await acts.setCampaignStatus(campaignId, 'paused', reason);
      return p.status;
    },
    {
      validator: (_reason: CampaignPauseReason) => {
        if (p.status !== 'running' && !limitPaused)
          throw rejected(`Only a running campaign can be paused; it is ${p.status}`);
      },
    },
  );
  setHandler(
    resumeCampaignUpdate,
    async () => {
      p.status = 'running';
      limitPaused = false;
      await acts.setCampaignStatus(campaignId, 'running');
      return p.status;
    },
    {
      validator: () => {
        if (p.status !== 'paused')
          throw rejected(`Only a paused campaign can be resumed; it is ${p.status}`);
      },
    },
  );
  setHandler(
    cancelCampaignUpdate,
    async () => {
      p.status = 'cancelled';
      await acts.cancelCampaign(campaignId);
      return p.status;
    },
    {
      validator: () => {
        if (!['scheduled', 'running', 'paused'].includes(p.status)) {
          throw rejected(`A ${p.status} campaign cannot be cancelled`);
        }
      },
    },
  );

  try {
    if (is('scheduled')) {
      const at = await acts.campaignSchedule(campaignId);
      if (at !== null && at > Date.now()) {
        await condition(() => is('cancelled'), at - Date.now());
      }
      if (is('cancelled')) return await finish();
      p.total = await acts.startCampaign(campaignId);
      if (is('scheduled')) p.status = 'running';
    }
    for (let tick = 0; ; tick++) {
      // A resume's own status write lands before the loop can pause again for the limit.
      await condition(() => !is('paused') && allHandlersFinished());
      if (is('cancelled')) return await finish();
      if (!exhausted) {
        const r = await acts.topUpCampaign(campaignId, p.cursor);
        p.cursor = r.cursor;
        p.queued += r.queued;
        p.skipped += r.skipped;
        exhausted = r.exhausted;
        if (r.limitedUntil !== undefined && is('running'))
          await waitForMessagingLimit(r.limitedUntil);
      }
      if (exhausted && (await acts.campaignBacklog(campaignId)) === 0) {
        if (is('cancelled')) return await finish();
        p.status = 'completed';
        await acts.completeCampaign(campaignId);
        return await finish();
      }
      if (tick + 1 >= TICKS_PER_RUN) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof campaignWorkflow>({ ...input, progress: p });
      }
      await condition(() => is('cancelled'), TICK_MS);
    }
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (!(cause instanceof ApplicationFailure) || cause.type !== 'CampaignGone') throw err;
    p.status = 'failed';
    await acts.failCampaign(campaignId, cause.message).catch(() => undefined);
    return p.status;
  }

  /**
   * Paused with reason `messaging_limit` until the window's oldest counted send leaves it; then
   * running again, and the next top-up checks the window anew. A pause or resume by hand, or a
   * cancel, meanwhile takes over.
   */
  async function waitForMessagingLimit(until: number): Promise<void> {
    p.status = 'paused';
    limitPaused = true;
    await acts.setCampaignStatus(campaignId, 'paused', {
      code: 'messaging_limit',
      message: `The portfolio's messaging limit of unique users in 24 h is reached; resumes by itself at ${new Date(until).toISOString()}`,
    });
    await condition(() => !limitPaused || !is('paused'), Math.max(1_000, until - Date.now()));
    const byItself = limitPaused && is('paused');
    limitPaused = false;
    if (!byItself) return;
    p.status = 'running';
    await acts.setCampaignStatus(campaignId, 'running');
  }

  /**
   * Lets an update that is still persisting its status finish first. A cancel that came while
   * the audience was being snapshotted is applied again, to what the snapshot wrote.
   */
  async function finish(): Promise<CampaignStatus> {
    await condition(allHandlersFinished);
    if (is('cancelled')) await acts.cancelCampaign(campaignId);
    return p.status;
  }
}
