package stripe_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/stripe"
	"github.com/agentgigs/agentgigs/adapters/stripe/stripetest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/testkit"
)

const (
	platformSecret = "whsec_platform_test"
	connectSecret  = "whsec_connect_test"
)

var eventSeq atomic.Int64

// event returns the JSON of a Stripe event of type typ about obj; account is set for Connect
// events.
func event(t *testing.T, typ, account string, obj map[string]any) []byte {
	t.Helper()
	ev := map[string]any{
		"id": fmt.Sprintf("evt_test_%d", eventSeq.Add(1)), "object": "event", "type": typ,
		"api_version": stripego.APIVersion, "created": time.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": obj},
	}
	if account != "" {
		ev["account"] = account
	}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// signed returns the Stripe-Signature header of payload signed with secret at time at.
func signed(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// deliver posts payload signed with the platform secret (or the Connect one for Connect events)
// to h, as Stripe does.
func deliver(t *testing.T, h http.Handler, payload []byte) *httptest.ResponseRecorder {
	t.Helper()
	secret := platformSecret
	if strings.Contains(string(payload), `"account":"acct_`) {
		secret = connectSecret
	}
	return post(h, payload, signed(payload, secret, time.Now()))
}

func post(h http.Handler, payload []byte, signature string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
	if signature != "" {
		r.Header.Set("Stripe-Signature", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func paymentIntent(id string, meta map[string]string, status string) map[string]any {
	return map[string]any{"id": id, "object": "payment_intent", "amount": 2000, "currency": "usd", "status": status, "metadata": meta}
}

func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	payload := event(t, "customer.created", "", map[string]any{"id": "cus_1", "object": "customer"})

	w := post(h, payload, signed(payload, platformSecret, time.Now()))
	require.Equal(t, http.StatusOK, w.Code, "valid: %s", w.Body)
	require.Contains(t, w.Body.String(), "ignored: event type not handled")

	w = post(h, payload, signed(payload, connectSecret, time.Now()))
	require.Equal(t, http.StatusOK, w.Code, "the Connect endpoint's secret is accepted too: %s", w.Body)

	tampered := []byte(strings.Replace(string(payload), "cus_1", "cus_2", 1))
	for name, sig := range map[string]string{
		"tampered":     signed(payload, platformSecret, time.Now()),
		"stale":        signed(tampered, platformSecret, time.Now().Add(-10*time.Minute)),
		"wrong secret": signed(tampered, "whsec_someone_else", time.Now()),
		"garbage":      "t=1,v1=00",
		"missing":      "",
	} {
		w := post(h, tampered, sig)
		require.Equal(t, http.StatusBadRequest, w.Code, name)
		require.Contains(t, w.Body.String(), "bad webhook signature", name)
	}

	_, err := stripe.Translate(tampered, signed(payload, platformSecret, time.Now()), platformSecret)
	require.ErrorIs(t, err, stripe.ErrBadSignature)
	_, err = stripe.Translate(payload, signed(payload, platformSecret, time.Now()))
	require.ErrorIs(t, err, stripe.ErrBadSignature, "no secret configured")

	notJSON := []byte("not json")
	w = post(h, notJSON, signed(notJSON, platformSecret, time.Now()))
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.NotContains(t, w.Body.String(), "signature")

	r := httptest.NewRequest(http.MethodGet, "/webhooks/stripe", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	k.CheckInvariants()
}

func TestWebhookOnboarding(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	ann := k.Account("Ann")
	testkit.Got(k.Service.StartPayoutOnboarding(k.Ctx, ann)).Must(t)
	acct := testkit.Got(k.Service.Account(k.Ctx, ann)).Must(t).ConnectRef

	account := func(payoutsEnabled bool, transfers string) map[string]any {
		return map[string]any{
			"id": acct, "object": "account", "type": "express", "payouts_enabled": payoutsEnabled,
			"capabilities": map[string]any{"transfers": transfers},
			"metadata":     map[string]string{"account_id": ann.AccountID},
			"requirements": map[string]any{"currently_due": []string{"external_account"}, "past_due": []string{}, "pending_verification": []string{"individual.id_number"}, "disabled_reason": "requirements.pending_verification"},
		}
	}
	enabled := func() bool { return testkit.Got(k.Service.Account(k.Ctx, ann)).Must(t).PayoutsEnabled }

	for _, state := range []struct {
		payouts   bool
		transfers string
	}{{false, "inactive"}, {true, "pending"}, {false, "active"}} {
		payload := event(t, "account.updated", acct, account(state.payouts, state.transfers))
		n, err := stripe.Translate(payload, signed(payload, connectSecret, time.Now()), platformSecret, connectSecret)
		require.NoError(t, err)
		require.Equal(t, stripe.ActionNone, n.Action)
		require.Equal(t, acct, n.ConnectedAccount)
		require.Equal(t, fmt.Sprintf(`onboarding incomplete: payouts_enabled=%t, transfers capability %q, disabled_reason "requirements.pending_verification", currently_due [external_account], past_due [], pending_verification [individual.id_number]`,
			state.payouts, state.transfers), n.Note)
		w := deliver(t, h, payload)
		require.Equal(t, http.StatusOK, w.Code)
		require.Contains(t, w.Body.String(), "onboarding incomplete")
		require.False(t, enabled(), "payouts %v, transfers %s is not onboarded", state.payouts, state.transfers)
	}

	done := event(t, "account.updated", acct, account(true, "active"))
	for i := range 2 { // replayed
		w := deliver(t, h, done)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), replayAnswer(i, "ok payout_onboarding_completed"))
		require.True(t, enabled())
	}
	require.Equal(t, 1, count(k.EventTypes(), "account.payouts_enabled"), "the effect happens once")

	other := event(t, "account.updated", "acct_other", map[string]any{"id": "acct_other", "object": "account", "payouts_enabled": true, "capabilities": map[string]any{"transfers": "active"}})
	w := deliver(t, h, other)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "not a marketplace account")
	k.CheckInvariants()
}

// cardJob returns a job accepted with card funding, awaiting the processor.
func cardJob(k *testkit.Kit, poster, agent market.Caller, price int64) *job.Job {
	k.T.Helper()
	j := k.Post(poster, price)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{Message: "On it"})).Must(k.T)
	out := testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundCard, false)).Must(k.T)
	require.Equal(k.T, job.AwaitingFunding, out.Job.State)
	return out.Job
}

