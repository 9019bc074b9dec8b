package market

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/text"
)

// Command is one action on a job with its parameters. Only the fields of the action matter; the
// typed methods (Accept, Deliver, Approve, …) build it for you.
type Command struct {
	Action        job.Action
	ApplicationID string            // accept_application
	Funding       job.FundingSource // accept_application
	URL           string            // deliver: a delivered URL, or
	File          io.Reader         // deliver: a delivered file
	Note          string            // deliver, request_revision
	Reason        string            // dispute and every admin action
	Evidence      []string          // dispute
	ToAgent       int64             // resolve: minor units released to the agent
	ToPoster      int64             // resolve: minor units refunded to the poster
	PaymentRef    string            // confirm_funding, fail_funding: the processor's payment
	CheckoutURL   string            // accept by card: where the poster pays, when a human must
	TaskID        string            // claim_task, submit_scorecard
	Scorecard     proof.Scorecard   // submit_scorecard
	Apply         ApplyInput        // apply
	DryRun        bool              // money-moving actions: report, change nothing

	blob *ports.BlobInfo // the stored file of a delivery
}

// checkText refuses a command whose text holds a control character or invalid UTF-8 (see package
// text), before anything is stored; the scorecard's text is checked by its Validate.
func (cmd *Command) checkText() error {
	return cmp.Or(text.Line("application_id", cmd.ApplicationID), text.Line("url", cmd.URL), text.Block("note", cmd.Note),
		text.Block("reason", cmd.Reason), text.Blocks("evidence", cmd.Evidence), text.Line("payment_ref", cmd.PaymentRef),
		text.Line("task_id", cmd.TaskID), text.Block("message", cmd.Apply.Message))
}

// Outcome is what an action did (or, for a dry run, would do).
type Outcome struct {
	Job         *job.Job          `json:"job"`
	Action      job.Action        `json:"action"`
	From        job.State         `json:"from"`
	To          job.State         `json:"to"`
	Transfers   []ledger.Transfer `json:"transfers"`
	Events      []string          `json:"events"`
	Application *job.Application  `json:"application,omitempty"`
	Task        *proof.Task       `json:"task,omitempty"`
	DryRun      bool              `json:"dry_run"`
	// View is the job as the caller sees it once the action is done (after a dry run: as it
	// stays), read in the action's transaction; nil for the system caller, and when the action
	// took the job out of the caller's sight.
	View *JobView `json:"view,omitempty"`
}

// errDryRun rolls a dry run's transaction back after its outcome was recorded.
var errDryRun = errors.New("market: dry run")

// Act performs cmd on the job as the caller, following the state machine of package job. An
// admin action is refused to other accounts (FORBIDDEN) before the job is looked at; otherwise
// the job is not found (NOT_FOUND) by callers who may not see it, and an action the table does
// not allow is refused with INVALID_TRANSITION, FORBIDDEN or the failing guard's code. A refused
// action changes nothing.
func (s *Service) Act(ctx context.Context, c Caller, jobID string, cmd Command) (*Outcome, error) {
	if err := cmd.checkText(); err != nil {
		return nil, err
	}
	if cmd.Action == job.ActDeliver {
		if err := s.storeFile(ctx, &cmd); err != nil {
			return nil, err
		}
	}
	if cmd.Action == job.ActAccept && cmd.Funding == job.FundCard && !cmd.DryRun {
		if err := s.startCardPayment(ctx, c, jobID, &cmd); err != nil {
			return nil, err
		}
	}
	var out *Outcome
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		acct, err := s.actor(ctx, tx, c)
		if err != nil {
			return err
		}
		// An admin action is refused to others before the job is looked at, so that its answer
		// tells them nothing about the job.
		if acct != nil && !acct.Admin && job.AdminOnly(cmd.Action) {
			return errs.New(errs.CodeForbidden, "only admins may %s", cmd.Action)
		}
		x, err := s.loadAs(ctx, tx, c, acct, jobID)
		if err != nil {
			return err
		}
		var unchanged *JobView // a dry run's view, taken before the step changes x.j
		if cmd.DryRun && !c.system {
			if unchanged, err = viewOf(x); err != nil {
				return err
			}
			unchanged.Job = x.j.Clone()
		}
		if out, err = x.step(cmd); err != nil {
			return err
		}
		if cmd.Action == job.ActSubmitScorecard {
			if err := s.afterScorecard(ctx, tx, jobID); err != nil {
				return err
			}
		}
		if cmd.DryRun {
			out.View = unchanged
			return errDryRun
		}
		if !c.system {
			// afterScorecard may have changed the stored job: read it again then.
			out.View, err = s.viewAfter(ctx, tx, c, x, cmd.Action == job.ActSubmitScorecard)
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		out.DryRun = true
		return out, nil
	}
	return out, err
}

