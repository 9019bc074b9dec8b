package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Callbacks are the marketplace's processor callbacks the webhooks drive. *market.Service
// satisfies it. Each must be idempotent; a refusal with a domain error other than NOT_FOUND (and
// other than a concurrent-write CONFLICT) means the event does not apply to the current state.
type Callbacks interface {
	// PayoutOnboardingCompleted records that the account's connected account can receive transfers.
	PayoutOnboardingCompleted(ctx context.Context, accountID string) error
	// ConfirmFunding records that the job's card payment succeeded.
	ConfirmFunding(ctx context.Context, jobID, paymentRef string) (*market.Outcome, error)
	// FundingFailed records that the job's card payment failed or was cancelled.
	FundingFailed(ctx context.Context, jobID, paymentRef string) (*market.Outcome, error)
	// TopUpSucceeded credits the wallet of a settled top-up.
	TopUpSucceeded(ctx context.Context, topUpID string) error
	// TopUpFailed records a failed top-up.
	TopUpFailed(ctx context.Context, topUpID string) error
	// TopUpReturned records a top-up returned after it succeeded.
	TopUpReturned(ctx context.Context, topUpID string) error
	// CardSaved records the card an account saved for off-session job payments.
	CardSaved(ctx context.Context, accountID, cardRef string) error
	// PayoutSettled records that a payout's transfer reached the connected account.
	PayoutSettled(ctx context.Context, payoutID string) error
}

var _ Callbacks = (*market.Service)(nil)

// Action is what a webhook asks of the marketplace: the callback it triggers, or ActionNone.
type Action string

// The actions. Each names the Callbacks method it calls.
const (
	ActionNone                Action = "none"                        // nothing to do; Notification.Note says why
	ActionOnboardingCompleted Action = "payout_onboarding_completed" // PayoutOnboardingCompleted(AccountID)
	ActionConfirmFunding      Action = "confirm_funding"             // ConfirmFunding(JobID, PaymentRef)
	ActionFundingFailed       Action = "funding_failed"              // FundingFailed(JobID, PaymentRef)
	ActionTopUpSucceeded      Action = "topup_succeeded"             // TopUpSucceeded(TopUpID)
	ActionTopUpFailed         Action = "topup_failed"                // TopUpFailed(TopUpID)
	ActionTopUpReturned       Action = "topup_returned"              // TopUpReturned(TopUpID)
	ActionPayoutSettled       Action = "payout_settled"              // PayoutSettled(PayoutID)
	ActionCardSaved           Action = "card_saved"                  // CardSaved(AccountID, CardRef)
)

// Notification is a verified Stripe event translated into the marketplace's terms. Only the
// fields its Action needs are guaranteed; the others are set when the event carries them.
type Notification struct {
	EventID          string // "evt_…"; a replayed event has the same ID
	EventType        string // Stripe's type, e.g. "payment_intent.succeeded"
	ConnectedAccount string // the connected account of a Connect event ("acct_…"), else empty
	Action           Action
	AccountID        string // the marketplace account (onboarding, card setup, top-up)
	JobID            string // the job a card payment funds
	TopUpID          string // the core's top-up ID (metadata topup_id)
	PayoutID         string // the core's payout a transfer made
	CardRef          string // the saved card's payment method ("pm_…")
	PaymentRef       string // the PaymentIntent ("pi_…") or Checkout Session ("cs_…") of the payment
	TransferRef      string // the transfer ("tr_…")
	Note             string // for ActionNone: why nothing is done
}

// ErrBadSignature is returned (wrapped) by Translate when the Stripe-Signature header is missing,
// malformed, signed with none of the secrets, or older than the tolerance (webhook.DefaultTolerance).
var ErrBadSignature = errors.New("stripe: bad webhook signature")

