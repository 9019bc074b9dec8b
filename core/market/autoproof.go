package market

import (
	"context"
	"io"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
)

// actionAutoProof runs one automatic proofer on a delivery.
const actionAutoProof job.Action = "auto_proof"

type autoProofer struct {
	accountID string
	proofer   ports.Proofer
}

// AddAutoProofer registers an automatic proofer (a proofer plugin) that acts through the account:
// on every delivery into verification it claims a task like any proofer, reviews the delivery and
// submits its scorecard, and the account is paid the proofer fee. The account must be eligible
// (verified, onboarded, not a party of the job, above the job's trust floor); when it is not, or
// the proofer fails, a "verification.auto_proofer_failed" event says why and the task stays open
// for human proofers.
func (s *Service) AddAutoProofer(accountID string, p ports.Proofer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auto = append(s.auto, autoProofer{accountID: accountID, proofer: p})
}

func (s *Service) autoProofers() []autoProofer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.auto
}

// scheduleAutoProofers schedules a run of every automatic proofer on the delivery, in the
// delivery's transaction, so the runs survive a restart.
func (x *exec) scheduleAutoProofers() error {
	for _, a := range x.s.autoProofers() {
		t := ports.Timer{ID: "autoproof:" + x.j.ID + ":" + a.accountID + ":" + itoa(x.j.Version), Action: actionAutoProof, JobID: x.j.ID, Ref: a.accountID, DueAt: x.now}
		if err := x.tx.Timers().Schedule(x.ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// autoProof runs the automatic proofer named by the timer on the job's delivery.
func (s *Service) autoProof(ctx context.Context, t ports.Timer) error {
	if err := s.deleteTimer(ctx, t.ID); err != nil {
		return err
	}
	var p ports.Proofer
	for _, a := range s.autoProofers() {
		if a.accountID == t.Ref {
			p = a.proofer
		}
	}
	v, err := s.GetJob(ctx, System, t.JobID)
	if err != nil || p == nil || v.Job.State != job.InVerification {
		return err // the proofer was removed or verification is over: nothing to do
	}
	if err := s.runAutoProofer(ctx, User(t.Ref), v.Job, p); err != nil {
		return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
			return s.appendEvents(ctx, tx, s.event("verification.auto_proofer_failed", t.JobID, []string{v.Job.PosterID, t.Ref},
				map[string]string{"proofer": p.Name(), "error": err.Error()}))
		})
	}
	return nil
}

func (s *Service) runAutoProofer(ctx context.Context, c Caller, j *job.Job, p ports.Proofer) error {
	tasks, err := s.AvailableTasks(ctx, c)
	if err != nil {
		return err
	}
	var task *proof.Task
	for _, t := range tasks {
		if t.JobID == j.ID && task == nil {
			task = t
		}
	}
	if task == nil {
		return errs.New(errs.CodeProoferIneligible, "no open task this proofer may claim")
	}
	req := ports.ProofRequest{Job: j, Delivery: *j.Delivery}
	if key := j.Delivery.BlobKey; key != "" {
		if req.Content, err = s.readBlob(ctx, key); err != nil {
			return err
		}
	}
	card, err := p.Review(ctx, req)
	if err != nil {
		return errs.Wrap(errs.CodeConflict, err, "proofer "+p.Name()+" could not review")
	}
	if err := card.Validate(); err != nil {
		return err
	}
	if _, err := s.ClaimTask(ctx, c, task.ID); err != nil {
		return err
	}
	_, err = s.SubmitScorecard(ctx, c, task.ID, card)
	return err
}

func (s *Service) readBlob(ctx context.Context, key string) ([]byte, error) {
	r, err := s.cfg.Blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, s.cfg.MaxFileSize))
}
