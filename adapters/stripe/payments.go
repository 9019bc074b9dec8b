package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Metadata keys and values the adapter writes on Stripe objects and the webhook translator reads.
const (
	MetaAccountID = "account_id" // connected accounts and top-ups: the marketplace account
	MetaJobID     = "job_id"     // card payments: the job they fund
	MetaKind      = "kind"       // payment intents: KindJob or KindTopUp
	MetaPayoutID  = "payout_id"  // transfers: the core's payout, when the key names one

	KindJob   = "job"   // a payment intent funding a job's escrow by card
	KindTopUp = "topup" // a payment intent topping a wallet up by bank debit
)

// DefaultTimeout is the per-request timeout when Config sets neither HTTPClient nor Timeout.
const DefaultTimeout = 30 * time.Second

// Config configures the adapter. SecretKey, ReturnURL and RefreshURL are required.
type Config struct {
	// SecretKey is the platform's secret API key (sk_live_…, sk_test_…, or any key for stripe-mock).
	SecretKey string
	// APIBase replaces https://api.stripe.com, e.g. with a stripe-mock URL. Empty means Stripe.
	APIBase string
	// ReturnURL is where Stripe sends the human after onboarding; RefreshURL where it sends them
	// when the account link expired or was already used (the app should issue a new link there).
	ReturnURL, RefreshURL string
	// HTTPClient makes the requests. Nil means a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds one request when HTTPClient is nil; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxNetworkRetries is how often stripe-go itself retries a request that failed on the network,
	// with a 409 or a 5xx, under the same idempotency key. Zero means stripe-go's default (2);
	// negative means no automatic retry (the core retries with backoff anyway).
	MaxNetworkRetries int
}

// Payments is ports.Payments on Stripe Connect. It is safe for concurrent use. Make one with New;
// the zero value is not usable.
type Payments struct {
	api *client.API
	cfg Config
}

var _ ports.Payments = (*Payments)(nil)

// New returns the adapter for cfg, or an error when a required field is missing.
func New(cfg Config) (*Payments, error) {
	switch {
	case cfg.SecretKey == "":
		return nil, errors.New("stripe: Config.SecretKey is required")
	case cfg.ReturnURL == "" || cfg.RefreshURL == "":
		return nil, errors.New("stripe: Config.ReturnURL and Config.RefreshURL are required for onboarding links")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		timeout := cfg.Timeout
		if timeout == 0 {
			timeout = DefaultTimeout
		}
		hc = &http.Client{Timeout: timeout}
	}
	bc := &stripego.BackendConfig{
		HTTPClient:    hc,
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull}, // errors are returned, not logged
	}
	switch {
	case cfg.MaxNetworkRetries > 0:
		bc.MaxNetworkRetries = stripego.Int64(int64(cfg.MaxNetworkRetries))
	case cfg.MaxNetworkRetries < 0:
		bc.MaxNetworkRetries = stripego.Int64(0)
	}
	if cfg.APIBase != "" {
		bc.URL = stripego.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	backends := &stripego.Backends{
		API:     stripego.GetBackendWithConfig(stripego.APIBackend, bc),
		Connect: stripego.GetBackendWithConfig(stripego.ConnectBackend, bc),
		Uploads: stripego.GetBackendWithConfig(stripego.UploadsBackend, bc),
	}
	api := &client.API{}
	api.Init(cfg.SecretKey, backends)
	return &Payments{api: api, cfg: cfg}, nil
}

// params returns stripe-go's common parameters for a call: the context, and the idempotency key
// when there is one.
func params(ctx context.Context, key string) stripego.Params {
	p := stripego.Params{Context: ctx}
	if key != "" {
		p.IdempotencyKey = stripego.String(key)
	}
	return p
}

// checkAmount refuses what Stripe would refuse anyway, before a request: amounts are positive
// minor units in an ISO currency.
func checkAmount(op string, m money.Money) error {
	if m.Amount <= 0 || !m.Currency.Valid() {
		return &Error{Op: op, Message: fmt.Sprintf("amount must be positive with a valid currency, got %d %q", m.Amount, m.Currency)}
	}
	return nil
}