func TestWebhookCardFunding(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	poster, agent := k.Account("Pat"), k.Agent("Ada")

	t.Run("succeeded, replayed, then failed out of order", func(t *testing.T) {
		j := cardJob(k, poster, agent, 20_00)
		meta := map[string]string{"job_id": j.ID, "kind": "job"}
		succeeded := event(t, "payment_intent.succeeded", "", paymentIntent(j.PaymentRef, meta, "succeeded"))
		w := deliver(t, h, succeeded)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ok confirm_funding")
		require.Equal(t, job.InProgress, k.Job(j.ID).State)
		require.Equal(t, int64(20_00), k.Balance(ledger.Escrow(j.ID)))

		w = deliver(t, h, succeeded)
		require.Equal(t, http.StatusOK, w.Code, "a replay is acknowledged: %s", w.Body)
		require.Contains(t, w.Body.String(), "duplicate")
		require.Equal(t, int64(20_00), k.Balance(ledger.Escrow(j.ID)), "funded once")

		failed := event(t, "payment_intent.payment_failed", "", paymentIntent(j.PaymentRef, meta, "requires_payment_method"))
		w = deliver(t, h, failed)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ignored")
		require.Equal(t, job.InProgress, k.Job(j.ID).State, "a stale failure does not unfund the job")
		require.Equal(t, int64(20_00), k.Balance(ledger.Escrow(j.ID)))
		k.CheckInvariants()
	})

	t.Run("failed, then a late success is refused", func(t *testing.T) {
		j := cardJob(k, poster, agent, 30_00)
		meta := map[string]string{"job_id": j.ID, "kind": "job"}
		w := deliver(t, h, event(t, "payment_intent.payment_failed", "", paymentIntent(j.PaymentRef, meta, "requires_payment_method")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ok funding_failed")
		require.Equal(t, job.Open, k.Job(j.ID).State)

		w = deliver(t, h, event(t, "payment_intent.succeeded", "", paymentIntent(j.PaymentRef, meta, "succeeded")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ignored")
		require.Equal(t, job.Open, k.Job(j.ID).State)
		require.Zero(t, k.Balance(ledger.Escrow(j.ID)))
		k.RunDue()
		intents := k.Payments.Intents()
		require.True(t, intents[len(intents)-1].Cancelled, "the failed payment is cancelled, so no late success can take money")
		k.CheckInvariants()
	})

	t.Run("cancelled", func(t *testing.T) {
		j := cardJob(k, poster, agent, 10_00)
		w := deliver(t, h, event(t, "payment_intent.canceled", "", paymentIntent(j.PaymentRef, map[string]string{"job_id": j.ID}, "canceled")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ok funding_failed")
		require.Equal(t, job.Open, k.Job(j.ID).State)
		k.CheckInvariants()
	})

	t.Run("a payment that is not the job's current one", func(t *testing.T) {
		j := cardJob(k, poster, agent, 10_00)
		w := deliver(t, h, event(t, "payment_intent.succeeded", "", paymentIntent("pi_old", map[string]string{"job_id": j.ID}, "succeeded")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "not the job's current payment")
		require.Equal(t, job.AwaitingFunding, k.Job(j.ID).State)
		k.CheckInvariants()
	})

	t.Run("not a marketplace payment", func(t *testing.T) {
		w := deliver(t, h, event(t, "payment_intent.succeeded", "", paymentIntent("pi_elsewhere", nil, "succeeded")))
		require.Equal(t, http.StatusOK, w.Code)
		require.Contains(t, w.Body.String(), "not a marketplace payment")
	})
}

// checkoutSession returns a Checkout Session object in mode payment with metadata meta.
func checkoutSession(id, status, paymentStatus string, meta map[string]string) map[string]any {
	return map[string]any{"id": id, "object": "checkout.session", "mode": "payment", "status": status,
		"payment_status": paymentStatus, "metadata": meta, "url": nil}
}

func TestWebhookTopUps(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	proxy := stripetest.Start(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, newPayments(t, proxy.URL))
	pat := k.Account("Pat")
	wallet := ledger.Wallet(pat.AccountID)
	type topUp struct {
		*payout.TopUp
		meta map[string]string // the metadata the adapter puts on its session and payment intent
		pi   string            // the payment intent Checkout made
	}
	topUpSeq := 0
	newTopUp := func(key string) topUp {
		tu := testkit.Got(k.Service.TopUp(k.Ctx, pat, testkit.USDAmount(50_00), key)).Must(t)
		require.NotEmpty(t, tu.CheckoutURL, "the human authorises the debit on a checkout page")
		topUpSeq++
		pi := fmt.Sprintf("pi_topup_%d", topUpSeq)
		meta := map[string]string{"account_id": pat.AccountID, "kind": "topup", "topup_id": tu.ID}
		// Stripe answers the handler's look-up of the payment's metadata (a dispute lacks it).
		piMeta, err := json.Marshal(map[string]any{"id": pi, "object": "payment_intent", "metadata": meta})
		require.NoError(t, err)
		for range 2 {
			proxy.Inject(stripetest.Fault{Method: http.MethodGet, Path: "/v1/payment_intents/" + pi, Status: http.StatusOK, Body: string(piMeta)})
		}
		return topUp{tu, meta, pi}
	}
	session := func(tu topUp, status, paymentStatus string) map[string]any {
		return checkoutSession(tu.Ref, status, paymentStatus, tu.meta)
	}
	piOf := func(tu topUp, status string) map[string]any {
		meta := maps.Clone(tu.meta)
		meta["checkout"] = "payment"
		return paymentIntent(tu.pi, meta, status)
	}
	ach := func(ref string) map[string]any {
		return map[string]any{"id": "du_" + ref, "object": "dispute", "amount": 50_00, "currency": "usd", "reason": "debit_not_authorized",
			"status": "lost", "payment_intent": ref, "payment_method_details": map[string]any{"type": "us_bank_account"}}
	}
	answer := func(payload []byte, want string) {
		t.Helper()
		w := deliver(t, h, payload)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), want)
	}

	t.Run("ACH: completed while processing, then succeeded, replayed, returned, replayed", func(t *testing.T) {
		tu := newTopUp("a")
		answer(event(t, "checkout.session.completed", "", session(tu, "complete", "unpaid")), "ignored: completed, payment processing")
		require.Zero(t, k.Balance(wallet), "nothing is credited before the debit settles")

		succeeded := event(t, "checkout.session.async_payment_succeeded", "", session(tu, "complete", "paid"))
		for i := range 2 {
			answer(succeeded, replayAnswer(i, "ok topup_succeeded"))
			require.Equal(t, int64(50_00), k.Balance(wallet), "credited once")
		}
		answer(event(t, "payment_intent.succeeded", "", piOf(tu, "succeeded")), "ok topup_succeeded")
		require.Equal(t, int64(50_00), k.Balance(wallet), "the payment's own event does not credit again")
		answer(event(t, "checkout.session.async_payment_failed", "", session(tu, "complete", "unpaid")), "ignored")
		require.Equal(t, int64(50_00), k.Balance(wallet), "a failure after the success is stale")

		returned := event(t, "charge.dispute.created", "", ach(tu.pi))
		for i := range 2 {
			answer(returned, replayAnswer(i, "ok topup_returned"))
			require.Zero(t, k.Balance(wallet), "debited once")
		}
		require.Len(t, proxy.RequestsTo(http.MethodGet, "/v1/payment_intents/"+tu.pi), 2, "the dispute's top-up is looked up on its payment")
		k.CheckInvariants()
	})

	t.Run("paid at once on completion", func(t *testing.T) {
		tu := newTopUp("paid")
		before := k.Balance(wallet)
		answer(event(t, "checkout.session.completed", "", session(tu, "complete", "paid")), "ok topup_succeeded")
		require.Equal(t, before+50_00, k.Balance(wallet))
		k.CheckInvariants()
	})

	t.Run("credited by payment_intent.succeeded when it comes first", func(t *testing.T) {
		tu := newTopUp("pi-first")
		before := k.Balance(wallet)
		answer(event(t, "payment_intent.succeeded", "", piOf(tu, "succeeded")), "ok topup_succeeded")
		answer(event(t, "checkout.session.async_payment_succeeded", "", session(tu, "complete", "paid")), "ok topup_succeeded")
		require.Equal(t, before+50_00, k.Balance(wallet), "credited once")
		k.CheckInvariants()
	})

	t.Run("failed, then a late success is refused", func(t *testing.T) {
		tu := newTopUp("b")
		before := k.Balance(wallet)
		answer(event(t, "payment_intent.payment_failed", "", piOf(tu, "requires_payment_method")), "ignored: a failed attempt on a Checkout Session")
		answer(event(t, "checkout.session.async_payment_failed", "", session(tu, "complete", "unpaid")), "ok topup_failed")
		answer(event(t, "checkout.session.async_payment_succeeded", "", session(tu, "complete", "paid")), "ignored")
		require.Equal(t, before, k.Balance(wallet))
		k.CheckInvariants()
	})

	t.Run("expired unpaid", func(t *testing.T) {
		tu := newTopUp("e")
		before := k.Balance(wallet)
		answer(event(t, "checkout.session.expired", "", session(tu, "expired", "unpaid")), "ok topup_failed")
		require.Equal(t, before, k.Balance(wallet))
	})

	t.Run("returned before its success arrives", func(t *testing.T) {
		tu := newTopUp("d")
		before := k.Balance(wallet)
		answer(event(t, "charge.dispute.created", "", ach(tu.pi)), "ok topup_returned")
		answer(event(t, "checkout.session.async_payment_succeeded", "", session(tu, "complete", "paid")), "ignored")
		require.Equal(t, before, k.Balance(wallet), "never credited")
		k.CheckInvariants()
	})

	t.Run("an unknown top-up is retried", func(t *testing.T) {
		meta := map[string]string{"account_id": pat.AccountID, "kind": "topup", "topup_id": "tu_not_yet_recorded"}
		w := deliver(t, h, event(t, "checkout.session.async_payment_succeeded", "", checkoutSession("cs_unknown", "complete", "paid", meta)))
		require.Equal(t, http.StatusInternalServerError, w.Code, "Stripe retries: the top-up may not be committed yet: %s", w.Body)
		require.Contains(t, w.Body.String(), "topup_succeeded failed")
	})

	t.Run("a bank debit dispute of a payment that is no top-up's", func(t *testing.T) {
		proxy.Inject(stripetest.Fault{Method: http.MethodGet, Path: "/v1/payment_intents/pi_other", Status: http.StatusOK,
			Body: `{"id":"pi_other","object":"payment_intent","metadata":{}}`})
		answer(event(t, "charge.dispute.created", "", ach("pi_other")), "ignored: payment pi_other is not a top-up's")
	})

	t.Run("a returned bank debit is retried when Stripe does not answer the look-up", func(t *testing.T) {
		proxy.Inject(stripetest.Fault{Method: http.MethodGet, Path: "/v1/payment_intents/pi_flaky", Status: http.StatusServiceUnavailable,
			Body: `{"error":{"type":"api_error","message":"Try again"}}`})
		w := deliver(t, h, event(t, "charge.dispute.created", "", ach("pi_flaky")))
		require.Equal(t, http.StatusInternalServerError, w.Code, w.Body.String())
	})

	t.Run("a card dispute is not a returned top-up", func(t *testing.T) {
		tu := newTopUp("c")
		d := ach(tu.pi)
		d["payment_method_details"] = map[string]any{"type": "card"}
		answer(event(t, "charge.dispute.created", "", d), "no chargeback use case")
	})

	t.Run("not a marketplace checkout", func(t *testing.T) {
		answer(event(t, "checkout.session.completed", "", checkoutSession("cs_elsewhere", "complete", "paid", nil)), "not a marketplace checkout")
	})
}

// TestWebhookReturnWithoutLookup: a handler that cannot look a returned debit's top-up up answers
// 500, so Stripe delivers the event again (to a correctly configured server).
func TestWebhookReturnWithoutLookup(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	w := deliver(t, h, event(t, "charge.dispute.created", "", map[string]any{"id": "du_1", "object": "dispute", "payment_intent": "pi_1",
		"payment_method_details": map[string]any{"type": "us_bank_account"}}))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.Contains(t, w.Body.String(), "no Stripe client to find the top-up of pi_1")
}

func TestWebhookCardFundingOnCheckout(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	poster, agent := k.Account("Pat"), k.Agent("Ada")

	t.Run("paid", func(t *testing.T) {
		j := cardJob(k, poster, agent, 20_00)
		require.NotEmpty(t, j.CheckoutURL, "a poster without a saved card pays on a checkout page")
		meta := map[string]string{"job_id": j.ID, "kind": "job", "account_id": poster.AccountID}
		piMeta := maps.Clone(meta)
		piMeta["checkout"] = "payment"
		w := deliver(t, h, event(t, "payment_intent.succeeded", "", paymentIntent("pi_of_session", piMeta, "succeeded")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "its checkout.session events settle the job")
		require.Equal(t, job.AwaitingFunding, k.Job(j.ID).State)

		paid := event(t, "checkout.session.completed", "", checkoutSession(j.PaymentRef, "complete", "paid", meta))
		for i := range 2 {
			w := deliver(t, h, paid)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Contains(t, w.Body.String(), replayAnswer(i, "ok confirm_funding"))
			require.Equal(t, job.InProgress, k.Job(j.ID).State)
			require.Equal(t, int64(20_00), k.Balance(ledger.Escrow(j.ID)), "funded once")
		}
		k.CheckInvariants()
	})

	t.Run("expired", func(t *testing.T) {
		j := cardJob(k, poster, agent, 30_00)
		meta := map[string]string{"job_id": j.ID, "kind": "job"}
		w := deliver(t, h, event(t, "checkout.session.expired", "", checkoutSession(j.PaymentRef, "expired", "unpaid", meta)))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "ok funding_failed")
		require.Equal(t, job.Open, k.Job(j.ID).State)
		require.Zero(t, k.Balance(ledger.Escrow(j.ID)))
		k.CheckInvariants()
	})
}

// TestWebhookCardSetup: a card saved on Checkout in setup mode is stored on the account, and the
// account's next card-funded job is charged to it off-session, with no checkout page.
func TestWebhookCardSetup(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	poster, agent := k.Account("Bot"), k.Agent("Ada")
	co := testkit.Got(k.Service.StartCardSetup(k.Ctx, poster)).Must(t)
	require.NotEmpty(t, co.URL)
	meta := map[string]string{"account_id": poster.AccountID, "kind": "card_setup"}

	setupSession := checkoutSession(co.Ref, "complete", "no_payment_required", meta)
	setupSession["mode"] = "setup"
	w := deliver(t, h, event(t, "checkout.session.completed", "", setupSession))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), "setup_intent.succeeded saves the card")

	saved := event(t, "setup_intent.succeeded", "", map[string]any{"id": "seti_1", "object": "setup_intent", "status": "succeeded",
		"payment_method": "pm_saved", "customer": "cus_x", "metadata": meta})
	for i := range 2 {
		w := deliver(t, h, saved)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), replayAnswer(i, "ok card_saved"))
	}
	require.Equal(t, "pm_saved", testkit.Got(k.Service.Account(k.Ctx, poster)).Must(t).CardRef)
	require.Equal(t, 1, count(k.EventTypes(), "account.card_saved"))

	j := cardJob(k, poster, agent, 25_00)
	require.Empty(t, j.CheckoutURL, "charged off-session: no human step")
	intents := k.Payments.Intents()
	require.Equal(t, "pm_saved", intents[len(intents)-1].Payer.CardRef)
	w = deliver(t, h, event(t, "payment_intent.succeeded", "", paymentIntent(j.PaymentRef, map[string]string{"job_id": j.ID, "kind": "job"}, "succeeded")))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), "ok confirm_funding")
	require.Equal(t, job.InProgress, k.Job(j.ID).State)

	for name, obj := range map[string]map[string]any{
		"not a marketplace card setup": {"id": "seti_2", "object": "setup_intent", "payment_method": "pm_x", "metadata": map[string]string{}},
		"without a payment method":     {"id": "seti_3", "object": "setup_intent", "metadata": meta},
	} {
		w := deliver(t, h, event(t, "setup_intent.succeeded", "", obj))
		require.Equal(t, http.StatusOK, w.Code, name)
		require.Contains(t, w.Body.String(), name)
	}
	k.CheckInvariants()
}

