import { ConflictError, DomainError, NotFoundError } from '../lib/errors';
import type { ActionCaller, ActionRunDoc } from '../store/documents';
import type { RunOutcome } from '../vm/types';
import { contactContext, messageContext, organizationContext } from './context';
import { disabledError } from './crashes';
import { runAndRecord, type ActionRunDeps } from './run';

const BUSY_RETRY_AFTER_SECONDS = 1;

/** One run of an action: what it sees besides its organization. */
export interface RunActionRequest {
  /** The contact it sees; its last message too, unless `message` is given. */
  contact_id?: string;
  message?: Record<string, unknown>;
  agent?: Record<string, unknown>;
  input?: unknown;
}

/** The action, or the contact it was to run for, is not there. */
export class RunSubjectNotFoundError extends NotFoundError {
  constructor(
    readonly subject: 'Action' | 'Contact',
    readonly id: string,
  ) {
    super(`${subject} '${id}' not found`);
  }
}

/** The action is disabled (it kept crashing its sandbox process); new code enables it. */
export class ActionDisabledError extends ConflictError {}

/** The sandbox refused the run: it is full. */
export class SandboxBusyError extends DomainError {
  constructor(message: string) {
    super(message, 429, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
  }
}

/** Runs an action once for `caller` and records the run: its outcome, failures included. */
export async function invokeAction(
  { store, sandbox }: ActionRunDeps,
  orgId: string,
  actionId: string,
  req: RunActionRequest,
  caller: ActionCaller,
): Promise<{ outcome: RunOutcome; run: ActionRunDoc }> {
  const action = await store.actions.get(orgId, actionId);
  if (!action) throw new RunSubjectNotFoundError('Action', actionId);
  if (action.disabled_reason) throw new ActionDisabledError(disabledError(action).message);
  let contact = null;
  let message = req.message ?? null;
  if (req.contact_id !== undefined) {
    const doc = await store.contacts.get(orgId, req.contact_id);
    if (!doc) throw new RunSubjectNotFoundError('Contact', req.contact_id);
    contact = contactContext(doc);
    if (!message) {
      const [last] = await store.messages.history(orgId, doc._id, { limit: 1 });
      message = last ? messageContext(last) : null;
    }
  }
  const org = await store.organizations.get(orgId);
  const { outcome, run } = await runAndRecord(
    { store, sandbox },
    action,
    {
      contact,
      message,
      agent: req.agent ?? null,
      organization: org ? organizationContext(org) : { id: orgId, name: null },
      input: req.input ?? null,
    },
    caller,
  );
  if (!run) throw new SandboxBusyError(outcome.ok ? 'Busy' : outcome.error.message);
  return { outcome, run };
}
