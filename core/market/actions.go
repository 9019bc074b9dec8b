package market

import (
	"context"
	"io"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Accept hires the applicant of applicationID, funding the escrow from the wallet at once or by
// card (the job then awaits the processor's confirmation). The other applications are rejected
// and the acceptance criteria frozen. dryRun reports the outcome and changes nothing.
func (s *Service) Accept(ctx context.Context, c Caller, jobID, applicationID string, funding job.FundingSource, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActAccept, ApplicationID: applicationID, Funding: funding, DryRun: dryRun})
}

// ConfirmFunding is the processor callback for a confirmed card payment of the job.
func (s *Service) ConfirmFunding(ctx context.Context, jobID, paymentRef string) (*Outcome, error) {
	return s.Act(ctx, System, jobID, Command{Action: job.ActConfirmFunding, PaymentRef: paymentRef})
}

// FundingFailed is the processor callback for a failed card payment: the job reopens.
func (s *Service) FundingFailed(ctx context.Context, jobID, paymentRef string) (*Outcome, error) {
	return s.Act(ctx, System, jobID, Command{Action: job.ActFailFunding, PaymentRef: paymentRef})
}

// DeliverInput is a delivery: exactly one of URL or File, and a note. A file is limited to the
// service's MaxFileSize and its SHA-256 is recorded.
type DeliverInput struct {
	URL  string
	File io.Reader
	Note string
}

// Deliver hands in the agent's work; the review window (or verification) starts.
func (s *Service) Deliver(ctx context.Context, c Caller, jobID string, in DeliverInput) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActDeliver, URL: in.URL, File: in.File, Note: in.Note})
}

// RequestRevision asks the agent for another delivery, within the job's revision limit.
func (s *Service) RequestRevision(ctx context.Context, c Caller, jobID, note string) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActRequestRevision, Note: note})
}

// Approve approves the delivery: the agent's earnings (price less fees) are pending for the
// cooldown, then released.
func (s *Service) Approve(ctx context.Context, c Caller, jobID string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActApprove, DryRun: dryRun})
}

// Cancel cancels the job: before funding, or for a full refund once the delivery is overdue.
func (s *Service) Cancel(ctx context.Context, c Caller, jobID string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActCancel, DryRun: dryRun})
}

// Reopen refunds an overdue job's escrow and reopens it for another agent.
func (s *Service) Reopen(ctx context.Context, c Caller, jobID string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActReopen, DryRun: dryRun})
}

// Withdraw lets the hired agent give the job up; the escrow is refunded and the job reopens.
func (s *Service) Withdraw(ctx context.Context, c Caller, jobID string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActWithdraw, DryRun: dryRun})
}

// Dispute opens a dispute with a reason and evidence; the funds freeze.
func (s *Service) Dispute(ctx context.Context, c Caller, jobID, reason string, evidence []string) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActDispute, Reason: reason, Evidence: evidence})
}

// Resolve resolves a dispute as an admin: toAgent and toPoster (minor units) must sum to the
// escrow. The agent's share, less the platform fee, is paid out; the poster's is refunded.
func (s *Service) Resolve(ctx context.Context, c Caller, jobID string, toAgent, toPoster int64, reason string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActResolve, ToAgent: toAgent, ToPoster: toPoster, Reason: reason, DryRun: dryRun})
}

// ReverseApproval undoes an approval during the cooldown, as an admin with a reason.
func (s *Service) ReverseApproval(ctx context.Context, c Caller, jobID, reason string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActReverseApproval, Reason: reason, DryRun: dryRun})
}

// HoldPayout holds the job's agent payout before it is paid, as an admin with a reason.
func (s *Service) HoldPayout(ctx context.Context, c Caller, jobID, reason string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActHoldPayout, Reason: reason, DryRun: dryRun})
}

// UnholdPayout lifts a hold, as an admin with a reason; a due payout is made.
func (s *Service) UnholdPayout(ctx context.Context, c Caller, jobID, reason string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActUnholdPayout, Reason: reason, DryRun: dryRun})
}

// ReleasePayout retries a failed or stuck payout now, as an admin with a reason.
func (s *Service) ReleasePayout(ctx context.Context, c Caller, jobID, reason string, dryRun bool) (*Outcome, error) {
	return s.Act(ctx, c, jobID, Command{Action: job.ActReleasePayout, Reason: reason, DryRun: dryRun})
}

// Events returns the caller's events (every event for System) after the cursor seq, oldest first, at most limit (1..500).
func (s *Service) Events(ctx context.Context, c Caller, afterSeq int64, limit int) ([]event.Event, error) {
	if limit < 1 || limit > 500 {
		return nil, errs.New(errs.CodeInvalidInput, "limit must be within 1..500")
	}
	var out []event.Event
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		audience := "" // the system sees every event
		if !c.system {
			a, err := s.caller(ctx, tx, c)
			if err != nil {
				return err
			}
			audience = a.ID
		}
		var err error
		out, err = tx.Events().List(ctx, audience, afterSeq, limit)
		return err
	})
	return out, err
}

// AuditLog returns the admin audit log after the cursor seq, to admins only.
func (s *Service) AuditLog(ctx context.Context, c Caller, afterSeq int64, limit int) ([]event.Audit, error) {
	var out []event.Audit
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		if !a.Admin {
			return errs.New(errs.CodeForbidden, "admins only")
		}
		out, err = tx.Audit().List(ctx, afterSeq, limit)
		return err
	})
	return out, err
}
