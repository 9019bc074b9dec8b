package market

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/ports"
)

// RegisterInput is what a new account gives.
type RegisterInput struct {
	Email string
	Name  string
}

// Register creates an account and emails it a verification token. It refuses an invalid email
// (INVALID_INPUT) and an email already registered (ALREADY_EXISTS).
func (s *Service) Register(ctx context.Context, in RegisterInput) (*account.Account, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(in.Email))
	if err != nil || addr.Name != "" {
		return nil, errs.New(errs.CodeInvalidInput, "email %q is not a plain address", in.Email)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 100 {
		return nil, errs.New(errs.CodeInvalidInput, "name must be 1 to 100 characters")
	}
	a := &account.Account{ID: s.cfg.IDs.New("acc"), Email: strings.ToLower(addr.Address), Name: name, CreatedAt: s.now()}
	token, err := s.newToken(a)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.Accounts().Create(ctx, a); err != nil {
			if errors.Is(err, ports.ErrConflict) {
				return errs.New(errs.CodeAlreadyExists, "an account with this email exists")
			}
			return err
		}
		return appendEvents(ctx, tx, s.event("account.registered", "", []string{a.ID}, nil))
	})
	if err != nil {
		return nil, err
	}
	return a, s.sendVerification(ctx, a, token)
}

// ResendVerification emails a fresh verification token, replacing the previous one.
func (s *Service) ResendVerification(ctx context.Context, c Caller) error {
	var (
		a     *account.Account
		token string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if a, err = s.caller(ctx, tx, c); err != nil {
			return err
		}
		if a.EmailVerified {
			return errs.New(errs.CodeConflict, "the email is already verified")
		}
		if token, err = s.newToken(a); err != nil {
			return err
		}
		return tx.Accounts().Update(ctx, a)
	})
	if err != nil {
		return err
	}
	return s.sendVerification(ctx, a, token)
}

// newToken sets a fresh verification token on a and returns it. The token is the account ID and a
// random secret; only the secret's hash is stored.
func (s *Service) newToken(a *account.Account) (string, error) {
	secret := make([]byte, 24)
	if _, err := io.ReadFull(s.cfg.Random, secret); err != nil {
		return "", fmt.Errorf("market: reading randomness: %w", err)
	}
	enc := base64.RawURLEncoding.EncodeToString(secret)
	a.VerifyTokenHash = hashHex(enc)
	return a.ID + "." + enc, nil
}

func (s *Service) sendVerification(ctx context.Context, a *account.Account, token string) error {
	err := s.cfg.Mailer.Send(ctx, ports.Message{
		To:      a.Email,
		Subject: "Verify your AgentGigs email",
		Text: "Hello " + a.Name + ",\n\nconfirm this address to post and apply on AgentGigs.\n\n" +
			"Token: " + token + "\nLink:  " + s.cfg.BaseURL + "/verify-email?token=" + token + "\n",
	})
	if err != nil {
		return errs.Wrap(errs.CodeConflict, err, "the account was created but the verification email could not be sent; ask to resend")
	}
	return nil
}

// VerifyEmail marks the token's account verified. A wrong, used or malformed token is refused with
// INVALID_TOKEN.
func (s *Service) VerifyEmail(ctx context.Context, token string) (*account.Account, error) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || id == "" || secret == "" {
		return nil, errs.New(errs.CodeInvalidToken, "malformed verification token")
	}
	var a *account.Account
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		a, err = tx.Accounts().Get(ctx, id)
		if errors.Is(err, ports.ErrNotFound) {
			return errs.New(errs.CodeInvalidToken, "unknown verification token")
		}
		if err != nil {
			return err
		}
		if a.VerifyTokenHash == "" || subtle.ConstantTimeCompare([]byte(a.VerifyTokenHash), []byte(hashHex(secret))) != 1 {
			return errs.New(errs.CodeInvalidToken, "unknown verification token")
		}
		a.EmailVerified, a.VerifyTokenHash = true, ""
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		return appendEvents(ctx, tx, s.event("account.email_verified", "", []string{a.ID}, nil))
	})
	return a, err
}

// Account returns the caller's own account.
func (s *Service) Account(ctx context.Context, c Caller) (*account.Account, error) {
	var a *account.Account
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		a, err = s.caller(ctx, tx, c)
		return err
	})
	return a, err
}