func TestWebhookPayouts(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.Advance(25 * time.Hour)
	payouts := testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)
	require.Len(t, payouts, 1)
	po := payouts[0]
	require.Equal(t, payout.Submitted, po.Status)
	payable := ledger.Payable(agent.AccountID)
	require.Equal(t, po.Amount.Amount, k.Balance(payable))

	transfer := map[string]any{"id": po.Ref, "object": "transfer", "amount": po.Amount.Amount, "currency": "usd",
		"destination": "acct_agent", "metadata": map[string]string{"payout_id": po.ID}}
	created := event(t, "transfer.created", "", transfer)
	for i := range 2 {
		w := deliver(t, h, created)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), replayAnswer(i, "ok payout_settled"))
		require.Zero(t, k.Balance(payable), "paid out once")
	}
	require.Equal(t, payout.Paid, testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0].Status)

	transfer["amount_reversed"], transfer["reversed"] = po.Amount.Amount, true
	reversed := event(t, "transfer.reversed", "", transfer)
	n, err := stripe.Translate(reversed, signed(reversed, platformSecret, time.Now()), platformSecret)
	require.NoError(t, err)
	require.Equal(t, stripe.ActionNone, n.Action)
	require.Equal(t, po.ID, n.PayoutID)
	require.Equal(t, po.Ref, n.TransferRef)
	w := deliver(t, h, reversed)
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "no use case for a reversed payout")
	require.Equal(t, payout.Paid, testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0].Status)

	w = deliver(t, h, event(t, "transfer.created", "", map[string]any{"id": "tr_other", "object": "transfer", "amount": 5, "currency": "usd"}))
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "not a marketplace payout")
	k.CheckInvariants()
}

