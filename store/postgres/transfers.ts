import type pg from 'pg';
import type { TransferRepository } from '../contract/contacts';
import type { EventFeed } from '../event-feed';
import { eventDoc } from '../events';
import { newTransfer } from '../transfers';
import { insertValues, one, transaction } from './db';
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
  return {
    async create(orgId, input) {
      const { doc, event } = newTransfer(orgId, input);
      const recorded = await transaction(pool, async (client) => {
        const { text, values } = insertValues('transfers', COLUMNS, [{ ...doc }]);
        await client.query(text, values);
        return insertEvents(client, [eventDoc(orgId, event)]);
      });
      feed.publish(recorded);
      return doc;
    },
    get: (orgId, id) =>
      one(pool, 'SELECT * FROM transfers WHERE id = $1 AND org_id = $2', [id, orgId]),
  };
}