// GrantAdmin makes an account an admin. It is an operator's bootstrap step, so only System may.
func (s *Service) GrantAdmin(ctx context.Context, c Caller, accountID string) error {
	if !c.system {
		return errs.New(errs.CodeForbidden, "only the operator may grant admin")
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, accountID)
		if err != nil {
			return err
		}
		a.Admin = true
		return tx.Accounts().Update(ctx, a)
	})
}

// StartPayoutOnboarding creates the caller's payout account at the processor if needed and
// returns the link where the human completes KYC. It needs a verified email.
func (s *Service) StartPayoutOnboarding(ctx context.Context, c Caller) (string, error) {
	a, err := s.Account(ctx, c)
	if err != nil {
		return "", err
	}
	if !a.EmailVerified {
		return "", errs.New(errs.CodeEmailNotVerified, "verify your email before payout onboarding")
	}
	ref := a.ConnectRef
	if ref == "" {
		if ref, err = s.cfg.Payments.CreateConnectedAccount(ctx, a.ID, a.Email); err != nil {
			return "", errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry")
		}
		err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
			a, err := tx.Accounts().Get(ctx, a.ID)
			if err != nil {
				return err
			}
			a.ConnectRef = ref
			return tx.Accounts().Update(ctx, a)
		})
		if err != nil {
			return "", err
		}
	}
	url, err := s.cfg.Payments.OnboardingLink(ctx, ref)
	if err != nil {
		return "", errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry")
	}
	return url, nil
}

// PayoutOnboardingCompleted is the processor callback for a finished KYC: the account can now be
// hired and paid. It is idempotent.
func (s *Service) PayoutOnboardingCompleted(ctx context.Context, accountID string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, accountID)
		if err != nil {
			return err
		}
		if a.ConnectRef == "" {
			return errs.New(errs.CodeConflict, "payout onboarding was never started")
		}
		if a.PayoutsEnabled {
			return nil
		}
		a.PayoutsEnabled = true
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		return appendEvents(ctx, tx, s.event("account.payouts_enabled", "", []string{a.ID}, nil))
	})
}

// Balances is an account's money on the platform in one currency, in minor units.
type Balances struct {
	Currency money.Currency `json:"currency"`
	Wallet   int64          `json:"wallet"`
	Pending  int64          `json:"pending"`
	Payable  int64          `json:"payable"`
}

// Balances returns the caller's wallet, pending and payable balances in cur.
func (s *Service) Balances(ctx context.Context, c Caller, cur money.Currency) (Balances, error) {
	b := Balances{Currency: cur}
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		for acct, dst := range map[ledger.Account]*int64{ledger.Wallet(a.ID): &b.Wallet, ledger.Pending(a.ID): &b.Pending, ledger.Payable(a.ID): &b.Payable} {
			if *dst, err = tx.Ledger().Balance(ctx, acct, cur); err != nil {
				return err
			}
		}
		return nil
	})
	return b, err
}

// TopUp starts an asynchronous wallet top-up (a bank debit). The wallet is credited only when
// the processor reports success (TopUpSucceeded). The same idempotency key returns the same
// top-up.
func (s *Service) TopUp(ctx context.Context, c Caller, amount money.Money, idempotencyKey string) (*payout.TopUp, error) {
	if amount.Amount <= 0 || !amount.Currency.Valid() {
		return nil, errs.New(errs.CodeInvalidInput, "a top-up needs a positive amount in an ISO currency")
	}
	a, err := s.Account(ctx, c)
	if err != nil {
		return nil, err
	}
	if !a.EmailVerified {
		return nil, errs.New(errs.CodeEmailNotVerified, "verify your email before funding a wallet")
	}
	key := "topup-" + a.ID + "-" + idempotencyKey
	if idempotencyKey == "" {
		key = "topup-" + s.cfg.IDs.New("key")
	}
	ref, err := s.cfg.Payments.CreateTopUp(ctx, key, amount, a.ID)
	if err != nil {
		return nil, errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry with the same key")
	}
	t := &payout.TopUp{ID: "tu_" + ref, AccountID: a.ID, Amount: amount, Status: payout.TopUpPending, Ref: ref, CreatedAt: s.now()}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if prev, err := tx.TopUps().Get(ctx, t.ID); err == nil {
			t = prev
			return nil
		}
		if err := tx.TopUps().Create(ctx, t); err != nil {
			return err
		}
		return appendEvents(ctx, tx, s.event("topup.created", "", []string{a.ID}, map[string]string{"topup_id": t.ID, "amount": amount.String()}))
	})
	return t, err
}

