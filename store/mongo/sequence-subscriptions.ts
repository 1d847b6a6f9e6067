import type { AnyBulkWriteOperation, Db, Filter } from 'mongodb';
import { mapLimit } from '../../lib/concurrency';
import { isTimezone } from '../../lib/delivery-schedule';
import type {
  SubscribeResult,
  SubscriptionDoc,
  SubscriptionRepository,
  SubscriptionState,
} from '../contract/sequences';
import { emptyCounts, newRun, reentryAllows, RUNNING_STATES, subscriptionId } from '../sequences';
import type { StoredContact } from './contact-writes';
import { bulkChunks } from './bulk-chunks';
import { insertManyNew, retryBusy } from './duplicate-key';

const UPDATES_IN_FLIGHT = 8;

/** A run is replaced or ended only as the version it was read at (its run and state). */
export function subscriptionRepository(db: Db): SubscriptionRepository {
  const subs = db.collection<SubscriptionDoc>('sequence_subscriptions');
  const contacts = db.collection<StoredContact>('contacts');
  const running = { $in: RUNNING_STATES };

  return {
    async subscribe(seq, contactIds, source, at = new Date()) {
      const ids = [...new Set(contactIds)];
      const found = new Map(
        (
          await contacts
            .find(
              { org_id: seq.org_id, _id: { $in: ids } },
              { projection: { phone_number: 1, opted_in: 1, custom_fields: 1 } },
            )
            .toArray()
        ).map((c) => [c._id, c]),
      );
      const previous = new Map(
        (
          await subs
            .find(
              { _id: { $in: ids.map((id) => subscriptionId(seq._id, id)) } },
              { projection: { contact_id: 1, run: 1, state: 1 } },
            )
            .toArray()
        ).map((s) => [s.contact_id, s]),
      );
      const results = new Map<string, SubscribeResult>();
      const fresh: SubscriptionDoc[] = [];
      const again: { doc: SubscriptionDoc; prev: Pick<SubscriptionDoc, 'run' | 'state'> }[] = [];
      for (const id of ids) {
        const c = found.get(id);
        if (!c) {
          results.set(id, { contact_id: id, outcome: 'contact_not_found', run: null });
          continue;
        }
        if (!c.opted_in) {
          results.set(id, { contact_id: id, outcome: 'opted_out', run: null });
          continue;
        }
        const zone = c.custom_fields?.timezone;
        const contact = {
          _id: id,
          phone_number: c.phone_number,
          timezone: isTimezone(zone) ? zone : null,
        };
        const prev = previous.get(id);
        if (!prev) fresh.push(newRun(seq, contact, 1, source, at));
        else if (reentryAllows(seq, prev.state)) {
          again.push({ doc: newRun(seq, contact, prev.run + 1, source, at), prev });
        } else results.set(id, { contact_id: id, outcome: 'already_subscribed', run: null });
      }
      for (const chunk of bulkChunks(fresh)) {
        const refused = await retryBusy(() => insertManyNew(subs, chunk));
        chunk.forEach((doc, i) =>
          results.set(doc.contact_id, {
            contact_id: doc.contact_id,
            outcome: refused.has(i) ? 'already_subscribed' : 'subscribed',
            run: refused.has(i) ? null : 1,
          }),
        );
      }
      await mapLimit(again, UPDATES_IN_FLIGHT, async ({ doc, prev }) => {
        const res = await retryBusy(() =>
          subs.replaceOne({ _id: doc._id, run: prev.run, state: prev.state }, doc),
        );
        const restarted = prev.state === 'pending' || prev.state === 'active';
        results.set(doc.contact_id, {
          contact_id: doc.contact_id,
          outcome: res.modifiedCount
            ? restarted
              ? 'restarted'
              : 'subscribed'
            : 'already_subscribed',
          run: res.modifiedCount ? doc.run : null,
        });
      });
      return ids.map((id) => results.get(id)!);
    },

    get: (sequenceId, contactId) => subs.findOne({ _id: subscriptionId(sequenceId, contactId) }),

    list(sequenceId, { limit, state, after }) {
      const filter: Filter<SubscriptionDoc> = { sequence_id: sequenceId };
      if (state) filter.state = state;
      if (after) filter.contact_id = { $gt: after };
      return subs.find(filter).sort({ contact_id: 1 }).limit(limit).toArray();
    },

    async counts(sequenceId) {
      const rows = await subs
        .aggregate<{ _id: SubscriptionState; n: number }>([
          { $match: { sequence_id: sequenceId } },
          { $group: { _id: '$state', n: { $sum: 1 } } },
        ])
        .toArray();
      const counts = emptyCounts();
      for (const r of rows) counts[r._id] = r.n;
      return counts;
    },

    pendingStart(limit, before) {
      const filter: Filter<SubscriptionDoc> = { state: 'pending' };
      if (before) filter.subscribed_at = { $lt: before };
      return subs.find(filter).sort({ subscribed_at: 1 }).limit(limit).toArray();
    },

    async markStarted(started, at = new Date()) {
      for (const chunk of bulkChunks(started)) {
        const ops: AnyBulkWriteOperation<SubscriptionDoc>[] = chunk.map((s) => ({
          updateOne: {
            filter: {
              _id: subscriptionId(s.sequence_id, s.contact_id),
              run: s.run,
              state: 'pending',
              step: 0,
            },
            update: {
              $set: {
                state: 'active',
                started_at: at,
                next_step_at: s.next_step_at,
                updated_at: at,
              },
            },
          },
        }));
        await retryBusy(() => subs.bulkWrite(ops, { ordered: false }));
      }
    },

    async advance(id, { from, to, nextAt, record }) {
      const at = new Date();
      const _id = subscriptionId(id.sequence_id, id.contact_id);
      const res = await retryBusy(() =>
        subs.updateOne(
          { _id, run: id.run, step: from, state: running },
          {
            $set: { state: 'active', step: to, next_step_at: nextAt, updated_at: at },
            ...(record ? { $push: { history: record } } : {}),
          },
        ),
      );
      if (res.modifiedCount && from === 0) {
        await retryBusy(() =>
          subs.updateOne({ _id, run: id.run, started_at: null }, { $set: { started_at: at } }),
        );
      }
      return res.modifiedCount === 1;
    },

    async end(id, state, reason, record, at = new Date()) {
      const res = await retryBusy(() =>
        subs.updateOne(
          { _id: subscriptionId(id.sequence_id, id.contact_id), run: id.run, state: running },
          {
            $set: { state, exit_reason: reason, next_step_at: null, ended_at: at, updated_at: at },
            ...(record ? { $push: { history: record }, $inc: { step: 1 } } : {}),
          },
        ),
      );
      return res.modifiedCount === 1;
    },

    async exit(match, reason, at = new Date()) {
      const filter: Filter<SubscriptionDoc> = { org_id: match.orgId, state: running };
      if (match.sequenceId) filter.sequence_id = match.sequenceId;
      if (match.contactIds) filter.contact_id = { $in: match.contactIds };
      if (match.onReply) filter.exit_on_reply = true;
      if (match.tags) filter.exit_tags = { $in: match.tags };
      const found = await subs
        .find(filter, { projection: { sequence_id: 1, contact_id: 1, run: 1 } })
        .toArray();
      const ended = await mapLimit(found, UPDATES_IN_FLIGHT, async (s) => {
        const res = await retryBusy(() =>
          subs.updateOne(
            { _id: s._id, run: s.run, state: running },
            {
              $set: {
                state: 'exited',
                exit_reason: reason,
                next_step_at: null,
                ended_at: at,
                updated_at: at,
              },
            },
          ),
        );
        return res.modifiedCount
          ? { sequence_id: s.sequence_id, contact_id: s.contact_id, run: s.run }
          : null;
      });
      return ended.filter((e) => e !== null);
    },
  };
}
