import { ApplicationFailure } from '@temporalio/common';
import {
  ActionDisabledError,
  invokeAction,
  RunSubjectNotFoundError,
  SandboxBusyError,
} from '../actions/invoke';
import type { ActionCaller } from '../store/documents';
import type { RunError } from '../vm/types';
import type { ActivityDeps } from './deps';

export const ActionFailure = {
  gone: 'ActionGone',
  busy: 'ActionBusy',
  disabled: 'ActionDisabled',
} as const;

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
  const { store, sandbox } = deps;

  return {
    async runAction(step: ActionStepInput): Promise<ActionStepResult> {
      try {
        const { outcome, run } = await invokeAction(
          { store, sandbox },
          step.orgId,
          step.actionId,
          {
            contact_id: step.contactId || undefined,
            message: step.message ?? undefined,
            agent: step.agent ?? undefined,
            input: step.input,
          },
          step.caller ?? { type: 'workflow', id: null },
        );
        return { ...outcome, runId: run._id };
      } catch (err) {
        if (err instanceof RunSubjectNotFoundError) {
          throw ApplicationFailure.nonRetryable(
            `${err.subject} ${err.id} not found`,
            ActionFailure.gone,
          );
        }
        if (err instanceof ActionDisabledError) {
          throw ApplicationFailure.nonRetryable(err.message, ActionFailure.disabled);
        }
        if (err instanceof SandboxBusyError) {
          throw ApplicationFailure.retryable('The sandbox is busy', ActionFailure.busy);
        }
        throw err;
      }
    },
  };
}

export type ActionActivities = ReturnType<typeof actionActivities>;
