package market

import (
	"cmp"
	"context"
	"errors"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
)

// Timer actions that are not job transitions.
const (
	actionPayout       job.Action = "payout"        // attempt a payout's transfer
	actionRefundCard   job.Action = "refund_card"   // refund a card payment
	actionCancelIntent job.Action = "cancel_intent" // cancel an unconfirmed card payment
)

// HandleTimer runs a due timer: a job's default outcome at its deadline, a payout attempt, a card
// refund or cancellation, an automatic proofer's review, a verification task's claim lease, or a webhook delivery attempt. It is idempotent and race-safe: a timer whose job has moved on (another action
// won, or the deadline changed) does nothing. It deletes the timer; work it schedules anew (a
// payout retry, or the lease of a payout attempt) is kept. It returns an error only when the work
// should be retried.
func (s *Service) HandleTimer(ctx context.Context, t ports.Timer) error {
	if t.DueAt.After(s.now()) {
		return nil
	}
	switch t.Action {
	case actionPayout:
		return s.attemptPayout(ctx, t)
	case actionRefundCard:
		return s.refundCard(ctx, t)
	case actionAutoProof:
		return s.autoProof(ctx, t)
	case actionClaimLease:
		return s.expireClaim(ctx, t)
	case actionWebhook:
		return s.deliverWebhook(ctx, t)
	case actionSendEmail:
		return s.sendEmail(ctx, t)
	case actionCancelIntent:
		return s.retryOnFailure(ctx, t, s.cfg.Payments.CancelPaymentIntent(ctx, t.Ref))
	}
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.Timers().Delete(ctx, t.ID); err != nil {
			return err
		}
		j, err := tx.Jobs().Get(ctx, t.JobID)
		if err != nil {
			return err
		}
		if !j.DeadlineAt.Equal(t.DueAt) {
			return errStale
		}
		_, err = s.step(ctx, tx, System, t.JobID, Command{Action: t.Action})
		return err
	})
	if errors.Is(err, errStale) || errs.CodeOf(err) != "" {
		return s.deleteTimer(ctx, t.ID) // the job moved on: nothing to do
	}
	return err
}

// errStale rolls back a timer whose job moved on.
var errStale = errors.New("market: stale timer")

func (s *Service) deleteTimer(ctx context.Context, id string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.Timers().Delete(ctx, id) })
}

// attemptPayout makes one transfer attempt. The payout is marked submitted before the processor
// call, so concurrent runners and admin holds see it taken, and its timer moves SubmitLease on,
// numbered with the attempt: should the attempt never record its outcome (the process stopped),
// that timer tries again then, while a runner holding the timer as it was before does nothing.
// The call's idempotency key makes a repeated call harmless. A success is recorded whichever
// attempt made it; a failure only by the latest attempt, and it is retried with backoff until
// MaxAttempts, then the payout is stuck and an admin may release it.
func (s *Service) attemptPayout(ctx context.Context, t ports.Timer) error {
	var (
		p    *payout.Payout
		dest string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if p, err = tx.Payouts().Get(ctx, t.PayoutID); err != nil {
			return err
		}
		if p.Status == payout.Submitted && t.Attempt != p.Attempts {
			p = nil
			return nil // another runner's attempt is under way: the timer is its lease now
		}
		if !p.Retryable() {
			p = nil
			return tx.Timers().Delete(ctx, t.ID)
		}
		a, err := tx.Accounts().Get(ctx, p.Recipient)
		if err != nil {
			return err
		}
		dest = a.ConnectRef
		p.Status = payout.Submitted
		p.Attempts++
		if err := tx.Payouts().Update(ctx, p); err != nil {
			return err
		}
		return schedulePayout(ctx, tx, p, s.now().Add(payout.SubmitLease))
	})
	if err != nil || p == nil {
		return err
	}
	attempt := p.Attempts
	ref, callErr := s.cfg.Payments.Transfer(ctx, p.IdempotencyKey(), p.Amount, dest)
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		p, err := tx.Payouts().Get(ctx, p.ID)
		if err != nil {
			return err
		}
		if p.Status != payout.Submitted || p.Ref != "" || (callErr != nil && p.Attempts != attempt) {
			return nil // settled or recorded meanwhile, or a later attempt took over from this one
		}
		typ := "payout.submitted"
		if callErr == nil {
			p.Ref, p.LastError = ref, ""
			err = tx.Timers().Delete(ctx, t.ID) // the lease: the outcome is recorded
		} else {
			p.LastError = callErr.Error()
			p.Status, typ = payout.Failed, "payout.failed"
			if p.Attempts >= payout.MaxAttempts {
				p.Status, typ = payout.Stuck, "payout.stuck"
				err = tx.Timers().Delete(ctx, t.ID)
			} else {
				err = schedulePayout(ctx, tx, p, s.now().Add(payout.Backoff(p.Attempts)))
			}
		}
		if err != nil {
			return err
		}
		if err := tx.Payouts().Update(ctx, p); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event(typ, p.JobID, []string{p.Recipient}, map[string]string{"payout_id": p.ID, "amount": p.Amount.String()}))
	})
}

