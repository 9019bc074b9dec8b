-- 0009_receivables: a receivable (receivable:{account}) records what an account owes the
-- platform, such as the part of a returned top-up its wallet no longer held. It may go below zero,
-- by the debt, and never above: the adapter keeps it in one row, so each row is checked.
ALTER TABLE ledger_balances
	DROP CONSTRAINT ledger_balances_non_negative,
	ADD CONSTRAINT ledger_balances_non_negative
		CHECK (balance >= 0 OR account LIKE 'external:%' OR account LIKE 'receivable:%'),
	ADD CONSTRAINT ledger_balances_receivable_non_positive
		CHECK (balance <= 0 OR account NOT LIKE 'receivable:%');
