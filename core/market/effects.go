package market

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
)

// prepare applies what is particular to the action, before its money moves.
func (x *exec) prepare() error {
	j, cmd := x.j, x.cmd
	switch x.t.Action {
	case job.ActApply:
		return x.apply()
	case job.ActAccept:
		return x.accept()
	case job.ActConfirmFunding, job.ActFailFunding:
		if cmd.PaymentRef != j.PaymentRef {
			return errs.New(errs.CodeConflict, "payment %s is not the job's current payment", cmd.PaymentRef)
		}
		if x.t.Action == job.ActFailFunding {
			// A failed attempt leaves the payment open to another; cancel it so that a late
			// success cannot take money for a job that no longer waits for it.
			if err := x.cancelCardPayment(); err != nil {
				return err
			}
			return x.unhire()
		}
	case job.ActLapseFunding:
		if err := x.cancelCardPayment(); err != nil {
			return err
		}
		return x.unhire()
	case job.ActWithdraw, job.ActReopen:
		return x.unhire()
	case job.ActCancel:
		if j.State == job.AwaitingFunding {
			return x.cancelCardPayment()
		}
	case job.ActDeliver:
		return x.deliver()
	case job.ActRequestRevision:
		j.Revisions++
		x.data["note"] = cmd.Note
	case job.ActClaimTask:
		return x.claim()
	case job.ActSubmitScorecard:
		return x.submit()
	case job.ActCompleteVerification:
		return x.completeVerification()
	case job.ActDispute:
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.New(errs.CodeReasonRequired, "a dispute needs a reason")
		}
		j.Dispute = &job.Dispute{OpenedBy: x.acct.ID, Reason: cmd.Reason, Evidence: cmd.Evidence, OpenedAt: x.now, FromState: j.State}
	case job.ActHoldPayout, job.ActUnholdPayout, job.ActReleasePayout:
		return x.payoutOverride()
	}
	return nil
}

// cancelCardPayment cancels the job's unconfirmed card payment after the transaction, so a late
// confirmation cannot take money for a job that no longer waits for it.
func (x *exec) cancelCardPayment() error {
	return x.tx.Timers().Schedule(x.ctx, ports.Timer{
		ID: "cancel_intent:" + x.j.PaymentRef, Action: actionCancelIntent, JobID: x.j.ID, Ref: x.j.PaymentRef, DueAt: x.now,
	})
}

// moveMoney performs the transition's effect on the ledger.
func (x *exec) moveMoney() error {
	j := x.j
	switch x.t.Money {
	case job.MoneyHoldWallet:
		return x.transfer(ledger.Wallet(j.PosterID), ledger.Escrow(j.ID), j.Price, "escrow hold")
	case job.MoneyHoldCard:
		return x.transfer(ledger.ExternalStripe, ledger.Escrow(j.ID), j.Price, "card payment "+j.PaymentRef)
	case job.MoneyRefund:
		esc, err := x.escrow()
		if err != nil {
			return err
		}
		return x.refund(esc)
	case job.MoneyApprove:
		return x.approve()
	case job.MoneyUnwind:
		if err := x.transfer(ledger.Pending(j.AgentID), ledger.Escrow(j.ID), j.AgentNet, "approval undone"); err != nil {
			return err
		}
		if err := x.transfer(ledger.PlatformFees, ledger.Escrow(j.ID), j.PlatformFee, "fee undone"); err != nil {
			return err
		}
		j.AgentNet, j.PlatformFee = money.Zero(j.Price.Currency), money.Zero(j.Price.Currency)
	case job.MoneyRelease:
		if err := x.transfer(ledger.Pending(j.AgentID), ledger.Payable(j.AgentID), j.AgentNet, "released"); err != nil {
			return err
		}
		return x.createAgentPayout(j.AgentNet)
	case job.MoneyPayProofer:
		return x.payProofer()
	case job.MoneySplit, job.MoneyDefaultSplit:
		return x.split()
	}
	return nil
}

// refund returns amount from escrow to where the job was funded from.
func (x *exec) refund(amount money.Money) error {
	j := x.j
	if amount.IsZero() {
		return nil
	}
	if j.Funding != job.FundCard {
		return x.transfer(ledger.Escrow(j.ID), ledger.Wallet(j.PosterID), amount, "refund")
	}
	if err := x.transfer(ledger.Escrow(j.ID), ledger.ExternalStripe, amount, "refund to card "+j.PaymentRef); err != nil {
		return err
	}
	x.extra = append(x.extra, x.s.event("refund.created", j.ID, []string{j.PosterID}, map[string]string{"amount": amount.String()}))
	return x.tx.Timers().Schedule(x.ctx, ports.Timer{
		ID: "refund:" + j.ID + ":" + itoa(j.Version), Action: actionRefundCard, JobID: j.ID,
		Ref: j.PaymentRef, Amount: amount, DueAt: x.now,
	})
}

