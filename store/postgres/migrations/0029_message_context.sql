-- The message an outbound message replies to (Meta's context.message_id); null for most.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS context jsonb;
