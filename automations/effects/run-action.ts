import { contactContext, organizationContext, type messageContext } from '../../actions/context';
import { valuesOf } from '../../actions/contact-values';
import { disabledError } from '../../actions/crashes';
import { SandboxBusyError } from '../../actions/invoke';
import { recorded, runAndRecord, type ActionRunDeps } from '../../actions/run';
import type { InboundFacts } from '../../store/contract/automations';
import type { ActionDoc } from '../../store/documents';
import type { ActionContext, RunOutcome } from '../../vm/types';
import { StepFailure, type EffectStep, type StepResult, type StepScope } from '../effects';

type ActionStep = Extract<EffectStep, { type: 'run_action' }>;

/** The run's latest customer message as actions see a stored one. */
function messageOf(m: InboundFacts | null): ReturnType<typeof messageContext> | null {
  if (!m) return null;
  return {
    id: m.message_id,
    direction: 'inbound',
    type: m.type,
    text: m.text,
    status: 'delivered',
    timestamp: new Date(m.at).toISOString(),
  };
}

/** The step's action and what it sees, or why it cannot run. */
async function prepare(
  { store }: ActionRunDeps,
  scope: StepScope,
  step: ActionStep,
): Promise<{ action: ActionDoc; context: ActionContext }> {
  const { run, contact } = scope;
  const action = await store.actions.get(run.org_id, step.action_id);
  if (!action) throw new StepFailure(`Action '${step.action_id}' not found`);
  if (action.disabled_reason) throw new StepFailure(disabledError(action).message);
  const org = await store.organizations.get(run.org_id);
  const context: ActionContext = {
    contact: contactContext(contact),
    message: messageOf(run.context.message),
    agent: null,
    organization: org ? organizationContext(org) : { id: run.org_id, name: null },
    input: step.input ?? null,
  };
  return { action, context };
}

/** The values the action's result gives later steps; its failure fails the step. */
function ran(outcome: RunOutcome): StepResult {
  // Refused before it ran (the sandbox is full): the step is tried again.
  if (!recorded(outcome)) throw new SandboxBusyError(outcome.error.message);
  if (!outcome.ok) {
    throw new StepFailure(`Action ${outcome.error.type} error: ${outcome.error.message}`);
  }
  const values = valuesOf(outcome.result) ?? {};
  return { outcome: 'ran', detail: { values }, values };
}

/** Runs the action once, recorded as the automation's run. */
export async function runAction(
  deps: ActionRunDeps,
  scope: StepScope,
  step: ActionStep,
): Promise<StepResult> {
  const { action, context } = await prepare(deps, scope, step);
  const caller = { type: 'automation' as const, id: scope.run.automation_id };
  const { outcome } = await runAndRecord(deps, action, context, caller);
  return ran(outcome);
}

/** Runs the action in the sandbox (later branches need its values) and records nothing. */
export async function tryAction(
  deps: ActionRunDeps,
  scope: StepScope,
  step: ActionStep,
): Promise<StepResult> {
  const { action, context } = await prepare(deps, scope, step);
  return ran(await deps.sandbox.run({ code: action.code, context, key: action.org_id }));
}
