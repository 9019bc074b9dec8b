package conformance

import (
	"context"
	"strings"
	"sync"
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
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit"
)

// NewKit returns a fresh marketplace whose IDs and tokens derive from seed, over the store under
// test: testkit.NewSeeded for the memory store, testkit.NewWith for another.
type NewKit func(t *testing.T, seed uint64) *testkit.Kit

// Marketplace runs the end-to-end lifecycle scenarios of the marketplace service (hiring,
// delivery, approval and release, payouts, auto-approval, card funding, deadlines, revisions,
// disputes and admin overrides, proofers, reviews and trust, browsing, visibility, racing
// actions, control characters refused in every text input, and the debt a returned top-up
// leaves) against kits from newKit, so a store adapter shows that the whole core runs on it
// unchanged. Each scenario is a parallel subtest with kits of its own.
func Marketplace(t *testing.T, newKit NewKit) {
	t.Run("HappyPath", func(t *testing.T) {
		t.Parallel()
		marketHappyPath(t, newKit)
	})
	t.Run("PayoutSettlesAndLeavesThePlatform", func(t *testing.T) {
		t.Parallel()
		marketPayoutSettlesAndLeavesThePlatform(t, newKit)
	})
	t.Run("AutoApprovalAfterSilentReviewWindow", func(t *testing.T) {
		t.Parallel()
		marketAutoApprovalAfterSilentReviewWindow(t, newKit)
	})
	t.Run("OtherApplicantsAreRejectedWithEvents", func(t *testing.T) {
		t.Parallel()
		marketOtherApplicantsAreRejectedWithEvents(t, newKit)
	})
	t.Run("HiringNeedsOnboardingAndPostingNeedsVerification", func(t *testing.T) {
		t.Parallel()
		marketHiringNeedsOnboardingAndPostingNeedsVerification(t, newKit)
	})
	t.Run("DryRunReportsAndChangesNothing", func(t *testing.T) {
		t.Parallel()
		marketDryRunReportsAndChangesNothing(t, newKit)
	})
	t.Run("CardFundingLapsesAndReopens", func(t *testing.T) {
		t.Parallel()
		marketCardFundingLapsesAndReopens(t, newKit)
	})
	t.Run("CardFundedJobRefundsToTheCard", func(t *testing.T) {
		t.Parallel()
		marketCardFundedJobRefundsToTheCard(t, newKit)
	})
	t.Run("OverdueDeliveryCancelsAndRefundsByItself", func(t *testing.T) {
		t.Parallel()
		marketOverdueDeliveryCancelsAndRefundsByItself(t, newKit)
	})
	t.Run("RevisionLimit", func(t *testing.T) {
		t.Parallel()
		marketRevisionLimit(t, newKit)
	})
	t.Run("DisputeSplitAndAuditLog", func(t *testing.T) {
		t.Parallel()
		marketDisputeSplitAndAuditLog(t, newKit)
	})
	t.Run("DisputeInCooldownAndReverseApproval", func(t *testing.T) {
		t.Parallel()
		marketDisputeInCooldownAndReverseApproval(t, newKit)
	})
	t.Run("HoldAndStuckPayout", func(t *testing.T) {
		t.Parallel()
		marketHoldAndStuckPayout(t, newKit)
	})
	t.Run("ProofersVerifyAndAutoApprove", func(t *testing.T) {
		t.Parallel()
		marketProofersVerifyAndAutoApprove(t, newKit)
	})
	t.Run("ReviewsAndTrust", func(t *testing.T) {
		t.Parallel()
		marketReviewsAndTrust(t, newKit)
	})
	t.Run("BrowseFiltersAndPages", func(t *testing.T) {
		t.Parallel()
		marketBrowseFiltersAndPages(t, newKit)
	})
	t.Run("NotVisibleToStrangers", func(t *testing.T) {
		t.Parallel()
		marketNotVisibleToStrangers(t, newKit)
	})
	t.Run("ConcurrentApproveDisputeReverseRelease", func(t *testing.T) {
		t.Parallel()
		marketConcurrentApproveDisputeReverseRelease(t, newKit)
	})
	t.Run("AutoProoferReviewsTheDeliveredFile", func(t *testing.T) {
		t.Parallel()
		marketAutoProoferReviewsTheDeliveredFile(t, newKit)
	})
	t.Run("TextIsRefusedBeforeTheStore", func(t *testing.T) {
		t.Parallel()
		marketTextIsRefusedBeforeTheStore(t, newKit)
	})
	t.Run("ReturnedTopUpLeavesADebt", func(t *testing.T) {
		t.Parallel()
		marketReturnedTopUpLeavesADebt(t, newKit)
	})
	t.Run("ReturnedTopUpTheWalletCovers", func(t *testing.T) {
		t.Parallel()
		marketReturnedTopUpTheWalletCovers(t, newKit)
	})
	t.Run("ConcurrentReturnRefundsAndTopUp", func(t *testing.T) {
		t.Parallel()
		marketConcurrentReturnRefundsAndTopUp(t, newKit)
	})
}

