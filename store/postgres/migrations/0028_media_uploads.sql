-- Meta's id of an outbound media file for each account it was uploaded for (Meta keeps an
-- uploaded file 30 days: uploaded_at tells when to upload it again).
CREATE TABLE media_uploads (
  id text PRIMARY KEY,
  media_id text NOT NULL,
  account_id text NOT NULL,
  meta_media_id text NOT NULL,
  uploaded_at timestamptz NOT NULL
);
