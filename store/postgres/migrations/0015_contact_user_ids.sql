-- Meta's business-scoped user ids (BSUIDs) and usernames. A contact has a phone number, a
-- user id or both, each unique within its organization (a unique index lets NULLs repeat).
ALTER TABLE contacts
  ALTER COLUMN phone_number DROP NOT NULL,
  ADD COLUMN user_id text,
  ADD COLUMN parent_user_id text,
  ADD COLUMN username text;
CREATE UNIQUE INDEX contacts_org_id_user_id_key ON contacts (org_id, user_id);
CREATE INDEX contacts_user_id_search ON contacts USING gin (user_id public.gin_trgm_ops);
CREATE INDEX contacts_username_search ON contacts USING gin (username public.gin_trgm_ops);

-- Messages, recipients, subscriptions and payment links of a customer with no number.
ALTER TABLE messages ALTER COLUMN phone_number DROP NOT NULL, ADD COLUMN user_id text;
ALTER TABLE campaign_recipients ALTER COLUMN phone_number DROP NOT NULL;
ALTER TABLE sequence_subscriptions ALTER COLUMN phone_number DROP NOT NULL;
ALTER TABLE payment_links ALTER COLUMN phone_number DROP NOT NULL;
