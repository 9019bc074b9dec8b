package job_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
)

// The expected vocabularies are spelled out here rather than read back from the package, so that a
// state, action or effect added to (or dropped from) the code without being thought through fails.
var (
	allStates = []job.State{
		job.Open, job.AwaitingFunding, job.InProgress, job.Delivered, job.InVerification,
		job.RevisionRequested, job.Approved, job.Completed, job.Disputed, job.Resolved,
		job.Cancelled, job.Expired,
	}
	terminalStates = []job.State{job.Completed, job.Resolved, job.Cancelled, job.Expired}
	escrowStates   = []job.State{job.InProgress, job.RevisionRequested, job.Delivered, job.InVerification, job.Disputed}
	allActions     = []job.Action{
		job.ActApply, job.ActAccept, job.ActConfirmFunding, job.ActFailFunding, job.ActLapseFunding,
		job.ActDeliver, job.ActClaimTask, job.ActSubmitScorecard, job.ActCompleteVerification,
		job.ActRequestRevision, job.ActApprove, job.ActAutoApprove, job.ActRelease,
		job.ActReverseApproval, job.ActCancel, job.ActReopen, job.ActWithdraw, job.ActExpire,
		job.ActCancelOverdue, job.ActDispute, job.ActResolve, job.ActResolveByDefault,
		job.ActHoldPayout, job.ActUnholdPayout, job.ActReleasePayout,
	}
	allRoles = []job.Role{job.RolePoster, job.RoleAgent, job.RoleProofer, job.RoleMember, job.RoleAdmin, job.RoleSystem}
	allMoney = []job.Money{
		job.MoneyNone, job.MoneyHoldWallet, job.MoneyHoldCard, job.MoneyRefund, job.MoneyApprove,
		job.MoneyUnwind, job.MoneyRelease, job.MoneyPayProofer, job.MoneySplit, job.MoneyDefaultSplit,
		job.MoneyPayout,
	}
	// payoutOverrides are the only actions allowed from a terminal state, and only from these.
	payoutOverrides      = []job.Action{job.ActHoldPayout, job.ActUnholdPayout, job.ActReleasePayout}
	payoutOverrideStates = []job.State{job.Completed, job.Resolved}
	// statesWithDefault are the states that end by themselves at their deadline. Every non-terminal
	// state is here: none waits on a human forever.
	statesWithDefault = map[job.State]job.Action{
		job.Open:              job.ActExpire,
		job.AwaitingFunding:   job.ActLapseFunding,
		job.InProgress:        job.ActCancelOverdue,
		job.RevisionRequested: job.ActCancelOverdue,
		job.InVerification:    job.ActCompleteVerification,
		job.Delivered:         job.ActAutoApprove,
		job.Approved:          job.ActRelease,
		job.Disputed:          job.ActResolveByDefault,
	}
	// humanWaitStates are non-terminal states with no default outcome. There are none.
	humanWaitStates = []job.State{}
)

// allFacts enumerates every Facts value the guards can see: every combination of its boolean fields
// times the funding sources "", wallet and card. It fails if Facts grows a field it cannot
// enumerate, so the enumeration stays exhaustive.
func allFacts(t *testing.T) []job.Facts {
	t.Helper()
	typ := reflect.TypeFor[job.Facts]()
	var bools []int
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch {
		case f.Type.Kind() == reflect.Bool:
			bools = append(bools, i)
		case f.Name == "Funding" && f.Type == reflect.TypeFor[job.FundingSource]():
		default:
			t.Fatalf("job.Facts has field %s of type %s that allFacts does not enumerate", f.Name, f.Type)
		}
	}
	require.GreaterOrEqual(t, len(bools), 11, "the boolean facts")

	fundings := []job.FundingSource{"", job.FundWallet, job.FundCard}
	out := make([]job.Facts, 0, len(fundings)<<len(bools))
	for _, funding := range fundings {
		for mask := range 1 << len(bools) {
			var f job.Facts
			v := reflect.ValueOf(&f).Elem()
			for bit, i := range bools {
				v.Field(i).SetBool(mask&(1<<bit) != 0)
			}
			f.Funding = funding
			out = append(out, f)
		}
	}
	require.Len(t, out, 3<<len(bools))
	return out
}

func stateInfos(t *testing.T) map[job.State]job.StateInfo {
	t.Helper()
	m := map[job.State]job.StateInfo{}
	for _, s := range job.States() {
		_, dup := m[s.State]
		require.False(t, dup, "state %s listed twice", s.State)
		m[s.State] = s
	}
	return m
}

