-- 0005_balance_shards: a balance may be spread over several rows (shards), so that transactions
-- crediting one account at once (the platform's fees) rarely wait for each other. The balance is
-- the sum of its rows; each non-external row stays non-negative.
ALTER TABLE ledger_balances ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard >= 0);
ALTER TABLE ledger_balances ALTER COLUMN shard DROP DEFAULT;
ALTER TABLE ledger_balances DROP CONSTRAINT ledger_balances_pkey, ADD PRIMARY KEY (account, currency, shard);