// currency is m's currency as Stripe spells it: lower case.
func currency(m money.Money) *string { return stripego.String(strings.ToLower(string(m.Currency))) }

// ConnectedAccountKey is the idempotency key of the Express account created for a marketplace
// account: the same account ID always makes the same request.
func ConnectedAccountKey(accountID string) string { return "connect-account-" + accountID }

// CreateConnectedAccount creates an Express connected account with the transfers capability
// requested and metadata account_id, and returns its "acct_…" ID. It is idempotent per accountID
// for as long as Stripe keeps idempotency keys (24 hours); the core stores the reference at once
// and never asks again for an account that has one.
func (p *Payments) CreateConnectedAccount(ctx context.Context, accountID, email string) (string, error) {
	const op = "create connected account"
	if accountID == "" {
		return "", &Error{Op: op, Message: "no account ID"}
	}
	ap := &stripego.AccountParams{
		Params: params(ctx, ConnectedAccountKey(accountID)),
		Type:   stripego.String(string(stripego.AccountTypeExpress)),
		Capabilities: &stripego.AccountCapabilitiesParams{
			Transfers: &stripego.AccountCapabilitiesTransfersParams{Requested: stripego.Bool(true)},
		},
		Metadata: map[string]string{MetaAccountID: accountID},
	}
	if email != "" {
		ap.Email = stripego.String(email)
	}
	a, err := p.api.Accounts.New(ap)
	if err != nil {
		return "", translate(op, err)
	}
	return a.ID, nil
}

// OnboardingLink returns a single-use account_onboarding link for the connected account ref,
// returning to Config.ReturnURL (or Config.RefreshURL when it expired).
func (p *Payments) OnboardingLink(ctx context.Context, ref string) (string, error) {
	l, err := p.api.AccountLinks.New(&stripego.AccountLinkParams{
		Params:     params(ctx, ""),
		Account:    stripego.String(ref),
		Type:       stripego.String(string(stripego.AccountLinkTypeAccountOnboarding)),
		ReturnURL:  stripego.String(p.cfg.ReturnURL),
		RefreshURL: stripego.String(p.cfg.RefreshURL),
	})
	if err != nil {
		return "", translate("onboarding link", err)
	}
	return l.URL, nil
}

// LoginLink returns a single-use link to the Express dashboard of the connected account ref,
// where the human sees their payouts and updates their bank details.
func (p *Payments) LoginLink(ctx context.Context, ref string) (string, error) {
	l, err := p.api.LoginLinks.New(&stripego.LoginLinkParams{Params: params(ctx, ""), Account: stripego.String(ref)})
	if err != nil {
		return "", translate("login link", err)
	}
	return l.URL, nil
}

// CreatePaymentIntent creates a card PaymentIntent on the platform for the job's escrow, with
// transfer_group and metadata job_id set to jobID, and returns its "pi_…" ID. The customer
// confirms it with its client secret; the outcome arrives as a webhook.
func (p *Payments) CreatePaymentIntent(ctx context.Context, key string, amount money.Money, jobID string) (string, error) {
	const op = "create payment intent"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	pi, err := p.api.PaymentIntents.New(&stripego.PaymentIntentParams{
		Params:             params(ctx, key),
		Amount:             stripego.Int64(amount.Amount),
		Currency:           currency(amount),
		PaymentMethodTypes: stripego.StringSlice([]string{"card"}),
		TransferGroup:      stripego.String(jobID),
		Metadata:           map[string]string{MetaJobID: jobID, MetaKind: KindJob},
	})
	if err != nil {
		return "", translate(op, err)
	}
	return pi.ID, nil
}

