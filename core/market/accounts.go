package market

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
)

// RegisterInput is what a new account gives.
type RegisterInput struct {
	Email string
	Name  string
}

// Register creates an account and emails it a verification link and token (see VerifyEmail). It
// refuses an invalid email or name (INVALID_INPUT).
//
// Register does not reveal whether an address is registered. For an address that already has an
// account it answers as for a new one (a fresh, unverified account, which is not stored and whose
// ID never works) and emails the address instead: a new verification link when that account is
// still unverified, or a note that someone tried to register with it. Only the address's owner
// learns that it is taken. These emails count against the verification rate limit and are
// silently skipped over it.
//
// Emails are queued in the same transaction and sent by the timer loop (HandleTimer), so a mail
// server outage neither fails nor slows Register; the email goes out once the server is back.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*account.Account, error) {
	if err := text.Line("name", in.Name); err != nil {
		return nil, err
	}
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 100 {
		return nil, errs.New(errs.CodeInvalidInput, "name must be 1 to 100 characters")
	}
	a := &account.Account{ID: s.cfg.IDs.New("acc"), Email: email, Name: name, CreatedAt: s.now()}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		prev, err := tx.Accounts().GetByEmail(ctx, email)
		switch {
		case err == nil:
			return s.registeredAgain(ctx, tx, prev)
		case !errors.Is(err, ports.ErrNotFound):
			return err
		}
		token, err := s.newToken(a)
		if err != nil {
			return err
		}
		if err := tx.Accounts().Create(ctx, a); err != nil {
			return err
		}
		if err := s.queueVerification(ctx, tx, a, token, false); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("account.registered", "", []string{a.ID}, nil))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// registeredAgain emails the owner of an address someone registered again, within the
// verification rate limit.
func (s *Service) registeredAgain(ctx context.Context, tx ports.Tx, a *account.Account) error {
	if !a.VerificationAllowed(s.now()) {
		return nil
	}
	if !a.EmailVerified {
		return s.reissueVerification(ctx, tx, a, true)
	}
	a.CountVerification(s.now())
	if err := tx.Accounts().Update(ctx, a); err != nil {
		return err
	}
	return s.queueEmail(ctx, tx, "registered:"+a.ID+":"+strconv.FormatInt(s.now().UnixNano(), 36), emailRegistered, a, emailData{Link: s.cfg.BaseURL})
}

// RequestVerification emails a fresh verification token to the address when it belongs to an
// unverified account, replacing the previous token, at most one email per
// account.VerificationInterval and account.MaxVerificationsPerDay per day. It is the resend path,
// for a human who lost the email and has no credentials: it answers the same (nil) whether or not
// the address is registered, verified or rate limited, so it cannot be used to learn which
// addresses have accounts. Only a malformed address is refused (INVALID_INPUT).
func (s *Service) RequestVerification(ctx context.Context, email string) error {
	return s.requestToken(ctx, email, false)
}

// RequestSignIn emails a one-time sign-in token to the address when it belongs to an account,
// verified or not, under the same rate limits as RequestVerification; the token signs in through
// VerifyEmail (which, for an unverified account, also verifies it) and expires after
// account.VerificationTTL. Like RequestVerification it answers nil whether or not the address is
// registered, so it reveals no accounts; only a malformed address is refused (INVALID_INPUT).
func (s *Service) RequestSignIn(ctx context.Context, email string) error {
	return s.requestToken(ctx, email, true)
}

// requestToken emails a fresh token to the address's account, if there is one, it is unverified
// or verified accounts are included, and the rate limits allow it.
func (s *Service) requestToken(ctx context.Context, email string, verifiedToo bool) error {
	addr, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().GetByEmail(ctx, addr)
		if errors.Is(err, ports.ErrNotFound) {
			return nil
		}
		if err != nil || (a.EmailVerified && !verifiedToo) || !a.VerificationAllowed(s.now()) {
			return err
		}
		return s.reissueVerification(ctx, tx, a, false)
	})
}

// reissueVerification gives a stored account a new verification token and queues its email.
func (s *Service) reissueVerification(ctx context.Context, tx ports.Tx, a *account.Account, again bool) error {
	token, err := s.newToken(a)
	if err != nil {
		return err
	}
	if err := tx.Accounts().Update(ctx, a); err != nil {
		return err
	}
	return s.queueVerification(ctx, tx, a, token, again)
}

// newToken sets a fresh verification token on a and returns it. The token is the account ID, a
// dot and 32 random bytes in unpadded base64url; only the SHA-256 of the random part is stored,
// and it expires after account.VerificationTTL.
func (s *Service) newToken(a *account.Account) (string, error) {
	secret := make([]byte, 32)
	if _, err := io.ReadFull(s.cfg.Random, secret); err != nil {
		return "", fmt.Errorf("market: reading randomness: %w", err)
	}
	enc := base64.RawURLEncoding.EncodeToString(secret)
	a.SetVerification(sha256Hex(enc), s.now())
	return a.ID + "." + enc, nil
}

