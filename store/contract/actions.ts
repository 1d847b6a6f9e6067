import type { ActionDoc, ActionRunDoc } from '../documents';

export interface NewAction {
  name: string;
  description: string | null;
  code: string;
}

/** Custom JavaScript actions and the record of their runs. */
export interface ActionRepository {
  /** A name the organization already uses is a ConflictError. */
  create(orgId: string, input: NewAction): Promise<ActionDoc>;
  /** By name. */
  list(orgId: string): Promise<ActionDoc[]>;
  get(orgId: string, id: string): Promise<ActionDoc | null>;
  /**
   * Applies the given fields; a name already used by another action is a ConflictError. New
   * code clears the action's disabled reason.
   */
  update(orgId: string, id: string, changes: Partial<NewAction>): Promise<ActionDoc | null>;
  /** Stops the action from running, with the reason; null when there is no such action. */
  disable(orgId: string, id: string, reason: string): Promise<ActionDoc | null>;
  /** Deletes the action and the record of its runs. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Records runs in one write (a campaign batch records its recipients' runs together). */
  recordRuns(runs: ActionRunDoc[]): Promise<void>;
  /** An action's runs, newest first, after a (created_at, id) cursor. */
  runs(
    orgId: string,
    actionId: string,
    page: { limit: number; before?: { created_at: Date; id: string } },
  ): Promise<ActionRunDoc[]>;
}
