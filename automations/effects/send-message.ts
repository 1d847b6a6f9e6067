import type { MetaContent } from '../../meta/messages';
import { windowOpen } from '../../meta/window';
import { WINDOW_CLOSED } from '../../sequences/step';
import type { Store } from '../../store';
import type { AutomationMessage } from '../../store/contract/automations';
import type { NewMessage } from '../../store/contract/messages';
import { pausedBecause, unsendable } from '../../templates/sendable';
import { StepFailure, type EffectStep, type StepResult, type StepScope } from '../effects';
import { renderAutomationMessage } from '../render';
import type { DryEffectDeps, EffectDeps } from './deps';
import { runScope, stepKey } from './scope';

type SendStep = Extract<EffectStep, { type: 'send_message' }>;

type SendPlan =
  | { outcome: 'sent' | 'fallback'; content: MetaContent; reason: string | null }
  | { outcome: 'skipped'; content: null; reason: string };

/**
 * What the step sends at `scope.at`: a template at any time, anything else while the 24 h
 * window is open, else the fallback template, else nothing. A template Meta would refuse, or
 * a contact nothing can be sent to, fails the step.
 */
async function planSend(store: Store, scope: StepScope, step: SendStep): Promise<SendPlan> {
  const { contact, def, run, at } = scope;
  const open = step.message.type === 'template' || windowOpen(contact.last_inbound_at, at);
  const chosen: { message: AutomationMessage; outcome: 'sent' | 'fallback' } | null = open
    ? { message: step.message, outcome: 'sent' }
    : step.fallback && { message: step.fallback, outcome: 'fallback' };
  if (!chosen) return { outcome: 'skipped', content: null, reason: WINDOW_CLOSED };
  if (chosen.message.type === 'template') {
    const { name, language } = chosen.message.template;
    const template = await store.templates.find(run.org_id, def.account_id, name, language);
    if (unsendable(template)) throw new StepFailure(pausedBecause(template));
  }
  if (!contact.phone_number && !contact.user_id) {
    throw new StepFailure('The contact has neither a phone number nor a user id');
  }
  return {
    outcome: chosen.outcome,
    content: renderAutomationMessage(chosen.message, runScope(scope)),
    reason: open ? null : WINDOW_CLOSED,
  };
}

const withReason = (reason: string | null) => (reason ? { reason } : {});

/**
 * Queues the message in the send pipeline ahead of bulk traffic (an automation answers a
 * customer), once per run and step.
 */
export async function sendMessage(
  { store, signals }: EffectDeps,
  scope: StepScope,
  step: SendStep,
): Promise<StepResult> {
  const plan = await planSend(store, scope, step);
  if (!plan.content) return { outcome: plan.outcome, detail: { reason: plan.reason } };
  const { run, def, contact, at } = scope;
  const doc: NewMessage = {
    _id: stepKey(scope, step),
    org_id: run.org_id,
    account_id: def.account_id,
    contact_id: contact._id,
    direction: 'outbound',
    phone_number: contact.phone_number,
    user_id: contact.user_id ?? null,
    type: plan.content.type,
    content: plan.content.content,
    origin: 'automation',
    origin_id: run.automation_id,
    request_hash: null,
    wamid: null,
    status: 'queued',
  };
  await store.sendQueue.enqueue([doc], 'transactional', at);
  await signals.publish('send_queued', def.account_id).catch(() => undefined);
  return {
    outcome: plan.outcome,
    detail: { message_id: doc._id, type: doc.type, ...withReason(plan.reason) },
  };
}

/** The message as the contact would get it, and whether the window let it go. */
export async function previewMessage(
  { store }: DryEffectDeps,
  scope: StepScope,
  step: SendStep,
): Promise<StepResult> {
  const plan = await planSend(store, scope, step);
  const window_open = windowOpen(scope.contact.last_inbound_at, scope.at);
  if (!plan.content) return { outcome: plan.outcome, detail: { reason: plan.reason, window_open } };
  return {
    outcome: plan.outcome,
    detail: { ...plan.content, window_open, ...withReason(plan.reason) },
  };
}
