-- Each balance folded into one row again.
CREATE TEMPORARY TABLE folded ON COMMIT DROP AS
	SELECT account, currency, sum(balance)::bigint AS balance FROM ledger_balances GROUP BY account, currency;
DELETE FROM ledger_balances;
ALTER TABLE ledger_balances DROP CONSTRAINT ledger_balances_pkey, DROP COLUMN shard, ADD PRIMARY KEY (account, currency);
INSERT INTO ledger_balances (account, currency, balance) SELECT account, currency, balance FROM folded;
