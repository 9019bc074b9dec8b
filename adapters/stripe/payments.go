package stripe

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	MetaAccountID = "account_id" // connected accounts, customers, top-ups, card setups: the marketplace account
	MetaJobID     = "job_id"     // card payments: the job they fund
	MetaTopUpID   = "topup_id"   // top-ups: the core's top-up
	MetaKind      = "kind"       // Checkout Sessions, payment and setup intents: one of the Kind values
	MetaPayoutID  = "payout_id"  // transfers: the core's payout, when the key names one
	MetaCheckout  = "checkout"   // payment intents a Checkout Session created: its mode ("payment")

	KindJob       = "job"        // funding a job's escrow by card
	KindTopUp     = "topup"      // topping a wallet up by bank debit
	KindCardSetup = "card_setup" // saving a card for off-session job payments
)

// DefaultTimeout is the per-request timeout when Config sets neither HTTPClient nor Timeout.
const DefaultTimeout = 30 * time.Second

// Config configures the adapter. SecretKey, ReturnURL, RefreshURL, CheckoutSuccessURL and
// CheckoutCancelURL are required.
type Config struct {
	// SecretKey is the platform's secret API key (sk_live_…, sk_test_…, or any key for stripe-mock).
	SecretKey string
	// APIBase replaces https://api.stripe.com, e.g. with a stripe-mock URL. Empty means Stripe.
	APIBase string
	// ReturnURL is where Stripe sends the human after onboarding; RefreshURL where it sends them
	// when the account link expired or was already used (the app should issue a new link there).
	ReturnURL, RefreshURL string
	// CheckoutSuccessURL is where Checkout sends the human after paying or saving a card;
	// CheckoutCancelURL where it sends them when they go back without doing so.
	CheckoutSuccessURL, CheckoutCancelURL string
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
	case cfg.CheckoutSuccessURL == "" || cfg.CheckoutCancelURL == "":
		return nil, errors.New("stripe: Config.CheckoutSuccessURL and Config.CheckoutCancelURL are required for Checkout")
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

// CustomerKey is the idempotency key of the Customer created for a marketplace account.
func CustomerKey(accountID string) string { return "customer-" + accountID }

// CreateCustomer creates the platform Customer of a marketplace account (metadata account_id)
// and returns its "cus_…" ID. It is idempotent per accountID for as long as Stripe keeps
// idempotency keys (24 hours); the core stores the reference at once.
func (p *Payments) CreateCustomer(ctx context.Context, accountID, email string) (string, error) {
	const op = "create customer"
	if accountID == "" {
		return "", &Error{Op: op, Message: "no account ID"}
	}
	cp := &stripego.CustomerParams{
		Params:   params(ctx, CustomerKey(accountID)),
		Metadata: map[string]string{MetaAccountID: accountID},
	}
	if email != "" {
		cp.Email = stripego.String(email)
	}
	c, err := p.api.Customers.New(cp)
	if err != nil {
		return "", translate(op, err)
	}
	return c.ID, nil
}

// CreateCardPayment funds the job's escrow by card on the platform (transfer_group and metadata
// job_id set to jobID, kind=job). With payer.CardRef it creates and confirms a PaymentIntent
// off-session on the saved card of payer.CustomerRef and returns its "pi_…" ID with no URL;
// otherwise it creates a Checkout Session in payment mode for the customer and returns its
// "cs_…" ID and URL. The outcome arrives as a webhook. A declined saved card is an *Error.
func (p *Payments) CreateCardPayment(ctx context.Context, key string, amount money.Money, jobID string, payer ports.Payer) (ports.Checkout, error) {
	const op = "create card payment"
	if err := checkAmount(op, amount); err != nil {
		return ports.Checkout{}, err
	}
	meta := map[string]string{MetaJobID: jobID, MetaKind: KindJob, MetaAccountID: payer.AccountID}
	if payer.CardRef != "" {
		pi, err := p.api.PaymentIntents.New(&stripego.PaymentIntentParams{
			Params:             params(ctx, key),
			Amount:             stripego.Int64(amount.Amount),
			Currency:           currency(amount),
			Customer:           stripego.String(payer.CustomerRef),
			PaymentMethod:      stripego.String(payer.CardRef),
			PaymentMethodTypes: stripego.StringSlice([]string{"card"}),
			Confirm:            stripego.Bool(true),
			OffSession:         stripego.Bool(true),
			TransferGroup:      stripego.String(jobID),
			Metadata:           meta,
		})
		if err != nil {
			return ports.Checkout{}, translate(op, err)
		}
		return ports.Checkout{Ref: pi.ID}, nil
	}
	return p.checkout(ctx, op, key, payer, amount, "card", "Job "+jobID, meta, &stripego.CheckoutSessionPaymentIntentDataParams{
		TransferGroup: stripego.String(jobID),
		Metadata:      withCheckout(meta),
	})
}

// withCheckout returns meta plus the mark of a payment intent created by a Checkout Session.
func withCheckout(meta map[string]string) map[string]string {
	out := maps.Clone(meta)
	out[MetaCheckout] = string(stripego.CheckoutSessionModePayment)
	return out
}

// checkout creates a Checkout Session in payment mode for one line item of amount, paid with the
// payment method type pm by payer's customer, and returns its ID and URL.
func (p *Payments) checkout(ctx context.Context, op, key string, payer ports.Payer, amount money.Money, pm, item string,
	meta map[string]string, pid *stripego.CheckoutSessionPaymentIntentDataParams) (ports.Checkout, error) {
	sp := &stripego.CheckoutSessionParams{
		Params:             params(ctx, key),
		Mode:               stripego.String(string(stripego.CheckoutSessionModePayment)),
		PaymentMethodTypes: stripego.StringSlice([]string{pm}),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			Quantity: stripego.Int64(1),
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    currency(amount),
				UnitAmount:  stripego.Int64(amount.Amount),
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(item)},
			},
		}},
		PaymentIntentData: pid,
		Metadata:          meta,
		SuccessURL:        stripego.String(p.cfg.CheckoutSuccessURL),
		CancelURL:         stripego.String(p.cfg.CheckoutCancelURL),
		ClientReferenceID: stripego.String(payer.AccountID),
	}
	if payer.CustomerRef != "" {
		sp.Customer = stripego.String(payer.CustomerRef)
	}
	cs, err := p.api.CheckoutSessions.New(sp)
	if err != nil {
		return ports.Checkout{}, translate(op, err)
	}
	return ports.Checkout{Ref: cs.ID, URL: cs.URL}, nil
}

