package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
)

// marketReturnedTopUpLeavesADebt: a top-up returned after the wallet spent it into escrow leaves
// a debt. The refunds of a cancelled job and of a dispute pay the debt instead of becoming
// spendable again, funding a job is refused until the debt is paid, and a later top-up pays the
// rest first.
func marketReturnedTopUpLeavesADebt(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	pat, ada, admin := k.Account("Pat"), k.Agent("Ada"), k.Admin("Root")
	wallet, receivable := ledger.Wallet(pat.AccountID), ledger.Receivable(pat.AccountID)
	usd := testkit.USDAmount
	balances := func() market.Balances { return testkit.Got(k.Service.Balances(k.Ctx, pat, testkit.USD)).Must(t) }

	tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, usd(100_00), "k1")).Must(t)
	require.NoError(t, k.Service.TopUpSucceeded(k.Ctx, tu.ID))
	a := k.Hire(pat, ada, 30_00)
	b := k.Hire(pat, ada, 50_00)
	require.Equal(t, int64(20_00), k.Balance(wallet))

	require.NoError(t, k.Service.TopUpReturned(k.Ctx, tu.ID))
	require.NoError(t, k.Service.TopUpReturned(k.Ctx, tu.ID), "idempotent")
	require.Zero(t, k.Balance(wallet), "the wallet gave back what it held")
	require.Equal(t, int64(-80_00), k.Balance(receivable), "the rest is owed")
	require.Equal(t, market.Balances{Currency: testkit.USD, Debt: usd(80_00)}, balances())
	returned := lastEvent(t, k, "topup.returned")
	require.Equal(t, "80.00 USD", returned.Data["unrecovered"])
	require.Equal(t, "80.00 USD", returned.Data["debt"])
	k.CheckInvariants()

	// While the debt is owed, no job can be funded, from the wallet or by card, nor dry-run.
	c := k.Post(pat, 10_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, ada, c.ID, market.ApplyInput{})).Must(t)
	for _, f := range []job.FundingSource{job.FundWallet, job.FundCard} {
		for _, dry := range []bool{true, false} {
			_, err := k.Service.Accept(k.Ctx, pat, c.ID, app.ID, f, dry)
			require.ErrorIs(t, err, errs.ErrOutstandingDebt, "%s dry run %v", f, dry)
		}
	}
	require.Empty(t, k.Payments.Intents(), "no card payment was started")
	require.Equal(t, job.Open, k.Job(c.ID).State)

	// The cancelled job's refund pays the debt down; none of it is spendable.
	k.Advance(job.DefaultDeliveryWindow + time.Minute)
	out := testkit.Got(k.Service.Cancel(k.Ctx, pat, a.ID, false)).Must(t)
	require.Contains(t, out.Transfers, ledger.Transfer{From: wallet, To: receivable, Amount: usd(30_00), Memo: "debt repaid"})
	require.Zero(t, k.Balance(wallet))
	require.Equal(t, usd(50_00), balances().Debt)
	_, err := k.Service.Accept(k.Ctx, pat, c.ID, app.ID, job.FundWallet, false)
	require.ErrorIs(t, err, errs.ErrOutstandingDebt)

	// So does the poster's share of a dispute.
	testkit.Got(k.Service.Dispute(k.Ctx, pat, b.ID, "late", nil)).Must(t)
	testkit.Got(k.Service.Resolve(k.Ctx, admin, b.ID, 10_00, 40_00, "partly done", false)).Must(t)
	require.Zero(t, k.Balance(wallet))
	require.Equal(t, usd(10_00), balances().Debt)
	k.CheckInvariants()

	// A top-up pays the rest first; what is left is the wallet's, and funding works again.
	tu2 := testkit.Got(k.Service.TopUp(k.Ctx, pat, usd(70_00), "k2")).Must(t)
	require.NoError(t, k.Service.TopUpSucceeded(k.Ctx, tu2.ID))
	require.Equal(t, "10.00 USD", lastEvent(t, k, "topup.succeeded").Data["debt_repaid"])
	require.Equal(t, market.Balances{Currency: testkit.USD, Wallet: 60_00, Debt: usd(0)}, balances())
	testkit.Got(k.Service.Accept(k.Ctx, pat, c.ID, app.ID, job.FundWallet, false)).Must(t)
	require.Equal(t, int64(50_00), k.Balance(wallet))
	k.CheckInvariants()
}

// marketReturnedTopUpTheWalletCovers: a return that the wallet covers leaves no debt, and a return
// before the success (nothing was credited) owes nothing either.
func marketReturnedTopUpTheWalletCovers(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	pat := k.Poster("Pat", 40_00)
	tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(25_00), "k")).Must(t)
	require.NoError(t, k.Service.TopUpSucceeded(k.Ctx, tu.ID))
	pending := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(99_00), "p")).Must(t)

	require.NoError(t, k.Service.TopUpReturned(k.Ctx, tu.ID))
	require.NoError(t, k.Service.TopUpReturned(k.Ctx, pending.ID))
	require.Equal(t, int64(40_00), k.Balance(ledger.Wallet(pat.AccountID)))
	require.Zero(t, k.Balance(ledger.Receivable(pat.AccountID)))
	require.Equal(t, "0.00 USD", lastEvent(t, k, "topup.returned").Data["debt"])
	k.CheckInvariants()
}

// marketConcurrentReturnRefundsAndTopUp races a top-up's return against the refunds of the jobs it
// funded and another top-up: whatever the order, the return takes back the whole top-up and the
// account ends owing nothing, holding only the second top-up, every step netting what it must.
func marketConcurrentReturnRefundsAndTopUp(t *testing.T, newKit NewKit) {
	for round := range 5 {
		k := newKit(t, uint64(round+1))
		pat, ada := k.Account("Pat"), k.Agent("Ada")
		tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(100_00), "k1")).Must(t)
		require.NoError(t, k.Service.TopUpSucceeded(k.Ctx, tu.ID))
		var jobs []string
		for range 5 {
			jobs = append(jobs, k.Hire(pat, ada, 20_00).ID)
		}
		second := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(30_00), "k2")).Must(t)
		calls := []func() error{
			func() error { return k.Service.TopUpReturned(k.Ctx, tu.ID) },
			func() error { return k.Service.TopUpSucceeded(k.Ctx, second.ID) },
		}
		for _, id := range jobs {
			calls = append(calls, func() error { _, err := k.Service.Withdraw(k.Ctx, ada, id, false); return err })
		}
		race(t, calls...)
		for _, id := range jobs {
			require.Equal(t, job.Open, k.Job(id).State, "round %d: every refund went through", round)
		}
		require.Equal(t, int64(30_00), k.Balance(ledger.Wallet(pat.AccountID)), "round %d", round)
		require.Zero(t, k.Balance(ledger.Receivable(pat.AccountID)), "round %d", round)
		require.Equal(t, int64(-30_00), k.Balance(ledger.ExternalStripe), "round %d: the first top-up went back whole", round)
		k.CheckInvariants()
	}
}

// lastEvent returns the latest event of the type, failing the test when there is none.
func lastEvent(t *testing.T, k *testkit.Kit, typ string) event.Event {
	t.Helper()
	var found *event.Event
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		found = nil // the store may run fn again
		es, err := tx.Events().List(ctx, "", 0, 0)
		for i := range es {
			if es[i].Type == typ {
				found = &es[i]
			}
		}
		return err
	}))
	require.NotNil(t, found, "no %s event", typ)
	return *found
}
