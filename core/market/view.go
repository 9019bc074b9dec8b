package market

import (
	"cmp"
	"context"
	"io"
	"slices"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
)

// NextAction is something the caller may do to the job now.
type NextAction struct {
	Action job.Action `json:"action"`
	Doc    string     `json:"doc"`
	Until  time.Time  `json:"until,omitzero"` // when the chance ends (the state's deadline); zero when open-ended
	URL    string     `json:"url,omitempty"`  // for ActPayByCard: the page where the human pays
}

// ActPayByCard is the poster's next action on a job awaiting a card payment that needs a human
// (no saved card): pay on the processor's page at NextAction.URL. It is not a transition of the
// state machine: the processor confirms the payment (confirm_funding).
const ActPayByCard job.Action = "pay_by_card"

// Deadline is when the job's current state ends by itself, and how.
type Deadline struct {
	At            time.Time  `json:"at"`
	DefaultAction job.Action `json:"default_action"`
	Doc           string     `json:"doc"`
}

// JobView is a job as one caller sees it: its role, what it may do next and what happens by
// default at the deadline.
type JobView struct {
	Job         *job.Job     `json:"job"`
	Role        job.Role     `json:"role"`
	NextActions []NextAction `json:"next_actions"`
	Deadline    *Deadline    `json:"deadline,omitempty"`
}

// GetJob returns the job as the caller sees it. Callers who may not see it get NOT_FOUND.
func (s *Service) GetJob(ctx context.Context, c Caller, jobID string) (*JobView, error) {
	var v *JobView
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		v, err = s.view(ctx, tx, c, jobID)
		return err
	})
	return v, err
}

// view builds the caller's JobView inside tx.
func (s *Service) view(ctx context.Context, tx ports.Tx, c Caller, jobID string) (*JobView, error) {
	x, err := s.load(ctx, tx, c, jobID)
	if err != nil {
		return nil, err
	}
	return viewOf(x)
}

// viewOf builds the JobView of a placed caller.
func viewOf(x *exec) (*JobView, error) {
	j := x.j
	if x.role == job.RoleMember && j.Delivery != nil {
		// a proofer sees the deliverable once it claimed a task (and is then RoleProofer)
		hidden := *j
		hidden.Delivery = nil
		j = &hidden
	}
	if j.CheckoutURL != "" && x.role != job.RolePoster && x.role != job.RoleSystem {
		hidden := *j // the page pays the poster's payment: only the poster sees it
		hidden.CheckoutURL = ""
		j = &hidden
	}
	v := &JobView{Job: j, Role: x.role, NextActions: []NextAction{}}
	if x.role == job.RolePoster && j.State == job.AwaitingFunding && j.CheckoutURL != "" {
		v.NextActions = append(v.NextActions, NextAction{Action: ActPayByCard, URL: j.CheckoutURL, Until: j.DeadlineAt,
			Doc: "Pay the card payment on the processor's page at url; the job starts when the processor confirms it. Unpaid, the acceptance lapses at the deadline."})
	}
	if !j.DeadlineAt.IsZero() {
		info, _ := job.Info(j.State)
		v.Deadline = &Deadline{At: j.DeadlineAt, DefaultAction: info.DefaultAction, Doc: info.Doc}
	}
	if x.role == job.RoleSystem {
		return v, nil
	}
	facts, err := x.facts()
	if err != nil {
		return nil, err
	}
	sources := []job.FundingSource{job.FundWallet}
	if x.role == job.RolePoster {
		sources = append(sources, job.FundCard) // the poster may accept with either source
	}
	for _, f := range sources {
		facts.Funding = f
		for _, t := range job.Allowed(x.role, j.State, facts) {
			if !slices.ContainsFunc(v.NextActions, func(n NextAction) bool { return n.Action == t.Action }) {
				v.NextActions = append(v.NextActions, NextAction{Action: t.Action, Doc: t.Doc, Until: j.DeadlineAt})
			}
		}
	}
	return v, nil
}

