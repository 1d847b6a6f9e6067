import { ApplicationFailure } from '@temporalio/common';
import { contactContext, messageContext, organizationContext } from '../actions/context';
import { runAndRecord } from '../actions/run';
import type { ActionCaller } from '../store/documents';
import type { RunError } from '../vm/types';
import type { ActivityDeps } from './deps';

export const ActionFailure = { gone: 'ActionGone', busy: 'ActionBusy' } as const;

/** A workflow step that runs an action. */
export interface ActionStepInput {
  orgId: string;
  actionId: string;
  /** The contact the action sees; its last message too, unless `message` is given. */
  contactId?: string | null;
  message?: Record<string, unknown> | null;
  agent?: Record<string, unknown> | null;
  input?: unknown;
  /** Who runs it (a sequence, a WooCommerce order...); a workflow step by default. */
  caller?: ActionCaller;
}

export type ActionStepResult =
  | { ok: true; result: unknown; logs: string[]; durationMs: number; runId: string }
  | { ok: false; error: RunError; logs: string[]; durationMs: number; runId: string };

/**
 * Actions as workflow steps. The action's own failures (runtime, timeout, memory...) are
 * results for the workflow to branch on, not retried; a missing action or contact is a
 * non-retryable failure; a full sandbox is retried.
 */
export function actionActivities(deps: Pick<ActivityDeps, 'config' | 'store' | 'sandbox'>) {
  const { store, config, sandbox } = deps;

  return {
    async runAction(step: ActionStepInput): Promise<ActionStepResult> {
      const action = await store.actions.get(step.orgId, step.actionId);
      if (!action) {
        throw ApplicationFailure.nonRetryable(
          `Action ${step.actionId} not found`,
          ActionFailure.gone,
        );
      }
      let contact = null;
      let message = step.message ?? null;
      if (step.contactId) {
        const doc = await store.contacts.get(step.orgId, step.contactId);
        if (!doc) {
          throw ApplicationFailure.nonRetryable(
            `Contact ${step.contactId} not found`,
            ActionFailure.gone,
          );
        }
        contact = contactContext(doc);
        if (!message) {
          const [last] = await store.messages.history(step.orgId, doc._id, { limit: 1 });
          message = last ? messageContext(last) : null;
        }
      }
      const org = await store.organizations.get(step.orgId);
      const { outcome, run } = await runAndRecord(
        { store, sandbox },
        action,
        {
          contact,
          message,
          agent: step.agent ?? null,
          organization: org ? organizationContext(org) : { id: step.orgId, name: null },
          input: step.input ?? null,
        },
        step.caller ?? { type: 'workflow', id: null },
      );
      if (!run) {
        throw ApplicationFailure.retryable('The sandbox is busy', ActionFailure.busy);
      }
      return { ...outcome, runId: run._id };
    },
  };
}

export type ActionActivities = ReturnType<typeof actionActivities>;