// queueVerification queues the verification email carrying token, in tx.
func (s *Service) queueVerification(ctx context.Context, tx ports.Tx, a *account.Account, token string, again bool) error {
	d := emailData{
		Link:  s.cfg.BaseURL + "/verify-email?token=" + url.QueryEscape(token),
		Token: token, ExpiresAt: formatTime(a.VerifyTokenExpiresAt), Again: again,
	}
	return s.queueEmail(ctx, tx, "verify:"+a.ID+":"+a.VerifyTokenHash[:16], emailVerify, a, d)
}

// normalizeEmail checks that s is a plain address and returns it trimmed and lowercased.
func normalizeEmail(s string) (string, error) {
	if err := text.Line("email", s); err != nil {
		return "", err
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || addr.Name != "" {
		return "", errs.New(errs.CodeInvalidInput, "email %q is not a plain address", s)
	}
	return strings.ToLower(addr.Address), nil
}

// Verified is what VerifyEmail did: the account, and its first API key with the key's secret
// (shown once) when the account had no key yet.
type Verified struct {
	Account *account.Account
	Key     *apikey.Key // nil when the account already had a key
	Secret  string
}

// VerifyEmail marks the token's account verified and, in the same transaction, gives an account
// without a key its first API key. The token works once and until it expires
// (account.VerificationTTL after it was sent), and only the latest one sent works; a wrong,
// used, replaced, expired or malformed token is refused with INVALID_TOKEN.
func (s *Service) VerifyEmail(ctx context.Context, token string) (*Verified, error) {
	if err := text.Line("token", token); err != nil {
		return nil, err
	}
	id, secret, ok := strings.Cut(token, ".")
	if !ok || id == "" || secret == "" {
		return nil, errs.New(errs.CodeInvalidToken, "malformed verification token")
	}
	var v *Verified
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, id)
		if errors.Is(err, ports.ErrNotFound) {
			return errs.New(errs.CodeInvalidToken, "unknown verification token")
		}
		if err != nil {
			return err
		}
		if a.VerifyTokenHash == "" || subtle.ConstantTimeCompare([]byte(a.VerifyTokenHash), []byte(sha256Hex(secret))) != 1 {
			return errs.New(errs.CodeInvalidToken, "unknown verification token")
		}
		if !s.now().Before(a.VerifyTokenExpiresAt) {
			return errs.New(errs.CodeInvalidToken, "the verification token expired; ask for a new one")
		}
		a.EmailVerified, a.VerifyTokenHash, a.VerifyTokenExpiresAt = true, "", time.Time{}
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		if err := s.appendEvents(ctx, tx, s.event("account.email_verified", "", []string{a.ID}, nil)); err != nil {
			return err
		}
		v = &Verified{Account: a}
		keys, err := tx.APIKeys().ListByAccount(ctx, a.ID)
		if err != nil || len(keys) > 0 {
			return err
		}
		v.Key, v.Secret, err = s.newAPIKey(ctx, tx, a.ID, "first key")
		return err
	})
	return v, err
}

// SetEmailNotifications turns the caller's notification emails (hired, delivered, dispute
// opened) on or off. They are on for a new account. Verification emails are sent regardless.
func (s *Service) SetEmailNotifications(ctx context.Context, c Caller, on bool) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		a.EmailOptOut = !on
		return tx.Accounts().Update(ctx, a)
	})
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
	if err := text.Line("account_id", accountID); err != nil {
		return err
	}
	return s.setAdmin(ctx, c, func(ctx context.Context, tx ports.Tx) (*account.Account, error) {
		return tx.Accounts().Get(ctx, accountID)
	}, true, "")
}

// SetAdmin grants (admin true) or revokes the admin role of the account with the email, and
// writes the operator's reason to the admin audit log. Only System (the operator) may; the reason
// is required. A revoked account is refused admin routes from its next call on, since the role is
// read from the account on every call.
func (s *Service) SetAdmin(ctx context.Context, c Caller, email string, admin bool, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errs.New(errs.CodeInvalidInput, "a reason is required")
	}
	if err := cmp.Or(text.Line("email", email), text.Block("reason", reason)); err != nil {
		return err
	}
	return s.setAdmin(ctx, c, func(ctx context.Context, tx ports.Tx) (*account.Account, error) {
		return tx.Accounts().GetByEmail(ctx, email)
	}, admin, reason)
}

// AuditOperator is the actor of the audit entries the operator writes from the command line.
const AuditOperator = "operator"

