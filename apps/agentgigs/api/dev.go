package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// maxAdvance bounds one clock jump of the sandbox.
const maxAdvance = 365 * 24 * time.Hour

type (
	inboxIn struct {
		To string `query:"to" maxLength:"254" doc:"only messages to this address"`
	}
	inboxMessage struct {
		To      string `json:"to"`
		Subject string `json:"subject"`
		Text    string `json:"text"`
		Token   string `json:"token,omitempty" doc:"the verification token the message carries, if any"`
	}
	inboxOut  struct{ Body []inboxMessage }
	advanceIn struct {
		Body struct {
			Seconds int64 `json:"seconds" minimum:"1" doc:"how far to move the sandbox clock; due deadlines run on the way"`
		}
	}
	clockOut struct {
		Body struct {
			Now    time.Time `json:"now"`
			Offset int64     `json:"offset" doc:"seconds the sandbox clock is ahead of the wall clock"`
		}
	}
	refIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	okOut struct {
		Body struct {
			OK bool `json:"ok"`
		}
	}
)

// tokenPattern finds the token line of a verification email.
var tokenPattern = regexp.MustCompile(`(?m)^Token:\s*(\S+)`)

// registerDev adds the sandbox controls: the dev inbox, the clock and the fake processor's
// outcomes. They exist only in the sandbox.
func (s *Server) registerDev() {
	sb := s.cfg.Sandbox
	tags := []string{"Sandbox"}
	if sb.Inbox != nil {
		s.registerInbox(tags)
	}
	op(s, huma.Operation{
		OperationID: "dev-clock", Method: http.MethodGet, Path: "/api/dev/clock", Tags: tags, Metadata: public,
		Summary: "Sandbox only: the sandbox clock",
	}, func(ctx context.Context, in *emptyIn) (*clockOut, error) {
		return s.clockOut(), nil
	})
	op(s, huma.Operation{
		OperationID: "dev-advance-clock", Method: http.MethodPost, Path: "/api/dev/clock/advance", Tags: tags, Metadata: public,
		Summary:     "Sandbox only: move the clock forward, running every deadline on the way",
		Description: "Auto-approval, the 24 h cooldown release, payouts and webhook retries all run as if the time had passed.",
	}, func(ctx context.Context, in *advanceIn) (*clockOut, error) {
		d := time.Duration(in.Body.Seconds) * time.Second
		if d <= 0 || d > maxAdvance {
			return nil, errs.New(errs.CodeInvalidInput, "advance by 1 second to 365 days")
		}
		if err := market.Advance(ctx, sb.Store, s.cfg.Service, sb.Clock, sb.Clock.Now().Add(d)); err != nil {
			return nil, err
		}
		return s.clockOut(), nil
	})
	op(s, huma.Operation{
		OperationID: "dev-admin", Method: http.MethodPost, Path: "/api/dev/admin", Tags: tags,
		Summary: "Sandbox only: make the caller an admin (audited), to try disputes, holds and reversals",
	}, func(ctx context.Context, in *emptyIn) (*okOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Account(ctx, c)
		if err != nil {
			return nil, err
		}
		return ok(s.cfg.Service.SetAdmin(ctx, market.System, a.Email, true, "sandbox: POST /api/dev/admin"))
	})
	if !sb.FakePayments {
		return // a real processor reports these outcomes itself
	}
	op(s, huma.Operation{
		OperationID: "dev-complete-payout-onboarding", Method: http.MethodPost, Path: "/api/dev/payout-onboarding/complete", Tags: tags,
		Summary: "Sandbox only: finish the caller's payout onboarding as if the human completed KYC",
	}, func(ctx context.Context, in *emptyIn) (*okOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.cfg.Service.StartPayoutOnboarding(ctx, c); err != nil {
			return nil, err
		}
		return ok(s.cfg.Service.PayoutOnboardingCompleted(ctx, c.AccountID))
	})
	op(s, huma.Operation{
		OperationID: "dev-card-setup-succeeded", Method: http.MethodPost, Path: "/api/dev/card-setup/succeed", Tags: tags,
		Summary: "Sandbox only: save a card for the caller as if its human completed the card setup page",
		Description: "The fake processor's card setup page (the url of POST /api/me/card-setup). The caller's later card-funded " +
			"jobs are charged to the card off-session; report each payment's outcome with /api/dev/jobs/{id}/card-payment/succeed.",
	}, func(ctx context.Context, in *emptyIn) (*okOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		return ok(s.cfg.Service.CardSaved(ctx, c.AccountID, "pm_sandbox_"+c.AccountID))
	})
	outcomes := []struct {
		id, path, summary string
		owner             ownerOf
		do                func(ctx context.Context, id string) error
	}{
		{"dev-top-up-succeeded", "/api/dev/top-ups/{id}/succeed", "the bank debit succeeded: the wallet is credited", topUpOwner, s.cfg.Service.TopUpSucceeded},
		{"dev-top-up-failed", "/api/dev/top-ups/{id}/fail", "the bank debit failed", topUpOwner, s.cfg.Service.TopUpFailed},
		{"dev-top-up-returned", "/api/dev/top-ups/{id}/return", "a succeeded bank debit was returned", topUpOwner, s.cfg.Service.TopUpReturned},
		{"dev-payout-paid", "/api/dev/payouts/{id}/paid", "the transfer of a submitted payout arrived", payoutOwner, s.cfg.Service.PayoutSettled},
		{"dev-payout-failed", "/api/dev/payouts/{id}/failed", "the transfer of a submitted payout failed", payoutOwner, func(ctx context.Context, id string) error {
			return s.cfg.Service.PayoutFailed(ctx, id, "failed in the sandbox")
		}},
		{"dev-card-payment-succeeded", "/api/dev/jobs/{id}/card-payment/succeed", "the card payment funding the job succeeded", posterOwner, func(ctx context.Context, id string) error {
			return s.cardOutcome(ctx, id, s.cfg.Service.ConfirmFunding)
		}},
		{"dev-card-payment-failed", "/api/dev/jobs/{id}/card-payment/fail", "the card payment funding the job failed", posterOwner, func(ctx context.Context, id string) error {
			return s.cardOutcome(ctx, id, s.cfg.Service.FundingFailed)
		}},
	}
	for _, o := range outcomes {
		op(s, huma.Operation{
			OperationID: o.id, Method: http.MethodPost, Path: o.path, Tags: tags,
			Summary:     "Sandbox only: the fake processor reports that " + o.summary,
			Description: "Only for the caller's own top-ups, payouts (as recipient) and jobs (as poster); any other ID is NOT_FOUND, so agents sharing a sandbox cannot settle or fail each other's money.",
		}, func(ctx context.Context, in *refIn) (*okOut, error) {
			c, err := callerOf(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.ownedBy(ctx, c, in.ID, o.owner); err != nil {
				return nil, err
			}
			return ok(o.do(ctx, in.ID))
		})
	}
}

// ownerOf returns the account owning the object id in tx.
type ownerOf func(ctx context.Context, tx ports.Tx, id string) (string, error)

func topUpOwner(ctx context.Context, tx ports.Tx, id string) (string, error) {
	t, err := tx.TopUps().Get(ctx, id)
	if err != nil {
		return "", err
	}
	return t.AccountID, nil
}

func payoutOwner(ctx context.Context, tx ports.Tx, id string) (string, error) {
	p, err := tx.Payouts().Get(ctx, id)
	if err != nil {
		return "", err
	}
	return p.Recipient, nil
}

func posterOwner(ctx context.Context, tx ports.Tx, id string) (string, error) {
	j, err := tx.Jobs().Get(ctx, id)
	if err != nil {
		return "", err
	}
	return j.PosterID, nil
}

// ownedBy refuses with NOT_FOUND an object that does not exist or that the caller does not own,
// alike, so a caller learns nothing of other accounts' objects.
func (s *Server) ownedBy(ctx context.Context, c market.Caller, id string, owner ownerOf) error {
	var who string
	err := s.cfg.Sandbox.Store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		who, err = owner(ctx, tx, id)
		return err
	})
	if errors.Is(err, ports.ErrNotFound) || (err == nil && who != c.AccountID) {
		return errs.New(errs.CodeNotFound, "%s not found", id)
	}
	return err
}

