-- The type of message an inbound file came with: Meta's size limit depends on it.
ALTER TABLE media ADD COLUMN message_type text;