// Translate verifies a webhook body against its Stripe-Signature header with each of secrets (the
// platform endpoint's and the Connect endpoint's "whsec_…") and translates the event. A bad
// signature wraps ErrBadSignature; a body that is not a Stripe event is another error. Event types
// the marketplace does not act on translate to ActionNone without error. The event's API version
// is not required to match stripe-go's: only fields stable across versions are read.
func Translate(payload []byte, signature string, secrets ...string) (Notification, error) {
	var ev stripego.Event
	err := fmt.Errorf("%w: no webhook secret configured", ErrBadSignature)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		ev, err = webhook.ConstructEventWithOptions(payload, signature, s, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
		if err == nil {
			break
		}
		if !isSignatureError(err) {
			return Notification{}, fmt.Errorf("stripe: webhook body: %w", err)
		}
		err = fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if err != nil {
		return Notification{}, err
	}
	if ev.Data == nil {
		return Notification{}, errors.New("stripe: webhook body: an event without data")
	}
	n := Notification{EventID: ev.ID, EventType: string(ev.Type), ConnectedAccount: ev.Account, Action: ActionNone}
	if err := n.translate(ev); err != nil {
		return Notification{}, fmt.Errorf("stripe: webhook %s %s: %w", ev.Type, ev.ID, err)
	}
	return n, nil
}

func isSignatureError(err error) bool {
	return errors.Is(err, webhook.ErrNotSigned) || errors.Is(err, webhook.ErrInvalidHeader) ||
		errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld)
}

// translate fills in n from the event's object.
func (n *Notification) translate(ev stripego.Event) error {
	raw := ev.Data.Raw
	switch ev.Type {
	case stripego.EventTypeAccountUpdated:
		var a stripego.Account
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		n.onboarding(&a)
	case stripego.EventTypePaymentIntentSucceeded, stripego.EventTypePaymentIntentPaymentFailed, stripego.EventTypePaymentIntentCanceled:
		var pi stripego.PaymentIntent
		if err := json.Unmarshal(raw, &pi); err != nil {
			return err
		}
		n.payment(ev.Type, &pi)
	case stripego.EventTypeCheckoutSessionCompleted, stripego.EventTypeCheckoutSessionAsyncPaymentSucceeded,
		stripego.EventTypeCheckoutSessionAsyncPaymentFailed, stripego.EventTypeCheckoutSessionExpired:
		var cs stripego.CheckoutSession
		if err := json.Unmarshal(raw, &cs); err != nil {
			return err
		}
		n.checkout(ev.Type, &cs)
	case stripego.EventTypeSetupIntentSucceeded:
		var si stripego.SetupIntent
		if err := json.Unmarshal(raw, &si); err != nil {
			return err
		}
		n.setup(&si)
	case stripego.EventTypeChargeDisputeCreated:
		var d stripego.Dispute
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		n.dispute(&d)
	case stripego.EventTypeTransferCreated, stripego.EventTypeTransferReversed:
		var tr stripego.Transfer
		if err := json.Unmarshal(raw, &tr); err != nil {
			return err
		}
		n.transfer(ev.Type, &tr)
	default:
		n.Note = "event type not handled"
	}
	return nil
}

// onboarding: the account can be paid once payouts are enabled and the transfers capability is
// active; until then the note tells what it still lacks (the core keeps only whether payouts are
// enabled).
func (n *Notification) onboarding(a *stripego.Account) {
	n.AccountID = a.Metadata[MetaAccountID]
	if n.AccountID == "" {
		n.Note = "not a marketplace account (no metadata " + MetaAccountID + ")"
		return
	}
	transfers := ""
	if a.Capabilities != nil {
		transfers = string(a.Capabilities.Transfers)
	}
	if a.PayoutsEnabled && transfers == string(stripego.AccountCapabilityStatusActive) {
		n.Action = ActionOnboardingCompleted
		return
	}
	n.Note = fmt.Sprintf("onboarding incomplete: payouts_enabled=%t, transfers capability %q", a.PayoutsEnabled, transfers)
	if q := a.Requirements; q != nil {
		n.Note += fmt.Sprintf(", disabled_reason %q, currently_due %v, past_due %v, pending_verification %v",
			q.DisabledReason, q.CurrentlyDue, q.PastDue, q.PendingVerification)
	}
}