func marketHappyPath(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.Advance(24 * time.Hour)
	require.Equal(t, job.Completed, k.Job(j.ID).State)
	require.Equal(t, int64(50_00-5_00), k.Balance(ledger.Payable(agent.AccountID)))
	k.CheckInvariants()
}

func marketPayoutSettlesAndLeavesThePlatform(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	require.Equal(t, int64(45_00), k.Balance(ledger.Pending(agent.AccountID)))
	require.Equal(t, int64(5_00), k.Balance(ledger.PlatformFees))
	k.Advance(24 * time.Hour)
	transfers := k.Payments.Transfers()
	require.Len(t, transfers, 1)
	require.Equal(t, int64(45_00), transfers[0].Amount.Amount)
	k.SettlePayouts()
	require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
	require.Equal(t, int64(50_00), k.Balance(ledger.Wallet(poster.AccountID)))
	ps := testkit.Got(k.Service.Payouts(k.Ctx, agent, j.ID)).Must(t)
	require.Equal(t, payout.Paid, ps[0].Status)
	k.CheckInvariants()
}

func marketAutoApprovalAfterSilentReviewWindow(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)
	k.Advance(7*24*time.Hour - time.Minute)
	require.Equal(t, job.Delivered, k.Job(j.ID).State)
	k.Advance(time.Minute)
	require.Equal(t, job.Approved, k.Job(j.ID).State)
	k.Advance(24 * time.Hour)
	require.Equal(t, job.Completed, k.Job(j.ID).State)
	require.Contains(t, k.EventTypes(), "job.auto_approved")
	k.CheckInvariants()
}

func marketOtherApplicantsAreRejectedWithEvents(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, a1, a2 := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Bob")
	j := k.Post(poster, 30_00)
	app1 := testkit.Got(k.Service.Apply(k.Ctx, a1, j.ID, market.ApplyInput{Message: "me"})).Must(t)
	app2 := testkit.Got(k.Service.Apply(k.Ctx, a2, j.ID, market.ApplyInput{Message: "me too"})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app1.ID, job.FundWallet, false)).Must(t)
	evs := testkit.Got(k.Service.Events(k.Ctx, a2, 0, 100)).Must(t)
	require.Equal(t, "application.rejected", evs[len(evs)-1].Type)
	require.Equal(t, app2.ID, evs[len(evs)-1].Data["application_id"])
	apps := testkit.Got(k.Service.Applications(k.Ctx, a2, j.ID)).Must(t)
	require.Len(t, apps, 1, "an applicant sees only its own application")
	require.Equal(t, job.AppRejected, apps[0].Status)
}

func marketHiringNeedsOnboardingAndPostingNeedsVerification(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster := k.Poster("Pat", 100_00)
	notOnboarded := k.Account("Nia")
	j := k.Post(poster, 10_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, notOnboarded, j.ID, market.ApplyInput{})).Must(t)
	_, err := k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)
	require.ErrorIs(t, err, errs.ErrOnboardingRequired)
	a := testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: "new@example.test", Name: "New"})).Must(t)
	_, err = k.Service.PostJob(k.Ctx, market.User(a.ID), market.PostInput{Title: "x", Budget: money.Money{Amount: 100, Currency: "USD"}})
	require.ErrorIs(t, err, errs.ErrEmailNotVerified)
	_, err = k.Service.VerifyEmail(k.Ctx, a.ID+".wrong")
	require.ErrorIs(t, err, errs.ErrInvalidToken)
}