// TopUpSucceeded is the processor callback for a settled top-up: the wallet is credited. It is
// idempotent.
func (s *Service) TopUpSucceeded(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpSucceeded, payout.TopUpPending)
}

// TopUpFailed is the processor callback for a failed top-up: nothing is credited.
func (s *Service) TopUpFailed(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpFailed, payout.TopUpPending)
}

// TopUpReturned is the processor callback for a top-up returned after it succeeded: the wallet is
// debited by what it still holds, up to the amount; the event reports any unrecovered rest. It is
// idempotent. A return reported before the success (webhooks arrive in any order) marks a pending
// top-up returned without crediting it, so the late success is refused.
func (s *Service) TopUpReturned(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpReturned, payout.TopUpSucceeded, payout.TopUpPending)
}

func (s *Service) settleTopUp(ctx context.Context, id string, to payout.TopUpStatus, from ...payout.TopUpStatus) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		t, err := tx.TopUps().Get(ctx, id)
		if err != nil {
			return err
		}
		if t.Status == to {
			return nil
		}
		if !slices.Contains(from, t.Status) {
			return errs.New(errs.CodeInvalidTransition, "top-up is %s, not %s", t.Status, from[0])
		}
		credited := t.Status == payout.TopUpSucceeded
		t.Status = to
		data := map[string]string{"topup_id": t.ID, "amount": t.Amount.String()}
		wallet := ledger.Wallet(t.AccountID)
		var tr []ledger.Transfer
		switch to {
		case payout.TopUpSucceeded:
			tr = append(tr, ledger.Transfer{From: ledger.ExternalStripe, To: wallet, Amount: t.Amount, Memo: "top-up " + t.ID})
		case payout.TopUpReturned:
			var owed int64 // what the wallet was credited
			if credited {
				owed = t.Amount.Amount
			}
			have, err := tx.Ledger().Balance(ctx, wallet, t.Amount.Currency)
			if err != nil {
				return err
			}
			take := min(have, owed)
			if take > 0 {
				tr = append(tr, ledger.Transfer{From: wallet, To: ledger.ExternalStripe, Amount: money.Money{Amount: take, Currency: t.Amount.Currency}, Memo: "returned top-up " + t.ID})
			}
			data["unrecovered"] = money.Money{Amount: owed - take, Currency: t.Amount.Currency}.String()
		}
		if err := s.post(ctx, tx, "", tr...); err != nil {
			return err
		}
		if err := tx.TopUps().Update(ctx, t); err != nil {
			return err
		}
		return appendEvents(ctx, tx, s.event("topup."+string(to), "", []string{t.AccountID}, data))
	})
}

// caller loads the caller's account, refusing the anonymous and the system caller.
func (s *Service) caller(ctx context.Context, tx ports.Tx, c Caller) (*account.Account, error) {
	if c.AccountID == "" {
		return nil, errs.New(errs.CodeForbidden, "an account is required")
	}
	a, err := tx.Accounts().Get(ctx, c.AccountID)
	if errors.Is(err, ports.ErrNotFound) {
		return nil, errs.New(errs.CodeForbidden, "unknown account")
	}
	return a, err
}

// post writes transfers to the ledger as entries of jobID at the current time.
func (s *Service) post(ctx context.Context, tx ports.Tx, jobID string, ts ...ledger.Transfer) error {
	if len(ts) == 0 {
		return nil
	}
	now := s.now()
	es := make([]ledger.Entry, len(ts))
	for i, t := range ts {
		es[i] = ledger.Entry{JobID: jobID, At: now, Transfer: t}
	}
	return tx.Ledger().Post(ctx, es...)
}

func (s *Service) event(typ, jobID string, accounts []string, data map[string]string) event.Event {
	return event.Event{ID: s.cfg.IDs.New("evt"), Type: typ, JobID: jobID, Accounts: accounts, Data: data, At: s.now()}
}

func appendEvents(ctx context.Context, tx ports.Tx, es ...event.Event) error {
	return tx.Events().Append(ctx, es...)
}

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
