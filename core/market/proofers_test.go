package market_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit"
)

func TestClaimLapsesWithoutAScorecard(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	slow, quick := k.Agent("Sloane"), k.Agent("Quinn")
	j := inVerification(t, k, poster, agent, 1)
	task := testkit.Got(k.Service.ClaimTask(k.Ctx, slow, k.FirstTask(slow).ID)).Must(t)
	require.Empty(t, testkit.Got(k.Service.AvailableTasks(k.Ctx, quick)).Must(t), "the only task is claimed")

	k.Advance(market.ClaimLease - time.Minute)
	require.Empty(t, testkit.Got(k.Service.AvailableTasks(k.Ctx, quick)).Must(t), "the lease still runs")
	k.Advance(time.Minute)
	require.Contains(t, k.EventTypes(), "verification.claim_expired")
	open := k.FirstTask(quick)
	require.Equal(t, task.ID, open.ID, "the lapsed task is open again")
	require.Equal(t, proof.TaskOpen, open.Status)
	require.Empty(t, open.ProoferID)

	card := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "faithful", Score: 8, Passed: true}}, Pass: true, Summary: "good"}
	_, err := k.Service.SubmitScorecard(k.Ctx, slow, task.ID, card)
	require.Error(t, err, "the lapsed claim no longer lets its proofer submit")
	require.NotEqual(t, errs.Code(""), errs.CodeOf(err))
	testkit.Got(k.Service.ClaimTask(k.Ctx, quick, task.ID)).Must(t)
	testkit.Got(k.Service.SubmitScorecard(k.Ctx, quick, task.ID, card)).Must(t)
	require.Equal(t, job.Delivered, k.Job(j.ID).State)

	k.Advance(2 * market.ClaimLease)
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		got, err := tx.Tasks().Get(ctx, task.ID)
		require.Equal(t, proof.TaskSubmitted, got.Status, "a submitted task is not reopened by its old lease")
		return err
	}))
	require.Equal(t, int64(2_00), k.Balance(ledger.Payable(quick.AccountID)))
	require.Zero(t, k.Balance(ledger.Payable(slow.AccountID)), "the lapsed proofer earns nothing")
	requireNoLeaseTimers(t, k)
	k.CheckInvariants()
}

func TestProofReport(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent, p1, p2 := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Pia"), k.Agent("Quinn")
	stranger, admin := k.Agent("Sam"), k.Admin("Root")
	j := inVerification(t, k, poster, agent, 2)

	r := testkit.Got(k.Service.ProofReport(k.Ctx, poster, j.ID)).Must(t)
	require.Len(t, r.Tasks, 2)
	require.Empty(t, r.Verdict, "no verdict while the proofers review")
	require.Equal(t, 0, r.Submitted)

	pass := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "faithful", Score: 9, Passed: true}}, Pass: true, Summary: "good"}
	fail := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "faithful", Score: 3}}, Summary: "loose"}
	for p, card := range map[market.Caller]proof.Scorecard{p1: pass, p2: fail} {
		task := testkit.Got(k.Service.ClaimTask(k.Ctx, p, k.FirstTask(p).ID)).Must(t)
		_, err := k.Service.ProofReport(k.Ctx, p, j.ID)
		require.ErrorIs(t, err, errs.ErrForbidden, "a proofer does not see the others' scorecards")
		testkit.Got(k.Service.SubmitScorecard(k.Ctx, p, task.ID, card)).Must(t)
	}

	for _, c := range []market.Caller{poster, agent, admin} {
		r := testkit.Got(k.Service.ProofReport(k.Ctx, c, j.ID)).Must(t)
		require.Equal(t, "fail", r.Verdict)
		require.Equal(t, 2, r.Submitted)
		require.Equal(t, 1, r.Passed)
		require.Equal(t, 2, r.Verification.PassThreshold)
		require.Len(t, r.Tasks, 2)
		for _, task := range r.Tasks {
			require.NotNil(t, task.Scorecard)
		}
	}
	_, err := k.Service.ProofReport(k.Ctx, stranger, j.ID)
	require.ErrorIs(t, err, errs.ErrNotFound, "a stranger does not see a delivered job")

	plain := k.Hire(poster, agent, 10_00)
	_, err = k.Service.ProofReport(k.Ctx, poster, plain.ID)
	require.ErrorIs(t, err, errs.ErrNotFound, "a job without verification has no proof report")
}

func requireNoLeaseTimers(t *testing.T, k *testkit.Kit) {
	t.Helper()
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		due, err := tx.Timers().Due(ctx, k.Clock.Now().Add(365*24*time.Hour), 0)
		for _, d := range due {
			require.NotEqual(t, "claim_lease", string(d.Action), "timer %s left behind", d.ID)
		}
		return err
	}))
}

// TestJobInVerificationHiddenFromOthers: a job in verification is NOT_FOUND for an account that
// may not prove it, and an eligible proofer sees it without the deliverable until it claims a
// task.
func TestJobInVerificationHiddenFromOthers(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent, proofer := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Pia")
	stranger := k.Account("Sam") // no payout onboarding: not an eligible proofer
	j := inVerification(t, k, poster, agent, 1)
	require.Equal(t, job.InVerification, k.Job(j.ID).State)

	_, err := k.Service.GetJob(k.Ctx, stranger, j.ID)
	require.ErrorIs(t, err, errs.ErrNotFound)
	v := testkit.Got(k.Service.GetJob(k.Ctx, proofer, j.ID)).Must(t)
	require.Nil(t, v.Job.Delivery, "the deliverable stays hidden until a task is claimed")
	require.NotNil(t, k.Job(j.ID).Delivery, "hidden from the view only")
	testkit.Got(k.Service.ClaimTask(k.Ctx, proofer, k.FirstTask(proofer).ID)).Must(t)
	v = testkit.Got(k.Service.GetJob(k.Ctx, proofer, j.ID)).Must(t)
	require.NotNil(t, v.Job.Delivery, "the proofer sees the deliverable once it claimed")
	require.NotNil(t, testkit.Got(k.Service.GetJob(k.Ctx, poster, j.ID)).Must(t).Job.Delivery)
}

// inVerification posts a job needing all of its proofers to pass, hires agent and delivers it, so
// that the job waits in verification.
func inVerification(t *testing.T, k *testkit.Kit, poster, agent market.Caller, proofers int) *job.Job {
	t.Helper()
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Translate", Budget: money.Money{Amount: 60_00, Currency: "USD"}, Criteria: "faithful",
		Verification: &job.Verification{Proofers: proofers, PassThreshold: proofers, FeePerProofer: money.Money{Amount: 2_00, Currency: "USD"}},
	})).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	k.Deliver(agent, j.ID)
	return j
}