// rowsFor returns the rows for action from state that role may perform.
func rowsFor(action job.Action, role job.Role, from job.State) []job.Transition {
	var out []job.Transition
	for _, tr := range job.Transitions() {
		if tr.Action == action && slices.Contains(tr.From, from) && slices.Contains(tr.Roles, role) {
			out = append(out, tr)
		}
	}
	return out
}

func TestStatesAreTheKnownStates(t *testing.T) {
	t.Parallel()

	infos := stateInfos(t)
	require.ElementsMatch(t, allStates, slices.Collect(maps.Keys(infos)))
	for _, s := range infos {
		require.NotEmpty(t, s.Doc, "state %s", s.State)
	}
}

func TestTerminalAndHoldsEscrowAgreeWithStates(t *testing.T) {
	t.Parallel()

	for _, s := range job.States() {
		wantTerminal := slices.Contains(terminalStates, s.State)
		wantEscrow := slices.Contains(escrowStates, s.State)
		require.Equal(t, wantTerminal, s.Terminal, "StateInfo.Terminal of %s", s.State)
		require.Equal(t, wantTerminal, s.State.Terminal(), "%s.Terminal()", s.State)
		require.Equal(t, wantEscrow, s.HoldsEscrow, "StateInfo.HoldsEscrow of %s", s.State)
		require.Equal(t, wantEscrow, s.State.HoldsEscrow(), "%s.HoldsEscrow()", s.State)
		require.False(t, s.Terminal && s.HoldsEscrow, "terminal %s cannot hold escrow", s.State)
	}
	require.False(t, job.State("bogus").Terminal())
	require.False(t, job.State("bogus").HoldsEscrow())
	require.False(t, job.State("").Terminal())
}

func TestTransitionsUseKnownValues(t *testing.T) {
	t.Parallel()

	infos := stateInfos(t)
	facts := allFacts(t)
	rows := job.Transitions()
	require.NotEmpty(t, rows)
	for i, tr := range rows {
		require.Contains(t, allActions, tr.Action, "row %d", i)
		require.NotEmpty(t, tr.From, "row %d (%s) has no from state", i, tr.Action)
		for _, s := range tr.From {
			require.Contains(t, infos, s, "row %d (%s): from state %q", i, tr.Action, s)
		}
		require.Len(t, slices.Compact(slices.Sorted(slices.Values(tr.From))), len(tr.From), "row %d (%s): duplicate from state", i, tr.Action)
		if tr.To != "" {
			require.Contains(t, infos, tr.To, "row %d (%s): to state %q", i, tr.Action, tr.To)
			require.NotContains(t, tr.From, tr.To, "row %d (%s): a staying row leaves To empty", i, tr.Action)
		}
		require.NotEmpty(t, tr.Roles, "row %d (%s) has no role", i, tr.Action)
		for _, r := range tr.Roles {
			require.Contains(t, allRoles, r, "row %d (%s)", i, tr.Action)
			require.Contains(t, job.Roles, r, "row %d (%s): job.Roles lacks %s", i, tr.Action, r)
		}
		require.Contains(t, allMoney, tr.Money, "row %d (%s)", i, tr.Action)
		require.NotEmpty(t, tr.Event, "row %d (%s)", i, tr.Action)
		require.NotEmpty(t, tr.Doc, "row %d (%s)", i, tr.Action)
		// A guard nothing satisfies would make the row dead (Holds is false for unknown guards).
		require.True(t, slices.ContainsFunc(facts, tr.Guard.Holds), "row %d (%s): guard %q never holds", i, tr.Action, tr.Guard)
	}
	require.ElementsMatch(t, allRoles, job.Roles)
}

func TestEveryActionHasARow(t *testing.T) {
	t.Parallel()

	rows := job.Transitions()
	for _, a := range allActions {
		require.True(t, slices.ContainsFunc(rows, func(tr job.Transition) bool { return tr.Action == a }), "action %s has no row", a)
	}
	got := job.Actions()
	require.ElementsMatch(t, allActions, got, "Actions() lists each action once")
}

