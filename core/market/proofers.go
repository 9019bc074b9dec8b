package market

import (
	"context"
	"errors"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/text"
)

// AvailableTasks lists open verification tasks the caller is eligible to claim, oldest first.
func (s *Service) AvailableTasks(ctx context.Context, c Caller) ([]*proof.Task, error) {
	var out []*proof.Task
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		out = nil // the store may run fn again
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		tasks, err := tx.Tasks().ListOpen(ctx, 0)
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			return nil
		}
		score, err := s.trustIn(ctx, tx, a.ID) // once: it scans the account's history
		if err != nil {
			return err
		}
		cand := proof.Candidate{AccountID: a.ID, EmailVerified: a.EmailVerified, PayoutsEnabled: a.PayoutsEnabled, Trust: score.Value}
		seen := map[string]bool{}
		for _, t := range tasks {
			if seen[t.JobID] {
				continue
			}
			seen[t.JobID] = true
			v, err := s.load(ctx, tx, c, t.JobID)
			if err != nil || v.role != job.RoleMember {
				continue
			}
			if proof.Eligible(cand, v.j) == nil {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// ClaimLease is how long a claimed verification task waits for its scorecard: a claim not
// followed by a scorecard within it lapses, and the task is open again for any eligible proofer.
const ClaimLease = time.Hour

// actionClaimLease lapses a claim whose lease ran out.
const actionClaimLease job.Action = "claim_lease"

// ClaimTask claims an open verification task for the caller, who must be eligible (DESIGN §5).
// The claim lapses after ClaimLease without a scorecard ("verification.claim_expired").
func (s *Service) ClaimTask(ctx context.Context, c Caller, taskID string) (*proof.Task, error) {
	return s.taskAction(ctx, c, taskID, Command{Action: job.ActClaimTask})
}

// SubmitScorecard submits the caller's scorecard for a task it claimed; the proofer's fee is
// paid from escrow whatever the verdict. When the last scorecard is in, verification completes.
func (s *Service) SubmitScorecard(ctx context.Context, c Caller, taskID string, card proof.Scorecard) (*proof.Task, error) {
	if err := card.Validate(); err != nil {
		return nil, err
	}
	return s.taskAction(ctx, c, taskID, Command{Action: job.ActSubmitScorecard, Scorecard: card})
}

func (s *Service) taskAction(ctx context.Context, c Caller, taskID string, cmd Command) (*proof.Task, error) {
	if err := text.Line("task_id", taskID); err != nil {
		return nil, err
	}
	cmd.TaskID = taskID
	var jobID string
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		t, err := tx.Tasks().Get(ctx, taskID)
		if errors.Is(err, ports.ErrNotFound) {
			return errs.New(errs.CodeNotFound, "task %s not found", taskID)
		}
		jobID = t.JobID
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := s.Act(ctx, c, jobID, cmd)
	if err != nil {
		return nil, err
	}
	return out.Task, nil
}

// task returns the command's task among the job's.
func (x *exec) task() (*proof.Task, error) {
	for _, t := range x.tasks {
		if t.ID == x.cmd.TaskID {
			return t, nil
		}
	}
	return nil, errs.New(errs.CodeNotFound, "task %s not found on this job", x.cmd.TaskID)
}

func (x *exec) claim() error {
	t, err := x.task()
	if err != nil {
		return err
	}
	if t.Status != proof.TaskOpen {
		return errs.New(errs.CodeConflict, "task %s is already %s", t.ID, t.Status)
	}
	score, err := x.s.trustIn(x.ctx, x.tx, x.acct.ID)
	if err != nil {
		return err
	}
	cand := proof.Candidate{AccountID: x.acct.ID, EmailVerified: x.acct.EmailVerified, PayoutsEnabled: x.acct.PayoutsEnabled, Trust: score.Value}
	if err := proof.Eligible(cand, x.j); err != nil {
		return err
	}
	t.Status, t.ProoferID, t.ClaimedAt = proof.TaskClaimed, x.acct.ID, x.now
	x.data["task_id"] = t.ID
	x.out.Task = t
	if err := x.tx.Tasks().Update(x.ctx, t); err != nil {
		return err
	}
	return x.tx.Timers().Schedule(x.ctx, ports.Timer{ID: leaseTimerID(t.ID), Action: actionClaimLease, JobID: t.JobID, Ref: t.ID, DueAt: x.now.Add(ClaimLease)})
}

func leaseTimerID(taskID string) string { return "claimlease:" + taskID }

// expireClaim reopens the timer's task when it is still claimed and its lease ran out.
func (s *Service) expireClaim(ctx context.Context, t ports.Timer) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.Timers().Delete(ctx, t.ID); err != nil {
			return err
		}
		task, err := tx.Tasks().Get(ctx, t.Ref)
		if errors.Is(err, ports.ErrNotFound) {
			return nil
		}
		if err != nil || task.Status != proof.TaskClaimed || task.ClaimedAt.Add(ClaimLease).After(s.now()) {
			return err // submitted, closed, or claimed again since: nothing to do
		}
		j, err := tx.Jobs().Get(ctx, task.JobID)
		if err != nil {
			return err
		}
		prooferID := task.ProoferID
		task.Status, task.ProoferID, task.ClaimedAt = proof.TaskOpen, "", time.Time{}
		if err := tx.Tasks().Update(ctx, task); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("verification.claim_expired", j.ID, []string{j.PosterID, prooferID},
			map[string]string{"task_id": task.ID, "proofer_id": prooferID}))
	})
}