// CancelPaymentIntent cancels the PaymentIntent ref. A PaymentIntent that is already cancelled is
// not an error; one that already succeeded is refused with an *Error.
func (p *Payments) CancelPaymentIntent(ctx context.Context, ref string) error {
	const op = "cancel payment intent"
	_, err := p.api.PaymentIntents.Cancel(ref, &stripego.PaymentIntentCancelParams{Params: params(ctx, "")})
	if err == nil {
		return nil
	}
	var se *stripego.Error
	if errors.As(err, &se) && se.Code == stripego.ErrorCodePaymentIntentUnexpectedState {
		pi := se.PaymentIntent
		if pi == nil || pi.Status == "" {
			var getErr error
			if pi, getErr = p.api.PaymentIntents.Get(ref, &stripego.PaymentIntentParams{Params: params(ctx, "")}); getErr != nil {
				return translate(op, getErr)
			}
		}
		if pi.Status == stripego.PaymentIntentStatusCanceled {
			return nil
		}
	}
	return translate(op, err)
}

// CreateTopUp creates a us_bank_account (ACH debit) PaymentIntent on the platform with metadata
// account_id and kind=topup, and returns its "pi_…" ID. The core names the top-up
// payout.TopUpID(ref); the outcome arrives as a webhook.
func (p *Payments) CreateTopUp(ctx context.Context, key string, amount money.Money, accountID string) (string, error) {
	const op = "create top-up"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	pi, err := p.api.PaymentIntents.New(&stripego.PaymentIntentParams{
		Params:             params(ctx, key),
		Amount:             stripego.Int64(amount.Amount),
		Currency:           currency(amount),
		PaymentMethodTypes: stripego.StringSlice([]string{"us_bank_account"}),
		Metadata:           map[string]string{MetaAccountID: accountID, MetaKind: KindTopUp},
	})
	if err != nil {
		return "", translate(op, err)
	}
	return pi.ID, nil
}

// Transfer transfers amount from the platform balance to the connected account destination under
// the idempotency key, and returns the "tr_…" ID. When the key is the core's payout key
// ("payout-" + payout ID) the payout ID is recorded as metadata payout_id, so the transfer's
// webhook settles that payout. Stripe transfers to connected accounts are synchronous: a nil
// error means the money is in the connected account's balance.
//
// The transfer carries no transfer_group: the port does not pass the job, and the payout ID is
// not a useful group.
func (p *Payments) Transfer(ctx context.Context, key string, amount money.Money, destination string) (string, error) {
	const op = "transfer"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	if destination == "" {
		return "", &Error{Op: op, Message: "no destination"}
	}
	meta := map[string]string{}
	if id, ok := strings.CutPrefix(key, payout.IdempotencyKeyPrefix); ok && id != "" {
		meta[MetaPayoutID] = id
	}
	tr, err := p.api.Transfers.New(&stripego.TransferParams{
		Params:      params(ctx, key),
		Amount:      stripego.Int64(amount.Amount),
		Currency:    currency(amount),
		Destination: stripego.String(destination),
		Metadata:    meta,
	})
	if err != nil {
		return "", translate(op, err)
	}
	return tr.ID, nil
}

// ReverseTransfer takes amount (all or part of what is left) of the transfer transferRef back from
// the connected account to the platform under the idempotency key, and returns the "trr_…" ID.
func (p *Payments) ReverseTransfer(ctx context.Context, key string, amount money.Money, transferRef string) (string, error) {
	const op = "reverse transfer"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	if transferRef == "" {
		return "", &Error{Op: op, Message: "no transfer reference"}
	}
	r, err := p.api.TransferReversals.New(&stripego.TransferReversalParams{
		Params: params(ctx, key),
		ID:     stripego.String(transferRef),
		Amount: stripego.Int64(amount.Amount),
	})
	if err != nil {
		return "", translate(op, err)
	}
	return r.ID, nil
}

// Refund refunds amount (all or part) of the PaymentIntent paymentRef to the card under the
// idempotency key, and returns the "re_…" ID. The amount is in the payment's currency.
func (p *Payments) Refund(ctx context.Context, key string, amount money.Money, paymentRef string) (string, error) {
	const op = "refund"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	if paymentRef == "" {
		return "", &Error{Op: op, Message: "no payment reference"}
	}
	r, err := p.api.Refunds.New(&stripego.RefundParams{
		Params:        params(ctx, key),
		PaymentIntent: stripego.String(paymentRef),
		Amount:        stripego.Int64(amount.Amount),
	})
	if err != nil {
		return "", translate(op, err)
	}
	return r.ID, nil
}
