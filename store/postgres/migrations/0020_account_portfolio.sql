-- The Meta business portfolio owning the account's WABA: its accounts share the messaging limit.
ALTER TABLE accounts ADD COLUMN portfolio_id text;
CREATE INDEX accounts_portfolio ON accounts (portfolio_id);
