package job

import (
	"slices"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
)

// Role is who performs an action, relative to the job.
type Role string

// The roles.
const (
	RolePoster  Role = "poster"  // the account that posted the job
	RoleAgent   Role = "agent"   // the hired agent
	RoleProofer Role = "proofer" // an account holding a verification task on the job
	RoleMember  Role = "member"  // any other verified account
	RoleAdmin   Role = "admin"   // a platform administrator
	RoleSystem  Role = "system"  // the platform itself: timers and processor callbacks
)

// Roles lists every role, for tables and tests.
var Roles = []Role{RolePoster, RoleAgent, RoleProofer, RoleMember, RoleAdmin, RoleSystem}

// Action is something that can be done to a job.
type Action string

// The actions.
const (
	ActApply                Action = "apply"
	ActAccept               Action = "accept_application"
	ActConfirmFunding       Action = "confirm_funding"
	ActFailFunding          Action = "fail_funding"
	ActLapseFunding         Action = "lapse_funding"
	ActDeliver              Action = "deliver"
	ActClaimTask            Action = "claim_task"
	ActSubmitScorecard      Action = "submit_scorecard"
	ActCompleteVerification Action = "complete_verification"
	ActRequestRevision      Action = "request_revision"
	ActApprove              Action = "approve"
	ActAutoApprove          Action = "auto_approve"
	ActRelease              Action = "release"
	ActReverseApproval      Action = "reverse_approval"
	ActCancel               Action = "cancel"
	ActReopen               Action = "reopen"
	ActWithdraw             Action = "withdraw"
	ActExpire               Action = "expire"
	ActCancelOverdue        Action = "cancel_overdue"
	ActDispute              Action = "dispute"
	ActResolve              Action = "resolve"
	ActResolveByDefault     Action = "resolve_by_default"
	ActHoldPayout           Action = "hold_payout"
	ActUnholdPayout         Action = "unhold_payout"
	ActReleasePayout        Action = "release_payout"
)

// Money says what a transition does to the ledger; the marketplace service implements each.
type Money string

// The money effects.
const (
	MoneyNone         Money = "none"
	MoneyHoldWallet   Money = "hold_from_wallet"   // wallet:poster → escrow:job, the price
	MoneyHoldCard     Money = "hold_from_card"     // external:stripe → escrow:job, the price
	MoneyRefund       Money = "refund"             // escrow:job → wallet:poster (or card), all that remains
	MoneyApprove      Money = "approve"            // escrow:job → platform:fees (fee) and → pending:agent (the rest)
	MoneyUnwind       Money = "unwind_approval"    // pending:agent and platform:fees → escrow:job, undoing approve
	MoneyRelease      Money = "release"            // pending:agent → payable:agent, and a payout is made
	MoneyPayProofer   Money = "pay_proofer"        // escrow:job → payable:proofer, the proofer fee
	MoneySplit        Money = "split"              // escrow:job → payable:agent (less fee), platform:fees, refund to poster
	MoneyDefaultSplit Money = "default_resolution" // as split: all to the agent if delivered, else all to the poster
	MoneyPayout       Money = "payout"             // affects the job's payout, not the ledger
)

// Guard is a condition a transition needs besides its state and role.
type Guard string

// The guards. Facts tells which hold.
const (
	GuardNone              Guard = ""
	GuardWallet            Guard = "funding_is_wallet"
	GuardCard              Guard = "funding_is_card"
	GuardNoVerification    Guard = "verification_off"
	GuardVerification      Guard = "verification_on"
	GuardVerificationDone  Guard = "verification_done"
	GuardRevisionsLeft     Guard = "revisions_left"
	GuardOverdue           Guard = "delivery_overdue"
	GuardDeadlinePassed    Guard = "deadline_passed"
	GuardPayoutUnpaid      Guard = "payout_not_held_or_paid"
	GuardPayoutHeld        Guard = "payout_held"
	GuardPayoutStuck       Guard = "payout_stuck"
	GuardOpenTasks         Guard = "verification_task_open"
	GuardTaskClaimedByYou  Guard = "task_claimed_by_caller"
	GuardNotAlreadyApplied Guard = "not_already_applied"
)

