import { contactNotFound } from '../contacts/read';
import { mapLimit } from '../lib/concurrency';
import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type {
  AutomationDoc,
  AutomationRunDoc,
  RunPage,
  RunState,
} from '../store/contract/automations';

const COUNTS_IN_FLIGHT = 4;

/** An automation with how many of its runs are in each state. */
export interface AutomationWithCounts {
  doc: AutomationDoc;
  counts: Record<RunState, number>;
}

export async function findAutomation({ store }: { store: Store }, orgId: string, id: string) {
  const doc = await store.automations.get(orgId, id);
  if (!doc) throw new NotFoundError(`Automation '${id}' not found`);
  return doc;
}

export async function withCounts(
  { store }: { store: Store },
  doc: AutomationDoc,
): Promise<AutomationWithCounts> {
  return { doc, counts: await store.automationRuns.counts(doc._id) };
}

export async function getAutomation(
  deps: { store: Store },
  orgId: string,
  id: string,
): Promise<AutomationWithCounts> {
  return withCounts(deps, await findAutomation(deps, orgId, id));
}

/** Newest first, after a (created_at, id) cursor, each with its run counts. */
export async function listAutomations(
  deps: { store: Store },
  orgId: string,
  page: { limit: number; before?: { created_at: Date; id: string } },
): Promise<AutomationWithCounts[]> {
  const docs = await deps.store.automations.list(orgId, page);
  return mapLimit(docs, COUNTS_IN_FLIGHT, (d) => withCounts(deps, d));
}

/** An automation's runs, newest first. */
export async function listRuns(
  deps: { store: Store },
  orgId: string,
  automationId: string,
  page: RunPage,
): Promise<AutomationRunDoc[]> {
  const doc = await findAutomation(deps, orgId, automationId);
  return deps.store.automationRuns.list(doc._id, page);
}

/** A contact's runs of every automation, newest first. */
export async function listContactRuns(
  { store }: { store: Store },
  orgId: string,
  contactId: string,
  page: RunPage,
): Promise<AutomationRunDoc[]> {
  if (!(await store.contacts.get(orgId, contactId))) throw contactNotFound(contactId);
  return store.automationRuns.listForContact(orgId, contactId, page);
}
