-- WooCommerce stores, the signed deliveries they post (stored once per delivery id, then handed
-- to their order's workflow) and what each order's notifications did.
CREATE TABLE woo_stores (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  site_url text NOT NULL,
  secret_enc text NOT NULL,
  account_id text,
  settings jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX woo_stores_org_created ON woo_stores (org_id, created_at, id);

CREATE TABLE woo_deliveries (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  store_id text NOT NULL,
  order_id text NOT NULL,
  topic text NOT NULL,
  body text NOT NULL,
  received_at timestamptz NOT NULL,
  handed_off_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX woo_deliveries_pending ON woo_deliveries (received_at) WHERE handed_off_at IS NULL;
CREATE INDEX woo_deliveries_handed_off ON woo_deliveries (handed_off_at)
  WHERE handed_off_at IS NOT NULL;

CREATE TABLE woo_orders (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  store_id text NOT NULL,
  order_id text NOT NULL,
  number text,
  status text,
  contact_id text,
  phone_number text,
  total text,
  currency text,
  events jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX woo_orders_store_updated ON woo_orders (store_id, updated_at DESC, id DESC);
