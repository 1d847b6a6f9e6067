import { Context, log } from '@temporalio/activity';
import { idFrom } from '../lib/ids';
import { nextAllowedMoment } from '../lib/delivery-schedule';
import {
  contactZone,
  planStep,
  renderStep,
  stepAsWritten,
  type StepMessageSource,
} from '../sequences/step';
import type { NewMessage } from '../store/contract/messages';
import { eventDoc } from '../store/events';
import type { RunId, StepRecord } from '../store/contract/sequences';
import type { SequenceStepInput, SequenceStepResult } from '../workflows/contracts/sequence';
import { ExitReason } from '../sequences/exits';
import { SubscriptionStarter } from '../sequences/starter';
import type { ActivityDeps } from './deps';
import { messageActionValues } from '../actions/message-values';

/** Subscriptions pending this long were left by a process that died before starting them. */
const ABANDONED_AFTER_MS = 60_000;

/** One message per sequence, contact, run and step, whatever retries happen. */
export const sequenceMessageId = (r: RunId, step: number) =>
  idFrom(`sequence:${r.sequence_id}:${r.contact_id}:${r.run}:${step}`);

/**
 * What a subscription's workflow does at each due step. Time is the workflow's (`input.at`),
 * never this process's clock, so the same inputs give the same answer on any worker and
 * under a test server's skipped time.
 */
export function sequenceActivities(
  {
    store,
    signals,
    config,
    sandbox,
  }: Pick<ActivityDeps, 'store' | 'signals' | 'config' | 'sandbox'>,
  messageSource: StepMessageSource = stepAsWritten,
) {
  const subs = store.sequenceSubscriptions;

  return {
    /** Starts the workflows of subscriptions that an API process recorded but did not start. */
    async startPendingSubscriptions(): Promise<number> {
      const starter = new SubscriptionStarter({
        store,
        client: () => Context.current().client,
        taskQueue: config.temporal.taskQueue,
        concurrency: config.sequences.startConcurrency,
        log: {
          warn: (obj, msg) => {
            log.warn(msg, { ...obj });
          },
        },
      });
      return starter.drain(new Date(Date.now() - ABANDONED_AFTER_MS));
    },

    async runSequenceStep(input: SequenceStepInput): Promise<SequenceStepResult> {
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
      if (!contact.opted_in) return exit(ExitReason.optedOut);
      const goal = def.exit.tags.find((t) => contact.tags.includes(t));
      if (goal) return exit(ExitReason.tag(goal));

      const zone = contactZone(contact);
      const allowed = nextAllowedMoment(input.at, def.schedule, zone);
      if (allowed > input.at) {
        const nextAt = new Date(allowed);
        await subs.advance(id, { from: input.step, to: input.step, nextAt, record: null });
        return { kind: 'wait', step: input.step, at: allowed };
      }

      const step = def.steps[input.step];
      if (!step) return exit(ExitReason.sequenceDeleted);
      let plan = planStep(step, contact, at);
      let messageId: string | null = null;
      const message = plan.message
        ? await messageSource(plan.message, {
            contact,
            step: input.step,
            sequenceId: input.sequenceId,
          })
        : null;
      const fromAction = message
        ? await messageActionValues(
            { store, sandbox: sandbox },
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
          _id: sequenceMessageId(id, input.step),
          org_id: sub.org_id,
          account_id: def.account_id,
          contact_id: contact._id,
          direction: 'outbound',
          phone_number: contact.phone_number,
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
      const record: StepRecord = {
        step: input.step,
        at,
        outcome: plan.outcome,
        message_id: messageId,
        reason: plan.reason,
      };

      const following = def.steps[input.step + 1];
      if (!following) {
        if (!(await subs.end(id, 'completed', null, record, at))) return settled();
        await store.events.recordMany([
          eventDoc(sub.org_id, {
            id: `sequence.completed:${input.sequenceId}:${input.contactId}:${input.run}`,
            type: 'sequence.completed',
            timestamp: at,
            data: {
              sequence_id: input.sequenceId,
              contact_id: contact._id,
              phone_number: contact.phone_number,
              run: input.run,
              version: sub.version,
              steps: def.steps.length,
              sent: [...sub.history, record].filter((h) => h.message_id).length,
              skipped: [...sub.history, record].filter((h) => h.outcome === 'skipped').length,
            },
          }),
        ]);
        return { kind: 'done', state: 'completed', reason: null };
      }
      const base = following.after === 'subscription' ? sub.subscribed_at.getTime() : input.at;
      const next = nextAllowedMoment(
        Math.max(base + following.delay_ms, input.at),
        def.schedule,
        zone,
      );
      const moved = await subs.advance(id, {
        from: input.step,
        to: input.step + 1,
        nextAt: new Date(next),
        record,
      });
      if (!moved) return settled();
      return { kind: 'wait', step: input.step + 1, at: next };

      /** Something else ended or replaced the run meanwhile: report what the store says. */
      async function settled(): Promise<SequenceStepResult> {
        const now = await subs.get(input.sequenceId, input.contactId);
        if (now?.run === input.run && (now.state === 'completed' || now.state === 'exited')) {
          return { kind: 'done', state: now.state, reason: now.exit_reason };
        }
        return { kind: 'done', state: 'exited', reason: ExitReason.replaced };
      }
    },
  };
}

export type SequenceActivities = ReturnType<typeof sequenceActivities>;