// Transition is one row of the state machine.
type Transition struct {
	Action Action  `json:"action"`
	Roles  []Role  `json:"roles"`
	From   []State `json:"from"`
	To     State   `json:"to,omitempty"` // empty: the state does not change
	Guard  Guard   `json:"guard,omitempty"`
	Money  Money   `json:"money"`
	Event  string  `json:"event"`
	Doc    string  `json:"doc"`
}

// Timers: entering a state sets the deadline that state has in StateInfo (and so cancels the
// previous one, whose timer then finds the job changed and does nothing); a transition that keeps
// the state keeps the deadline.

// Windows and defaults of the deadlines.
const (
	DefaultOpenFor        = 30 * 24 * time.Hour // an open job expires
	FundingWindow         = 24 * time.Hour      // an unfunded acceptance lapses
	DefaultDeliveryWindow = 7 * 24 * time.Hour  // delivery is due
	OverdueGrace          = 7 * 24 * time.Hour  // after the delivery is due, the job is cancelled and refunded
	VerificationWindow    = 48 * time.Hour      // proofers have to submit
	DefaultReviewWindow   = 7 * 24 * time.Hour  // the poster has to review, else auto-approval
	Cooldown              = 24 * time.Hour      // between approval and release
	DisputeWindow         = 14 * 24 * time.Hour // a stale dispute falls back to its default
	DefaultMaxRevisions   = 2
)

// StateInfo describes a state: its deadline and the default outcome that runs by itself then.
type StateInfo struct {
	State         State  `json:"state"`
	Terminal      bool   `json:"terminal"`
	HoldsEscrow   bool   `json:"holds_escrow"`
	Deadline      string `json:"deadline,omitempty"` // what the deadline is measured from
	DefaultAction Action `json:"default_action,omitempty"`
	Doc           string `json:"doc"`
}

var states = []StateInfo{
	{State: Open, Deadline: "posted + 30 days", DefaultAction: ActExpire, Doc: "Accepting applications."},
	{State: AwaitingFunding, Deadline: "accepted + 24 h", DefaultAction: ActLapseFunding, Doc: "Accepted; waiting for the card payment. Lapses and reopens if unfunded."},
	{State: InProgress, Deadline: "delivery due + 7 days grace", DefaultAction: ActCancelOverdue, Doc: "Funded; the agent works. Past the due date the poster may cancel or reopen for a full refund; after the grace the job is cancelled and refunded by itself."},
	{State: RevisionRequested, Deadline: "delivery due + 7 days grace", DefaultAction: ActCancelOverdue, Doc: "The poster asked for a revision; the agent delivers again."},
	{State: InVerification, Deadline: "delivered + 48 h", DefaultAction: ActCompleteVerification, Doc: "Proofers review the delivery."},
	{State: Delivered, Deadline: "delivered + review window (7 days)", DefaultAction: ActAutoApprove, Doc: "The poster reviews: approve, ask for a revision or dispute. Silence approves."},
	{State: Approved, Deadline: "approved + 24 h", DefaultAction: ActRelease, Doc: "Cooldown: earnings are pending; an admin may reverse or hold."},
	{State: Disputed, Deadline: "disputed + 14 days", DefaultAction: ActResolveByDefault, Doc: "Funds frozen until an admin resolves; the default pays the agent if a delivery exists, else refunds the poster."},
	{State: Completed, Doc: "Released; the payout is made."},
	{State: Resolved, Doc: "The dispute was resolved and the escrow paid out."},
	{State: Cancelled, Doc: "Cancelled; any escrow refunded."},
	{State: Expired, Doc: "Nobody was hired in time."},
}

func init() {
	for i := range states {
		states[i].Terminal = states[i].State.Terminal()
		states[i].HoldsEscrow = states[i].State.HoldsEscrow()
	}
}

var (
	escrowStates  = []State{InProgress, RevisionRequested, InVerification, Delivered}
	workingStates = []State{InProgress, RevisionRequested}
	userRoles     = []Role{RolePoster, RoleAgent}
	posterOnly    = []Role{RolePoster}
	agentOnly     = []Role{RoleAgent}
	adminOnly     = []Role{RoleAdmin}
	systemOnly    = []Role{RoleSystem}
	payoutStates  = []State{Approved, Completed, Resolved}
)

