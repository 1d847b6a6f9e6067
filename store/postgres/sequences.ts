import type pg from 'pg';
import type { SequenceDoc, SequenceRepository, SequenceVersionDoc } from '../contract/sequences';
import { newSequence, versionDoc } from '../sequences';
import { many } from './db';
import { versionedDefinitions } from './versioned';

export function sequenceRepository(pool: pg.Pool): SequenceRepository {
  const defs = versionedDefinitions<SequenceDoc>(pool, {
    table: 'sequences',
    versions: 'sequence_versions',
    owner: 'sequence_id',
    columns: [
      'id',
      'org_id',
      'name',
      'account_id',
      'keywords',
      'steps',
      'schedule',
      'reentry',
      'exit',
      'version',
      'created_at',
      'updated_at',
    ],
    jsonColumns: ['steps', 'schedule', 'exit'],
    versionDoc: (seq) => versionDoc(seq, seq.updated_at),
  });

  return {
    create: (orgId, input) => defs.create(newSequence(orgId, input)),
    get: defs.get,
    list: defs.list,
    update: (orgId, id, input) =>
      defs.update(orgId, id, {
        name: input.name,
        account_id: input.account_id,
        keywords: input.keywords,
        steps: input.steps,
        schedule: input.schedule,
        reentry: input.reentry,
        exit: input.exit,
      }),
    delete: (orgId, id) =>
      defs.delete(orgId, id, (db) =>
        db.query('DELETE FROM sequence_subscriptions WHERE sequence_id = $1', [id]),
      ),
    version: (sequenceId, version) => defs.version<SequenceVersionDoc>(sequenceId, version),
    withKeywords: (orgId) =>
      many<SequenceDoc>(
        pool,
        `SELECT ${defs.select} FROM sequences WHERE org_id = $1 AND cardinality(keywords) > 0
         ORDER BY created_at, id`,
        [orgId],
      ),
  };
}
