import type { Db, Filter } from 'mongodb';
import { mapLimit } from '../../lib/concurrency';
import {
  ACTIVE_RUN_STATES,
  type AutomationRunDoc,
  type AutomationRunRepository,
  type RunPage,
  type RunState,
} from '../contract/automations';
import { cancelledFields, emptyRunCounts, runProgress } from '../automations';
import { KEEP_ABSENT } from './automations';
import { isDuplicateKey, retryBusy } from './duplicate-key';

const UPDATES_IN_FLIGHT = 8;

/** A run is moved only by conditional single-document updates: its state and last input. */
export function automationRunRepository(db: Db): AutomationRunRepository {
  const runs = db.collection<AutomationRunDoc>('automation_runs', KEEP_ABSENT);
  const active = { $in: [...ACTIVE_RUN_STATES] };

  const page = (filter: Filter<AutomationRunDoc>, { limit, state, before }: RunPage) => {
    if (state) filter.state = state;
    if (before) {
      filter.$or = [
        { created_at: { $lt: before.created_at } },
        { created_at: before.created_at, _id: { $lt: before.id } },
      ];
    }
    return runs.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
  };

  return {
    async start(run) {
      try {
        await retryBusy(() => runs.insertOne({ ...run }));
        return { outcome: 'started', run };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      // Either unique key (the id, the active key) refused it.
      const stored = await runs.findOne({ _id: run._id });
      return stored ? { outcome: 'exists', run: stored } : { outcome: 'busy', run: null };
    },

    get: (id) => runs.findOne({ _id: id }),

    find: (orgId, id) => runs.findOne({ _id: id, org_id: orgId }),

    active: (orgId, contactIds) =>
      runs
        .find({ org_id: orgId, contact_id: { $in: [...contactIds] }, state: active })
        .sort({ created_at: 1, _id: 1 })
        .toArray(),

    async claim(id, seq, input, at) {
      const taken = await retryBusy(() =>
        runs.findOneAndUpdate(
          { _id: id, state: 'waiting', seq },
          { $set: { state: 'running', last_input: input, wait: null, updated_at: at } },
          { returnDocument: 'after' },
        ),
      );
      return taken ?? runs.findOne({ _id: id, last_input: input });
    },

    async save(run) {
      const res = await retryBusy(() =>
        runs.updateOne(
          { _id: run._id, state: 'running', last_input: run.last_input },
          { $set: runProgress(run) },
        ),
      );
      return res.matchedCount === 1;
    },

    list: (automationId, p) => page({ automation_id: automationId }, p),

    listForContact: (orgId, contactId, p) => page({ org_id: orgId, contact_id: contactId }, p),

    async cancel(match, reason, at) {
      const filter: Filter<AutomationRunDoc> = { org_id: match.orgId, state: active };
      if (match.contactIds) filter.contact_id = { $in: match.contactIds };
      if (match.automationId) filter.automation_id = match.automationId;
      if (match.runId) filter._id = match.runId;
      const found = await runs.find(filter, { projection: { _id: 1 } }).toArray();
      const ended = await mapLimit(found, UPDATES_IN_FLIGHT, ({ _id }) =>
        retryBusy(() =>
          runs.findOneAndUpdate(
            { _id, state: active },
            { $set: { ...cancelledFields(reason, at), active_key: _id } },
            { returnDocument: 'after' },
          ),
        ),
      );
      return ended.filter((r) => r !== null);
    },

    stalled: (before, limit) =>
      runs
        .find({ state: 'running', updated_at: { $lt: before } })
        .sort({ updated_at: 1 })
        .limit(limit)
        .toArray(),

    overdue: (before, limit) =>
      runs
        .find({ state: 'waiting', 'wait.until': { $lt: before } })
        .sort({ 'wait.until': 1 })
        .limit(limit)
        .toArray(),

    async counts(automationId) {
      const rows = await runs
        .aggregate<{ _id: RunState; n: number }>([
          { $match: { automation_id: automationId } },
          { $group: { _id: '$state', n: { $sum: 1 } } },
        ])
        .toArray();
      const counts = emptyRunCounts();
      for (const r of rows) counts[r._id] = r.n;
      return counts;
    },
  };
}