// TestAtMostOneGuardHolds checks, for every action, state and role, over every Facts value, that
// no two rows can apply at once: the table is deterministic.
func TestAtMostOneGuardHolds(t *testing.T) {
	t.Parallel()

	facts := allFacts(t)
	checked := 0
	for _, a := range allActions {
		for _, s := range allStates {
			for _, r := range allRoles {
				rows := rowsFor(a, r, s)
				if len(rows) < 2 {
					continue // zero or one row cannot conflict
				}
				checked++
				for _, f := range facts {
					var holding []job.Transition
					for _, tr := range rows {
						if tr.Guard.Holds(f) {
							holding = append(holding, tr)
						}
					}
					require.LessOrEqual(t, len(holding), 1, "%s by %s from %s under %+v: %d rows apply", a, r, s, f, len(holding))
				}
			}
		}
	}
	// accept (wallet/card) and deliver (with/without verification, from two states) share a key.
	require.GreaterOrEqual(t, checked, 3, "the check must meet rows that share action, state and role")
}

// TestFindFollowsTheTable derives Find's answer from the rows for every action, state and role (and
// every Facts value where there are rows) and compares.
func TestFindFollowsTheTable(t *testing.T) {
	t.Parallel()

	facts := allFacts(t)
	for _, a := range allActions {
		for _, s := range allStates {
			var byState []job.Transition
			for _, tr := range job.Transitions() {
				if tr.Action == a && slices.Contains(tr.From, s) {
					byState = append(byState, tr)
				}
			}
			for _, r := range allRoles {
				rows := rowsFor(a, r, s)
				switch {
				case len(byState) == 0:
					for _, f := range []job.Facts{{}, facts[len(facts)-1]} {
						_, err := job.Find(a, r, s, f)
						require.Equal(t, errs.CodeInvalidTransition, errs.CodeOf(err), "%s by %s from %s", a, r, s)
					}
				case len(rows) == 0:
					for _, f := range []job.Facts{{}, facts[len(facts)-1]} {
						_, err := job.Find(a, r, s, f)
						require.Equal(t, errs.CodeForbidden, errs.CodeOf(err), "%s by %s from %s", a, r, s)
					}
				default:
					// Plain comparisons in the loop; require only on a mismatch, to keep it fast.
					for _, f := range facts {
						got, err := job.Find(a, r, s, f)
						i := slices.IndexFunc(rows, func(tr job.Transition) bool { return tr.Guard.Holds(f) })
						if i < 0 {
							if code := errs.CodeOf(err); code == "" || code == errs.CodeForbidden {
								require.Failf(t, "Find must refuse by the guard", "%s by %s from %s under %+v: got %v", a, r, s, f, err)
							}
							continue
						}
						if err != nil || !reflect.DeepEqual(rows[i], got) {
							require.Failf(t, "Find must return the row whose guard holds", "%s by %s from %s under %+v: got %+v, %v; want %+v", a, r, s, f, got, err, rows[i])
						}
					}
				}
			}
		}
	}
}