func (x *exec) submit() error {
	t, err := x.task()
	if err != nil {
		return err
	}
	card := x.cmd.Scorecard
	t.Status, t.Scorecard, t.SubmittedAt = proof.TaskSubmitted, &card, x.now
	x.data["task_id"], x.data["pass"] = t.ID, boolString(card.Pass)
	x.out.Task = t
	if err := x.tx.Tasks().Update(x.ctx, t); err != nil {
		return err
	}
	return x.tx.Timers().Delete(x.ctx, leaseTimerID(t.ID))
}

// payProofer pays the submitting proofer's fee from escrow into its payable balance.
func (x *exec) payProofer() error {
	j := x.j
	fee := j.Verification.FeePerProofer
	if fee.IsZero() {
		return nil
	}
	if err := x.transfer(ledger.Escrow(j.ID), ledger.Payable(x.acct.ID), fee, "proofer fee"); err != nil {
		return err
	}
	paid, err := j.ProoferFees.Add(fee)
	if err != nil {
		return err
	}
	j.ProoferFees = paid
	p, err := x.s.createPayout(x.ctx, x.tx, j.ID, x.acct.ID, fee, false)
	if err != nil {
		return err
	}
	x.data["payout_id"] = p.ID
	return nil
}

// completeVerification records the verdict of the submitted scorecards. With auto-approval on a
// pass, the review deadline is now, so the auto-approval timer runs at once.
func (x *exec) completeVerification() error {
	var cards []proof.Scorecard
	for _, t := range x.tasks {
		if t.Status == proof.TaskSubmitted {
			cards = append(cards, *t.Scorecard)
		}
		if t.Status == proof.TaskOpen || t.Status == proof.TaskClaimed {
			t.Status = proof.TaskClosed
			if err := x.tx.Tasks().Update(x.ctx, t); err != nil {
				return err
			}
			if err := x.tx.Timers().Delete(x.ctx, leaseTimerID(t.ID)); err != nil {
				return err
			}
		}
	}
	v := x.j.Verification
	pass := len(cards) > 0 && proof.Verdict(cards, v.PassThreshold)
	x.j.Verdict = "fail"
	if pass {
		x.j.Verdict = "pass"
	}
	x.data["verdict"] = x.j.Verdict
	return nil
}

// afterScorecard completes verification in the same transaction once every scorecard is in.
func (s *Service) afterScorecard(ctx context.Context, tx ports.Tx, jobID string) error {
	_, err := s.step(ctx, tx, System, jobID, Command{Action: job.ActCompleteVerification})
	if errs.CodeOf(err) == errs.CodeDeadlineNotReached {
		return nil
	}
	return err
}

// ProofReport is the verification of a job's current delivery, as its poster sees it before
// approving (DESIGN §5): the setup, the delivery's tasks with their scorecards, the counts, and
// the verdict once verification completed.
type ProofReport struct {
	JobID        string           `json:"job_id"`
	State        job.State        `json:"state"`
	Verification job.Verification `json:"verification"`
	Delivery     *job.Delivery    `json:"delivery,omitempty"` // what the proofers review; nil before the first delivery
	Tasks        []*proof.Task    `json:"tasks"`              // the current delivery's tasks, oldest first
	Submitted    int              `json:"submitted"`          // scorecards in
	Passed       int              `json:"passed"`             // passing scorecards in
	Verdict      string           `json:"verdict,omitempty"`  // "pass" or "fail" once verification completed; empty while proofers review
}

// ProofReport returns the proof report of the job's current delivery to its poster, its agent, an
// admin or the system. A proofer of the job gets FORBIDDEN (it must not see the others'
// scorecards), as does any other caller who may see the job; callers who may not see it, and
// jobs without verification, get NOT_FOUND.
func (s *Service) ProofReport(ctx context.Context, c Caller, jobID string) (*ProofReport, error) {
	var r *ProofReport
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		x, err := s.load(ctx, tx, c, jobID)
		if err != nil {
			return err
		}
		switch x.role {
		case job.RolePoster, job.RoleAgent, job.RoleAdmin, job.RoleSystem:
		default:
			return errs.New(errs.CodeForbidden, "only the job's poster, its agent and admins see its proof report")
		}
		j := x.j
		if !j.VerificationOn() {
			return errs.New(errs.CodeNotFound, "job %s has no verification", j.ID)
		}
		// Each delivery creates Proofers tasks, so the current delivery's are the last ones.
		tasks := append([]*proof.Task{}, x.tasks[max(0, len(x.tasks)-j.Verification.Proofers):]...)
		r = &ProofReport{JobID: j.ID, State: j.State, Verification: *j.Verification, Delivery: j.Delivery, Tasks: tasks, Verdict: j.Verdict}
		for _, t := range tasks {
			if t.Status == proof.TaskSubmitted {
				r.Submitted++
				if t.Scorecard.Pass {
					r.Passed++
				}
			}
		}
		return nil
	})
	return r, err
}