// table is the state machine. Rows with the same action differ by state or guard.
var table = []Transition{
	{Action: ActApply, Roles: []Role{RoleMember}, From: []State{Open}, Guard: GuardNotAlreadyApplied, Money: MoneyNone, Event: "application.created", Doc: "Apply with a message, a proposed price and a timeline."},
	{Action: ActAccept, Roles: posterOnly, From: []State{Open}, To: InProgress, Guard: GuardWallet, Money: MoneyHoldWallet, Event: "job.accepted", Doc: "Hire an applicant, funding the escrow from the wallet at once; other applications are rejected and the criteria frozen."},
	{Action: ActAccept, Roles: posterOnly, From: []State{Open}, To: AwaitingFunding, Guard: GuardCard, Money: MoneyNone, Event: "job.accepted", Doc: "Hire an applicant, funding by card: the job waits for the processor."},
	{Action: ActConfirmFunding, Roles: systemOnly, From: []State{AwaitingFunding}, To: InProgress, Money: MoneyHoldCard, Event: "job.funded", Doc: "The processor confirmed the card payment."},
	{Action: ActFailFunding, Roles: systemOnly, From: []State{AwaitingFunding}, To: Open, Money: MoneyNone, Event: "job.funding_failed", Doc: "The card payment failed; the job reopens."},
	{Action: ActLapseFunding, Roles: systemOnly, From: []State{AwaitingFunding}, To: Open, Guard: GuardDeadlinePassed, Money: MoneyNone, Event: "job.funding_lapsed", Doc: "Unfunded past the funding window; the job reopens."},
	{Action: ActDeliver, Roles: agentOnly, From: workingStates, To: Delivered, Guard: GuardNoVerification, Money: MoneyNone, Event: "job.delivered", Doc: "Deliver a URL or a file with a note; the review window starts."},
	{Action: ActDeliver, Roles: agentOnly, From: workingStates, To: InVerification, Guard: GuardVerification, Money: MoneyNone, Event: "job.delivered", Doc: "Deliver; verification tasks are offered to proofers."},
	{Action: ActClaimTask, Roles: []Role{RoleMember}, From: []State{InVerification}, Guard: GuardOpenTasks, Money: MoneyNone, Event: "verification.claimed", Doc: "An eligible proofer claims a verification task."},
	{Action: ActSubmitScorecard, Roles: []Role{RoleProofer}, From: []State{InVerification}, Guard: GuardTaskClaimedByYou, Money: MoneyPayProofer, Event: "verification.scorecard_submitted", Doc: "Submit a scorecard; the proofer's fee is paid whatever the verdict."},
	{Action: ActCompleteVerification, Roles: systemOnly, From: []State{InVerification}, To: Delivered, Guard: GuardVerificationDone, Money: MoneyNone, Event: "job.verification_completed", Doc: "All scorecards are in (or the window closed); the poster reviews the proof report."},
	{Action: ActRequestRevision, Roles: posterOnly, From: []State{Delivered}, To: RevisionRequested, Guard: GuardRevisionsLeft, Money: MoneyNone, Event: "job.revision_requested", Doc: "Ask for a revision; a new delivery is due."},
	{Action: ActApprove, Roles: posterOnly, From: []State{Delivered}, To: Approved, Money: MoneyApprove, Event: "job.approved", Doc: "Approve the delivery; earnings are pending for the cooldown."},
	{Action: ActAutoApprove, Roles: systemOnly, From: []State{Delivered}, To: Approved, Guard: GuardDeadlinePassed, Money: MoneyApprove, Event: "job.auto_approved", Doc: "The review window passed in silence, or the proofers passed with auto-approval on."},
	{Action: ActRelease, Roles: systemOnly, From: []State{Approved}, To: Completed, Guard: GuardDeadlinePassed, Money: MoneyRelease, Event: "job.completed", Doc: "The cooldown ended: earnings become payable and are paid out."},
	{Action: ActReverseApproval, Roles: adminOnly, From: []State{Approved}, To: Delivered, Money: MoneyUnwind, Event: "job.approval_reversed", Doc: "An admin reverses the approval during the cooldown; a new review window starts."},
	{Action: ActCancel, Roles: posterOnly, From: []State{Open, AwaitingFunding}, To: Cancelled, Money: MoneyNone, Event: "job.cancelled", Doc: "Cancel before any money is held."},
	{Action: ActCancel, Roles: posterOnly, From: workingStates, To: Cancelled, Guard: GuardOverdue, Money: MoneyRefund, Event: "job.cancelled", Doc: "Cancel for a full refund once the delivery is overdue."},
	{Action: ActReopen, Roles: posterOnly, From: workingStates, To: Open, Guard: GuardOverdue, Money: MoneyRefund, Event: "job.reopened", Doc: "Refund the escrow and reopen the job for another agent once the delivery is overdue."},
	{Action: ActWithdraw, Roles: agentOnly, From: workingStates, To: Open, Money: MoneyRefund, Event: "job.agent_withdrew", Doc: "The agent gives the job up; the escrow is refunded and the job reopens."},
	{Action: ActExpire, Roles: systemOnly, From: []State{Open}, To: Expired, Guard: GuardDeadlinePassed, Money: MoneyNone, Event: "job.expired", Doc: "Nobody was hired in time."},
	{Action: ActCancelOverdue, Roles: systemOnly, From: workingStates, To: Cancelled, Guard: GuardDeadlinePassed, Money: MoneyRefund, Event: "job.cancelled", Doc: "Overdue past the grace period: cancelled and refunded. No hook can block it."},
	{Action: ActDispute, Roles: userRoles, From: escrowStates, To: Disputed, Money: MoneyNone, Event: "job.disputed", Doc: "Open a dispute with a reason and evidence; the escrow freezes."},
	{Action: ActDispute, Roles: userRoles, From: []State{Approved}, To: Disputed, Money: MoneyUnwind, Event: "job.disputed", Doc: "Dispute during the cooldown: pending earnings return to escrow and freeze."},
	{Action: ActResolve, Roles: adminOnly, From: []State{Disputed}, To: Resolved, Money: MoneySplit, Event: "job.resolved", Doc: "An admin releases to the agent, refunds the poster, or splits; the amounts sum to the escrow."},
	{Action: ActResolveByDefault, Roles: systemOnly, From: []State{Disputed}, To: Resolved, Guard: GuardDeadlinePassed, Money: MoneyDefaultSplit, Event: "job.resolved", Doc: "A stale dispute falls back to its default."},
	{Action: ActHoldPayout, Roles: adminOnly, From: payoutStates, Guard: GuardPayoutUnpaid, Money: MoneyPayout, Event: "payout.held", Doc: "Hold the agent's payout before it is paid."},
	{Action: ActUnholdPayout, Roles: adminOnly, From: payoutStates, Guard: GuardPayoutHeld, Money: MoneyPayout, Event: "payout.unheld", Doc: "Lift a hold; a due payout is made."},
	{Action: ActReleasePayout, Roles: adminOnly, From: []State{Completed, Resolved}, Guard: GuardPayoutStuck, Money: MoneyPayout, Event: "payout.released", Doc: "Retry a stuck payout now."},
}

