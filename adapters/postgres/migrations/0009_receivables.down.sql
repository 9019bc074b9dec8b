-- Only the external account may go negative again: this fails, changing nothing, while any
-- account owes a debt (a receivable row below zero).
ALTER TABLE ledger_balances
	DROP CONSTRAINT ledger_balances_receivable_non_positive,
	DROP CONSTRAINT ledger_balances_non_negative,
	ADD CONSTRAINT ledger_balances_non_negative CHECK (balance >= 0 OR account LIKE 'external:%');
