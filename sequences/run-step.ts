import { messageActionValues } from '../actions/message-values';
import type { ActionRunDeps } from '../actions/run';
import { nextAllowedMoment } from '../lib/delivery-schedule';
import { idFrom } from '../lib/ids';
import type { Store } from '../store';
import type { NewMessage } from '../store/contract/messages';
import type {
  RunId,
  SequenceDefinition,
  StepRecord,
  SubscriptionDoc,
} from '../store/contract/sequences';
import type { ContactDoc } from '../store/documents';
import { eventDoc } from '../store/events';
import type { Signals } from '../store/signals';
import { unsendable } from '../templates/sendable';
import type { SequenceStepInput, SequenceStepResult } from '../workflows/contracts/sequence';
import { ExitReason } from './exits';
import {
  contactZone,
  exitReasonFor,
  planStep,
  renderStep,
  stepAsWritten,
  type StepMessageSource,
  type StepPlan,
} from './step';

export interface StepDeps extends ActionRunDeps {
  signals: Signals;
  /** Where a step's message comes from; the step's own unless given. */
  messageSource?: StepMessageSource;
}

/** How long a subscriber waits at a step whose template Meta paused before looking again. */
export const TEMPLATE_HOLD_MS = 15 * 60_000;

/** One message per sequence, contact, run and step, whatever retries happen. */
export const sequenceMessageId = (r: RunId, step: number) =>
  idFrom(`sequence:${r.sequence_id}:${r.contact_id}:${r.run}:${step}`);

/**
 * What a subscription's workflow does at each due step. Time is the workflow's (`input.at`),
 * never this process's clock, so the same inputs give the same answer on any worker and
 * under a test server's skipped time.
 */
export async function runSequenceStep(
  deps: StepDeps,
  input: SequenceStepInput,
): Promise<SequenceStepResult> {
  const { store } = deps;
  const subs = store.sequenceSubscriptions;
  const id: RunId = {
    sequence_id: input.sequenceId,
    contact_id: input.contactId,
    run: input.run,
  };
  const at = new Date(input.at);
  const sub = await subs.get(input.sequenceId, input.contactId);
  if (!sub || sub.run !== input.run) {
    return { kind: 'done', state: 'exited', reason: ExitReason.replaced };
  }
  if (sub.state === 'completed' || sub.state === 'exited') {
    return { kind: 'done', state: sub.state, reason: sub.exit_reason };
  }
  // A retry of a step that was already handled: go on from where the store is.
  if (sub.step > input.step && sub.next_step_at) {
    return { kind: 'wait', step: sub.step, at: sub.next_step_at.getTime() };
  }
  const exit = async (reason: string): Promise<SequenceStepResult> => {
    await subs.end(id, 'exited', reason, null, at);
    return { kind: 'done', state: 'exited', reason };
  };
  const version = await store.sequences.version(input.sequenceId, sub.version);
  if (!version) return exit(ExitReason.sequenceDeleted);
  const def = version.definition;
  const contact = await store.contacts.get(sub.org_id, input.contactId);
  if (!contact) return exit(ExitReason.contactDeleted);
  const reason = exitReasonFor(contact, def);
  if (reason) return exit(reason);

  const zone = contactZone(contact);
  const allowed = nextAllowedMoment(input.at, def.schedule, zone);
  if (allowed > input.at) {
    const nextAt = new Date(allowed);
    await subs.advance(id, { from: input.step, to: input.step, nextAt, record: null });
    return { kind: 'wait', step: input.step, at: allowed };
  }

  const step = def.steps[input.step];
  if (!step) return exit(ExitReason.sequenceDeleted);
  const plan = planStep(step, contact, at);
  if (plan.message?.type === 'template') {
    const { name, language } = plan.message.template;
    const template = await store.templates.find(sub.org_id, def.account_id, name, language);
    // Meta would refuse it: the subscriber waits at this step until the template is approved.
    if (unsendable(template)) {
      const held = nextAllowedMoment(input.at + TEMPLATE_HOLD_MS, def.schedule, zone);
      await subs.advance(id, {
        from: input.step,
        to: input.step,
        nextAt: new Date(held),
        record: null,
      });
      return { kind: 'wait', step: input.step, at: held };
    }
  }
  const record = await sendStep(deps, { id, sub, def, contact, input, plan });

  const following = def.steps[input.step + 1];
  if (!following) {
    if (!(await subs.end(id, 'completed', null, record, at))) return settled(store, input);
    await store.events.recordMany([completedEvent(sub, def, contact, record, input)]);
    return { kind: 'done', state: 'completed', reason: null };
  }
  const base = following.after === 'subscription' ? sub.subscribed_at.getTime() : input.at;
  const next = nextAllowedMoment(Math.max(base + following.delay_ms, input.at), def.schedule, zone);
  const moved = await subs.advance(id, {
    from: input.step,
    to: input.step + 1,
    nextAt: new Date(next),
    record,
  });
  if (!moved) return settled(store, input);
  return { kind: 'wait', step: input.step + 1, at: next };
}