func (x *exec) approve() error {
	j := x.j
	esc, err := x.escrow()
	if err != nil {
		return err
	}
	fee, err := j.Price.Fee(j.FeeBPS)
	if err != nil {
		return err
	}
	if fee.Amount > esc.Amount {
		fee = esc
	}
	net, err := esc.Sub(fee)
	if err != nil {
		return err
	}
	if err := x.transfer(ledger.Escrow(j.ID), ledger.PlatformFees, fee, "platform fee"); err != nil {
		return err
	}
	if err := x.transfer(ledger.Escrow(j.ID), ledger.Pending(j.AgentID), net, "earned, in cooldown"); err != nil {
		return err
	}
	j.PlatformFee, j.AgentNet, j.ApprovedAt = fee, net, x.now
	return nil
}

// split pays out a resolved dispute: the agent's share (less the platform fee) becomes payable,
// the poster's share is refunded. The shares must sum to the escrow.
func (x *exec) split() error {
	j := x.j
	esc, err := x.escrow()
	if err != nil {
		return err
	}
	toAgent, toPoster := x.cmd.ToAgent, x.cmd.ToPoster
	if x.t.Money == job.MoneyDefaultSplit {
		toAgent, toPoster = 0, esc.Amount
		if j.Delivery != nil {
			toAgent, toPoster = esc.Amount, 0
		}
	}
	if toAgent < 0 || toPoster < 0 || toAgent > esc.Amount || toAgent+toPoster != esc.Amount {
		return errs.New(errs.CodeSplitMismatch, "the shares %d + %d must sum to the escrow of %s", toAgent, toPoster, esc)
	}
	agent, poster := money.Money{Amount: toAgent, Currency: esc.Currency}, money.Money{Amount: toPoster, Currency: esc.Currency}
	if toAgent > 0 && j.AgentID != "" {
		fee, err := agent.Fee(j.FeeBPS)
		if err != nil {
			return err
		}
		net, err := agent.Sub(fee)
		if err != nil {
			return err
		}
		if err := x.transfer(ledger.Escrow(j.ID), ledger.PlatformFees, fee, "platform fee"); err != nil {
			return err
		}
		if err := x.transfer(ledger.Escrow(j.ID), ledger.Payable(j.AgentID), net, "dispute resolved"); err != nil {
			return err
		}
		j.PlatformFee, j.AgentNet = fee, net
		if err := x.createAgentPayout(net); err != nil {
			return err
		}
	}
	if err := x.refund(poster); err != nil {
		return err
	}
	resolvedBy := "system"
	if x.acct != nil {
		resolvedBy = x.acct.ID
	}
	d := j.Dispute
	d.ResolvedBy, d.Resolution, d.ToAgent, d.ToPoster, d.ResolvedAt = resolvedBy, x.cmd.Reason, agent, poster, x.now
	if d.Resolution == "" {
		d.Resolution = "default outcome after the dispute window"
	}
	return nil
}

// createAgentPayout records the agent's payout of amount and schedules it unless held.
func (x *exec) createAgentPayout(amount money.Money) error {
	if amount.IsZero() {
		return nil
	}
	p, err := x.s.createPayout(x.ctx, x.tx, x.j.ID, x.j.AgentID, amount, x.j.PayoutHeld)
	if err != nil {
		return err
	}
	x.j.PayoutID = p.ID
	x.extra = append(x.extra, x.s.event("payout.created", x.j.ID, []string{x.j.AgentID}, map[string]string{"payout_id": p.ID, "amount": amount.String()}))
	return nil
}

func (s *Service) createPayout(ctx context.Context, tx ports.Tx, jobID, recipient string, amount money.Money, held bool) (*payout.Payout, error) {
	now := s.now()
	p := &payout.Payout{ID: s.cfg.IDs.New("po"), JobID: jobID, Recipient: recipient, Amount: amount, Status: payout.Due, Held: held, CreatedAt: now}
	if err := tx.Payouts().Create(ctx, p); err != nil {
		return nil, err
	}
	if held {
		return p, nil
	}
	return p, schedulePayout(ctx, tx, p, now)
}

// schedulePayout schedules a transfer attempt of p at at, numbered with p's attempts so far.
func schedulePayout(ctx context.Context, tx ports.Tx, p *payout.Payout, at time.Time) error {
	return tx.Timers().Schedule(ctx, ports.Timer{ID: "payout:" + p.ID, Action: actionPayout, JobID: p.JobID, PayoutID: p.ID,
		Attempt: p.Attempts, DueAt: at})
}

// payoutOverride applies an admin's hold, unhold or release to the job's agent payout.
func (x *exec) payoutOverride() error {
	j, p := x.j, x.payout
	switch x.t.Action {
	case job.ActHoldPayout:
		j.PayoutHeld = true
	case job.ActUnholdPayout:
		j.PayoutHeld = false
	case job.ActReleasePayout:
		p.Status = payout.Failed
	}
	if p == nil {
		return nil
	}
	p.Held = j.PayoutHeld
	x.data["payout_id"] = p.ID
	if err := x.tx.Payouts().Update(x.ctx, p); err != nil {
		return err
	}
	if p.Retryable() {
		return schedulePayout(x.ctx, x.tx, p, x.now)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