func TestFindRefusals(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		action job.Action
		role   job.Role
		from   job.State
		facts  job.Facts
		code   errs.Code
		target error
	}{
		{"approve an open job", job.ActApprove, job.RolePoster, job.Open, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"deliver a completed job", job.ActDeliver, job.RoleAgent, job.Completed, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"apply to a job in progress", job.ActApply, job.RoleMember, job.InProgress, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"an unknown action", job.Action("teleport"), job.RolePoster, job.Open, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"an unknown state", job.ActApprove, job.RolePoster, job.State("limbo"), job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"resolve from cancelled", job.ActResolve, job.RoleAdmin, job.Cancelled, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"agent approves", job.ActApprove, job.RoleAgent, job.Delivered, job.Facts{}, errs.CodeForbidden, errs.ErrForbidden},
		{"admin approves", job.ActApprove, job.RoleAdmin, job.Delivered, job.Facts{}, errs.CodeForbidden, errs.ErrForbidden},
		{"poster delivers", job.ActDeliver, job.RolePoster, job.InProgress, job.Facts{}, errs.CodeForbidden, errs.ErrForbidden},
		{"poster auto-approves", job.ActAutoApprove, job.RolePoster, job.Delivered, job.Facts{DeadlinePassed: true}, errs.CodeForbidden, errs.ErrForbidden},
		{"member resolves", job.ActResolve, job.RoleMember, job.Disputed, job.Facts{}, errs.CodeForbidden, errs.ErrForbidden},
		{"poster applies to own job", job.ActApply, job.RolePoster, job.Open, job.Facts{}, errs.CodeForbidden, errs.ErrForbidden},
		{"revision limit", job.ActRequestRevision, job.RolePoster, job.Delivered, job.Facts{RevisionsLeft: false}, errs.CodeRevisionLimit, errs.ErrRevisionLimit},
		{"auto-approve early", job.ActAutoApprove, job.RoleSystem, job.Delivered, job.Facts{}, errs.CodeDeadlineNotReached, errs.ErrDeadlineNotReached},
		{"release early", job.ActRelease, job.RoleSystem, job.Approved, job.Facts{}, errs.CodeDeadlineNotReached, errs.ErrDeadlineNotReached},
		{"cancel before overdue", job.ActCancel, job.RolePoster, job.InProgress, job.Facts{DeadlinePassed: true}, errs.CodeDeadlineNotReached, errs.ErrDeadlineNotReached},
		{"reopen before overdue", job.ActReopen, job.RolePoster, job.RevisionRequested, job.Facts{}, errs.CodeDeadlineNotReached, errs.ErrDeadlineNotReached},
		{"complete verification early", job.ActCompleteVerification, job.RoleSystem, job.InVerification, job.Facts{}, errs.CodeDeadlineNotReached, errs.ErrDeadlineNotReached},
		{"apply twice", job.ActApply, job.RoleMember, job.Open, job.Facts{AlreadyApplied: true}, errs.CodeAlreadyExists, errs.ErrAlreadyExists},
		{"accept without a funding source", job.ActAccept, job.RolePoster, job.Open, job.Facts{}, errs.CodeInvalidInput, errs.ErrInvalidInput},
		{"accept with an unknown funding source", job.ActAccept, job.RolePoster, job.Open, job.Facts{Funding: "crypto"}, errs.CodeInvalidInput, errs.ErrInvalidInput},
		{"claim with no open task", job.ActClaimTask, job.RoleMember, job.InVerification, job.Facts{}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"hold a paid payout", job.ActHoldPayout, job.RoleAdmin, job.Completed, job.Facts{PayoutPaid: true}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
		{"release a held stuck payout", job.ActReleasePayout, job.RoleAdmin, job.Completed, job.Facts{PayoutStuck: true, PayoutHeld: true}, errs.CodeInvalidTransition, errs.ErrInvalidTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := job.Find(tt.action, tt.role, tt.from, tt.facts)
			require.Error(t, err)
			require.Equal(t, tt.code, errs.CodeOf(err), "error: %v", err)
			require.ErrorIs(t, err, tt.target)
			require.Zero(t, got)
		})
	}
}

func TestFindSuccesses(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		action job.Action
		role   job.Role
		from   job.State
		facts  job.Facts
		to     job.State
		money  job.Money
	}{
		{"accept by wallet", job.ActAccept, job.RolePoster, job.Open, job.Facts{Funding: job.FundWallet}, job.InProgress, job.MoneyHoldWallet},
		{"accept by card", job.ActAccept, job.RolePoster, job.Open, job.Facts{Funding: job.FundCard}, job.AwaitingFunding, job.MoneyNone},
		{"deliver without verification", job.ActDeliver, job.RoleAgent, job.InProgress, job.Facts{}, job.Delivered, job.MoneyNone},
		{"deliver with verification", job.ActDeliver, job.RoleAgent, job.RevisionRequested, job.Facts{Verification: true}, job.InVerification, job.MoneyNone},
		{"cancel before funding", job.ActCancel, job.RolePoster, job.AwaitingFunding, job.Facts{}, job.Cancelled, job.MoneyNone},
		{"cancel overdue", job.ActCancel, job.RolePoster, job.InProgress, job.Facts{Overdue: true}, job.Cancelled, job.MoneyRefund},
		{"dispute in review", job.ActDispute, job.RoleAgent, job.Delivered, job.Facts{}, job.Disputed, job.MoneyNone},
		{"dispute in cooldown", job.ActDispute, job.RolePoster, job.Approved, job.Facts{}, job.Disputed, job.MoneyUnwind},
		{"hold payout in cooldown", job.ActHoldPayout, job.RoleAdmin, job.Approved, job.Facts{}, "", job.MoneyPayout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := job.Find(tt.action, tt.role, tt.from, tt.facts)
			require.NoError(t, err)
			require.Equal(t, tt.action, got.Action)
			require.Equal(t, tt.to, got.To)
			require.Equal(t, tt.money, got.Money)
			require.Contains(t, got.From, tt.from)
			require.Contains(t, got.Roles, tt.role)
		})
	}
}

