import type { ActionCaller, ActionDoc, ActionRunDoc, ContactDoc } from '../store/documents';
import type { ActionContext, RunError } from '../vm/types';
import { contactContext, organizationContext } from './context';
import { disabledError } from './crashes';
import { recorded, recordRuns, runRecord, type ActionRunDeps } from './run';

/** What an action gave one contact: its result's values as text, or why it gave nothing. */
export type ContactValues =
  { ok: true; values: Record<string, string> } | { ok: false; error: RunError };

export interface ContactValuesRequest {
  action: ActionDoc;
  contacts: ContactDoc[];
  caller: ActionCaller;
  /** Extra input every run gets (`input`). */
  input?: unknown;
  /** Contacts are run in chunks; none starts after this much time (ms) has passed. */
  budgetMs?: number;
}

/** Runs per sandbox call: one call compiles the action once and keeps one isolate. */
const CHUNK = 25;

/**
 * The values an object result gives placeholders: its top-level strings, numbers and
 * booleans, as text. Anything else is left out (a placeholder of it is missing).
 */
export function valuesOf(result: unknown): Record<string, string> | null {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return null;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(result)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[key] = String(value);
    }
  }
  return values;
}

/**
 * Runs an action for each contact (`contact` is the contact, `organization` its organization)
 * and returns, by contact id, the values its result gives: what campaigns (and sequences,
 * WooCommerce mappings) fill `{{action.<key>}}` placeholders with. Every run is recorded, in
 * one write. Contacts left out by the time budget are absent from the map: the caller comes
 * back for them.
 */
export async function actionValuesForContacts(
  deps: ActionRunDeps,
  req: ContactValuesRequest,
): Promise<Map<string, ContactValues>> {
  const started = Date.now();
  if (req.action.disabled_reason) {
    const error = disabledError(req.action);
    return new Map(req.contacts.map((c) => [c._id, { ok: false, error }]));
  }
  const org = await deps.store.organizations.get(req.action.org_id);
  const organization = org ? organizationContext(org) : { id: req.action.org_id, name: null };
  const out = new Map<string, ContactValues>();
  const runs: ActionRunDoc[] = [];
  for (let i = 0; i < req.contacts.length; i += CHUNK) {
    if (i > 0 && req.budgetMs !== undefined && Date.now() - started > req.budgetMs) break;
    const chunk = req.contacts.slice(i, i + CHUNK);
    const contexts: ActionContext[] = chunk.map((c) => ({
      contact: contactContext(c),
      message: null,
      agent: null,
      organization,
      input: req.input ?? null,
    }));
    const outcomes = await deps.sandbox.runMany(req.action.code, contexts, req.action.org_id);
    outcomes.forEach((o, k) => {
      const contact = chunk[k]!;
      if (recorded(o)) runs.push(runRecord(req.action, req.caller, o));
      if (!o.ok) {
        out.set(contact._id, { ok: false, error: o.error });
        return;
      }
      const values = valuesOf(o.result);
      out.set(
        contact._id,
        values
          ? { ok: true, values }
          : {
              ok: false,
              error: {
                type: 'output',
                message: 'The action must return an object for placeholders',
                line: null,
                column: null,
              },
            },
      );
    });
  }
  await recordRuns(deps, req.action, runs);
  return out;
}