/**
 * Renders the planned message (its action's values filled in, or skipped when the action
 * says so) and queues it; returns what the step did.
 */
async function sendStep(
  deps: StepDeps,
  run: {
    id: RunId;
    sub: SubscriptionDoc;
    def: SequenceDefinition;
    contact: ContactDoc;
    input: SequenceStepInput;
    plan: StepPlan;
  },
): Promise<StepRecord> {
  const { store, signals, messageSource = stepAsWritten } = deps;
  const { sub, def, contact, input } = run;
  const at = new Date(input.at);
  let plan = run.plan;
  let messageId: string | null = null;
  const message = plan.message
    ? await messageSource(plan.message, { contact, step: input.step, sequenceId: input.sequenceId })
    : null;
  const fromAction = message
    ? await messageActionValues(
        deps,
        { org_id: sub.org_id, message, caller: { type: 'sequence', id: input.sequenceId } },
        [contact],
      )
    : null;
  const got = fromAction?.get(contact._id);
  if (got && 'skip' in got) plan = { outcome: 'skipped', message: null, reason: got.skip };
  if (message && plan.message) {
    const values = got && 'values' in got ? got.values : undefined;
    const { type, content } = renderStep(message, contact, values);
    const doc: NewMessage = {
      _id: sequenceMessageId(run.id, input.step),
      org_id: sub.org_id,
      account_id: def.account_id,
      contact_id: contact._id,
      direction: 'outbound',
      phone_number: contact.phone_number,
      user_id: contact.user_id ?? null,
      type,
      content,
      origin: 'sequence',
      origin_id: input.sequenceId,
      request_hash: null,
      wamid: null,
      status: 'queued',
    };
    await store.sendQueue.enqueue([doc], 'bulk', at);
    await signals.publish('send_queued', def.account_id).catch(() => undefined);
    messageId = doc._id;
  }
  return {
    step: input.step,
    at,
    outcome: plan.outcome,
    message_id: messageId,
    reason: plan.reason,
  };
}

function completedEvent(
  sub: SubscriptionDoc,
  def: SequenceDefinition,
  contact: ContactDoc,
  record: StepRecord,
  input: SequenceStepInput,
) {
  const history = [...sub.history, record];
  return eventDoc(sub.org_id, {
    id: `sequence.completed:${input.sequenceId}:${input.contactId}:${input.run}`,
    type: 'sequence.completed',
    timestamp: record.at,
    data: {
      sequence_id: input.sequenceId,
      contact_id: contact._id,
      phone_number: contact.phone_number,
      run: input.run,
      version: sub.version,
      steps: def.steps.length,
      sent: history.filter((h) => h.message_id).length,
      skipped: history.filter((h) => h.outcome === 'skipped').length,
    },
  });
}

/** Something else ended or replaced the run meanwhile: report what the store says. */
async function settled(store: Store, input: SequenceStepInput): Promise<SequenceStepResult> {
  const now = await store.sequenceSubscriptions.get(input.sequenceId, input.contactId);
  if (now?.run === input.run && (now.state === 'completed' || now.state === 'exited')) {
    return { kind: 'done', state: now.state, reason: now.exit_reason };
  }
  return { kind: 'done', state: 'exited', reason: ExitReason.replaced };
}