func marketDryRunReportsAndChangesNothing(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	before := k.EventTypes()
	out := testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, true)).Must(t)
	require.True(t, out.DryRun)
	require.Equal(t, job.Approved, out.To)
	require.Equal(t, []ledger.Transfer{
		{From: ledger.Escrow(j.ID), To: ledger.PlatformFees, Amount: money.Money{Amount: 5_00, Currency: "USD"}, Memo: "platform fee"},
		{From: ledger.Escrow(j.ID), To: ledger.Pending(agent.AccountID), Amount: money.Money{Amount: 45_00, Currency: "USD"}, Memo: "earned, in cooldown"},
	}, out.Transfers)
	require.Equal(t, []string{"job.approved"}, out.Events)
	require.Equal(t, job.Delivered, k.Job(j.ID).State)
	require.Equal(t, int64(50_00), k.Balance(ledger.Escrow(j.ID)))
	require.Equal(t, before, k.EventTypes())
}

func marketCardFundingLapsesAndReopens(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Account("Pat"), k.Agent("Ada")
	j := k.Post(poster, 20_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	out := testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundCard, false)).Must(t)
	require.Equal(t, job.AwaitingFunding, out.To)
	require.NotEmpty(t, out.Job.PaymentRef)
	k.Advance(24 * time.Hour)
	require.Equal(t, job.Open, k.Job(j.ID).State)
	require.True(t, k.Payments.Intents()[0].Cancelled, "the lapsed card payment is cancelled at the processor")
	_, err := k.Service.ConfirmFunding(k.Ctx, j.ID, out.Job.PaymentRef)
	require.ErrorIs(t, err, errs.ErrInvalidTransition, "a late confirmation of a lapsed acceptance is refused")
	apps := testkit.Got(k.Service.Applications(k.Ctx, poster, j.ID)).Must(t)
	require.Equal(t, job.AppLapsed, apps[0].Status)
}

func marketCardFundedJobRefundsToTheCard(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Account("Pat"), k.Agent("Ada")
	j := k.Post(poster, 20_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	out := testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundCard, false)).Must(t)
	testkit.Got(k.Service.ConfirmFunding(k.Ctx, j.ID, out.Job.PaymentRef)).Must(t)
	require.Equal(t, int64(20_00), k.Balance(ledger.Escrow(j.ID)))
	testkit.Got(k.Service.Withdraw(k.Ctx, agent, j.ID, false)).Must(t)
	k.RunDue()
	refunds := k.Payments.Refunds()
	require.Len(t, refunds, 1)
	require.Equal(t, int64(20_00), refunds[0].Amount.Amount)
	require.Zero(t, k.Balance(ledger.Wallet(poster.AccountID)))
	require.Equal(t, job.Open, k.Job(j.ID).State)
	k.CheckInvariants()
}

func marketOverdueDeliveryCancelsAndRefundsByItself(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 60_00)
	k.Advance(7 * 24 * time.Hour)
	v := testkit.Got(k.Service.GetJob(k.Ctx, poster, j.ID)).Must(t)
	require.Contains(t, actionsOf(v), job.ActCancel, "the poster may cancel once the delivery is overdue")
	require.Contains(t, actionsOf(v), job.ActReopen)
	k.Advance(7 * 24 * time.Hour)
	require.Equal(t, job.Cancelled, k.Job(j.ID).State)
	require.Equal(t, int64(100_00), k.Balance(ledger.Wallet(poster.AccountID)))
	k.CheckInvariants()
}

func marketRevisionLimit(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 10_00)
	for range job.DefaultMaxRevisions {
		k.Deliver(agent, j.ID)
		testkit.Got(k.Service.RequestRevision(k.Ctx, poster, j.ID, "more detail")).Must(t)
	}
	k.Deliver(agent, j.ID)
	_, err := k.Service.RequestRevision(k.Ctx, poster, j.ID, "again")
	require.ErrorIs(t, err, errs.ErrRevisionLimit)
}

