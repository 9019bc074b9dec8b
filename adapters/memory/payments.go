package memory

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// The operations of Payments, as FailNext names them.
const (
	OpConnect  = "connect"  // CreateConnectedAccount
	OpLink     = "link"     // OnboardingLink
	OpCustomer = "customer" // CreateCustomer
	OpIntent   = "intent"   // CreateCardPayment
	OpCancel   = "cancel"   // CancelPaymentIntent
	OpTopUp    = "topup"    // CreateTopUp
	OpSetup    = "setup"    // CreateCardSetup
	OpTransfer = "transfer" // Transfer
	OpRefund   = "refund"   // Refund
)

// OnboardingURL is the start of the links OnboardingLink returns; the connected account's
// reference follows it.
const OnboardingURL = DefaultSandboxURL + "/onboarding/"

// DefaultSandboxURL is the base of the checkout URLs of NewPayments.
const DefaultSandboxURL = "https://sandbox.agentgigs.local"

// The checkout pages of the fake processor are the sandbox's dev endpoints that report their
// outcome: POST one (with the payer's API key) to complete the payment or the card setup. Each
// is the sandbox base URL followed by the path.
const (
	TopUpCheckoutPath = "/api/dev/top-ups/{id}/succeed"           // a top-up: {id} is the top-up
	CardCheckoutPath  = "/api/dev/jobs/{id}/card-payment/succeed" // a job's card payment: {id} is the job
	CardSetupPath     = "/api/dev/card-setup/succeed"             // saving a card
)

// ConnectedAccount is a recorded CreateConnectedAccount call.
type ConnectedAccount struct {
	AccountID string
	Email     string
	Ref       string // "acct_…"
}

// IntentCall is a recorded CreateCardPayment call.
type IntentCall struct {
	Key       string
	Amount    money.Money
	JobID     string
	Payer     ports.Payer
	Ref       string // "pi_…"
	URL       string // the checkout URL; empty for an off-session charge of a saved card
	Cancelled bool   // CancelPaymentIntent was called on it
}

// TopUpCall is a recorded CreateTopUp call.
type TopUpCall struct {
	Key       string
	Amount    money.Money
	TopUpID   string
	AccountID string
	Ref       string // "cs_…"
	URL       string
}

// SetupCall is a recorded CreateCardSetup call.
type SetupCall struct {
	Key   string
	Payer ports.Payer
	Ref   string // "cs_…"
	URL   string
}

// TransferCall is a recorded Transfer call.
type TransferCall struct {
	Key         string
	Amount      money.Money
	Destination string
	Ref         string // "tr_…"
}

// RefundCall is a recorded Refund call.
type RefundCall struct {
	Key        string
	Amount     money.Money
	PaymentRef string
	Ref        string // "re_…"
}

// Payments is a fake payment processor: it moves no money, records every call that succeeded
// and can be told to fail (FailNext). Like the real processor it is idempotent: a call repeating
// an idempotency key (per operation; the account ID for CreateConnectedAccount) returns the first
// call's reference and records nothing new, and reusing a key with different parameters is refused
// with an error wrapping ports.ErrConflict. It is safe for concurrent use. Make one with
// NewPayments; the zero value is not usable.
//
// Asynchronous outcomes (onboarding done, card confirmed, …) are not produced here: a test or the
// sandbox reports them to the marketplace service's processor callbacks itself.
type Payments struct {
	base string // the sandbox base URL of checkout pages

	mu   sync.Mutex
	n    int // reference counter
	fail map[string][]error

	byAccount map[string]int    // account ID -> index in connected
	customers map[string]string // account ID -> "cus_…"
	accounts  map[string]bool   // known connected account refs
	byKey     map[string]int    // op + "\x00" + key -> index in the op's slice
	intentRef map[string]int    // "pi_…" -> index in intents

	connected []ConnectedAccount
	intents   []IntentCall
	topups    []TopUpCall
	setups    []SetupCall
	transfers []TransferCall
	refunds   []RefundCall
}

