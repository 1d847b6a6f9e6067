import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CampaignPauseReason, CampaignStatus } from '../../store/documents';

/** One broadcast campaign: `campaign:<campaignId>`. */

export const CAMPAIGN_WORKFLOW = 'campaignWorkflow';

export const campaignWorkflowId = (campaignId: string) => `campaign:${campaignId}`;

/** A campaign's workflow input; `progress` carries a run's state into the next (continue-as-new). */
export interface CampaignInput {
  campaignId: string;
  orgId: string;
  progress?: CampaignProgress;
}

export interface CampaignProgress {
  status: CampaignStatus;
  /** The last recipient (by `seq`) handed to the send queue or skipped. */
  cursor: number;
  queued: number;
  skipped: number;
  /** Recipients, once the audience is snapshotted. */
  total: number | null;
}

/** What pause, resume and cancel answer: the campaign's status once the workflow took it. */
/** A pause says why. */
export const pauseCampaignUpdate = defineUpdate<CampaignStatus, [CampaignPauseReason]>(
  'pauseCampaign',
);
export const MANUAL_PAUSE: CampaignPauseReason = {
  code: 'manual',
  message: 'Paused through the API',
};
export const resumeCampaignUpdate = defineUpdate<CampaignStatus>('resumeCampaign');
export const cancelCampaignUpdate = defineUpdate<CampaignStatus>('cancelCampaign');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

export type CampaignWorkflow = (input: CampaignInput) => Promise<CampaignStatus>;