func marketDisputeSplitAndAuditLog(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Admin("Root")
	j := k.Hire(poster, agent, 80_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Dispute(k.Ctx, poster, j.ID, "incomplete", []string{"https://evidence.test/1"})).Must(t)
	_, err := k.Service.Resolve(k.Ctx, admin, j.ID, 50_00, 20_00, "partial", false)
	require.ErrorIs(t, err, errs.ErrSplitMismatch)
	_, err = k.Service.Resolve(k.Ctx, admin, j.ID, 50_00, 30_00, "", false)
	require.ErrorIs(t, err, errs.ErrReasonRequired)
	_, err = k.Service.Resolve(k.Ctx, poster, j.ID, 50_00, 30_00, "mine", false)
	require.ErrorIs(t, err, errs.ErrForbidden)
	testkit.Got(k.Service.Resolve(k.Ctx, admin, j.ID, 50_00, 30_00, "half done", false)).Must(t)
	require.Equal(t, int64(45_00), k.Balance(ledger.Payable(agent.AccountID)), "50.00 less the 10% fee")
	require.Equal(t, int64(50_00), k.Balance(ledger.Wallet(poster.AccountID)))
	audit := testkit.Got(k.Service.AuditLog(k.Ctx, admin, 0, 10)).Must(t)
	require.Len(t, audit, 1)
	require.Equal(t, "half done", audit[0].Reason)
	_, err = k.Service.AuditLog(k.Ctx, poster, 0, 10)
	require.ErrorIs(t, err, errs.ErrForbidden)
	k.CheckInvariants()
}

func marketDisputeInCooldownAndReverseApproval(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Admin("Root")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	testkit.Got(k.Service.ReverseApproval(k.Ctx, admin, j.ID, "fraud report", false)).Must(t)
	require.Equal(t, int64(50_00), k.Balance(ledger.Escrow(j.ID)))
	require.Zero(t, k.Balance(ledger.Pending(agent.AccountID)))
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	testkit.Got(k.Service.HoldPayout(k.Ctx, admin, j.ID, "checking", false)).Must(t)
	testkit.Got(k.Service.Dispute(k.Ctx, agent, j.ID, "poster threatens chargeback", nil)).Must(t)
	require.Equal(t, int64(50_00), k.Balance(ledger.Escrow(j.ID)), "a dispute in cooldown returns the money to escrow")
	k.Advance(job.DisputeWindow)
	require.Equal(t, job.Resolved, k.Job(j.ID).State, "a stale dispute falls back to its default")
	require.Equal(t, int64(45_00), k.Balance(ledger.Payable(agent.AccountID)), "the default pays the agent who delivered")
	k.CheckInvariants()
}

func marketHoldAndStuckPayout(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Admin("Root")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	dry := testkit.Got(k.Service.HoldPayout(k.Ctx, admin, j.ID, "KYC review", true)).Must(t)
	require.True(t, dry.DryRun)
	require.False(t, k.Job(j.ID).PayoutHeld, "a dry run holds nothing")
	testkit.Got(k.Service.HoldPayout(k.Ctx, admin, j.ID, "KYC review", false)).Must(t)
	require.True(t, k.Job(j.ID).PayoutHeld)
	k.Advance(24 * time.Hour)
	require.Equal(t, job.Completed, k.Job(j.ID).State)
	require.Empty(t, k.Payments.Transfers(), "a held payout is not made")
	k.Payments.FailNext("transfer", payout.MaxAttempts, nil)
	testkit.Got(k.Service.UnholdPayout(k.Ctx, admin, j.ID, "cleared", false)).Must(t)
	k.Advance(3 * 24 * time.Hour)
	ps := testkit.Got(k.Service.Payouts(k.Ctx, admin, j.ID)).Must(t)
	require.Equal(t, payout.Stuck, ps[0].Status)
	require.Equal(t, payout.MaxAttempts, ps[0].Attempts)
	testkit.Got(k.Service.ReleasePayout(k.Ctx, admin, j.ID, "processor fixed", false)).Must(t)
	k.RunDue()
	require.Len(t, k.Payments.Transfers(), 1)
	k.SettlePayouts()
	require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
	k.CheckInvariants()
}

