import type { toCampaignMessage } from '../campaigns/preflight';
import type { DeliverySchedule } from '../lib/delivery-schedule';
import type { SequenceExitRules, SequenceReentry } from '../store/contract/sequences';

/** A step's message as the API takes it: a campaign's (template or free-form text). */
export type StepMessageRequest = Parameters<typeof toCampaignMessage>[0];

/** What a sequence is created or replaced from. */
export interface SequenceRequest {
  name: string;
  /** The account to send from; the organization's default when omitted. */
  whatsapp_account?: string;
  steps: {
    delay: string;
    after: 'previous' | 'subscription';
    type: '24h' | 'anytime';
    message: StepMessageRequest;
    fallback?: Extract<StepMessageRequest, { type: 'template' }>;
  }[];
  schedule: DeliverySchedule | null;
  reentry: SequenceReentry;
  exit: SequenceExitRules;
  keywords: string[];
}

/** Contacts to subscribe, by id or by phone number. */
export interface SubscribeRequest {
  contact_ids?: string[];
  phone_numbers?: string[];
  /** Business-scoped user ids, for customers known without a number. */
  user_ids?: string[];
  /** The country of national phone_numbers (else the organization's). */
  default_country?: string;
}