// TestWebhookSettlesATransferWhoseAnswerWasLost: the transfer call timed out after Stripe made
// the transfer, so the payout counts as failed and a retry is scheduled; transfer.created settles
// it and the retry does nothing.
func TestWebhookSettlesATransferWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	h := stripe.NewWebhookHandler(platformSecret, connectSecret, k.Service, nil)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 40_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.Payments.FailNext(memory.OpTransfer, 1, nil)
	k.Advance(24 * time.Hour)
	po := testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0]
	require.Equal(t, payout.Failed, po.Status)

	w := deliver(t, h, event(t, "transfer.created", "", map[string]any{"id": "tr_lost", "object": "transfer",
		"amount": po.Amount.Amount, "currency": "usd", "metadata": map[string]string{"payout_id": po.ID}}))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), "ok payout_settled")
	k.Advance(time.Hour)
	require.Equal(t, payout.Paid, testkit.Got(k.Service.Payouts(k.Ctx, market.System, j.ID)).Must(t)[0].Status)
	require.Empty(t, k.Payments.Transfers(), "the retry did not transfer again")
	require.Zero(t, k.Balance(ledger.Payable(agent.AccountID)))
	k.CheckInvariants()
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// replayAnswer is the handler's answer to the i-th delivery of one event: the effect the first
// time, a duplicate (the event ID is recorded with its effect) after.
func replayAnswer(i int, first string) string {
	if i == 0 {
		return first
	}
	return "duplicate"
}
