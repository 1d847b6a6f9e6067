import { ApplicationFailure } from '@temporalio/common';
import { type TopUp, topUpCampaign } from '../campaigns/batch';
import * as lifecycle from '../campaigns/lifecycle';
import { NotFoundError } from '../lib/errors';
import type { CampaignPauseReason, CampaignStatus } from '../store/documents';
import type { ActivityDeps } from './deps';

export const CampaignFailure = { gone: 'CampaignGone' } as const;

/** A campaign or account that is not there is not retried. */
async function orGone<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw ApplicationFailure.nonRetryable(err.message, CampaignFailure.gone);
    }
    throw err;
  }
}

/** What a campaign's workflow does with the store and the send queue. */
export function campaignActivities({ store, signals, sandbox }: ActivityDeps) {
  return {
    /** When it starts (epoch ms), or null for now. */
    campaignSchedule(campaignId: string): Promise<number | null> {
      return orGone(lifecycle.campaignStartTime(store, campaignId));
    },

    /** Snapshots the audience (once) and marks the campaign running; returns the recipients. */
    startCampaign(campaignId: string): Promise<number> {
      return orGone(lifecycle.startCampaign(store, campaignId));
    },

    /** Tops the campaign's share of the send queue up to a few seconds of sending. */
    topUpCampaign(campaignId: string, cursor: number): Promise<TopUp> {
      return orGone(topUpCampaign({ store, signals, sandbox }, campaignId, cursor));
    },

    /** Recipients whose message still waits in the send queue. */
    campaignBacklog(campaignId: string): Promise<number> {
      return store.campaigns.inQueue(campaignId);
    },

    /** A pause records its reason; any other status clears it. */
    async setCampaignStatus(
      campaignId: string,
      status: CampaignStatus,
      pauseReason?: CampaignPauseReason,
    ): Promise<void> {
      await store.campaigns.update(campaignId, {
        status,
        pause_reason: status === 'paused' ? (pauseReason ?? null) : null,
      });
    },

    /** Pending recipients are cancelled; what is already queued goes out. */
    cancelCampaign(campaignId: string): Promise<void> {
      return lifecycle.cancelCampaign(store, campaignId);
    },

    failCampaign(campaignId: string, error: string): Promise<void> {
      return lifecycle.failCampaign(store, campaignId, error);
    },

    /** Completed, with `campaign.completed` and the reference's counts. */
    completeCampaign(campaignId: string): Promise<void> {
      return orGone(lifecycle.completeCampaign(store, campaignId));
    },
  };
}

export type CampaignActivities = ReturnType<typeof campaignActivities>;