// CancelPaymentIntent cancels the PaymentIntent ref, or expires the Checkout Session ref
// ("cs_…"). A PaymentIntent or a session that is already cancelled or expired is not an error;
// one that already succeeded (or a session completed) is refused with an *Error.
func (p *Payments) CancelPaymentIntent(ctx context.Context, ref string) error {
	if isSession(ref) {
		return p.expireSession(ctx, ref)
	}
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

// isSession reports whether ref is a Checkout Session's ID.
func isSession(ref string) bool { return strings.HasPrefix(ref, "cs_") }

// expireSession expires the open Checkout Session ref, so it can no longer be paid.
func (p *Payments) expireSession(ctx context.Context, ref string) error {
	const op = "expire checkout session"
	_, err := p.api.CheckoutSessions.Expire(ref, &stripego.CheckoutSessionExpireParams{Params: params(ctx, "")})
	if err == nil {
		return nil
	}
	var se *stripego.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusBadRequest {
		// Only an open session can be expired: one already expired is what the caller wants.
		cs, getErr := p.api.CheckoutSessions.Get(ref, &stripego.CheckoutSessionParams{Params: params(ctx, "")})
		if getErr != nil {
			return translate(op, getErr)
		}
		if cs.Status == stripego.CheckoutSessionStatusExpired {
			return nil
		}
	}
	return translate(op, err)
}

// CreateTopUp creates a Checkout Session in payment mode paid by us_bank_account (ACH debit) for
// payer's customer, with metadata account_id, topup_id and kind=topup on the session and on the
// PaymentIntent Checkout creates, and returns the session's "cs_…" ID and URL. The outcome
// arrives as a webhook naming topUpID.
func (p *Payments) CreateTopUp(ctx context.Context, key string, amount money.Money, topUpID string, payer ports.Payer) (ports.Checkout, error) {
	const op = "create top-up"
	if err := checkAmount(op, amount); err != nil {
		return ports.Checkout{}, err
	}
	if topUpID == "" {
		return ports.Checkout{}, &Error{Op: op, Message: "no top-up ID"}
	}
	meta := map[string]string{MetaAccountID: payer.AccountID, MetaTopUpID: topUpID, MetaKind: KindTopUp}
	return p.checkout(ctx, op, key, payer, amount, "us_bank_account", "Wallet top-up", meta,
		&stripego.CheckoutSessionPaymentIntentDataParams{Metadata: withCheckout(meta)})
}

// CreateCardSetup creates a Checkout Session in setup mode, where payer's customer saves a card
// for off-session payments, with metadata account_id and kind=card_setup on the session and on
// its SetupIntent, and returns the session's "cs_…" ID and URL. The saved card arrives as the
// setup_intent.succeeded webhook.
func (p *Payments) CreateCardSetup(ctx context.Context, key string, payer ports.Payer) (ports.Checkout, error) {
	const op = "create card setup"
	if payer.CustomerRef == "" {
		return ports.Checkout{}, &Error{Op: op, Message: "no customer: a saved card belongs to one"}
	}
	meta := map[string]string{MetaAccountID: payer.AccountID, MetaKind: KindCardSetup}
	cs, err := p.api.CheckoutSessions.New(&stripego.CheckoutSessionParams{
		Params:             params(ctx, key),
		Mode:               stripego.String(string(stripego.CheckoutSessionModeSetup)),
		PaymentMethodTypes: stripego.StringSlice([]string{"card"}),
		Customer:           stripego.String(payer.CustomerRef),
		SetupIntentData:    &stripego.CheckoutSessionSetupIntentDataParams{Metadata: meta},
		Metadata:           meta,
		SuccessURL:         stripego.String(p.cfg.CheckoutSuccessURL),
		CancelURL:          stripego.String(p.cfg.CheckoutCancelURL),
		ClientReferenceID:  stripego.String(payer.AccountID),
	})
	if err != nil {
		return ports.Checkout{}, translate(op, err)
	}
	return ports.Checkout{Ref: cs.ID, URL: cs.URL}, nil
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

// Refund refunds amount (all or part) of the PaymentIntent paymentRef, or of the one the Checkout
// Session paymentRef ("cs_…") created, to the card under the idempotency key, and returns the
// "re_…" ID. The amount is in the payment's currency.
func (p *Payments) Refund(ctx context.Context, key string, amount money.Money, paymentRef string) (string, error) {
	const op = "refund"
	if err := checkAmount(op, amount); err != nil {
		return "", err
	}
	if paymentRef == "" {
		return "", &Error{Op: op, Message: "no payment reference"}
	}
	if isSession(paymentRef) {
		cs, err := p.api.CheckoutSessions.Get(paymentRef, &stripego.CheckoutSessionParams{Params: params(ctx, "")})
		if err != nil {
			return "", translate(op, err)
		}
		if cs.PaymentIntent == nil || cs.PaymentIntent.ID == "" {
			return "", &Error{Op: op, Message: "checkout session " + paymentRef + " has no payment"}
		}
		paymentRef = cs.PaymentIntent.ID
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