// PayoutSettled is the processor callback for a paid transfer: the payable balance leaves the
// platform. It is idempotent. The processor's report is authoritative: a payout whose last attempt
// counted as failed (its answer was lost, say to a timeout, though the transfer was made) or that
// is stuck is settled too, and its scheduled retry then does nothing.
func (s *Service) PayoutSettled(ctx context.Context, payoutID string) error {
	if err := text.Line("payout_id", payoutID); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		p, err := tx.Payouts().Get(ctx, payoutID)
		if err != nil {
			return err
		}
		if p.Status == payout.Paid {
			return nil
		}
		if p.Status != payout.Submitted && p.Status != payout.Failed && p.Status != payout.Stuck {
			return errs.New(errs.CodeInvalidTransition, "payout %s is %s, not submitted", p.ID, p.Status)
		}
		p.Status, p.PaidAt, p.LastError = payout.Paid, s.now(), ""
		if _, err := s.post(ctx, tx, p.JobID, ledger.Transfer{From: ledger.Payable(p.Recipient), To: ledger.ExternalStripe, Amount: p.Amount, Memo: "payout " + p.ID}); err != nil {
			return err
		}
		if err := tx.Payouts().Update(ctx, p); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("payout.paid", p.JobID, []string{p.Recipient}, map[string]string{"payout_id": p.ID, "amount": p.Amount.String()}))
	})
}

// PayoutFailed is the processor callback for a transfer that failed after it was accepted: the
// payout is retried with backoff.
func (s *Service) PayoutFailed(ctx context.Context, payoutID, reason string) error {
	if err := cmp.Or(text.Line("payout_id", payoutID), text.Block("reason", reason)); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		p, err := tx.Payouts().Get(ctx, payoutID)
		if err != nil {
			return err
		}
		if p.Status != payout.Submitted {
			return errs.New(errs.CodeInvalidTransition, "payout %s is %s, not submitted", p.ID, p.Status)
		}
		p.Status, p.LastError = payout.Failed, reason
		if err := tx.Payouts().Update(ctx, p); err != nil {
			return err
		}
		if err := schedulePayout(ctx, tx, p, s.now().Add(payout.Backoff(p.Attempts))); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("payout.failed", p.JobID, []string{p.Recipient}, map[string]string{"payout_id": p.ID, "reason": reason}))
	})
}

// Payouts returns a job's payouts to a party of the job or an admin.
func (s *Service) Payouts(ctx context.Context, c Caller, jobID string) ([]*payout.Payout, error) {
	var out []*payout.Payout
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		out = nil // the store may run fn again
		v, err := s.load(ctx, tx, c, jobID)
		if err != nil {
			return err
		}
		ps, err := tx.Payouts().ListByJob(ctx, jobID)
		for _, p := range ps {
			if v.role == job.RoleAdmin || v.role == job.RolePoster || v.role == job.RoleSystem || p.Recipient == c.AccountID {
				out = append(out, p)
			}
		}
		return err
	})
	return out, err
}

// refundCard returns money to the card that funded a job. The ledger already moved it out at the
// refund; this makes the processor call, retried with backoff on failure.
func (s *Service) refundCard(ctx context.Context, t ports.Timer) error {
	_, err := s.cfg.Payments.Refund(ctx, "refund-"+t.ID, t.Amount, t.Ref)
	return s.retryOnFailure(ctx, t, err)
}

// retryOnFailure deletes a processor-call timer whose call succeeded, or reschedules it after a
// backoff when the call failed.
func (s *Service) retryOnFailure(ctx context.Context, t ports.Timer, callErr error) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if callErr != nil {
			t.DueAt = s.now().Add(payout.Backoff(2))
			return tx.Timers().Schedule(ctx, t)
		}
		return tx.Timers().Delete(ctx, t.ID)
	})
}
