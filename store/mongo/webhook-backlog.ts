import type { Db } from 'mongodb';
import type { WebhookBacklogRepository } from '../contract/webhooks';
import type { WebhookAttemptDoc, WebhookBacklogDoc, WebhookDispatchDoc } from '../documents';
import { insertManyNew } from './duplicate-key';
import { endedWithoutPost } from '../webhook-endpoints';

export function webhookBacklogRepository(db: Db): WebhookBacklogRepository {
  const backlog = db.collection<WebhookBacklogDoc>('webhook_backlog');
  const dispatches = db.collection<WebhookDispatchDoc>('webhook_dispatches');
  const attempts = db.collection<WebhookAttemptDoc>('webhook_attempts');
  return {
    async park(docs) {
      await insertManyNew(backlog, docs);
    },
    async parkedAmong(ids) {
      return ids.length ? backlog.find({ _id: { $in: ids } }).toArray() : [];
    },
    async oldest(endpointId, limit) {
      const parked = await backlog
        .find({ endpoint_id: endpointId })
        .sort({ event_at: 1, _id: 1 })
        .limit(limit)
        .toArray();
      const claims = new Map(
        (
          await dispatches
            .find(
              { _id: { $in: [...new Set(parked.map((p) => p.event_id))] } },
              { projection: { event_type: 1, body: 1 } },
            )
            .toArray()
        ).map((d) => [d._id, d]),
      );
      return parked.map((p) => ({
        ...p,
        event_type: claims.get(p.event_id)?.event_type ?? null,
        body: claims.get(p.event_id)?.body ?? null,
      }));
    },
    async setAttempt(id, attempt) {
      await backlog.updateOne({ _id: id }, { $set: { attempt } });
    },
    async remove(ids) {
      if (ids.length) await backlog.deleteMany({ _id: { $in: ids } });
    },
    async end(endpointId, { outcome, error, at }, limit) {
      const page = await backlog
        .find({ endpoint_id: endpointId })
        .sort({ event_at: 1, _id: 1 })
        .limit(limit)
        .toArray();
      if (!page.length) return 0;
      // The records first: a crash in between leaves deliveries parked, ended again later.
      await insertManyNew(
        attempts,
        page.map((row) => endedWithoutPost(row, { outcome, error, at })),
      );
      await backlog.deleteMany({ _id: { $in: page.map((row) => row._id) } });
      return page.length;
    },
    count(endpointId) {
      return backlog.countDocuments({ endpoint_id: endpointId });
    },
    async endpoints(limit) {
      // An endpoint belongs to one organization: grouping by both gives one group each.
      const groups = await backlog
        .aggregate<{ _id: { endpoint_id: string; org_id: string } }>([
          { $group: { _id: { endpoint_id: '$endpoint_id', org_id: '$org_id' } } },
          { $sort: { '_id.endpoint_id': 1 } },
          { $limit: limit },
        ])
        .toArray();
      return groups.map((g) => g._id);
    },
  };
}