// NewPayments returns a fake processor with nothing recorded, whose checkout URLs start with
// DefaultSandboxURL.
func NewPayments() *Payments { return NewSandboxPayments(DefaultSandboxURL) }

// NewSandboxPayments returns a fake processor whose checkout URLs are the dev endpoints of the
// sandbox server at baseURL (TopUpCheckoutPath, CardCheckoutPath, CardSetupPath).
func NewSandboxPayments(baseURL string) *Payments {
	return &Payments{
		base:      strings.TrimRight(baseURL, "/"),
		customers: map[string]string{},
		fail:      map[string][]error{},
		byAccount: map[string]int{},
		accounts:  map[string]bool{},
		byKey:     map[string]int{},
		intentRef: map[string]int{},
	}
}

// FailNext makes the next n calls of op (one of the Op constants) fail with err, or with
// ports.ErrUnavailable when err is nil. A failed call records nothing and has no effect, so the
// same key may be retried later and then succeeds. Calls queue up: FailNext(op, 1, a) then
// FailNext(op, 1, b) fails the next call with a and the one after with b. An unknown op panics.
func (p *Payments) FailNext(op string, n int, err error) {
	switch op {
	case OpConnect, OpLink, OpCustomer, OpIntent, OpCancel, OpTopUp, OpSetup, OpTransfer, OpRefund:
	default:
		panic(fmt.Sprintf("memory: Payments.FailNext: unknown operation %q", op))
	}
	if err == nil {
		err = ports.ErrUnavailable
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.fail[op] = append(p.fail[op], err)
	}
}

// failing returns the error the call of op must fail with, or nil. The caller holds p.mu.
func (p *Payments) failing(op string) error {
	q := p.fail[op]
	if len(q) == 0 {
		return nil
	}
	err := q[0]
	if len(q) == 1 {
		delete(p.fail, op)
	} else {
		p.fail[op] = q[1:]
	}
	return fmt.Errorf("memory: payments %s: %w", op, err)
}

// ref returns a fresh reference with the prefix. The caller holds p.mu.
func (p *Payments) ref(prefix string) string {
	p.n++
	return prefix + "_sandbox_" + pad6(p.n)
}

func pad6(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

func checkAmount(op string, m money.Money) error {
	if m.Amount <= 0 || !m.Currency.Valid() {
		return fmt.Errorf("memory: payments %s: amount must be positive with a valid currency, got %d %q", op, m.Amount, m.Currency)
	}
	return nil
}

func reused(op, key string) error {
	return fmt.Errorf("memory: payments %s: idempotency key %q was used with different parameters: %w", op, key, ports.ErrConflict)
}

// CreateConnectedAccount records a connected account, one per accountID, and returns its
// "acct_…" reference.
func (p *Payments) CreateConnectedAccount(ctx context.Context, accountID, email string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpConnect); err != nil {
		return "", err
	}
	if i, ok := p.byAccount[accountID]; ok {
		return p.connected[i].Ref, nil
	}
	c := ConnectedAccount{AccountID: accountID, Email: email, Ref: p.ref("acct")}
	p.byAccount[accountID] = len(p.connected)
	p.accounts[c.Ref] = true
	p.connected = append(p.connected, c)
	return c.Ref, nil
}

// OnboardingLink returns OnboardingURL + ref; an unknown ref is refused with an error wrapping
// ports.ErrNotFound.
func (p *Payments) OnboardingLink(ctx context.Context, ref string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpLink); err != nil {
		return "", err
	}
	if !p.accounts[ref] {
		return "", fmt.Errorf("memory: payments: connected account %q: %w", ref, ports.ErrNotFound)
	}
	return OnboardingURL + ref, nil
}

