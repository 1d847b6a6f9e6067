import type {
  AutomationDefinition,
  AutomationRunDoc,
  AutomationStep,
  InboundFacts,
  RunStepRecord,
  StepTarget,
} from '../store/contract/automations';
import type { ContactDoc } from '../store/documents';
import { allHold } from './conditions';
import { StepFailure, type EffectStep, type StepEffects } from './effects';
import { replyFits } from './match';

/** How a run goes on: from its first step, with a reply to its wait, or its wait over. */
export type Resume =
  { kind: 'start' } | { kind: 'reply'; message: InboundFacts } | { kind: 'timeout' };

export interface Advanced {
  run: AutomationRunDoc;
  contact: ContactDoc;
}

/** Why a run ended, as runs record it. */
export const EndReason = {
  completed: 'completed',
  optedOut: 'opted out',
  automationDeleted: 'automation deleted',
  cancelled: 'cancelled',
  stepMissing: (id: string) => `step '${id}' is not in version`,
} as const;

/** Where a step goes when it names nothing: the step after it in the list, or the end. */
function following(def: AutomationDefinition, step: AutomationStep): StepTarget {
  if (step.next !== undefined) return step.next;
  const i = def.steps.findIndex((s) => s.id === step.id);
  return def.steps[i + 1]?.id ?? null;
}

/**
 * Runs the run's steps from where `resume` takes it until it waits or ends, and returns it as
 * it then is (nothing is saved here: the caller saves it, or, testing, does not). Effects
 * happen through `effects`. Definitions are checked to be acyclic when saved, so every step
 * runs at most once per resume.
 */
export async function advance(
  effects: StepEffects,
  def: AutomationDefinition,
  start: Advanced,
  resume: Resume,
  at: Date,
): Promise<Advanced> {
  const run: AutomationRunDoc = {
    ...start.run,
    state: 'running',
    context: { ...start.run.context, action: { ...start.run.context.action } },
    path: [...start.run.path],
  };
  let contact = start.contact;
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const record = (step: AutomationStep, outcome: string, detail: RunStepRecord['detail'] = null) =>
    run.path.push({ step: step.id, type: step.type, at, outcome, detail });
  const end = (state: 'completed' | 'failed', reason: string): Advanced => {
    Object.assign(run, {
      state,
      step: null,
      wait: null,
      end_reason: reason,
      active_key: run._id,
      ended_at: at,
      updated_at: at,
    });
    return { run, contact };
  };
  const effect = async (step: EffectStep): Promise<string | null> => {
    try {
      const result = await effects.run({ run, def, contact, at }, step);
      record(step, result.outcome, result.detail);
      if (result.contact) contact = result.contact;
      if (result.values) Object.assign(run.context.action, result.values);
      return null;
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      record(step, 'failed', { reason: err.message });
      return err.message;
    }
  };

  let next: StepTarget;
  if (resume.kind === 'start') {
    next = def.steps[0]?.id ?? null;
  } else {
    const waited = run.step ? byId.get(run.step) : undefined;
    if (!waited) return end('failed', EndReason.stepMissing(run.step ?? '?'));
    run.wait = null;
    if (waited.type === 'wait_for_reply' && resume.kind === 'reply') {
      const reply = resume.message;
      run.context.message = reply;
      const branch = waited.branches.findIndex((b) => replyFits(b.match, reply));
      record(waited, 'reply', {
        message_id: reply.message_id,
        text: reply.text,
        branch: branch < 0 ? 'otherwise' : branch,
      });
      if (waited.save_to && reply.text !== null) {
        const failed = await effect({
          id: waited.id,
          type: 'set_fields',
          set: { [waited.save_to]: reply.text },
          remove: [],
        });
        if (failed) return end('failed', failed);
      }
      next =
        branch >= 0
          ? waited.branches[branch]!.next
          : waited.otherwise !== undefined
            ? waited.otherwise
            : following(def, waited);
    } else if (waited.type === 'wait_for_reply') {
      record(waited, 'timeout');
      next = waited.on_timeout;
    } else {
      record(waited, 'waited');
      next = following(def, waited);
    }
  }

  for (;;) {
    if (next === null) return end('completed', EndReason.completed);
    const step = byId.get(next);
    if (!step) return end('failed', EndReason.stepMissing(next));
    switch (step.type) {
      case 'wait_for_reply':
      case 'delay': {
        const ms = step.type === 'delay' ? step.duration_ms : step.timeout_ms;
        run.seq += 1;
        run.step = step.id;
        run.wait = {
          kind: step.type === 'delay' ? 'delay' : 'reply',
          step: step.id,
          seq: run.seq,
          since: at,
          until: new Date(at.getTime() + ms),
        };
        run.state = 'waiting';
        run.updated_at = at;
        record(step, 'waiting', { until: run.wait.until.toISOString() });
        return { run, contact };
      }
      case 'condition': {
        const ok = allHold(step.conditions, { contact, ...run.context }, at);
        record(step, ok ? 'then' : 'else');
        next = ok ? step.then : step.else;
        break;
      }
      case 'end':
        record(step, 'ended');
        return end('completed', EndReason.completed);
      default: {
        run.step = step.id;
        const failed = await effect(step);
        if (failed) return end('failed', failed);
        next = following(def, step);
      }
    }
  }
}
