import { flushOutbox } from '../../contacts/outbox';
import type { EffectStep, StepResult, StepScope } from '../effects';
import { renderText } from '../render';
import type { EffectDeps } from './deps';
import { runScope, stepKey } from './scope';

type TransferStep = Extract<EffectStep, { type: 'transfer' }>;

const notesOf = (scope: StepScope, step: TransferStep) =>
  step.notes ? renderText(step.notes, runScope(scope)) : null;

/** Hands the conversation over, once per run and step (its transfer.created event with it). */
export async function transfer(
  { store, log }: EffectDeps,
  scope: StepScope,
  step: TransferStep,
): Promise<StepResult> {
  const doc = await store.transfers.create(scope.run.org_id, {
    id: stepKey(scope, step, 'automation.transfer'),
    contactId: scope.contact._id,
    toAgentId: step.agent_id,
    toTeamId: step.team_id,
    notes: notesOf(scope, step),
  });
  await flushOutbox(store, log, 'transfers', doc._id);
  return { outcome: 'transferred', detail: { transfer_id: doc._id } };
}

export function previewTransfer(scope: StepScope, step: TransferStep): StepResult {
  return {
    outcome: 'transferred',
    detail: {
      would: 'transfer',
      agent_id: step.agent_id,
      team_id: step.team_id,
      notes: notesOf(scope, step),
    },
  };
}