// viewAfter is the caller's view of the job once x's action is done, from the job and account x
// holds, or read again if reread; nil when the caller may no longer see the job.
func (s *Service) viewAfter(ctx context.Context, tx ports.Tx, c Caller, x *exec, reread bool) (*JobView, error) {
	var y *exec
	var err error
	if reread {
		y, err = s.loadAs(ctx, tx, c, x.acct, x.j.ID)
	} else if y, err = s.place(ctx, tx, c, x.acct, x.j); err == nil {
		y.applied = x.applied
	}
	if errs.CodeOf(err) == errs.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return viewOf(y)
}

// exec is the working state of one transition.
type exec struct {
	s      *Service
	ctx    context.Context
	tx     ports.Tx
	c      Caller
	acct   *account.Account // nil for System
	j      *job.Job
	role   job.Role
	t      job.Transition
	cmd    Command
	now    time.Time
	tasks  []*proof.Task // loaded for jobs with verification
	out    *Outcome
	extra  []event.Event
	data   map[string]string
	payout *payout.Payout // the job's agent payout, if any
	// applied tells whether the caller applied to the job, once known: a member may apply to an
	// open job only once. Views sets it for a page of jobs at once.
	applied *bool
}

// load reads the caller's account and the job, and places the caller relative to the job,
// refusing with NOT_FOUND a job that does not exist or that the caller may not see.
func (s *Service) load(ctx context.Context, tx ports.Tx, c Caller, jobID string) (*exec, error) {
	acct, err := s.actor(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	return s.loadAs(ctx, tx, c, acct, jobID)
}

// loadAs is load for a caller whose account (nil for System) the transaction already read.
func (s *Service) loadAs(ctx context.Context, tx ports.Tx, c Caller, acct *account.Account, jobID string) (*exec, error) {
	if err := text.Line("job_id", jobID); err != nil {
		return nil, err
	}
	j, err := tx.Jobs().Get(ctx, jobID)
	if errors.Is(err, ports.ErrNotFound) {
		return nil, errs.New(errs.CodeNotFound, "job %s not found", jobID)
	}
	if err != nil {
		return nil, err
	}
	return s.place(ctx, tx, c, acct, j)
}

// place puts the caller (whose account is acct, nil for System) relative to a job read in tx,
// refusing with NOT_FOUND a job the caller may not see.
func (s *Service) place(ctx context.Context, tx ports.Tx, c Caller, acct *account.Account, j *job.Job) (*exec, error) {
	x := &exec{s: s, ctx: ctx, tx: tx, c: c, acct: acct, j: j, now: s.now()}
	var err error
	if j.Verification != nil {
		if x.tasks, err = tx.Tasks().ListByJob(ctx, j.ID); err != nil {
			return nil, err
		}
	}
	x.role = x.roleOf()
	if !x.visible() {
		return nil, errs.New(errs.CodeNotFound, "job %s not found", j.ID)
	}
	if x.role == job.RoleMember && j.State == job.InVerification {
		// only an eligible proofer may see a job in verification, to claim a task
		score, err := s.trustIn(ctx, tx, acct.ID)
		if err != nil {
			return nil, err
		}
		cand := proof.Candidate{AccountID: acct.ID, EmailVerified: acct.EmailVerified, PayoutsEnabled: acct.PayoutsEnabled, Trust: score.Value}
		if proof.Eligible(cand, j) != nil {
			return nil, errs.New(errs.CodeNotFound, "job %s not found", j.ID)
		}
	}
	return x, nil
}

// step runs one transition inside tx.
func (s *Service) step(ctx context.Context, tx ports.Tx, c Caller, jobID string, cmd Command) (*Outcome, error) {
	x, err := s.load(ctx, tx, c, jobID)
	if err != nil {
		return nil, err
	}
	return x.step(cmd)
}

// step runs one transition on the loaded job.
func (x *exec) step(cmd Command) (*Outcome, error) {
	x.cmd, x.data = cmd, map[string]string{}
	j := x.j
	facts, err := x.facts()
	if err != nil {
		return nil, err
	}
	if x.t, err = job.Find(cmd.Action, x.role, j.State, facts); err != nil {
		return nil, err
	}
	if x.role == job.RoleAdmin && strings.TrimSpace(cmd.Reason) == "" {
		return nil, errs.New(errs.CodeReasonRequired, "admin actions need a reason")
	}
	from := j.State
	x.out = &Outcome{Action: cmd.Action, From: from, To: from}
	if err := x.prepare(); err != nil {
		return nil, err
	}
	if err := x.moveMoney(); err != nil {
		return nil, err
	}
	if x.t.To != "" {
		if err := x.cancelDeadline(); err != nil {
			return nil, err
		}
		j.State = x.t.To
		x.setDeadline()
		if err := x.scheduleDeadline(); err != nil {
			return nil, err
		}
		if j.State.Terminal() {
			j.CompletedAt = x.now
		}
	}
	x.out.To = j.State
	if err := x.finish(from); err != nil {
		return nil, err
	}
	x.out.Job = j
	return x.out, nil
}

// roleOf places the caller relative to the job.
func (x *exec) roleOf() job.Role {
	switch {
	case x.c.system:
		return job.RoleSystem
	case x.acct.ID == x.j.PosterID:
		return job.RolePoster
	case x.acct.ID == x.j.AgentID:
		return job.RoleAgent
	}
	for _, t := range x.tasks {
		if t.ProoferID == x.acct.ID {
			return job.RoleProofer
		}
	}
	if x.acct.Admin {
		return job.RoleAdmin
	}
	return job.RoleMember
}

// mayApply reports whether the caller is a member looking at an open job, who may apply to it
// unless they did already.
func (x *exec) mayApply() bool {
	return x.role == job.RoleMember && x.j.State == job.Open
}

// visible reports whether the caller may see the job at all: parties, admins and the system see
// it; others see open jobs, and jobs in verification (to claim a task; place also checks that
// they are eligible proofers).
func (x *exec) visible() bool {
	return x.role != job.RoleMember || x.j.State == job.Open || x.j.State == job.InVerification
}

func (x *exec) facts() (job.Facts, error) {
	j := x.j
	f := job.Facts{
		Funding:        x.cmd.Funding,
		Verification:   j.VerificationOn(),
		RevisionsLeft:  j.Revisions < j.MaxRevisions,
		Overdue:        !j.DeliveryDueAt.IsZero() && !x.now.Before(j.DeliveryDueAt),
		DeadlinePassed: !j.DeadlineAt.IsZero() && !x.now.Before(j.DeadlineAt),
		PayoutHeld:     j.PayoutHeld,
	}
	submitted := 0
	for _, t := range x.tasks {
		switch {
		case t.Status == proof.TaskOpen:
			f.OpenTasks = true
		case t.Status == proof.TaskSubmitted:
			submitted++
		case (x.cmd.TaskID == "" || t.ID == x.cmd.TaskID) && t.Status == proof.TaskClaimed && x.acct != nil && t.ProoferID == x.acct.ID:
			f.TaskClaimed = true
		}
	}
	f.VerificationDone = j.Verification != nil && submitted >= j.Verification.Proofers
	if j.PayoutID != "" {
		p, err := x.tx.Payouts().Get(x.ctx, j.PayoutID)
		if err != nil {
			return f, err
		}
		x.payout = p
		f.PayoutPaid = p.Status == payout.Submitted || p.Status == payout.Paid
		f.PayoutStuck = p.Status == payout.Failed || p.Status == payout.Stuck
	}
	if x.mayApply() {
		if x.applied == nil {
			if err := markApplied(x.ctx, x.tx, []*exec{x}); err != nil {
				return f, err
			}
		}
		f.AlreadyApplied = *x.applied
	}
	return f, nil
}

// setDeadline sets the deadline of the state the job just entered.
func (x *exec) setDeadline() {
	j, now := x.j, x.now
	switch j.State {
	case job.Open:
		j.DeadlineAt = now.Add(job.DefaultOpenFor)
	case job.AwaitingFunding:
		j.DeadlineAt = now.Add(job.FundingWindow)
	case job.InProgress, job.RevisionRequested:
		j.DeliveryDueAt = now.Add(j.DeliveryWindow)
		j.DeadlineAt = j.DeliveryDueAt.Add(job.OverdueGrace)
	case job.InVerification:
		j.DeadlineAt = now.Add(job.VerificationWindow)
	case job.Delivered:
		j.DeadlineAt = now.Add(j.ReviewWindow)
		if x.t.Action == job.ActCompleteVerification && j.Verdict == "pass" && j.Verification.AutoApproveOnPass {
			j.DeadlineAt = now // the poster chose auto-approval when the proofers pass
		}
	case job.Approved:
		j.DeadlineAt = now.Add(job.Cooldown)
	case job.Disputed:
		j.DeadlineAt = now.Add(job.DisputeWindow)
	default:
		j.DeadlineAt = time.Time{}
	}
}

// timerID names the deadline timer of a job's state: one per job and default action.
func timerID(jobID string, action job.Action) string { return jobID + ":" + string(action) }

// cancelDeadline deletes the timer of the state the job is leaving, so it never runs stale.
func (x *exec) cancelDeadline() error {
	if a := defaultAction(x.j.State); a != "" && !x.j.DeadlineAt.IsZero() {
		return x.tx.Timers().Delete(x.ctx, timerID(x.j.ID, a))
	}
	return nil
}

// scheduleDeadline schedules the default action of the job's state at its deadline.
func (x *exec) scheduleDeadline() error {
	if x.j.DeadlineAt.IsZero() {
		return nil
	}
	action := defaultAction(x.j.State)
	return x.tx.Timers().Schedule(x.ctx, ports.Timer{ID: timerID(x.j.ID, action), Action: action, JobID: x.j.ID, DueAt: x.j.DeadlineAt})
}

func defaultAction(s job.State) job.Action {
	info, _ := job.Info(s)
	return info.DefaultAction
}

// finish writes the job, its events and, for admins, the audit entry.
func (x *exec) finish(from job.State) error {
	j := x.j
	x.data["action"], x.data["from"], x.data["to"] = string(x.t.Action), string(from), string(j.State)
	if x.cmd.Reason != "" {
		x.data["reason"] = x.cmd.Reason
	}
	main := x.s.event(x.t.Event, j.ID, x.audience(), x.data)
	es := append([]event.Event{main}, x.extra...)
	for _, e := range es {
		x.out.Events = append(x.out.Events, e.Type)
	}
	if err := x.s.appendEvents(x.ctx, x.tx, es...); err != nil {
		return err
	}
	if err := x.s.notify(x.ctx, x.tx, j, es); err != nil {
		return err
	}
	if x.role == job.RoleAdmin {
		if err := x.tx.Audit().Append(x.ctx, event.Audit{ActorID: x.acct.ID, Action: string(x.t.Action), JobID: j.ID, Reason: x.cmd.Reason, At: x.now}); err != nil {
			return err
		}
	}
	j.Version++
	j.UpdatedAt = x.now
	return x.tx.Jobs().Update(x.ctx, j)
}

// audience is who sees the job's events: its parties and the acting proofer.
func (x *exec) audience() []string {
	a := []string{x.j.PosterID}
	if x.j.AgentID != "" {
		a = append(a, x.j.AgentID)
	}
	if x.acct != nil && x.role != job.RolePoster && x.role != job.RoleAgent && x.role != job.RoleAdmin {
		a = append(a, x.acct.ID)
	}
	return a
}

// transfer posts one ledger movement of the job and records it in the outcome.
func (x *exec) transfer(from, to ledger.Account, amount money.Money, memo string) error {
	if amount.Amount == 0 {
		return nil
	}
	t := ledger.Transfer{From: from, To: to, Amount: amount, Memo: memo}
	repaid, err := x.s.post(x.ctx, x.tx, x.j.ID, t)
	if err != nil {
		return err
	}
	x.out.Transfers = append(append(x.out.Transfers, t), repaid...)
	return nil
}

func (x *exec) escrow() (money.Money, error) {
	cur := x.j.Budget.Currency
	b, err := x.tx.Ledger().Balance(x.ctx, ledger.Escrow(x.j.ID), cur)
	return money.Money{Amount: b, Currency: cur}, err
}

// sha256Hex is the hex SHA-256 of s: job criteria and verification token hashes.
func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// storeFile validates a delivery's URL or stores its file before the transaction.
func (s *Service) storeFile(ctx context.Context, cmd *Command) error {
	hasURL, hasFile := strings.TrimSpace(cmd.URL) != "", cmd.File != nil
	if hasURL == hasFile {
		return errs.New(errs.CodeInvalidInput, "deliver exactly one of a URL or a file")
	}
	if len(cmd.Note) > 10000 {
		return errs.New(errs.CodeInvalidInput, "the note must be at most 10000 bytes")
	}
	if hasURL {
		u, err := url.Parse(cmd.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errs.New(errs.CodeInvalidInput, "the delivery URL must be an absolute http(s) URL")
		}
		return nil
	}
	info, err := s.cfg.Blobs.Put(ctx, cmd.File, s.cfg.MaxFileSize)
	if errors.Is(err, ports.ErrTooLarge) {
		return errs.New(errs.CodeInvalidInput, "the file exceeds the %d byte limit", s.cfg.MaxFileSize)
	}
	if err != nil {
		return err
	}
	cmd.File, cmd.blob = nil, &info
	return nil
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now() }
