package market_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
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

// Webhooks arrive in any order: the return of a top-up reported before its success marks it
// returned without crediting the wallet, and the late success is refused.
func TestTopUpReturnedBeforeItSucceeded(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	pat := k.Account("Pat")
	tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(50_00), "k")).Must(t)

	require.NoError(t, k.Service.TopUpReturned(k.Ctx, tu.ID))
	require.NoError(t, k.Service.TopUpReturned(k.Ctx, tu.ID), "idempotent")
	require.ErrorIs(t, k.Service.TopUpSucceeded(k.Ctx, tu.ID), errs.ErrInvalidTransition)
	require.ErrorIs(t, k.Service.TopUpFailed(k.Ctx, tu.ID), errs.ErrInvalidTransition)
	require.Zero(t, k.Balance(ledger.Wallet(pat.AccountID)))
	require.Zero(t, k.Balance(ledger.ExternalStripe))
	require.Equal(t, 1, countOf(k.EventTypes(), "topup.returned"))
	k.CheckInvariants()
}

func countOf(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// A failed card payment may still be retried by the customer (Stripe keeps the payment intent
// open); once the job reopens, the payment is cancelled so that a late success cannot take money.
func TestFundingFailedCancelsTheCardPayment(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Account("Pat"), k.Agent("Ada")
	j := k.Post(poster, 20_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	out := testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundCard, false)).Must(t)

	testkit.Got(k.Service.FundingFailed(k.Ctx, j.ID, out.Job.PaymentRef)).Must(t)
	k.RunDue()
	require.Equal(t, job.Open, k.Job(j.ID).State)
	intents := k.Payments.Intents()
	require.Len(t, intents, 1)
	require.True(t, intents[0].Cancelled)
	_, err := k.Service.ConfirmFunding(k.Ctx, j.ID, out.Job.PaymentRef)
	require.ErrorIs(t, err, errs.ErrInvalidTransition)
	k.CheckInvariants()
}

// stopsAfterTransfer makes transfers, then stops its runner (cancels its context), as a process
// that dies between the processor call and recording the outcome.
type stopsAfterTransfer struct {
	*memory.Payments
	stop context.CancelFunc
}

func (p stopsAfterTransfer) Transfer(ctx context.Context, key string, amount money.Money, destination string) (string, error) {
	ref, err := p.Payments.Transfer(ctx, key, amount, destination)
	p.stop()
	return ref, err
}

// A payout attempt whose runner stopped after the transfer was made, before recording it, is
// taken over once its lease runs out: the retry uses the same idempotency key, so it finds the
// transfer made and records it. One transfer, recorded, and the payout settles.
func TestPayoutAttemptCutShortIsTakenOverAfterItsLease(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)

	ctx, stop := context.WithCancel(k.Ctx)
	dying, err := market.New(market.Config{
		Store: k.Store, Payments: stopsAfterTransfer{k.Payments, stop}, Mailer: k.Mail, Blobs: k.Blobs, Clock: k.Clock,
		IDs: memory.NewIDs(2), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)
	k.Clock.Advance(24 * time.Hour)
	require.ErrorIs(t, market.RunDue(ctx, k.Store, dying, k.Clock.Now()), context.Canceled)
	po := testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
	require.Equal(t, payout.Submitted, po.Status)
	require.Empty(t, po.Ref, "the outcome was never recorded")
	require.Len(t, k.Payments.Transfers(), 1)

	k.Advance(payout.SubmitLease - time.Second)
	require.Empty(t, testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0].Ref, "the lease still runs")
	k.Advance(time.Second)
	po = testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
	require.Len(t, k.Payments.Transfers(), 1, "the retry found the transfer made")
	require.Equal(t, k.Payments.Transfers()[0].Ref, po.Ref)
	require.Equal(t, payout.Submitted, po.Status)
	require.Equal(t, 2, po.Attempts)

	k.SettlePayouts()
	require.Equal(t, payout.Paid, testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0].Status)
	require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
	k.CheckInvariants()
}
