package market_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit"
)

// fixture is a job driven to a state, with a caller for every role.
type fixture struct {
	k       *testkit.Kit
	jobID   string
	callers map[job.Role]market.Caller
}

// setup drives a fresh marketplace's job to state so that guard holds.
func setup(t *testing.T, state job.State, guard job.Guard) *fixture {
	k := testkit.New(t)
	poster, agent, proofer, member, admin := k.Poster("Pat", 1000_00), k.Agent("Ada"), k.Agent("Pia"), k.Agent("Max"), k.Admin("Root")
	f := &fixture{k: k, callers: map[job.Role]market.Caller{
		job.RolePoster: poster, job.RoleAgent: agent, job.RoleProofer: proofer, job.RoleMember: member,
		job.RoleAdmin: admin, job.RoleSystem: market.System,
	}}
	in := market.PostInput{Title: "Fixture", Budget: money.Money{Amount: 100_00, Currency: "USD"}, Criteria: "c"}
	if state == job.InVerification || guard == job.GuardVerification {
		in.Verification = &job.Verification{Proofers: 2, PassThreshold: 1, FeePerProofer: money.Money{Amount: 1_00, Currency: "USD"}}
	}
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, in)).Must(t).Job
	f.jobID = j.ID
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	ctx, svc := k.Ctx, k.Service
	must := func(_ *market.Outcome, err error) { t.Helper(); require.NoError(t, err) }
	hire := func() { must(svc.Accept(ctx, poster, j.ID, app.ID, job.FundWallet, false)) }
	deliver := func() {
		hire()
		must(svc.Deliver(ctx, agent, j.ID, market.DeliverInput{URL: "https://out.test/1"}))
		if state != job.InVerification && k.Job(j.ID).State == job.InVerification {
			k.Advance(job.VerificationWindow) // no scorecards: verification completes by itself
		}
	}
	approve := func() { deliver(); must(svc.Approve(ctx, poster, j.ID, false)) }
	switch state {
	case job.Open:
	case job.AwaitingFunding:
		must(svc.Accept(ctx, poster, j.ID, app.ID, job.FundCard, false))
	case job.InProgress:
		hire()
	case job.RevisionRequested:
		deliver()
		must(svc.RequestRevision(ctx, poster, j.ID, "more"))
	case job.Delivered:
		deliver()
	case job.InVerification:
		deliver()
		tasks := testkit.Got(svc.AvailableTasks(ctx, proofer)).Must(t)
		testkit.Got(svc.ClaimTask(ctx, proofer, tasks[0].ID)).Must(t)
	case job.Approved:
		approve()
	case job.Completed:
		approve()
		if guard == job.GuardPayoutUnpaid || guard == job.GuardPayoutHeld {
			k.Payments.FailNext("transfer", 1, nil) // the first attempt fails, so the payout is not yet paid
		}
		k.Advance(job.Cooldown)
	case job.Disputed:
		deliver()
		must(svc.Dispute(ctx, poster, j.ID, "why", nil))
	case job.Resolved:
		deliver()
		must(svc.Dispute(ctx, poster, j.ID, "why", nil))
		must(svc.Resolve(ctx, admin, j.ID, 100_00, 0, "agent delivered", false))
	case job.Cancelled:
		must(svc.Cancel(ctx, poster, j.ID, false))
	case job.Expired:
		k.Advance(job.DefaultOpenFor)
	}
	require.Equal(t, state, k.Job(j.ID).State)
	switch guard {
	case job.GuardOverdue:
		k.Clock.Set(k.Job(j.ID).DeliveryDueAt)
	case job.GuardDeadlinePassed, job.GuardVerificationDone:
		k.Clock.Set(k.Job(j.ID).DeadlineAt) // due, but the timer has not run
	case job.GuardPayoutHeld:
		must(svc.HoldPayout(ctx, admin, j.ID, "hold", false))
	case job.GuardPayoutStuck:
		payoutID := k.Job(j.ID).PayoutID
		require.NoError(t, k.Store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			p, err := tx.Payouts().Get(ctx, payoutID)
			if err != nil {
				return err
			}
			p.Status = payout.Stuck
			return tx.Payouts().Update(ctx, p)
		}))
	}
	return f
}

// command builds a valid command for the action on the fixture's job.
func (f *fixture) command(t *testing.T, tr job.Transition) market.Command {
	k, j := f.k, f.k.Job(f.jobID)
	cmd := market.Command{Action: tr.Action, Reason: "because", PaymentRef: j.PaymentRef, Note: "n", Funding: job.FundWallet}
	switch tr.Action {
	case job.ActAccept:
		apps := testkit.Got(k.Service.Applications(k.Ctx, market.System, j.ID)).Must(t)
		for _, a := range apps {
			if a.Status == job.AppPending {
				cmd.ApplicationID = a.ID
			}
		}
		if tr.Guard == job.GuardCard {
			cmd.Funding = job.FundCard
		}
	case job.ActDeliver:
		cmd.URL = "https://out.test/2"
	case job.ActResolve:
		cmd.ToAgent = k.Balance(ledger.Escrow(j.ID))
	case job.ActClaimTask, job.ActSubmitScorecard:
		cmd.TaskID = f.task(t, tr.Action == job.ActSubmitScorecard)
		cmd.Scorecard = proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "c", Score: 7}}, Summary: "ok"}
	}
	return cmd
}

