import type { ContactDoc, CampaignMessage } from '../store/documents';
import type { SequenceDefinition, SequenceStep } from '../store/contract/sequences';
import { renderCampaignMessage, type ActionValues } from '../campaigns/message';
import type { MetaContent } from '../meta/messages';
import { windowOpen } from '../meta/window';
import { isTimezone } from '../lib/delivery-schedule';
import { ExitReason } from './exits';

/**
 * Where a step's message comes from before it is rendered for the contact. Today it is the
 * step's own (placeholders filled from contact fields); a custom action computing a step's
 * template parameters plugs in here, given the step and contact, returning the message to
 * render instead.
 */
export type StepMessageSource = (
  message: CampaignMessage,
  ctx: { contact: ContactDoc; step: number; sequenceId: string },
) => Promise<CampaignMessage>;

export const stepAsWritten: StepMessageSource = (message) => Promise.resolve(message);

export type StepPlan =
  | { outcome: 'queued' | 'fallback'; message: CampaignMessage; reason: string | null }
  | { outcome: 'skipped'; message: null; reason: string };

export const WINDOW_CLOSED = 'Outside the 24-hour window';

/**
 * What a due step sends to the contact at `at`: `anytime` its template; `24h` its message while
 * the window is open, else its fallback template, else nothing (with the reason).
 */
export function planStep(step: SequenceStep, contact: ContactDoc, at: Date): StepPlan {
  if (step.type === 'anytime' || windowOpen(contact.last_inbound_at, at)) {
    return { outcome: 'queued', message: step.message, reason: null };
  }
  if (step.fallback) return { outcome: 'fallback', message: step.fallback, reason: WINDOW_CLOSED };
  return { outcome: 'skipped', message: null, reason: WINDOW_CLOSED };
}

export const renderStep = (
  message: CampaignMessage,
  contact: ContactDoc,
  actionValues?: ActionValues,
): MetaContent => renderCampaignMessage(message, contact, actionValues);

/** A contact's own timezone: its `timezone` custom field, when it names a real zone. */
export function contactZone(contact: ContactDoc): string | null {
  const zone = contact.custom_fields.timezone;
  return isTimezone(zone) ? zone : null;
}

/** Why the contact leaves before its next step (opted out, or reached a goal tag), if it does. */
export function exitReasonFor(
  contact: ContactDoc,
  def: Pick<SequenceDefinition, 'exit'>,
): string | null {
  if (!contact.opted_in) return ExitReason.optedOut;
  const goal = def.exit.tags.find((t) => contact.tags.includes(t));
  return goal ? ExitReason.tag(goal) : null;
}