// CreateCustomer records a customer, one per accountID, and returns its "cus_…" reference.
func (p *Payments) CreateCustomer(ctx context.Context, accountID, email string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpCustomer); err != nil {
		return "", err
	}
	if ref, ok := p.customers[accountID]; ok {
		return ref, nil
	}
	ref := p.ref("cus")
	p.customers[accountID] = ref
	return ref, nil
}

// page returns the sandbox URL of the dev endpoint path with {id} replaced by id.
func (p *Payments) page(path, id string) string {
	return p.base + strings.Replace(path, "{id}", url.PathEscape(id), 1)
}

// CreateCardPayment records a card payment and returns its "pi_…" reference with, unless
// payer.CardRef names a saved card, the sandbox checkout URL (CardCheckoutPath).
func (p *Payments) CreateCardPayment(ctx context.Context, key string, amount money.Money, jobID string, payer ports.Payer) (ports.Checkout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpIntent); err != nil {
		return ports.Checkout{}, err
	}
	if i, ok := p.byKey[OpIntent+"\x00"+key]; ok {
		if c := p.intents[i]; c.Amount != amount || c.JobID != jobID || c.Payer != payer {
			return ports.Checkout{}, reused(OpIntent, key)
		}
		return ports.Checkout{Ref: p.intents[i].Ref, URL: p.intents[i].URL}, nil
	}
	if err := checkAmount(OpIntent, amount); err != nil {
		return ports.Checkout{}, err
	}
	c := IntentCall{Key: key, Amount: amount, JobID: jobID, Payer: payer, Ref: p.ref("pi")}
	if payer.CardRef == "" {
		c.URL = p.page(CardCheckoutPath, jobID)
	}
	p.byKey[OpIntent+"\x00"+key] = len(p.intents)
	p.intentRef[c.Ref] = len(p.intents)
	p.intents = append(p.intents, c)
	return ports.Checkout{Ref: c.Ref, URL: c.URL}, nil
}

// CancelPaymentIntent marks the payment cancelled; cancelling again is not an error. An unknown
// ref is refused with an error wrapping ports.ErrNotFound.
func (p *Payments) CancelPaymentIntent(ctx context.Context, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpCancel); err != nil {
		return err
	}
	i, ok := p.intentRef[ref]
	if !ok {
		return fmt.Errorf("memory: payments: payment intent %q: %w", ref, ports.ErrNotFound)
	}
	p.intents[i].Cancelled = true
	return nil
}

// CreateTopUp records a wallet top-up and returns its "cs_…" reference and the sandbox checkout
// URL (TopUpCheckoutPath).
func (p *Payments) CreateTopUp(ctx context.Context, key string, amount money.Money, topUpID string, payer ports.Payer) (ports.Checkout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpTopUp); err != nil {
		return ports.Checkout{}, err
	}
	if i, ok := p.byKey[OpTopUp+"\x00"+key]; ok {
		if c := p.topups[i]; c.Amount != amount || c.AccountID != payer.AccountID || c.TopUpID != topUpID {
			return ports.Checkout{}, reused(OpTopUp, key)
		}
		return ports.Checkout{Ref: p.topups[i].Ref, URL: p.topups[i].URL}, nil
	}
	if err := checkAmount(OpTopUp, amount); err != nil {
		return ports.Checkout{}, err
	}
	if topUpID == "" {
		return ports.Checkout{}, fmt.Errorf("memory: payments %s: no top-up ID", OpTopUp)
	}
	c := TopUpCall{Key: key, Amount: amount, TopUpID: topUpID, AccountID: payer.AccountID, Ref: p.ref("cs"), URL: p.page(TopUpCheckoutPath, topUpID)}
	p.byKey[OpTopUp+"\x00"+key] = len(p.topups)
	p.topups = append(p.topups, c)
	return ports.Checkout{Ref: c.Ref, URL: c.URL}, nil
}

