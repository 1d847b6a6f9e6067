import type { Db, Filter } from 'mongodb';
import type {
  AutomationDoc,
  AutomationRepository,
  AutomationVersionDoc,
} from '../contract/automations';
import { automationVersionDoc, editedAutomation, newAutomation } from '../automations';
import { retryBusy } from './duplicate-key';
import { updateVersioned } from './versioned';

/**
 * An absent field stays absent (a step's `next` absent is not `next: null`), as in
 * PostgreSQL's JSON.
 */
export const KEEP_ABSENT = { ignoreUndefined: true } as const;

/**
 * Without multi-document transactions a version is written before the automation that names
 * it: a crash in between leaves an unused version, never an automation whose version is missing
 * (see updateVersioned).
 */
export function automationRepository(db: Db): AutomationRepository {
  const automations = db.collection<AutomationDoc>('automations', KEEP_ABSENT);
  const versions = db.collection<AutomationVersionDoc>('automation_versions', KEEP_ABSENT);

  return {
    async create(orgId, input) {
      const doc = newAutomation(orgId, input);
      await retryBusy(() => versions.insertOne(automationVersionDoc(doc)));
      await retryBusy(() => automations.insertOne({ ...doc }));
      return doc;
    },

    get: (orgId, id) => automations.findOne({ _id: id, org_id: orgId }),

    list(orgId, { limit, before }) {
      const filter: Filter<AutomationDoc> = { org_id: orgId };
      if (before) {
        filter.$or = [
          { created_at: { $lt: before.created_at } },
          { created_at: before.created_at, _id: { $lt: before.id } },
        ];
      }
      return automations.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
    },

    update: (orgId, id, input) =>
      updateVersioned(automations, versions, { orgId, id }, (current) => {
        const next = editedAutomation(current, input);
        return { next, version: automationVersionDoc(next) };
      }),

    async delete(orgId, id) {
      const res = await retryBusy(() => automations.deleteOne({ _id: id, org_id: orgId }));
      if (!res.deletedCount) return false;
      await retryBusy(() => versions.deleteMany({ automation_id: id }));
      return true;
    },

    version: (automationId, version) => versions.findOne({ automation_id: automationId, version }),

    enabled: (orgId) =>
      automations
        .find({ org_id: orgId, enabled: true })
        .sort({ priority: -1, created_at: 1, _id: 1 })
        .toArray(),
  };
}