func marketProofersVerifyAndAutoApprove(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	p1, p2 := k.Agent("Pia"), k.Agent("Quinn")
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Translate", Budget: money.Money{Amount: 60_00, Currency: "USD"}, Criteria: "faithful",
		Verification: &job.Verification{Proofers: 2, PassThreshold: 1, FeePerProofer: money.Money{Amount: 2_00, Currency: "USD"}, AutoApproveOnPass: true},
	})).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	k.Deliver(agent, j.ID)
	require.Equal(t, job.InVerification, k.Job(j.ID).State)
	_, err := k.Service.ClaimTask(k.Ctx, agent, k.FirstTask(p1).ID)
	require.ErrorIs(t, err, errs.ErrForbidden, "the agent cannot prove its own job")
	card := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "faithful", Score: 9, Passed: true}}, Pass: true, Summary: "good"}
	for _, p := range []market.Caller{p1, p2} {
		task := testkit.Got(k.Service.ClaimTask(k.Ctx, p, k.FirstTask(p).ID)).Must(t)
		testkit.Got(k.Service.SubmitScorecard(k.Ctx, p, task.ID, card)).Must(t)
	}
	require.Equal(t, "pass", k.Job(j.ID).Verdict)
	k.RunDue()
	require.Equal(t, job.Approved, k.Job(j.ID).State, "proofers passed with auto-approval on")
	require.Equal(t, int64(60_00-6_00-4_00), k.Balance(ledger.Pending(agent.AccountID)), "price less platform fee less proofer fees")
	require.Equal(t, int64(2_00), k.Balance(ledger.Payable(p1.AccountID)))
	k.CheckInvariants()
}

func marketReviewsAndTrust(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	fresh := testkit.Got(k.Service.Trust(k.Ctx, agent.AccountID)).Must(t)
	j := k.Hire(poster, agent, 50_00)
	_, err := k.Service.Review(k.Ctx, poster, j.ID, 5, "great")
	require.ErrorIs(t, err, errs.ErrInvalidTransition, "only paid jobs are reviewed")
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.Advance(24 * time.Hour)
	testkit.Got(k.Service.Review(k.Ctx, poster, j.ID, 5, "great")).Must(t)
	_, err = k.Service.Review(k.Ctx, poster, j.ID, 4, "again")
	require.ErrorIs(t, err, errs.ErrAlreadyExists)
	require.Empty(t, testkit.Got(k.Service.Reviews(k.Ctx, agent.AccountID)).Must(t), "hidden until both reviewed")
	testkit.Got(k.Service.Review(k.Ctx, agent, j.ID, 4, "clear brief")).Must(t)
	require.Len(t, testkit.Got(k.Service.Reviews(k.Ctx, agent.AccountID)).Must(t), 1)
	after := testkit.Got(k.Service.Trust(k.Ctx, agent.AccountID)).Must(t)
	require.Greater(t, after.Value, fresh.Value)
	require.Less(t, after.Value, 100)
}

func marketBrowseFiltersAndPages(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent := k.Account("Pat"), k.Account("Ada")
	for i, c := range []string{"writing", "code", "writing"} {
		testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
			Title: "Job " + strings.Repeat("x", i) + " golang", Category: c, Budget: money.Money{Amount: int64(10_00 * (i + 1)), Currency: "USD"},
		})).Must(t)
	}
	jobs, next, err := k.Service.Browse(k.Ctx, agent, market.BrowseInput{Category: "writing", Limit: 1})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, int64(30_00), jobs[0].Budget.Amount, "newest first")
	jobs, next, err = k.Service.Browse(k.Ctx, agent, market.BrowseInput{Category: "writing", Limit: 1, After: next})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, int64(10_00), jobs[0].Budget.Amount)
	require.Empty(t, next)
	jobs, _, err = k.Service.Browse(k.Ctx, agent, market.BrowseInput{MinBudget: 15_00, MaxBudget: 25_00, Search: "GOLANG"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, "code", jobs[0].Category)
	_, _, err = k.Service.Browse(k.Ctx, agent, market.BrowseInput{MinBudget: 5, MaxBudget: 4})
	require.ErrorIs(t, err, errs.ErrInvalidInput)
}

func marketNotVisibleToStrangers(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, stranger := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Eve")
	j := k.Hire(poster, agent, 10_00)
	_, err := k.Service.GetJob(k.Ctx, stranger, j.ID)
	require.ErrorIs(t, err, errs.ErrNotFound)
	_, err = k.Service.Approve(k.Ctx, stranger, j.ID, false)
	require.ErrorIs(t, err, errs.ErrNotFound)
}

