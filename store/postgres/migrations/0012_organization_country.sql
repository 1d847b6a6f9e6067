-- The country of phone numbers given without a country code (ISO 3166-1 alpha-2); null: none,
-- and such numbers are refused.
ALTER TABLE organizations ADD COLUMN default_country text;