func (f *fixture) task(t *testing.T, claimed bool) string {
	var id string
	require.NoError(t, f.k.Store.WithinTx(f.k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		tasks, err := tx.Tasks().ListByJob(ctx, f.jobID)
		for _, tk := range tasks {
			if (tk.Status == proof.TaskClaimed) == claimed && tk.Status != proof.TaskSubmitted {
				id = tk.ID
			}
		}
		return err
	}))
	return id
}

// snapshot is everything an action could change.
type snapshot struct {
	Job      *job.Job
	Balances ledger.Balances
	Events   []event.Event
	Apps     []*job.Application
	Payouts  []*payout.Payout
	Tasks    []*proof.Task
	Timers   []ports.Timer
	Audit    []event.Audit
}

func (f *fixture) snapshot(t *testing.T) snapshot {
	var s snapshot
	require.NoError(t, f.k.Store.WithinTx(f.k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		s.Job, _ = tx.Jobs().Get(ctx, f.jobID)
		s.Balances, _ = tx.Ledger().Balances(ctx)
		s.Events, _ = tx.Events().List(ctx, "", 0, 0)
		s.Apps, _ = tx.Applications().ListByJob(ctx, f.jobID)
		s.Payouts, _ = tx.Payouts().ListByJob(ctx, f.jobID)
		s.Tasks, _ = tx.Tasks().ListByJob(ctx, f.jobID)
		s.Timers, _ = tx.Timers().Due(ctx, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		s.Audit, err = tx.Audit().List(ctx, 0, 0)
		return err
	}))
	return s
}

// TestTransitionTable is generated from the state machine: for every row and every from-state,
// the row's roles succeed and every other role is refused with a typed error that changes
// nothing; every (state, action) with no row is refused for every role.
func TestTransitionTable(t *testing.T) {
	t.Parallel()
	for _, tr := range job.Transitions() {
		for _, from := range tr.From {
			for _, role := range rolesIn(from) {
				allowed := slices.Contains(tr.Roles, role)
				name := fmt.Sprintf("%s/%s/%s/%s", tr.Action, from, tr.Guard, role)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					f := setup(t, from, tr.Guard)
					cmd := f.command(t, tr)
					before := f.snapshot(t)
					out, err := f.k.Service.Act(f.k.Ctx, f.callers[role], f.jobID, cmd)
					if allowed {
						require.NoError(t, err)
						if tr.To != "" && tr.Action != job.ActSubmitScorecard {
							require.Equal(t, tr.To, out.To)
						}
						require.Contains(t, out.Events, tr.Event)
						f.k.CheckInvariants()
						return
					}
					require.Error(t, err)
					require.NotEmpty(t, errs.CodeOf(err), "refusals are typed: %v", err)
					require.Equal(t, before, f.snapshot(t), "a refused action changes nothing")
				})
			}
		}
	}
	for _, info := range job.States() {
		for _, action := range job.Actions() {
			if hasRow(action, info.State) {
				continue
			}
			t.Run(fmt.Sprintf("none/%s/%s", action, info.State), func(t *testing.T) {
				t.Parallel()
				f := setup(t, info.State, job.GuardNone)
				cmd := f.command(t, job.Transition{Action: action})
				before := f.snapshot(t)
				for _, role := range rolesIn(info.State) {
					_, err := f.k.Service.Act(f.k.Ctx, f.callers[role], f.jobID, cmd)
					require.Error(t, err, role)
					require.NotEmpty(t, errs.CodeOf(err), "refusals are typed: %v", err)
					require.Equal(t, before, f.snapshot(t), "a refused action changes nothing (%s)", role)
				}
			})
		}
	}
}

// rolesIn lists the roles the fixture's callers really hold in a state: the agent exists once
// hired, a proofer only while a task is claimed; otherwise those callers are plain members.
func rolesIn(s job.State) []job.Role {
	out := []job.Role{job.RolePoster, job.RoleMember, job.RoleAdmin, job.RoleSystem}
	if s != job.Open && s != job.Expired && s != job.Cancelled {
		out = append(out, job.RoleAgent)
	}
	if s == job.InVerification {
		out = append(out, job.RoleProofer)
	}
	return out
}

func hasRow(a job.Action, s job.State) bool {
	for _, tr := range job.Transitions() {
		if tr.Action == a && slices.Contains(tr.From, s) {
			return true
		}
	}
	return false
}