// marketConcurrentApproveDisputeReverseRelease races the actions that end a delivered job's review
// and an approved job's cooldown: exactly one of them moves the job out of the state, the others
// are refused with typed errors (or act on the state the winner left), and the money stays whole.
func marketConcurrentApproveDisputeReverseRelease(t *testing.T, newKit NewKit) {
	for round := range 20 {
		k := newKit(t, uint64(round+1))
		poster, agent, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Admin("Root")
		j := k.Hire(poster, agent, 50_00)
		k.Deliver(agent, j.ID)
		k.Clock.Set(k.Job(j.ID).DeadlineAt) // auto-approval is due too
		race(t,
			func() error { _, err := k.Service.Approve(k.Ctx, poster, j.ID, false); return err },
			func() error { _, err := k.Service.Dispute(k.Ctx, agent, j.ID, "late", nil); return err },
			func() error { _, err := k.Service.RequestRevision(k.Ctx, poster, j.ID, "more"); return err },
			func() error { _, err := k.Service.Approve(k.Ctx, poster, j.ID, false); return err },
			func() error { return market.RunDue(k.Ctx, k.Store, k.Service, k.Clock.Now()) },
		)
		require.Equal(t, 1, leftState(t, k, job.Delivered), "round %d", round)
		k.CheckInvariants()
		if k.Job(j.ID).State != job.Approved {
			continue
		}
		k.Clock.Set(k.Job(j.ID).DeadlineAt) // the release is due but not yet run
		race(t,
			func() error { _, err := k.Service.ReverseApproval(k.Ctx, admin, j.ID, "fraud", false); return err },
			func() error { _, err := k.Service.Dispute(k.Ctx, agent, j.ID, "x", nil); return err },
			func() error { return market.RunDue(k.Ctx, k.Store, k.Service, k.Clock.Now()) },
		)
		require.Equal(t, 1, leftState(t, k, job.Approved), "round %d", round)
		k.RunDue()
		k.CheckInvariants()
	}
}

// leftState counts the transitions recorded out of state.
func leftState(t *testing.T, k *testkit.Kit, state job.State) int {
	n := 0
	for _, e := range testkit.Got(k.Service.Events(k.Ctx, market.System, 0, 500)).Must(t) {
		if e.Data["from"] == string(state) && e.Data["to"] != string(state) {
			n++
		}
	}
	return n
}

// race runs fns at once; each failure must be a typed refusal.
func race(t *testing.T, fns ...func() error) {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		bad []error
	)
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Go(func() {
			<-start
			if err := fn(); err != nil && errs.CodeOf(err) == "" {
				mu.Lock()
				bad = append(bad, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	require.Empty(t, bad, "refusals must be typed")
}

func actionsOf(v *market.JobView) []job.Action {
	var out []job.Action
	for _, a := range v.NextActions {
		out = append(out, a.Action)
	}
	return out
}

func marketAutoProoferReviewsTheDeliveredFile(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, bot := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Bot")
	var seen string
	k.Service.AddAutoProofer(bot.AccountID, memory.NewProofer("length-check", func(_ context.Context, req ports.ProofRequest) (proof.Scorecard, error) {
		seen = string(req.Content)
		pass := len(req.Content) > 0
		return proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "non-empty", Score: 10, Passed: pass}}, Pass: pass, Summary: "checked length"}, nil
	}))
	k.Service.AddAutoProofer(agent.AccountID, memory.NewProofer("self", func(context.Context, ports.ProofRequest) (proof.Scorecard, error) {
		t.Error("the agent's own proofer must not review its delivery")
		return proof.Scorecard{}, nil
	}))
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Summarise", Budget: money.Money{Amount: 30_00, Currency: "USD"},
		Verification: &job.Verification{Proofers: 1, PassThreshold: 1, FeePerProofer: money.Money{Amount: 1_00, Currency: "USD"}, AutoApproveOnPass: true},
	})).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	k.Deliver(agent, j.ID)
	k.RunDue()
	require.Equal(t, "the summary", seen)
	require.Equal(t, job.Approved, k.Job(j.ID).State, "the automatic proofer passed and auto-approval is on")
	require.Equal(t, int64(1_00), k.Balance(ledger.Payable(bot.AccountID)))
	require.Contains(t, k.EventTypes(), "verification.auto_proofer_failed", "the agent's own proofer was refused")
	k.CheckInvariants()
}
