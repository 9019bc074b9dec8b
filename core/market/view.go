package market

import (
	"context"
	"time"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/ports"
)

// NextAction is something the caller may do to the job now.
type NextAction struct {
	Action job.Action `json:"action"`
	Doc    string     `json:"doc"`
	Until  time.Time  `json:"until"` // when the chance ends (the state's deadline); zero when open-ended
}

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
	j := x.j
	v := &JobView{Job: j, Role: x.role, NextActions: []NextAction{}}
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
	for _, f := range []job.FundingSource{job.FundWallet, job.FundCard} {
		facts.Funding = f // accepting is offered for either source
		for _, t := range job.Allowed(x.role, j.State, facts) {
			if !hasAction(v.NextActions, t.Action) {
				v.NextActions = append(v.NextActions, NextAction{Action: t.Action, Doc: t.Doc, Until: j.DeadlineAt})
			}
		}
	}
	return v, nil
}

func hasAction(xs []NextAction, a job.Action) bool {
	for _, x := range xs {
		if x.Action == a {
			return true
		}
	}
	return false
}
