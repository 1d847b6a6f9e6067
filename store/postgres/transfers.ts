import type pg from 'pg';
import { ConflictError } from '../../lib/errors';
import type { TransferRepository } from '../contract/contacts';
import type { EventFeed } from '../event-feed';
import type { EventDoc, TransferDoc } from '../documents';
import { eventDoc } from '../events';
import { newTransfer } from '../transfers';
import { insertValues, one, transaction, type Queryable } from './db';
import { insertEvents } from './events';

const COLUMNS = [
  'id',
  'org_id',
  'contact_id',
  'from_agent_id',
  'to_agent_id',
  'to_team_id',
  'notes',
  'created_at',
];

/** Each transfer is written in one transaction with its transfer.created event. */
export function transferRepository(pool: pg.Pool, feed: EventFeed): TransferRepository {
  const get = (db: Queryable, orgId: string, id: string) =>
    one<TransferDoc>(db, 'SELECT * FROM transfers WHERE id = $1 AND org_id = $2', [id, orgId]);

  return {
    async create(orgId, input) {
      const { doc, event } = newTransfer(orgId, input);
      let recorded: EventDoc[] = [];
      const stored = await transaction(pool, async (client) => {
        const { text, values } = insertValues('transfers', COLUMNS, [{ ...doc }]);
        const res = await client.query(`${text} ON CONFLICT (id) DO NOTHING`, values);
        if (res.rowCount) {
          recorded = await insertEvents(client, [eventDoc(orgId, event)]);
          return doc;
        }
        const existing = await get(client, orgId, doc._id);
        if (!existing) throw new ConflictError(`Transfer id '${doc._id}' is taken`);
        return existing;
      });
      feed.publish(recorded);
      return stored;
    },
    get: (orgId, id) => get(pool, orgId, id),
  };
}