// payment: a job's card payment or a wallet top-up, told apart by metadata. The payment intent
// of a Checkout Session settles through the session's events (the job's payment is the session),
// except that a top-up's success also credits on payment_intent.succeeded (whichever arrives
// first takes effect; the other is a no-op).
func (n *Notification) payment(t stripego.EventType, pi *stripego.PaymentIntent) {
	n.PaymentRef = pi.ID
	ok := t == stripego.EventTypePaymentIntentSucceeded
	viaCheckout := pi.Metadata[MetaCheckout] != ""
	switch {
	case pi.Metadata[MetaKind] == KindTopUp:
		n.AccountID, n.TopUpID = pi.Metadata[MetaAccountID], pi.Metadata[MetaTopUpID]
		switch {
		case n.TopUpID == "":
			n.Note = "a top-up payment without metadata " + MetaTopUpID
		case ok:
			n.Action = ActionTopUpSucceeded
		case viaCheckout:
			n.Note = "a failed attempt on a Checkout Session: checkout.session.async_payment_failed or expired settles the top-up"
		default:
			n.Action = ActionTopUpFailed
		}
	case pi.Metadata[MetaJobID] != "" && viaCheckout:
		n.JobID = pi.Metadata[MetaJobID]
		n.Note = "the payment of a Checkout Session: its checkout.session events settle the job"
	case pi.Metadata[MetaJobID] != "":
		n.JobID = pi.Metadata[MetaJobID]
		n.Action = ActionFundingFailed
		if ok {
			n.Action = ActionConfirmFunding
		}
	default:
		n.Note = "not a marketplace payment (no metadata " + MetaJobID + " or " + MetaKind + "=" + KindTopUp + ")"
	}
}

// checkout: a Checkout Session of a top-up, a job's card payment or a card setup, told apart by
// metadata kind. A session completed unpaid is a bank debit still processing: its
// async_payment_succeeded or async_payment_failed settles it. An expired session failed.
func (n *Notification) checkout(t stripego.EventType, cs *stripego.CheckoutSession) {
	n.PaymentRef, n.AccountID = cs.ID, cs.Metadata[MetaAccountID]
	kind := cs.Metadata[MetaKind]
	if cs.Mode == stripego.CheckoutSessionModeSetup || kind == KindCardSetup {
		n.Note = "a card setup session: setup_intent.succeeded saves the card"
		return
	}
	var ok bool
	switch t {
	case stripego.EventTypeCheckoutSessionCompleted:
		if cs.PaymentStatus == stripego.CheckoutSessionPaymentStatusUnpaid {
			n.Note = "completed, payment processing: checkout.session.async_payment_succeeded or async_payment_failed settles it"
			return
		}
		ok = true
	case stripego.EventTypeCheckoutSessionAsyncPaymentSucceeded:
		ok = true
	}
	switch {
	case kind == KindTopUp && cs.Metadata[MetaTopUpID] != "":
		n.TopUpID, n.Action = cs.Metadata[MetaTopUpID], ActionTopUpFailed
		if ok {
			n.Action = ActionTopUpSucceeded
		}
	case kind == KindJob && cs.Metadata[MetaJobID] != "":
		n.JobID, n.Action = cs.Metadata[MetaJobID], ActionFundingFailed
		if ok {
			n.Action = ActionConfirmFunding
		}
	default:
		n.Note = "not a marketplace checkout (no metadata " + MetaKind + " with " + MetaTopUpID + " or " + MetaJobID + ")"
	}
}

