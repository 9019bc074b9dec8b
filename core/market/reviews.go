package market

import (
	"context"
	"errors"
	"strings"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/review"
	"github.com/agentgigs/agentgigs/core/text"
	"github.com/agentgigs/agentgigs/core/trust"
)

// Review records the caller's review of the other party of a paid, finished job: once per party,
// 1 to 5 stars.
func (s *Service) Review(ctx context.Context, c Caller, jobID string, stars int, body string) (*review.Review, error) {
	if err := text.Block("text", body); err != nil { // before trimming, which drops a trailing U+0085
		return nil, err
	}
	var r *review.Review
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		v, err := s.load(ctx, tx, c, jobID)
		if err != nil {
			return err
		}
		j := v.j
		if !paid(j) {
			return errs.New(errs.CodeInvalidTransition, "only a finished, paid job can be reviewed")
		}
		subject := j.AgentID
		switch v.role {
		case job.RolePoster:
		case job.RoleAgent:
			subject = j.PosterID
		default:
			return errs.New(errs.CodeForbidden, "only the poster and the agent review a job")
		}
		r = &review.Review{JobID: j.ID, AuthorID: c.AccountID, SubjectID: subject, Stars: stars, Text: strings.TrimSpace(body), At: s.now()}
		if err := r.Validate(); err != nil {
			return err
		}
		if err := tx.Reviews().Create(ctx, r); err != nil {
			if errors.Is(err, ports.ErrConflict) {
				return errs.New(errs.CodeAlreadyExists, "you already reviewed this job")
			}
			return err
		}
		return s.appendEvents(ctx, tx, s.event("review.created", j.ID, []string{j.PosterID, j.AgentID}, map[string]string{"author_id": c.AccountID}))
	})
	return r, err
}

// paid reports whether a job finished with money paid to the agent.
func paid(j *job.Job) bool {
	return j.State == job.Completed || (j.State == job.Resolved && j.Dispute != nil && j.Dispute.ToAgent.Amount > 0)
}

// Reviews returns the revealed reviews about an account, oldest first.
func (s *Service) Reviews(ctx context.Context, accountID string) ([]*review.Review, error) {
	if err := text.Line("account_id", accountID); err != nil {
		return nil, err
	}
	var out []*review.Review
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		out, err = s.revealed(ctx, tx, accountID)
		return err
	})
	return out, err
}

func (s *Service) revealed(ctx context.Context, tx ports.Tx, accountID string) ([]*review.Review, error) {
	rs, err := tx.Reviews().ListBySubject(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []*review.Review
	for _, r := range rs {
		j, err := tx.Jobs().Get(ctx, r.JobID)
		if err != nil {
			return nil, err
		}
		both, err := tx.Reviews().ListByJob(ctx, r.JobID)
		if err != nil {
			return nil, err
		}
		if review.Revealed(len(both), j.CompletedAt, s.now()) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Trust returns the account's explainable trust score (DESIGN §7; the formula is trust.Formula).
func (s *Service) Trust(ctx context.Context, accountID string) (trust.Score, error) {
	if err := text.Line("account_id", accountID); err != nil {
		return trust.Score{}, err
	}
	var score trust.Score
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		score, err = s.trustIn(ctx, tx, accountID)
		return err
	})
	return score, err
}

// trustIn gathers the account's evidence inside tx and scores it.
func (s *Service) trustIn(ctx context.Context, tx ports.Tx, accountID string) (trust.Score, error) {
	a, err := tx.Accounts().Get(ctx, accountID)
	if err != nil {
		return trust.Score{}, err
	}
	ev := trust.Evidence{EmailVerified: a.EmailVerified, PayoutsEnabled: a.PayoutsEnabled}
	settled := map[string]int64{}
	for _, f := range []ports.JobFilter{{PosterID: accountID}, {AgentID: accountID}} {
		err := eachJob(ctx, tx, f, func(j *job.Job) {
			if !j.State.Terminal() || j.AgentID == "" {
				return
			}
			asAgent := j.AgentID == accountID
			o := trust.JobOutcome{Counterparty: j.AgentID, At: j.CompletedAt, Completed: paid(j), OnTime: true}
			if asAgent {
				o.Counterparty = j.PosterID
				o.OnTime = j.Delivery != nil && !j.Delivery.At.After(j.DeliveryDueAt)
				if j.Verdict != "" {
					ev.Verdicts = append(ev.Verdicts, trust.Verdict{Passed: j.Verdict == "pass", At: j.Delivery.At})
				}
			}
			if o.Completed {
				o.SettledMinor = j.Price.Amount
			}
			if d := j.Dispute; d != nil && j.State == job.Resolved {
				total := d.ToAgent.Amount + d.ToPoster.Amount
				o.SettledMinor = d.ToAgent.Amount
				share := d.ToPoster.Amount
				if asAgent {
					share = d.ToAgent.Amount
				}
				o.DisputeLost = 2*share < total
			}
			settled[j.ID] = o.SettledMinor
			ev.Jobs = append(ev.Jobs, o)
		})
		if err != nil {
			return trust.Score{}, err
		}
	}
	rs, err := s.revealed(ctx, tx, accountID)
	if err != nil {
		return trust.Score{}, err
	}
	for _, r := range rs {
		ev.Reviews = append(ev.Reviews, trust.Review{Stars: r.Stars, From: r.AuthorID, SettledMinor: settled[r.JobID], At: r.At})
	}
	return trust.Compute(ev, s.now()), nil
}

// eachJob calls fn for every job matching f, following the cursor.
func eachJob(ctx context.Context, tx ports.Tx, f ports.JobFilter, fn func(*job.Job)) error {
	f.Limit = 100
	for {
		jobs, next, err := tx.Jobs().List(ctx, f)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			fn(j)
		}
		if next == "" {
			return nil
		}
		f.After = next
	}
}