// markApplied tells each of xs that places its caller as a member of an open job (one who may
// apply) whether the caller applied to it, with one read for them all.
func markApplied(ctx context.Context, tx ports.Tx, xs []*exec) error {
	var open []*exec
	ids := []string{}
	for _, x := range xs {
		if x.mayApply() {
			open = append(open, x)
			ids = append(ids, x.j.ID)
		}
	}
	if len(open) == 0 {
		return nil
	}
	applied, err := tx.Applications().AppliedTo(ctx, open[0].acct.ID, ids)
	if err != nil {
		return err
	}
	for _, x := range open {
		x.applied = new(slices.Contains(applied, x.j.ID))
	}
	return nil
}

// DeliveredFile opens the file delivered on a job, for its poster, agent, proofers and admins.
// The caller closes the reader. A job without a delivered file is NOT_FOUND.
func (s *Service) DeliveredFile(ctx context.Context, c Caller, jobID string) (io.ReadCloser, *job.Delivery, error) {
	var d *job.Delivery
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		x, err := s.load(ctx, tx, c, jobID)
		if err != nil {
			return err
		}
		if x.role == job.RoleMember {
			return errs.New(errs.CodeForbidden, "only the job's parties, proofers and admins may read its delivery")
		}
		if x.j.Delivery == nil || x.j.Delivery.BlobKey == "" {
			return errs.New(errs.CodeNotFound, "job %s has no delivered file", jobID)
		}
		d = x.j.Delivery
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	r, err := s.cfg.Blobs.Open(ctx, d.BlobKey)
	if err != nil {
		return nil, nil, domainError(err)
	}
	return r, d, nil
}

// JobsInput selects the caller's own jobs.
type JobsInput struct {
	Role  job.Role  // RolePoster (jobs the caller posted) or RoleAgent (jobs the caller was hired for)
	State job.State // "" for every state
	After string    // cursor from the previous page
	Limit int       // 1..100, default 20
}

// MyJobs lists the caller's jobs as poster or as agent, newest first, with the next page's cursor.
func (s *Service) MyJobs(ctx context.Context, c Caller, in JobsInput) ([]*job.Job, string, error) {
	if in.Limit == 0 {
		in.Limit = 20
	}
	if in.Limit < 1 || in.Limit > 100 || (in.Role != job.RolePoster && in.Role != job.RoleAgent) {
		return nil, "", errs.New(errs.CodeInvalidInput, "role poster or agent, limit within 1..100")
	}
	if err := cmp.Or(text.Line("state", string(in.State)), text.Line("after", in.After)); err != nil {
		return nil, "", err
	}
	var (
		jobs []*job.Job
		next string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		f := ports.JobFilter{State: in.State, After: in.After, Limit: in.Limit, PosterID: a.ID}
		if in.Role == job.RoleAgent {
			f.PosterID, f.AgentID = "", a.ID
		}
		jobs, next, err = tx.Jobs().List(ctx, f)
		return err
	})
	return jobs, next, err
}

// Disputes lists disputed jobs for an admin, newest first, with the next page's cursor.
func (s *Service) Disputes(ctx context.Context, c Caller, after string, limit int) ([]*job.Job, string, error) {
	if limit < 1 || limit > 100 {
		return nil, "", errs.New(errs.CodeInvalidInput, "limit within 1..100")
	}
	if err := text.Line("after", after); err != nil {
		return nil, "", err
	}
	var (
		jobs []*job.Job
		next string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		if !a.Admin {
			return errs.New(errs.CodeForbidden, "only admins may list disputes")
		}
		jobs, next, err = tx.Jobs().List(ctx, ports.JobFilter{State: job.Disputed, After: after, Limit: limit})
		return err
	})
	return jobs, next, err
}

// Views returns the jobs as the caller sees them, in one transaction: a page of a listing with
// every job's next_actions. jobs are the records a listing just read; a job the caller may not
// see is NOT_FOUND.
func (s *Service) Views(ctx context.Context, c Caller, jobs []*job.Job) ([]*JobView, error) {
	views := make([]*JobView, 0, len(jobs))
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		views = views[:0] // the store may run fn again
		acct, err := s.actor(ctx, tx, c)
		if err != nil {
			return err
		}
		xs := make([]*exec, len(jobs))
		for i, j := range jobs {
			x, err := s.place(ctx, tx, c, acct, j)
			if err != nil {
				return err
			}
			xs[i] = x
		}
		if err := markApplied(ctx, tx, xs); err != nil {
			return err
		}
		for _, x := range xs {
			v, err := viewOf(x)
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		return nil
	})
	return views, err
}