// setup: a card saved on a card setup session's SetupIntent.
func (n *Notification) setup(si *stripego.SetupIntent) {
	n.AccountID = si.Metadata[MetaAccountID]
	if si.PaymentMethod != nil {
		n.CardRef = si.PaymentMethod.ID
	}
	switch {
	case si.Metadata[MetaKind] != KindCardSetup || n.AccountID == "":
		n.Note = "not a marketplace card setup (no metadata " + MetaKind + "=" + KindCardSetup + " with " + MetaAccountID + ")"
	case n.CardRef == "":
		n.Note = "a card setup without a payment method"
	default:
		n.Action = ActionCardSaved
	}
}

// dispute: a bank debit disputed after it succeeded is a returned top-up (the adapter uses
// us_bank_account only for top-ups). The dispute does not carry its payment's metadata, so
// TopUpID stays empty: the handler looks it up (Payments.TopUpOfPayment). The core has no use case
// for a card chargeback.
func (n *Notification) dispute(d *stripego.Dispute) {
	if d.PaymentIntent != nil {
		n.PaymentRef = d.PaymentIntent.ID
	}
	switch {
	case d.PaymentMethodDetails == nil || d.PaymentMethodDetails.Type != "us_bank_account":
		n.Note = "dispute of a card payment: the marketplace has no chargeback use case; handle it in the Stripe dashboard"
	case n.PaymentRef == "":
		n.Note = "bank debit dispute without a payment intent"
	default:
		n.Action = ActionTopUpReturned
	}
}

// transfer: a transfer to a connected account is complete when created. A reversal is reported
// but not applied: the core has no use case for taking a paid payout back, and PayoutFailed would
// make it transfer the money again.
func (n *Notification) transfer(t stripego.EventType, tr *stripego.Transfer) {
	n.TransferRef, n.PayoutID = tr.ID, tr.Metadata[MetaPayoutID]
	if tr.Destination != nil {
		n.ConnectedAccount = tr.Destination.ID
	}
	switch {
	case n.PayoutID == "":
		n.Note = "not a marketplace payout (no metadata " + MetaPayoutID + ")"
	case t == stripego.EventTypeTransferReversed:
		n.Note = fmt.Sprintf("transfer reversed (%d of %d %s): the marketplace has no use case for a reversed payout", tr.AmountReversed, tr.Amount, tr.Currency)
	default:
		n.Action = ActionPayoutSettled
	}
}

// apply calls the callback n asks for.
func apply(ctx context.Context, cb Callbacks, n Notification) error {
	var err error
	switch n.Action {
	case ActionOnboardingCompleted:
		err = cb.PayoutOnboardingCompleted(ctx, n.AccountID)
	case ActionConfirmFunding:
		_, err = cb.ConfirmFunding(ctx, n.JobID, n.PaymentRef)
	case ActionFundingFailed:
		_, err = cb.FundingFailed(ctx, n.JobID, n.PaymentRef)
	case ActionTopUpSucceeded:
		err = cb.TopUpSucceeded(ctx, n.TopUpID)
	case ActionTopUpFailed:
		err = cb.TopUpFailed(ctx, n.TopUpID)
	case ActionTopUpReturned:
		err = cb.TopUpReturned(ctx, n.TopUpID)
	case ActionPayoutSettled:
		err = cb.PayoutSettled(ctx, n.PayoutID)
	case ActionCardSaved:
		err = cb.CardSaved(ctx, n.AccountID, n.CardRef)
	}
	return err
}

// settled reports whether a callback's refusal is final: a domain refusal that retrying the event
// cannot change (the event was replayed, arrived out of order, or names a payment the job no longer
// waits for). NOT_FOUND is not final (the core may not have committed the object yet), nor is a
// concurrent write (ports.ErrConflict), nor any error without a domain code.
func settled(err error) bool {
	switch errs.CodeOf(err) {
	case "", errs.CodeNotFound:
		return false
	case errs.CodeConflict:
		return !errors.Is(err, ports.ErrConflict)
	}
	return true
}

// TopUpLookup finds the top-up a bank debit paid: *Payments satisfies it.
type TopUpLookup interface {
	// TopUpOfPayment returns the core's top-up ID of the PaymentIntent ref. An *Error matching
	// no ports sentinel means the payment is no top-up's (the event is ignored); any other error
	// makes Stripe deliver the event again.
	TopUpOfPayment(ctx context.Context, ref string) (string, error)
}

