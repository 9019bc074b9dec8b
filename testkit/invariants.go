package testkit

import (
	"context"
	"fmt"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/ports"
)

// CheckInvariants returns an error describing the first broken money invariant of DESIGN §3:
// per currency the ledger sums to zero; wallet, escrow, pending and payable balances are not
// negative; a terminal job's escrow is zero; no payout was transferred under two keys or twice.
func CheckInvariants(ctx context.Context, store ports.Store, payments *memory.Payments) error {
	return store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		b, err := tx.Ledger().Balances(ctx)
		if err != nil {
			return err
		}
		if v := ledger.Check(b); len(v) > 0 {
			return fmt.Errorf("ledger invariant broken: %s %s: %s", v[0].Key.Account, v[0].Key.Currency, v[0].Reason)
		}
		jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{Limit: 1 << 30})
		if err != nil {
			return err
		}
		keys := map[string]bool{}
		for _, j := range jobs {
			if j.State.Terminal() && b[ledger.Key{Account: ledger.Escrow(j.ID), Currency: j.Budget.Currency}] != 0 {
				return fmt.Errorf("terminal job %s (%s) still holds escrow", j.ID, j.State)
			}
			ps, err := tx.Payouts().ListByJob(ctx, j.ID)
			if err != nil {
				return err
			}
			for _, p := range ps {
				keys[p.IdempotencyKey()] = true
			}
		}
		seen := map[string]bool{}
		for _, t := range payments.Transfers() {
			if !keys[t.Key] {
				return fmt.Errorf("transfer %s under key %q belongs to no payout", t.Ref, t.Key)
			}
			if seen[t.Key] {
				return fmt.Errorf("payout key %q transferred twice", t.Key)
			}
			seen[t.Key] = true
		}
		return nil
	})
}
