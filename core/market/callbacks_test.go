package market_test

import (
	"context"
	"errors"
	"sync/atomic"
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
	"github.com/agentgigs/agentgigs/core/ports"
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

// scriptedTransfers makes transfers, running before (which may answer for the call) and after
// around each call, numbered from 1: runners that stop, stall or race.
type scriptedTransfers struct {
	*memory.Payments
	calls  atomic.Int32
	before func(n int32) error
	after  func(n int32)
}

func (p *scriptedTransfers) Transfer(ctx context.Context, key string, amount money.Money, destination string) (string, error) {
	n := p.calls.Add(1)
	if p.before != nil {
		if err := p.before(n); err != nil {
			return "", err
		}
	}
	ref, err := p.Payments.Transfer(ctx, key, amount, destination)
	if p.after != nil {
		p.after(n)
	}
	return ref, err
}

// approvedJob is a kit with a job approved for 40.00, its release 24 h away.
func approvedJob(t *testing.T) (*testkit.Kit, market.Caller, *job.Job) {
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	return k, agent, j
}

// retryDue releases an approved job's payout, fails its first transfer attempt and moves the
// clock to the retry, which it returns as a runner fetches it.
func retryDue(t *testing.T, k *testkit.Kit) ports.Timer {
	k.Payments.FailNext(memory.OpTransfer, 1, nil)
	k.Advance(24 * time.Hour)
	k.Clock.Advance(payout.Backoff(1))
	return dueTimer(t, k)
}

// dueTimer returns the one timer due now.
func dueTimer(t *testing.T, k *testkit.Kit) ports.Timer {
	var due []ports.Timer
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) (err error) {
		due, err = tx.Timers().Due(ctx, k.Clock.Now(), 10)
		return err
	}))
	require.Len(t, due, 1)
	return due[0]
}

// runner is another market service on k's store and adapters, with its own transfers.
func runner(t *testing.T, k *testkit.Kit, pay ports.Payments) *market.Service {
	svc, err := market.New(market.Config{
		Store: k.Store, Payments: pay, Mailer: k.Mail, Blobs: k.Blobs, Clock: k.Clock, IDs: memory.NewIDs(2), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)
	return svc
}

// payoutOf returns the job's payout.
func payoutOf(t *testing.T, k *testkit.Kit, j *job.Job) *payout.Payout {
	return testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
}

// A payout attempt whose runner stopped after the transfer was made, before recording it, is
// taken over once its lease runs out: the retry uses the same idempotency key, so it finds the
// transfer made and records it. One transfer, recorded, and the payout settles.
func TestPayoutAttemptCutShortIsTakenOverAfterItsLease(t *testing.T) {
	t.Parallel()
	k, agent, j := approvedJob(t)
	ctx, stop := context.WithCancel(k.Ctx)
	dying := runner(t, k, &scriptedTransfers{Payments: k.Payments, after: func(int32) { stop() }})
	k.Clock.Advance(24 * time.Hour)
	require.ErrorIs(t, market.RunDue(ctx, k.Store, dying, k.Clock.Now()), context.Canceled)
	po := payoutOf(t, k, j)
	require.Equal(t, payout.Submitted, po.Status)
	require.Empty(t, po.Ref, "the outcome was never recorded")
	require.Len(t, k.Payments.Transfers(), 1)

	k.Advance(payout.SubmitLease - time.Second)
	require.Empty(t, payoutOf(t, k, j).Ref, "the lease still runs")
	k.Advance(time.Second)
	po = payoutOf(t, k, j)
	require.Len(t, k.Payments.Transfers(), 1, "the retry found the transfer made")
	require.Equal(t, k.Payments.Transfers()[0].Ref, po.Ref)
	require.Equal(t, payout.Submitted, po.Status)
	require.Equal(t, 2, po.Attempts)

	k.SettlePayouts()
	require.Equal(t, payout.Paid, payoutOf(t, k, j).Status)
	require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
	k.CheckInvariants()
}

// Two runners holding the same payout timer: the one that comes second while the first attempt
// is under way finds the timer moved on (the first attempt's lease) and does nothing, so one
// attempt is counted and one transfer call is made.
func TestPayoutTimerTakenTwiceMakesOneAttempt(t *testing.T) {
	t.Parallel()
	k, _, j := approvedJob(t)
	due := retryDue(t, k)
	pay := &scriptedTransfers{Payments: k.Payments}
	svc := runner(t, k, pay)
	pay.before = func(n int32) error {
		if n == 1 { // the second runner, with the timer as both fetched it
			require.NoError(t, svc.HandleTimer(k.Ctx, due))
		}
		return nil
	}
	require.NoError(t, svc.HandleTimer(k.Ctx, due))

	require.Equal(t, int32(1), pay.calls.Load())
	po := payoutOf(t, k, j)
	require.Equal(t, payout.Submitted, po.Status)
	require.NotEmpty(t, po.Ref)
	require.Equal(t, 2, po.Attempts)
	k.SettlePayouts()
	k.CheckInvariants()
}

// An attempt that outlived its lease and then fails does not overwrite the attempt that took over:
// the later attempt's success is what is recorded.
func TestPayoutAttemptThatLostItsLeaseDoesNotRecordItsFailure(t *testing.T) {
	t.Parallel()
	k, _, j := approvedJob(t)
	first := retryDue(t, k)
	inFirst, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	pay := &scriptedTransfers{Payments: k.Payments}
	pay.before = func(n int32) error {
		if n == 1 { // the first attempt: stalls past its lease, then times out
			close(inFirst)
			<-release
			return errors.New("timeout")
		}
		close(release) // the second attempt: the first one records its failure meanwhile
		return <-firstDone
	}
	svc := runner(t, k, pay)
	go func() { firstDone <- svc.HandleTimer(k.Ctx, first) }()
	<-inFirst
	k.Clock.Advance(payout.SubmitLease)
	require.NoError(t, svc.HandleTimer(k.Ctx, dueTimer(t, k)))

	po := payoutOf(t, k, j)
	require.Equal(t, payout.Submitted, po.Status)
	require.NotEmpty(t, po.Ref)
	require.Empty(t, po.LastError)
	require.Equal(t, 3, po.Attempts)
	k.SettlePayouts()
	k.CheckInvariants()
}

// runningClock moves a millisecond on every reading, as the sandbox's clock runs on by itself.
type runningClock struct{ *memory.Clock }

func (c runningClock) Now() time.Time { return c.Clock.Advance(time.Millisecond) }

// Advancing to the very moment of the release, on a clock that runs on meanwhile, also runs the
// payout the release schedules for its own (later) now.
func TestAdvanceRunsWhatFallsDueWhileItRuns(t *testing.T) {
	t.Parallel()
	k, _, j := approvedJob(t)
	clock := runningClock{k.Clock}
	svc, err := market.New(market.Config{
		Store: k.Store, Payments: k.Payments, Mailer: k.Mail, Blobs: k.Blobs, Clock: clock, IDs: memory.NewIDs(2), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)
	release := testkit.Got(k.Service.GetJob(k.Ctx, market.System, j.ID)).Must(t).Job.DeadlineAt
	require.NoError(t, market.Advance(k.Ctx, k.Store, svc, clock, release))
	require.Equal(t, payout.Submitted, payoutOf(t, k, j).Status)
}