// Transitions returns a copy of the state machine's rows, in table order.
func Transitions() []Transition {
	out := make([]Transition, len(table))
	for i, t := range table {
		t.Roles = append([]Role(nil), t.Roles...)
		t.From = append([]State(nil), t.From...)
		out[i] = t
	}
	return out
}

// States returns every state with its deadline and default outcome.
func States() []StateInfo {
	out := make([]StateInfo, len(states))
	copy(out, states)
	return out
}

// Info returns the description of state s, and false for an unknown state.
func Info(s State) (StateInfo, bool) {
	for _, info := range states {
		if info.State == s {
			return info, true
		}
	}
	return StateInfo{}, false
}

// Actions returns every action in the table, once each, in table order.
func Actions() []Action { return append([]Action(nil), actions...) }

var actions = func() []Action {
	var out []Action
	seen := map[Action]bool{}
	for _, t := range table {
		if !seen[t.Action] {
			seen[t.Action] = true
			out = append(out, t.Action)
		}
	}
	return out
}()

// Facts are what the guards read. The marketplace service fills them from the job, the caller's
// input and the clock.
type Facts struct {
	Funding          FundingSource // for accept: the source the poster chose
	Verification     bool
	VerificationDone bool
	RevisionsLeft    bool
	Overdue          bool
	DeadlinePassed   bool
	PayoutHeld       bool
	PayoutPaid       bool
	PayoutStuck      bool
	OpenTasks        bool
	TaskClaimed      bool
	AlreadyApplied   bool
}