func TestDeadlineDefaults(t *testing.T) {
	t.Parallel()

	infos := stateInfos(t)
	got := map[job.State]job.Action{}
	for s, info := range infos {
		if info.DefaultAction != "" {
			got[s] = info.DefaultAction
			require.NotEmpty(t, info.Deadline, "state %s has a default but no deadline", s)
		} else {
			require.Empty(t, info.Deadline, "state %s has a deadline but no default", s)
		}
	}
	require.Equal(t, statesWithDefault, got)

	var noDefault []job.State
	for s, info := range infos {
		if !info.Terminal && info.DefaultAction == "" {
			noDefault = append(noDefault, s)
		}
		if info.Terminal {
			require.Empty(t, info.DefaultAction, "terminal state %s", s)
		}
	}
	require.ElementsMatch(t, humanWaitStates, noDefault)

	for s, a := range got {
		rows := rowsFor(a, job.RoleSystem, s)
		require.Len(t, rows, 1, "state %s: one system row for its default %s", s, a)

		// Before the deadline the timer does nothing; after it the default runs and leaves the state.
		_, err := job.Find(a, job.RoleSystem, s, job.Facts{})
		require.Equal(t, errs.CodeDeadlineNotReached, errs.CodeOf(err), "default %s from %s before the deadline", a, s)
		tr, err := job.Find(a, job.RoleSystem, s, job.Facts{DeadlinePassed: true})
		require.NoError(t, err, "default %s from %s after the deadline", a, s)
		require.NotEmpty(t, tr.To, "default %s from %s must change the state", a, s)
		require.NotEqual(t, s, tr.To, "default %s from %s", a, s)
	}

	// Conversely, every system row waiting for a deadline is the default of each of its states.
	for _, tr := range job.Transitions() {
		if tr.Guard != job.GuardDeadlinePassed || !slices.Contains(tr.Roles, job.RoleSystem) {
			continue
		}
		for _, s := range tr.From {
			require.Equal(t, tr.Action, got[s], "%s from %s waits for a deadline that is not its state's", tr.Action, s)
		}
	}
}

func TestTerminalStatesOnlyAllowPayoutOverrides(t *testing.T) {
	t.Parallel()

	seen := map[job.Action][]job.State{}
	for _, tr := range job.Transitions() {
		for _, s := range tr.From {
			if !s.Terminal() {
				continue
			}
			require.Contains(t, payoutOverrides, tr.Action, "%s from terminal %s", tr.Action, s)
			require.Contains(t, payoutOverrideStates, s, "%s from terminal %s", tr.Action, s)
			require.Empty(t, tr.To, "%s from terminal %s must not change the state", tr.Action, s)
			require.Equal(t, job.MoneyPayout, tr.Money, "%s from terminal %s must not move ledger money", tr.Action, s)
			require.Equal(t, []job.Role{job.RoleAdmin}, tr.Roles, "%s from terminal %s", tr.Action, s)
			seen[tr.Action] = append(seen[tr.Action], s)
		}
	}
	// The exception is real: each override is available from each payout state.
	for _, a := range payoutOverrides {
		require.ElementsMatch(t, payoutOverrideStates, seen[a], "override %s", a)
	}
	// And no row ever leads out of a terminal state.
	for _, tr := range job.Transitions() {
		if tr.To != "" {
			for _, s := range tr.From {
				require.False(t, s.Terminal(), "%s leaves terminal %s", tr.Action, s)
			}
		}
	}
}

func TestAllowedOneRowPerAction(t *testing.T) {
	t.Parallel()

	facts := allFacts(t)
	order := job.Actions()
	nonEmpty := 0
	for _, s := range allStates {
		for _, r := range allRoles {
			// The actions role has rows for from s; Allowed can only ever offer these.
			var candidates []job.Action
			for _, a := range allActions {
				if len(rowsFor(a, r, s)) > 0 {
					candidates = append(candidates, a)
				}
			}
			if len(candidates) == 0 {
				for _, f := range []job.Facts{{}, facts[len(facts)-1]} {
					require.Empty(t, job.Allowed(r, s, f), "%s from %s has no rows", r, s)
				}
				continue
			}
			// Plain comparisons in the loop; require only on a mismatch, to keep the exhaustive run fast.
			for _, f := range facts {
				got := job.Allowed(r, s, f)
				seen := map[job.Action]bool{}
				prev := -1
				for _, tr := range got {
					idx := slices.Index(order, tr.Action)
					if seen[tr.Action] || idx <= prev || !slices.Contains(tr.From, s) || !slices.Contains(tr.Roles, r) || !tr.Guard.Holds(f) {
						require.Failf(t, "Allowed offers a wrong row",
							"%s by %s from %s under %+v (twice: %v, out of table order: %v)", tr.Action, r, s, f, seen[tr.Action], idx <= prev)
					}
					seen[tr.Action] = true
					prev = idx
				}
				// Allowed lists exactly what Find allows.
				for _, a := range candidates {
					if _, err := job.Find(a, r, s, f); (err == nil) != seen[a] {
						require.Failf(t, "Allowed disagrees with Find", "%s by %s from %s under %+v: Find error %v, offered %v", a, r, s, f, err, seen[a])
					}
				}
				if len(got) > 0 {
					nonEmpty++
				}
			}
		}
	}
	require.Positive(t, nonEmpty)
}