// TopUpOfPayment returns the top-up ID (metadata topup_id) of the PaymentIntent ref, which
// Checkout created for a top-up; a payment that is not a top-up's is an *Error.
func (p *Payments) TopUpOfPayment(ctx context.Context, ref string) (string, error) {
	const op = "top-up of payment"
	pi, err := p.api.PaymentIntents.Get(ref, &stripego.PaymentIntentParams{Params: params(ctx, "")})
	if err != nil {
		return "", translate(op, err)
	}
	if pi.Metadata[MetaKind] != KindTopUp || pi.Metadata[MetaTopUpID] == "" {
		return "", &Error{Op: op, Message: "payment " + ref + " is not a top-up's (no metadata " + MetaTopUpID + ")"}
	}
	return pi.Metadata[MetaTopUpID], nil
}

// resolve fills in the top-up of a returned bank debit with lookup. It reports whether the
// notification still applies: false with a nil error means the payment is no top-up's.
func resolve(ctx context.Context, lookup TopUpLookup, n *Notification) (bool, error) {
	if n.Action != ActionTopUpReturned || n.TopUpID != "" {
		return true, nil
	}
	if lookup == nil {
		return false, errors.New("no Stripe client to find the top-up of " + n.PaymentRef)
	}
	id, err := lookup.TopUpOfPayment(ctx, n.PaymentRef)
	var se *Error
	if errors.As(err, &se) && se.class == nil {
		n.Action, n.Note = ActionNone, se.Message
		return false, nil
	}
	n.TopUpID = id
	return err == nil, err
}

// MaxWebhookBytes bounds the body NewWebhookHandler reads.
const MaxWebhookBytes = 1 << 20

// NewWebhookHandler returns the handler of Stripe's webhook endpoints: it verifies the body with
// secret (the platform endpoint's) or connectSecret (the Connect endpoint's; may be empty when
// one endpoint receives both), translates it (Translate), finds the top-up of a returned bank
// debit with lookup (the *Payments; nil answers such an event with 500) and calls cb. It answers
//
//   - 405 to anything but POST;
//   - 400 with the reason when the signature is missing, wrong or stale, or the body is not an
//     event (Stripe does not fix those by retrying, but the dashboard shows them);
//   - 200 "ok <action>" when the callback succeeded, "duplicate: …" for an event that already
//     took effect (the callback records the event ID in the transaction of its effect), "ignored: <note>" for an event the
//     marketplace does not act on, and "ignored: <error>" when the callback refused the event
//     for good (a replay, or an event overtaken by a later one);
//   - 500 with the error when the callback failed in a way a retry may fix, so Stripe retries.
func NewWebhookHandler(secret, connectSecret string, cb Callbacks, lookup TopUpLookup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
		if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		n, err := Translate(body, r.Header.Get("Stripe-Signature"), secret, connectSecret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		applies, err := resolve(r.Context(), lookup, &n)
		if err != nil {
			http.Error(w, fmt.Sprintf("%s: %v", n.Action, err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !applies || n.Action == ActionNone {
			fmt.Fprintf(w, "ignored: %s\n", n.Note)
			return
		}
		// The callback records the event in the transaction of its effect: a replay is refused.
		switch err := apply(market.ProcessorEvent(r.Context(), n.EventID), cb, n); {
		case err == nil:
			fmt.Fprintf(w, "ok %s\n", n.Action)
		case errors.Is(err, market.ErrEventHandled):
			fmt.Fprintf(w, "duplicate: %s already took effect\n", n.EventID)
		case settled(err):
			fmt.Fprintf(w, "ignored: %s: %v\n", n.Action, err)
		default:
			http.Error(w, fmt.Sprintf("%s failed: %v", n.Action, err), http.StatusInternalServerError)
		}
	})
}