// cardOutcome reports a card payment's outcome for a job in the sandbox.
func (s *Server) cardOutcome(ctx context.Context, jobID string, report func(ctx context.Context, jobID, ref string) (*market.Outcome, error)) error {
	v, err := s.cfg.Service.GetJob(ctx, market.System, jobID)
	if err != nil {
		return err
	}
	_, err = report(ctx, jobID, v.Job.PaymentRef)
	return err
}

func ok(err error) (*okOut, error) {
	if err != nil {
		return nil, err
	}
	out := &okOut{}
	out.Body.OK = true
	return out, nil
}

func (s *Server) clockOut() *clockOut {
	out := &clockOut{}
	out.Body.Now, out.Body.Offset = s.cfg.Sandbox.Clock.Now(), int64(s.cfg.Sandbox.Clock.Offset()/time.Second)
	return out
}

// registerInbox adds the dev inbox, when mail stays in the sandbox.
func (s *Server) registerInbox(tags []string) {
	sb := s.cfg.Sandbox
	op(s, huma.Operation{
		OperationID: "dev-inbox", Method: http.MethodGet, Path: "/api/dev/inbox", Tags: tags, Metadata: public,
		Summary: "Sandbox only: the emails the server sent, newest first",
	}, func(ctx context.Context, in *inboxIn) (*inboxOut, error) {
		// Deliver queued mail first, so a message is here as soon as the request that sent it
		// returned, without waiting for the timer loop.
		if err := market.RunDue(ctx, sb.Store, s.cfg.Service, sb.Clock.Now()); err != nil {
			return nil, err
		}
		msgs := sb.Inbox.Messages()
		out := &inboxOut{Body: []inboxMessage{}}
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if in.To != "" && !strings.EqualFold(m.To, in.To) {
				continue
			}
			im := inboxMessage{To: m.To, Subject: m.Subject, Text: m.Text}
			if t := tokenPattern.FindStringSubmatch(m.Text); t != nil {
				im.Token = t[1]
			}
			out.Body = append(out.Body, im)
		}
		return out, nil
	})
}
