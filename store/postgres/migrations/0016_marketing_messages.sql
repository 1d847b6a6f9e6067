-- Accounts onboarded to Meta's Marketing Messages API send MARKETING templates there;
-- coexistence numbers (shared with the WhatsApp Business app) are capped at 20 messages/s.
ALTER TABLE accounts
  ADD COLUMN marketing_messages boolean NOT NULL DEFAULT false,
  ADD COLUMN coexistence boolean NOT NULL DEFAULT false;

-- A message Meta refused under its per-user marketing cap (131049) waits, still queued, until
-- `until`: {"until": ..., "reason": {"code", "message"}}.
ALTER TABLE messages ADD COLUMN deferred jsonb;