// setAdmin sets the admin role of the account get loads, auditing it when a reason is given.
func (s *Service) setAdmin(ctx context.Context, c Caller, get func(context.Context, ports.Tx) (*account.Account, error), admin bool, reason string) error {
	if !c.system {
		return errs.New(errs.CodeForbidden, "only the operator may grant or revoke admin")
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := get(ctx, tx)
		if err != nil {
			return err
		}
		a.Admin = admin
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		action := "revoke_admin"
		if admin {
			action = "grant_admin"
		}
		return tx.Audit().Append(ctx, event.Audit{ActorID: AuditOperator, Action: action, Reason: fmt.Sprintf("%s (account %s)", reason, a.ID), At: s.cfg.Clock.Now()})
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
	if err := text.Line("account_id", accountID); err != nil {
		return err
	}
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
		return s.appendEvents(ctx, tx, s.event("account.payouts_enabled", "", []string{a.ID}, nil))
	})
}

// Balances is an account's money on the platform in one currency, in minor units, and what it
// owes the platform.
type Balances struct {
	Currency money.Currency `json:"currency"`
	Wallet   int64          `json:"wallet"`
	Pending  int64          `json:"pending"`
	Payable  int64          `json:"payable"`
	// Debt is what the account owes the platform in the currency: the part of a returned top-up
	// its wallet no longer held. Refunds and top-ups to the wallet pay it first; while it is not
	// zero, funding a job is refused with OUTSTANDING_DEBT.
	Debt money.Money `json:"debt" doc:"what the account owes the platform (a returned top-up the wallet no longer held); refunds and top-ups pay it first, and while it is not zero funding a job is refused with OUTSTANDING_DEBT"`
}

// Balances returns the caller's wallet, pending and payable balances and its debt in cur.
func (s *Service) Balances(ctx context.Context, c Caller, cur money.Currency) (Balances, error) {
	if !cur.Valid() {
		return Balances{}, errs.New(errs.CodeInvalidInput, "currency must be an ISO 4217 code")
	}
	b := Balances{Currency: cur, Debt: money.Zero(cur)}
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
		b.Debt.Amount, err = debt(ctx, tx, a.ID, cur)
		return err
	})
	return b, err
}

// debt is what the account owes the platform in cur (ledger.KindReceivable).
func debt(ctx context.Context, tx ports.Tx, accountID string, cur money.Currency) (int64, error) {
	b, err := tx.Ledger().Balance(ctx, ledger.Receivable(accountID), cur)
	return ledger.Debt(b), err
}

// refuseDebtor refuses (OUTSTANDING_DEBT) to let an account that owes the platform in cur fund a
// job.
func refuseDebtor(ctx context.Context, tx ports.Tx, accountID string, cur money.Currency) error {
	owed, err := debt(ctx, tx, accountID, cur)
	if err != nil || owed == 0 {
		return err
	}
	return errs.New(errs.CodeOutstandingDebt, "the account owes %s from a returned top-up; a top-up pays it first, then jobs can be funded again",
		money.Money{Amount: owed, Currency: cur})
}

// TopUp starts an asynchronous wallet top-up (a bank debit). The wallet is credited only when
// the processor reports success (TopUpSucceeded). The same idempotency key returns the same
// top-up.
func (s *Service) TopUp(ctx context.Context, c Caller, amount money.Money, idempotencyKey string) (*payout.TopUp, error) {
	if amount.Amount <= 0 || !amount.Currency.Valid() {
		return nil, errs.New(errs.CodeInvalidInput, "a top-up needs a positive amount in an ISO currency")
	}
	if err := amount.CheckMax(); err != nil {
		return nil, err
	}
	if err := text.Line("idempotency_key", idempotencyKey); err != nil {
		return nil, err
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
	payer, err := s.payer(ctx, a)
	if err != nil {
		return nil, err
	}
	id := payout.TopUpID(key)
	co, err := s.cfg.Payments.CreateTopUp(ctx, key, amount, id, payer)
	if err != nil {
		return nil, errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry with the same key")
	}
	t := &payout.TopUp{ID: id, AccountID: a.ID, Amount: amount, Status: payout.TopUpPending, Ref: co.Ref, CheckoutURL: co.URL, CreatedAt: s.now()}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if prev, err := tx.TopUps().Get(ctx, t.ID); err == nil {
			t = prev
			return nil
		}
		if err := tx.TopUps().Create(ctx, t); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("topup.created", "", []string{a.ID}, map[string]string{"topup_id": t.ID, "amount": amount.String()}))
	})
	return t, err
}

// TopUpSucceeded is the processor callback for a settled top-up: the wallet is credited, and
// pays the account's debt, if any, first (its event reports "debt_repaid"). It is idempotent.
func (s *Service) TopUpSucceeded(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpSucceeded, payout.TopUpPending)
}

