-- The store-less delivery URL (/api/webhooks/woocommerce) finds a store by the site WooCommerce
-- names in X-WC-Webhook-Source. site_key is site_url as siteKey() in store/woocommerce.ts makes
-- it (no scheme, user info, query, default port or trailing slash; lower case). Safe to run again.
ALTER TABLE woo_stores ADD COLUMN IF NOT EXISTS site_key text;
UPDATE woo_stores SET site_key = regexp_replace(
  regexp_replace(
    lower(regexp_replace(regexp_replace(regexp_replace(btrim(site_url),
      '^[a-zA-Z][a-zA-Z0-9+.-]*://', ''), '[?#].*$', ''), '^[^/@]*@', '')),
    '^([^/:]*):(80|443)(/|$)', '\1\3'),
  '/+$', '');
ALTER TABLE woo_stores ALTER COLUMN site_key SET NOT NULL;
CREATE INDEX IF NOT EXISTS woo_stores_site_key ON woo_stores (site_key);

-- The default shipped and delivered templates now take the reference's parameters: order_shipped
-- (order number, tracking), order_delivered (order number). Stores still on the old defaults get
-- the new ones; a mapping a store changed stays as it is.
UPDATE woo_stores SET settings = jsonb_set(settings, '{status_templates,shipped}',
  '{"name": "order_shipped", "language": "en", "components": [{"type": "body", "parameters": [
    {"type": "text", "text": "{{order_number}}"},
    {"type": "text", "text": "{{tracking_url | tracking_number | on its way}}"}]}]}')
WHERE settings #> '{status_templates,shipped}' =
  '{"name": "order_shipped", "language": "en", "components": [{"type": "body", "parameters": [
    {"type": "text", "text": "{{first_name | there}}"},
    {"type": "text", "text": "{{order_number}}"},
    {"type": "text", "text": "{{tracking_url | tracking_number | on its way}}"}]}]}';
UPDATE woo_stores SET settings = jsonb_set(settings, '{status_templates,completed}',
  '{"name": "order_delivered", "language": "en", "components": [{"type": "body", "parameters": [
    {"type": "text", "text": "{{order_number}}"}]}]}')
WHERE settings #> '{status_templates,completed}' =
  '{"name": "order_delivered", "language": "en", "components": [{"type": "body", "parameters": [
    {"type": "text", "text": "{{first_name | there}}"},
    {"type": "text", "text": "{{order_number}}"}]}]}';