// Holds reports whether the guard holds under f.
func (g Guard) Holds(f Facts) bool {
	switch g {
	case GuardNone:
		return true
	case GuardWallet:
		return f.Funding == FundWallet
	case GuardCard:
		return f.Funding == FundCard
	case GuardNoVerification:
		return !f.Verification
	case GuardVerification:
		return f.Verification
	case GuardVerificationDone:
		return f.VerificationDone || f.DeadlinePassed
	case GuardRevisionsLeft:
		return f.RevisionsLeft
	case GuardOverdue:
		return f.Overdue
	case GuardDeadlinePassed:
		return f.DeadlinePassed
	case GuardPayoutUnpaid:
		return !f.PayoutHeld && !f.PayoutPaid
	case GuardPayoutHeld:
		return f.PayoutHeld
	case GuardPayoutStuck:
		return f.PayoutStuck && !f.PayoutHeld
	case GuardOpenTasks:
		return f.OpenTasks
	case GuardTaskClaimedByYou:
		return f.TaskClaimed
	case GuardNotAlreadyApplied:
		return !f.AlreadyApplied
	}
	return false
}

func (g Guard) refusal(a Action, s State) error {
	switch g {
	case GuardRevisionsLeft:
		return errs.New(errs.CodeRevisionLimit, "no revisions left on this job")
	case GuardOverdue, GuardDeadlinePassed, GuardVerificationDone:
		return errs.New(errs.CodeDeadlineNotReached, "%s is not possible before the deadline", a)
	case GuardWallet, GuardCard:
		return errs.New(errs.CodeInvalidInput, "funding must be %q or %q", FundWallet, FundCard)
	case GuardNotAlreadyApplied:
		return errs.New(errs.CodeAlreadyExists, "you already applied to this job")
	}
	return errs.New(errs.CodeInvalidTransition, "%s is not possible now (%s, job %s)", a, g, s)
}

// Find returns the row that allows role to perform action on a job in state from under facts. It
// refuses with INVALID_TRANSITION when no row has the action from that state, FORBIDDEN when rows
// exist but not for the role, and the guard's own code when the guard fails.
func Find(action Action, role Role, from State, f Facts) (Transition, error) {
	var stateMatch, roleMatch *Transition
	for i := range table {
		t := &table[i]
		if t.Action != action || !slices.Contains(t.From, from) {
			continue
		}
		stateMatch = t
		if !slices.Contains(t.Roles, role) {
			continue
		}
		if t.Guard.Holds(f) {
			return *t, nil
		}
		if roleMatch == nil {
			roleMatch = t
		}
	}
	switch {
	case stateMatch == nil:
		return Transition{}, errs.New(errs.CodeInvalidTransition, "cannot %s a job that is %s", action, from)
	case roleMatch == nil:
		return Transition{}, errs.New(errs.CodeForbidden, "the %s may not %s this job", role, action)
	}
	return Transition{}, roleMatch.Guard.refusal(action, from)
}

// AdminOnly reports whether only admins may perform the action, from any state.
func AdminOnly(a Action) bool {
	found := false
	for _, t := range table {
		if t.Action == a {
			if !slices.Equal(t.Roles, adminOnly) {
				return false
			}
			found = true
		}
	}
	return found
}

// Allowed returns the rows role could perform now from state under facts, in table order, one per
// action. It is the source of next_actions.
func Allowed(role Role, from State, f Facts) []Transition {
	var out []Transition
	for _, t := range table {
		if slices.Contains(t.From, from) && slices.Contains(t.Roles, role) && t.Guard.Holds(f) &&
			!slices.ContainsFunc(out, func(o Transition) bool { return o.Action == t.Action }) {
			out = append(out, t)
		}
	}
	return out
}