// TopUpFailed is the processor callback for a failed top-up: nothing is credited.
func (s *Service) TopUpFailed(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpFailed, payout.TopUpPending)
}

// TopUpReturned is the processor callback for a top-up returned after it succeeded: the wallet is
// debited by what it still holds, up to the amount, and the unrecovered rest becomes the
// account's debt (ledger.Receivable), which the next refunds and top-ups to the wallet pay first
// and which stops the account from funding jobs until it is paid (OUTSTANDING_DEBT). The event
// reports the unrecovered rest and the debt. It is idempotent. A return reported before the
// success (webhooks arrive in any order) marks a pending top-up returned without crediting it,
// so the late success is refused.
func (s *Service) TopUpReturned(ctx context.Context, topUpID string) error {
	return s.settleTopUp(ctx, topUpID, payout.TopUpReturned, payout.TopUpSucceeded, payout.TopUpPending)
}

func (s *Service) settleTopUp(ctx context.Context, id string, to payout.TopUpStatus, from ...payout.TopUpStatus) error {
	if err := text.Line("top_up_id", id); err != nil {
		return err
	}
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
			prior, err := debt(ctx, tx, t.AccountID, t.Amount.Currency) // first: it holds the debt (ports.Ledger.Balance)
			if err != nil {
				return err
			}
			have, err := tx.Ledger().Balance(ctx, wallet, t.Amount.Currency)
			if err != nil {
				return err
			}
			take := min(have, owed)
			if take > 0 {
				tr = append(tr, ledger.Transfer{From: wallet, To: ledger.ExternalStripe, Amount: money.Money{Amount: take, Currency: t.Amount.Currency}, Memo: "returned top-up " + t.ID})
			}
			rest := money.Money{Amount: owed - take, Currency: t.Amount.Currency}
			if rest.Amount > 0 {
				tr = append(tr, ledger.Transfer{From: ledger.Receivable(t.AccountID), To: ledger.ExternalStripe, Amount: rest, Memo: "unrecovered returned top-up " + t.ID})
			}
			data["unrecovered"] = rest.String()
			data["debt"] = money.Money{Amount: prior + rest.Amount, Currency: rest.Currency}.String()
		}
		repaid, err := s.post(ctx, tx, "", tr...)
		if err != nil {
			return err
		}
		if len(repaid) > 0 {
			data["debt_repaid"] = repaid[0].Amount.String()
		}
		if err := tx.TopUps().Update(ctx, t); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("topup."+string(to), "", []string{t.AccountID}, data))
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

// actor returns the account of a caller, or nil for System.
func (s *Service) actor(ctx context.Context, tx ports.Tx, c Caller) (*account.Account, error) {
	if c.system {
		return nil, nil
	}
	return s.caller(ctx, tx, c)
}

// post writes transfers to the ledger as entries of jobID at the current time. Then each wallet
// they credit pays its owner's debt in the currency (ledger.Receivable) as far as it holds, so that
// money owed to the platform never becomes spendable again; post returns those repayments, which
// it posted too. Each debt is read, and so held (ports.Ledger.Balance), before the credit, so a
// concurrent return of a top-up either sees the credit or leaves a debt this repays.
func (s *Service) post(ctx context.Context, tx ports.Tx, jobID string, ts ...ledger.Transfer) ([]ledger.Transfer, error) {
	type owing struct {
		wallet ledger.Account
		debt   money.Money
	}
	var debts []owing
	for _, t := range ts {
		if t.To.Kind() != ledger.KindWallet || slices.ContainsFunc(debts, func(o owing) bool { return o.wallet == t.To && o.debt.Currency == t.Amount.Currency }) {
			continue
		}
		d, err := debt(ctx, tx, t.To.ID(), t.Amount.Currency)
		if err != nil {
			return nil, err
		}
		debts = append(debts, owing{t.To, money.Money{Amount: d, Currency: t.Amount.Currency}})
	}
	if err := s.postEntries(ctx, tx, jobID, ts); err != nil {
		return nil, err
	}
	var repaid []ledger.Transfer
	for _, o := range debts {
		if o.debt.Amount == 0 {
			continue
		}
		have, err := tx.Ledger().Balance(ctx, o.wallet, o.debt.Currency)
		if err != nil {
			return nil, err
		}
		if pay := min(have, o.debt.Amount); pay > 0 {
			repaid = append(repaid, ledger.Transfer{From: o.wallet, To: ledger.Receivable(o.wallet.ID()),
				Amount: money.Money{Amount: pay, Currency: o.debt.Currency}, Memo: "debt repaid"})
		}
	}
	return repaid, s.postEntries(ctx, tx, jobID, repaid)
}

// postEntries writes transfers to the ledger as entries of jobID at the current time.
func (s *Service) postEntries(ctx context.Context, tx ports.Tx, jobID string, ts []ledger.Transfer) error {
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
