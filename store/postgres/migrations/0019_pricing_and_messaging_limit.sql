-- What Meta charges for each message, from its statuses.
ALTER TABLE messages ADD COLUMN pricing jsonb, ADD COLUMN conversation jsonb;

-- The messaging limit's count: an account's templates of the last 24 h.
CREATE INDEX messages_account_templates ON messages (account_id, created_at)
  WHERE direction = 'outbound' AND type = 'template';

-- The business portfolio's messaging limit and the number's quality rating, as Meta last said.
ALTER TABLE accounts
  ADD COLUMN messaging_limit_tier text,
  ADD COLUMN quality_rating text,
  ADD COLUMN limit_checked_at timestamptz;
-- (A WABA's accounts are found by the index 0018 made.)