func TestAllowedExamples(t *testing.T) {
	t.Parallel()

	actions := func(ts []job.Transition) []job.Action {
		var out []job.Action
		for _, tr := range ts {
			out = append(out, tr.Action)
		}
		return out
	}
	require.Equal(t, []job.Action{job.ActRequestRevision, job.ActApprove, job.ActDispute},
		actions(job.Allowed(job.RolePoster, job.Delivered, job.Facts{RevisionsLeft: true})))
	require.Equal(t, []job.Action{job.ActApprove, job.ActDispute},
		actions(job.Allowed(job.RolePoster, job.Delivered, job.Facts{})))
	require.Equal(t, []job.Action{job.ActDeliver, job.ActWithdraw, job.ActDispute},
		actions(job.Allowed(job.RoleAgent, job.InProgress, job.Facts{Verification: true})))
	require.Empty(t, job.Allowed(job.RoleMember, job.Cancelled, job.Facts{}))
	require.Empty(t, job.Allowed(job.RoleAdmin, job.Expired, job.Facts{PayoutStuck: true}))
}

// TestTransitionsReturnsACopy mutates what Transitions returns and checks the table is unharmed.
// It is not parallel: if the rows share memory with the table, the mutation would be visible to
// other tests until it is undone.
func TestTransitionsReturnsACopy(t *testing.T) {
	rows := job.Transitions()
	require.NotEmpty(t, rows)
	require.NotEmpty(t, rows[0].From)
	require.NotEmpty(t, rows[0].Roles)
	action, from, role := rows[0].Action, rows[0].From[0], rows[0].Roles[0]
	defer func() { rows[0].Action, rows[0].From[0], rows[0].Roles[0] = action, from, role }()

	rows[0].Action = "mutated"
	rows[0].From[0] = "mutated"
	rows[0].Roles[0] = "mutated"

	fresh := job.Transitions()
	require.Equal(t, action, fresh[0].Action)
	require.Equal(t, from, fresh[0].From[0], "Transitions shares From slices with the table")
	require.Equal(t, role, fresh[0].Roles[0], "Transitions shares Roles slices with the table")
}

func TestStatesReturnsACopy(t *testing.T) {
	t.Parallel()

	s := job.States()
	want := s[0]
	s[0].DefaultAction = "mutated"
	s[0].Terminal = !s[0].Terminal
	require.Equal(t, want, job.States()[0])
}

func TestFundingSourceValid(t *testing.T) {
	t.Parallel()

	for f, want := range map[job.FundingSource]bool{job.FundWallet: true, job.FundCard: true, "": false, "Wallet": false, "bank": false} {
		require.Equal(t, want, f.Valid(), "%q", f)
	}
}

func TestRefusalsAreTypedErrors(t *testing.T) {
	t.Parallel()

	_, err := job.Find(job.ActApprove, job.RolePoster, job.Open, job.Facts{})
	var e *errs.Error
	require.True(t, errors.As(err, &e))
	require.NotEmpty(t, e.Message)
}

// AdminOnly holds for exactly the actions every row of which is for admins alone.
func TestAdminOnly(t *testing.T) {
	for _, a := range []job.Action{job.ActResolve, job.ActReverseApproval, job.ActHoldPayout, job.ActUnholdPayout, job.ActReleasePayout} {
		require.True(t, job.AdminOnly(a), a)
	}
	for _, a := range []job.Action{job.ActApprove, job.ActApply, job.ActDispute, job.Action("no_such_action")} {
		require.False(t, job.AdminOnly(a), a)
	}
}
