import type pg from 'pg';
import type {
  AutomationDoc,
  AutomationRepository,
  AutomationVersionDoc,
} from '../contract/automations';
import { automationVersionDoc, newAutomation } from '../automations';
import { many } from './db';
import { versionedDefinitions } from './versioned';

export function automationRepository(pool: pg.Pool): AutomationRepository {
  const defs = versionedDefinitions<AutomationDoc>(pool, {
    table: 'automations',
    versions: 'automation_versions',
    owner: 'automation_id',
    columns: [
      'id',
      'org_id',
      'name',
      'enabled',
      'account_id',
      'trigger',
      'conditions',
      'steps',
      'priority',
      'version',
      'created_at',
      'updated_at',
    ],
    jsonColumns: ['trigger', 'conditions', 'steps'],
    versionDoc: automationVersionDoc,
  });

  return {
    create: (orgId, input) => defs.create(newAutomation(orgId, input)),
    get: defs.get,
    list: defs.list,
    update: (orgId, id, input) =>
      defs.update(orgId, id, {
        name: input.name,
        enabled: input.enabled,
        account_id: input.account_id,
        trigger: input.trigger,
        conditions: input.conditions,
        steps: input.steps,
        priority: input.priority,
      }),
    delete: (orgId, id) => defs.delete(orgId, id),
    version: (automationId, version) => defs.version<AutomationVersionDoc>(automationId, version),
    enabled: (orgId) =>
      many<AutomationDoc>(
        pool,
        `SELECT ${defs.select} FROM automations WHERE org_id = $1 AND enabled
         ORDER BY priority DESC, created_at, id`,
        [orgId],
      ),
  };
}
