import { DomainError } from '../../lib/errors';
import { sendReadReceipt } from '../../sending/mark-read';
import type { Store } from '../../store';
import type { MessageDoc } from '../../store/documents';
import type { EffectStep, StepResult, StepScope } from '../effects';
import type { EffectDeps } from './deps';

type MarkReadStep = Extract<EffectStep, { type: 'mark_read' }>;

/** The customer message the step marks: the run's latest (its trigger, or the latest reply). */
async function latestMessage(
  store: Store,
  scope: StepScope,
): Promise<{ message: MessageDoc } | { skipped: string }> {
  const facts = scope.run.context.message;
  if (!facts) return { skipped: 'no customer message started or answered the run' };
  const message = await store.messages.get(scope.run.org_id, facts.message_id);
  if (!message?.wamid || message.direction !== 'inbound') {
    return { skipped: `message '${facts.message_id}' is not stored` };
  }
  return { message };
}

/**
 * Marks the run's latest customer message read (with the typing indicator if asked). Once per
 * message: a step done again (a retried run), or a message already marked read, sends nothing.
 * Meta refusing it does not fail the run: a read receipt is a courtesy.
 */
export async function markRead(
  deps: EffectDeps,
  scope: StepScope,
  step: MarkReadStep,
): Promise<StepResult> {
  const found = await latestMessage(deps.store, scope);
  if ('skipped' in found) return { outcome: 'skipped', detail: { reason: found.skipped } };
  const { message } = found;
  const detail = { message_id: message._id, typing_indicator: step.typing_indicator };
  if (message.status === 'read') return { outcome: 'already_read', detail };
  try {
    await sendReadReceipt(deps, message, step.typing_indicator, scope.at);
  } catch (err) {
    if (!(err instanceof DomainError) || err.statusCode >= 500) throw err;
    return { outcome: 'not_read', detail: { ...detail, reason: err.message } };
  }
  return { outcome: 'read', detail };
}

/** What the step would mark, sending nothing. */
export async function previewMarkRead(
  store: Store,
  scope: StepScope,
  step: MarkReadStep,
): Promise<StepResult> {
  const facts = scope.run.context.message;
  if (!facts) {
    return {
      outcome: 'skipped',
      detail: { reason: 'no customer message started or answered the run' },
    };
  }
  const stored = await store.messages.get(scope.run.org_id, facts.message_id);
  return {
    outcome: stored?.status === 'read' ? 'already_read' : 'read',
    detail: {
      would: 'mark_read',
      message_id: facts.message_id,
      typing_indicator: step.typing_indicator,
    },
  };
}
