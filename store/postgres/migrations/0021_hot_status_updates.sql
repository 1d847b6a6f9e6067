-- A status update (sent, delivered, read, pricing) changes no indexed column, so PostgreSQL can
-- rewrite the row in place without touching an index (a HOT update), when its page has room:
-- the index of a campaign's queued messages names no status (queued is exactly: no wamid and
-- no error), and new pages keep a third free for the updates a message gets in its first hour.
DROP INDEX messages_queued_origin;
CREATE INDEX messages_unsent_origin ON messages (origin_id) WHERE wamid IS NULL AND error IS NULL;
ALTER TABLE messages SET (fillfactor = 70);
