import { NotFoundError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import type { Store } from '../store/contract';
import type { ActionDoc } from '../store/documents';
import type { RunError, Sandbox } from '../vm/types';
import { findAction } from './queries';

/** A new action: its code is the body of an async function. */
export interface ActionRequest {
  name: string;
  /** Empty or null: none. */
  description?: string | null;
  code: string;
}

/** What changes; absent fields stay as they are. */
export type ActionPatchRequest = Partial<ActionRequest>;

export interface ActionDefinitionDeps {
  store: Store;
  sandbox: Pick<Sandbox, 'check'>;
}

function where(e: RunError): string {
  if (e.line === null) return '';
  return e.column === null ? ` (line ${e.line})` : ` (line ${e.line}, column ${e.column})`;
}

/** The code compiles as an action's body, or a 400 naming the line and column. */
async function checkCode(sandbox: Pick<Sandbox, 'check'>, code: string): Promise<void> {
  const problem = await sandbox.check(code);
  if (problem?.type === 'crashed') {
    // The sandbox failed, not the code: the save can be tried again.
    throw new ServiceUnavailableError(`The sandbox could not check the code: ${problem.message}`);
  }
  if (problem) throw new ValidationError(`code: ${problem.message}${where(problem)}`);
}

/** Creates an action whose code compiles. */
export async function createAction(
  { store, sandbox }: ActionDefinitionDeps,
  orgId: string,
  req: ActionRequest,
): Promise<ActionDoc> {
  await checkCode(sandbox, req.code);
  return store.actions.create(orgId, {
    name: req.name,
    description: req.description || null,
    code: req.code,
  });
}

/** Changes an action's name, description or code; new code must compile. */
export async function updateAction(
  { store, sandbox }: ActionDefinitionDeps,
  orgId: string,
  id: string,
  patch: ActionPatchRequest,
): Promise<ActionDoc> {
  await findAction(store, orgId, id);
  const { name, description, code } = patch;
  if (code !== undefined) await checkCode(sandbox, code);
  const doc = await store.actions.update(orgId, id, {
    name,
    description: description === undefined ? undefined : description || null,
    code,
  });
  if (!doc) throw new NotFoundError(`Action '${id}' not found`);
  return doc;
}

/** Deletes an action and the record of its runs. */
export async function deleteAction(store: Store, orgId: string, id: string): Promise<void> {
  if (!(await store.actions.delete(orgId, id))) {
    throw new NotFoundError(`Action '${id}' not found`);
  }
}
