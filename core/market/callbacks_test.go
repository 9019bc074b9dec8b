package market_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/testkit"
)

// The processor call timed out after the transfer was made: the payout counts as failed and a
// retry is scheduled, then the processor reports the transfer paid. The report settles the
// payout, and the retry does nothing.
func TestPayoutSettledAfterItsAttemptFailed(t *testing.T) {
	t.Parallel()
	for _, status := range []payout.Status{payout.Failed, payout.Stuck} {
		k := testkit.New(t)
		poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
		j := k.Hire(poster, agent, 40_00)
		k.Deliver(agent, j.ID)
		testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
		attempts := 1
		if status == payout.Stuck {
			attempts = payout.MaxAttempts
		}
		k.Payments.FailNext(memory.OpTransfer, attempts, nil)
		k.Advance(24 * time.Hour)
		if status == payout.Stuck {
			k.Advance(7 * 24 * time.Hour)
		}
		po := testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
		require.Equal(t, status, po.Status)

		require.NoError(t, k.Service.PayoutSettled(k.Ctx, po.ID))
		require.NoError(t, k.Service.PayoutSettled(k.Ctx, po.ID), "idempotent")
		k.Advance(7 * 24 * time.Hour)
		po = testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
		require.Equal(t, payout.Paid, po.Status, "from %s", status)
		require.Empty(t, po.LastError)
		require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
		require.Empty(t, k.Payments.Transfers(), "no transfer attempt after the settlement")
		k.CheckInvariants()
	}
}
