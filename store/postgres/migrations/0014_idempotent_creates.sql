-- Campaigns and webhook endpoints created with an Idempotency-Key keep the request's
-- fingerprint: the same key with another request is a conflict.
ALTER TABLE campaigns ADD COLUMN request_hash text;
ALTER TABLE webhook_endpoints ADD COLUMN request_hash text;