// CreateCardSetup records a card setup and returns its "cs_…" reference and the sandbox page
// (CardSetupPath). payer.CustomerRef must be set.
func (p *Payments) CreateCardSetup(ctx context.Context, key string, payer ports.Payer) (ports.Checkout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpSetup); err != nil {
		return ports.Checkout{}, err
	}
	if i, ok := p.byKey[OpSetup+"\x00"+key]; ok {
		if p.setups[i].Payer != payer {
			return ports.Checkout{}, reused(OpSetup, key)
		}
		return ports.Checkout{Ref: p.setups[i].Ref, URL: p.setups[i].URL}, nil
	}
	if payer.CustomerRef == "" {
		return ports.Checkout{}, fmt.Errorf("memory: payments %s: no customer", OpSetup)
	}
	c := SetupCall{Key: key, Payer: payer, Ref: p.ref("cs"), URL: p.page(CardSetupPath, "")}
	p.byKey[OpSetup+"\x00"+key] = len(p.setups)
	p.setups = append(p.setups, c)
	return ports.Checkout{Ref: c.Ref, URL: c.URL}, nil
}

// Transfer records a transfer and returns its "tr_…" reference. The destination must not be
// empty; it is not checked against the connected accounts created here.
func (p *Payments) Transfer(ctx context.Context, key string, amount money.Money, destination string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpTransfer); err != nil {
		return "", err
	}
	if i, ok := p.byKey[OpTransfer+"\x00"+key]; ok {
		if c := p.transfers[i]; c.Amount != amount || c.Destination != destination {
			return "", reused(OpTransfer, key)
		}
		return p.transfers[i].Ref, nil
	}
	if err := checkAmount(OpTransfer, amount); err != nil {
		return "", err
	}
	if destination == "" {
		return "", fmt.Errorf("memory: payments %s: no destination", OpTransfer)
	}
	c := TransferCall{Key: key, Amount: amount, Destination: destination, Ref: p.ref("tr")}
	p.byKey[OpTransfer+"\x00"+key] = len(p.transfers)
	p.transfers = append(p.transfers, c)
	return c.Ref, nil
}

// Refund records a refund and returns its "re_…" reference. The payment reference must not be
// empty; it is not checked against the payment intents created here.
func (p *Payments) Refund(ctx context.Context, key string, amount money.Money, paymentRef string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failing(OpRefund); err != nil {
		return "", err
	}
	if i, ok := p.byKey[OpRefund+"\x00"+key]; ok {
		if c := p.refunds[i]; c.Amount != amount || c.PaymentRef != paymentRef {
			return "", reused(OpRefund, key)
		}
		return p.refunds[i].Ref, nil
	}
	if err := checkAmount(OpRefund, amount); err != nil {
		return "", err
	}
	if paymentRef == "" {
		return "", fmt.Errorf("memory: payments %s: no payment reference", OpRefund)
	}
	c := RefundCall{Key: key, Amount: amount, PaymentRef: paymentRef, Ref: p.ref("re")}
	p.byKey[OpRefund+"\x00"+key] = len(p.refunds)
	p.refunds = append(p.refunds, c)
	return c.Ref, nil
}

// ConnectedAccounts returns the connected accounts created, in call order.
func (p *Payments) ConnectedAccounts() []ConnectedAccount {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ConnectedAccount(nil), p.connected...)
}

// Intents returns the payment intents created, in call order.
func (p *Payments) Intents() []IntentCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]IntentCall(nil), p.intents...)
}

// TopUps returns the top-ups created, in call order.
func (p *Payments) TopUps() []TopUpCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]TopUpCall(nil), p.topups...)
}

// Setups returns the card setups started, in call order.
func (p *Payments) Setups() []SetupCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]SetupCall(nil), p.setups...)
}

// Transfers returns the transfers made, in call order.
func (p *Payments) Transfers() []TransferCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]TransferCall(nil), p.transfers...)
}

// Refunds returns the refunds made, in call order.
func (p *Payments) Refunds() []RefundCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RefundCall(nil), p.refunds...)
}
