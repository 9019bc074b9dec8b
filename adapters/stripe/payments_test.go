package stripe_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/stripe"
	"github.com/agentgigs/agentgigs/adapters/stripe/stripetest"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// newPayments returns the adapter talking to the Stripe API at base (a stripetest.Proxy), without
// stripe-go's own retries unless a test asks for them.
func newPayments(t *testing.T, base string, opts ...func(*stripe.Config)) *stripe.Payments {
	t.Helper()
	cfg := stripe.Config{
		SecretKey: "sk_test_agentgigs", APIBase: base, Timeout: 10 * time.Second, MaxNetworkRetries: -1,
		ReturnURL: "https://agentgigs.test/onboarding/done", RefreshURL: "https://agentgigs.test/onboarding/again",
		CheckoutSuccessURL: "https://agentgigs.test/checkout/done", CheckoutCancelURL: "https://agentgigs.test/checkout/back",
	}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := stripe.New(cfg)
	require.NoError(t, err)
	return p
}

func TestPaymentsConformance(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	conformance.Payments(t, func(t *testing.T) ports.Payments { return newPayments(t, proxy.URL) })
}

func TestNewRequiresKeyAndURLs(t *testing.T) {
	t.Parallel()
	_, err := stripe.New(stripe.Config{ReturnURL: "https://x/r", RefreshURL: "https://x/f"})
	require.ErrorContains(t, err, "SecretKey")
	_, err = stripe.New(stripe.Config{SecretKey: "sk_test_x", ReturnURL: "https://x/r"})
	require.ErrorContains(t, err, "RefreshURL")
	_, err = stripe.New(stripe.Config{SecretKey: "sk_test_x", ReturnURL: "https://x/r", RefreshURL: "https://x/f", CheckoutSuccessURL: "https://x/s"})
	require.ErrorContains(t, err, "CheckoutCancelURL")
}

// TestRequests checks what each call sends to Stripe (stripe-mock validates it against Stripe's
// OpenAPI description; the proxy records it).
func TestRequests(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	p, ctx := newPayments(t, proxy.URL), t.Context()
	usd := money.Money{Amount: 1234, Currency: "USD"}

	// last returns the one request made to path since the previous call, failing otherwise.
	seen := 0
	last := func(method, path string) stripetest.Request {
		t.Helper()
		reqs := proxy.Requests()[seen:]
		seen += len(reqs)
		require.Len(t, reqs, 1)
		require.Equal(t, method, reqs[0].Method)
		require.Equal(t, path, reqs[0].Path)
		return reqs[0]
	}

	t.Run("CreateConnectedAccount", func(t *testing.T) {
		ref, err := p.CreateConnectedAccount(ctx, "acc_1", "agent@example.test")
		require.NoError(t, err)
		require.Regexp(t, "^acct_", ref)
		r := last(http.MethodPost, "/v1/accounts")
		require.Equal(t, stripe.ConnectedAccountKey("acc_1"), r.IdempotencyKey, "the key derives from the account")
		require.Equal(t, "express", r.Form.Get("type"))
		require.Equal(t, "true", r.Form.Get("capabilities[transfers][requested]"))
		require.Equal(t, "acc_1", r.Form.Get("metadata[account_id]"))
		require.Equal(t, "agent@example.test", r.Form.Get("email"))
	})

	t.Run("OnboardingLink", func(t *testing.T) {
		url, err := p.OnboardingLink(ctx, "acct_123")
		require.NoError(t, err)
		require.Regexp(t, "^https://", url)
		r := last(http.MethodPost, "/v1/account_links")
		require.Equal(t, "acct_123", r.Form.Get("account"))
		require.Equal(t, "account_onboarding", r.Form.Get("type"))
		require.Equal(t, "https://agentgigs.test/onboarding/done", r.Form.Get("return_url"))
		require.Equal(t, "https://agentgigs.test/onboarding/again", r.Form.Get("refresh_url"))
	})

	t.Run("LoginLink", func(t *testing.T) {
		url, err := p.LoginLink(ctx, "acct_123")
		require.NoError(t, err)
		require.Regexp(t, "^https://", url)
		last(http.MethodPost, "/v1/accounts/acct_123/login_links")
	})

	t.Run("CreateCustomer", func(t *testing.T) {
		ref, err := p.CreateCustomer(ctx, "acc_1", "poster@example.test")
		require.NoError(t, err)
		require.Regexp(t, "^cus_", ref)
		r := last(http.MethodPost, "/v1/customers")
		require.Equal(t, stripe.CustomerKey("acc_1"), r.IdempotencyKey, "the key derives from the account")
		require.Equal(t, "acc_1", r.Form.Get("metadata[account_id]"))
		require.Equal(t, "poster@example.test", r.Form.Get("email"))
	})

	payer := ports.Payer{AccountID: "acc_1", CustomerRef: "cus_123"}
	// checkoutPage checks the parameters every Checkout Session of the adapter carries.
	checkoutPage := func(t *testing.T, co ports.Checkout, r stripetest.Request) {
		t.Helper()
		require.Regexp(t, "^cs_", co.Ref)
		require.Regexp(t, "^https://", co.URL)
		require.Equal(t, "cus_123", r.Form.Get("customer"))
		require.Equal(t, "acc_1", r.Form.Get("client_reference_id"))
		require.Equal(t, "https://agentgigs.test/checkout/done", r.Form.Get("success_url"))
		require.Equal(t, "https://agentgigs.test/checkout/back", r.Form.Get("cancel_url"))
	}
	// lineItem checks the one line item of a payment-mode session.
	lineItem := func(t *testing.T, r stripetest.Request) {
		t.Helper()
		require.Equal(t, "payment", r.Form.Get("mode"))
		require.Equal(t, "1", r.Form.Get("line_items[0][quantity]"))
		require.Equal(t, "1234", r.Form.Get("line_items[0][price_data][unit_amount]"))
		require.Equal(t, "usd", r.Form.Get("line_items[0][price_data][currency]"))
		require.NotEmpty(t, r.Form.Get("line_items[0][price_data][product_data][name]"))
	}

	t.Run("CreateCardPayment on Checkout", func(t *testing.T) {
		co, err := p.CreateCardPayment(ctx, "intent-job_1-app_1-v1", usd, "job_1", payer)
		require.NoError(t, err)
		r := last(http.MethodPost, "/v1/checkout/sessions")
		checkoutPage(t, co, r)
		lineItem(t, r)
		require.Equal(t, "intent-job_1-app_1-v1", r.IdempotencyKey)
		require.Equal(t, []string{"card"}, r.Form["payment_method_types[0]"])
		require.Equal(t, "job_1", r.Form.Get("metadata[job_id]"))
		require.Equal(t, "job", r.Form.Get("metadata[kind]"))
		require.Equal(t, "job_1", r.Form.Get("payment_intent_data[transfer_group]"))
		require.Equal(t, "job_1", r.Form.Get("payment_intent_data[metadata][job_id]"))
		require.Equal(t, "payment", r.Form.Get("payment_intent_data[metadata][checkout]"), "the session's payment intent is told apart")
	})

	t.Run("CreateCardPayment off-session", func(t *testing.T) {
		saved := payer
		saved.CardRef = "pm_123"
		co, err := p.CreateCardPayment(ctx, "intent-job_2-app_1-v1", usd, "job_2", saved)
		require.NoError(t, err)
		require.Regexp(t, "^pi_", co.Ref)
		require.Empty(t, co.URL, "no human step")
		r := last(http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "intent-job_2-app_1-v1", r.IdempotencyKey)
		require.Equal(t, "1234", r.Form.Get("amount"))
		require.Equal(t, "usd", r.Form.Get("currency"))
		require.Equal(t, "cus_123", r.Form.Get("customer"))
		require.Equal(t, "pm_123", r.Form.Get("payment_method"))
		require.Equal(t, "true", r.Form.Get("confirm"))
		require.Equal(t, "true", r.Form.Get("off_session"))
		require.Equal(t, "job_2", r.Form.Get("transfer_group"))
		require.Equal(t, "job_2", r.Form.Get("metadata[job_id]"))
		require.Empty(t, r.Form.Get("metadata[checkout]"))
		require.Equal(t, []string{"card"}, r.Form["payment_method_types[0]"])
	})

	t.Run("CancelPaymentIntent", func(t *testing.T) {
		require.NoError(t, p.CancelPaymentIntent(ctx, "pi_123"))
		last(http.MethodPost, "/v1/payment_intents/pi_123/cancel")
	})

	t.Run("CancelPaymentIntent of a Checkout Session", func(t *testing.T) {
		require.NoError(t, p.CancelPaymentIntent(ctx, "cs_123"))
		last(http.MethodPost, "/v1/checkout/sessions/cs_123/expire")
	})

	t.Run("CreateTopUp", func(t *testing.T) {
		co, err := p.CreateTopUp(ctx, "topup-acc_1-k1", usd, "tu_1", payer)
		require.NoError(t, err)
		r := last(http.MethodPost, "/v1/checkout/sessions")
		checkoutPage(t, co, r)
		lineItem(t, r)
		require.Equal(t, "topup-acc_1-k1", r.IdempotencyKey)
		require.Equal(t, []string{"us_bank_account"}, r.Form["payment_method_types[0]"])
		for _, prefix := range []string{"metadata", "payment_intent_data[metadata]"} {
			require.Equal(t, "acc_1", r.Form.Get(prefix+"[account_id]"), prefix)
			require.Equal(t, "tu_1", r.Form.Get(prefix+"[topup_id]"), prefix)
			require.Equal(t, "topup", r.Form.Get(prefix+"[kind]"), prefix)
		}
	})

	t.Run("CreateCardSetup", func(t *testing.T) {
		co, err := p.CreateCardSetup(ctx, "card-setup-k1", payer)
		require.NoError(t, err)
		r := last(http.MethodPost, "/v1/checkout/sessions")
		checkoutPage(t, co, r)
		require.Equal(t, "card-setup-k1", r.IdempotencyKey)
		require.Equal(t, "setup", r.Form.Get("mode"))
		require.Equal(t, []string{"card"}, r.Form["payment_method_types[0]"])
		for _, prefix := range []string{"metadata", "setup_intent_data[metadata]"} {
			require.Equal(t, "acc_1", r.Form.Get(prefix+"[account_id]"), prefix)
			require.Equal(t, "card_setup", r.Form.Get(prefix+"[kind]"), prefix)
		}
		_, err = p.CreateCardSetup(ctx, "card-setup-k2", ports.Payer{AccountID: "acc_1"})
		require.ErrorContains(t, err, "no customer")
		require.Empty(t, proxy.Requests()[seen:], "refused before any request")
	})

	t.Run("Transfer", func(t *testing.T) {
		po := &payout.Payout{ID: "po_42"}
		ref, err := p.Transfer(ctx, po.IdempotencyKey(), usd, "acct_123")
		require.NoError(t, err)
		require.Regexp(t, "^tr_", ref)
		r := last(http.MethodPost, "/v1/transfers")
		require.Equal(t, "payout-po_42", r.IdempotencyKey, "the core's key is sent as it is")
		require.Equal(t, "acct_123", r.Form.Get("destination"))
		require.Equal(t, "po_42", r.Form.Get("metadata[payout_id]"), "the payout is named for the webhook")
		require.Equal(t, "1234", r.Form.Get("amount"))
		require.Equal(t, "usd", r.Form.Get("currency"))
	})

	t.Run("ReverseTransfer", func(t *testing.T) {
		ref, err := p.ReverseTransfer(ctx, "reverse-po_42", money.Money{Amount: 300, Currency: "USD"}, "tr_123")
		require.NoError(t, err)
		require.Regexp(t, "^trr_", ref)
		r := last(http.MethodPost, "/v1/transfers/tr_123/reversals")
		require.Equal(t, "reverse-po_42", r.IdempotencyKey)
		require.Equal(t, "300", r.Form.Get("amount"), "a partial reversal")
	})

	t.Run("Refund", func(t *testing.T) {
		ref, err := p.Refund(ctx, "refund-job_1", money.Money{Amount: 500, Currency: "USD"}, "pi_123")
		require.NoError(t, err)
		require.Regexp(t, "^re_", ref)
		r := last(http.MethodPost, "/v1/refunds")
		require.Equal(t, "refund-job_1", r.IdempotencyKey)
		require.Equal(t, "pi_123", r.Form.Get("payment_intent"))
		require.Equal(t, "500", r.Form.Get("amount"), "a partial refund")
	})

	t.Run("Refund of a Checkout Session", func(t *testing.T) {
		proxy.Inject(stripetest.Fault{Method: http.MethodGet, Path: "/v1/checkout/sessions/cs_paid", Status: http.StatusOK,
			Body: `{"id":"cs_paid","object":"checkout.session","mode":"payment","status":"complete","payment_intent":"pi_of_cs"}`})
		ref, err := p.Refund(ctx, "refund-job_3", money.Money{Amount: 500, Currency: "USD"}, "cs_paid")
		require.NoError(t, err)
		require.Regexp(t, "^re_", ref)
		reqs := proxy.Requests()[seen:]
		seen += len(reqs)
		require.Len(t, reqs, 2)
		require.Equal(t, "/v1/checkout/sessions/cs_paid", reqs[0].Path, "the session's payment is looked up")
		require.Equal(t, "pi_of_cs", reqs[1].Form.Get("payment_intent"))
		require.Equal(t, "refund-job_3", reqs[1].IdempotencyKey)
	})
}

// TestAmountsInMinorUnits: money.Money and Stripe both count minor units, so amounts pass through
// unchanged in a zero-decimal currency (JPY) and a two-decimal one (USD), with the currency in
// lower case, on a payment intent and on a Checkout Session's line item.
func TestAmountsInMinorUnits(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	p, ctx := newPayments(t, proxy.URL), t.Context()

	key := func(m money.Money) string { return strconv.FormatInt(m.Amount, 10) + string(m.Currency) }
	for _, m := range []money.Money{{Amount: 5000, Currency: "JPY"}, {Amount: 5000, Currency: "USD"}, {Amount: 1, Currency: "JPY"}, {Amount: 99999999, Currency: "USD"}} {
		calls := map[string]func() (string, error){
			"/v1/payment_intents": func() (string, error) {
				return refOf(p.CreateCardPayment(ctx, "k-pi-"+key(m), m, "job_1", ports.Payer{AccountID: "acc_1", CustomerRef: "cus_1", CardRef: "pm_1"}))
			},
			"/v1/checkout/sessions": func() (string, error) {
				return refOf(p.CreateTopUp(ctx, "k-cs-"+key(m), m, "tu_1", ports.Payer{AccountID: "acc_1", CustomerRef: "cus_1"}))
			},
			"/v1/transfers": func() (string, error) { return p.Transfer(ctx, "k-tr-"+key(m), m, "acct_1") },
			"/v1/refunds":   func() (string, error) { return p.Refund(ctx, "k-re-"+key(m), m, "pi_1") },
		}
		for path, call := range calls {
			before := len(proxy.RequestsTo(http.MethodPost, path))
			_, err := call()
			require.NoError(t, err)
			reqs := proxy.RequestsTo(http.MethodPost, path)
			require.Len(t, reqs, before+1)
			r := reqs[before]
			amountField, currencyField := "amount", "currency"
			if path == "/v1/checkout/sessions" {
				amountField, currencyField = "line_items[0][price_data][unit_amount]", "line_items[0][price_data][currency]"
			}
			require.Equal(t, strconv.FormatInt(m.Amount, 10), r.Form.Get(amountField), "%s %d %s", path, m.Amount, m.Currency)
			if path != "/v1/refunds" { // a refund is in its payment's currency
				require.Equal(t, map[money.Currency]string{"JPY": "jpy", "USD": "usd"}[m.Currency], r.Form.Get(currencyField), "%s %d %s", path, m.Amount, m.Currency)
			}
		}
	}
}

// TestReleaseRetriedAfterTimeout: the transfer reaches Stripe but its answer does not reach the
// caller in time. The retry carries the same idempotency key and gets the first transfer back, so
// the payout is made once.
func TestReleaseRetriedAfterTimeout(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	amount := money.Money{Amount: 4200, Currency: "USD"}
	po := &payout.Payout{ID: "po_timeout"}

	t.Run("by the caller", func(t *testing.T) {
		p := newPayments(t, proxy.URL, func(c *stripe.Config) { c.Timeout = 300 * time.Millisecond })
		proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/transfers", Delay: 5 * time.Second})

		_, err := p.Transfer(t.Context(), po.IdempotencyKey(), amount, "acct_1")
		require.ErrorIs(t, err, ports.ErrUnavailable, "a timeout is retryable")
		var se *stripe.Error
		require.ErrorAs(t, err, &se)
		require.True(t, se.Retryable())

		ref, err := p.Transfer(t.Context(), po.IdempotencyKey(), amount, "acct_1")
		require.NoError(t, err)
		reqs := proxy.RequestsTo(http.MethodPost, "/v1/transfers")
		require.Len(t, reqs, 2)
		require.True(t, reqs[0].Fault, "the first attempt timed out")
		require.Equal(t, reqs[0].IdempotencyKey, reqs[1].IdempotencyKey)
		require.Equal(t, "payout-po_timeout", reqs[1].IdempotencyKey)
		require.True(t, reqs[1].Replayed, "Stripe answers the retry with the first transfer")
		require.Regexp(t, "^tr_", ref)
	})

	t.Run("by stripe-go", func(t *testing.T) {
		po := &payout.Payout{ID: "po_timeout_2"}
		p := newPayments(t, proxy.URL, func(c *stripe.Config) {
			c.Timeout, c.MaxNetworkRetries = 300*time.Millisecond, 1
		})
		proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/transfers", Delay: 5 * time.Second})
		before := len(proxy.RequestsTo(http.MethodPost, "/v1/transfers"))

		ref, err := p.Transfer(t.Context(), po.IdempotencyKey(), amount, "acct_1")
		require.NoError(t, err)
		require.Regexp(t, "^tr_", ref)
		reqs := proxy.RequestsTo(http.MethodPost, "/v1/transfers")[before:]
		require.Len(t, reqs, 2)
		require.Equal(t, "payout-po_timeout_2", reqs[0].IdempotencyKey)
		require.Equal(t, reqs[0].IdempotencyKey, reqs[1].IdempotencyKey)
		require.True(t, reqs[1].Replayed)
	})
}

// TestErrors: Stripe's answers are classed by what the caller can do about them.
func TestErrors(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	p, ctx := newPayments(t, proxy.URL), t.Context()
	usd := money.Money{Amount: 100, Currency: "USD"}

	tests := []struct {
		name   string
		status int
		body   string
		class  error // nil: a final refusal
	}{
		{"server error", 500, `{"error":{"type":"api_error","message":"Something went wrong"}}`, ports.ErrUnavailable},
		{"unavailable", 503, `{"error":{"type":"api_error","message":"Try again"}}`, ports.ErrUnavailable},
		{"rate limit", 429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`, ports.ErrUnavailable},
		{"key in use", 409, `{"error":{"type":"idempotency_error","message":"There is currently another in-progress request using this Idempotent Key"}}`, ports.ErrUnavailable},
		{"key reused", 400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}`, ports.ErrConflict},
		{"no such account", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"destination","message":"No such destination: 'acct_x'"}}`, ports.ErrNotFound},
		{"insufficient funds", 400, `{"error":{"type":"invalid_request_error","code":"balance_insufficient","message":"You have insufficient available funds in your Stripe account."}}`, nil},
		{"invalid amount", 400, `{"error":{"type":"invalid_request_error","code":"amount_too_small","param":"amount","message":"Amount must be at least $0.50 usd"}}`, nil},
	}
	for _, tt := range tests {
		proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/transfers", Status: tt.status, Body: tt.body})
		_, err := p.Transfer(ctx, "k-"+tt.name, usd, "acct_x")
		require.Error(t, err, tt.name)
		var se *stripe.Error
		require.ErrorAs(t, err, &se, tt.name)
		require.Equal(t, tt.status, se.Status, tt.name)
		require.Equal(t, "transfer", se.Op, tt.name)
		require.NotEmpty(t, se.Message, tt.name)
		require.Contains(t, err.Error(), se.Message, "%s: Stripe's message is kept", tt.name)
		for _, class := range []error{ports.ErrUnavailable, ports.ErrConflict, ports.ErrNotFound} {
			require.Equal(t, class == tt.class, errors.Is(err, class), "%s: is %v", tt.name, class)
		}
		require.Equal(t, tt.class == ports.ErrUnavailable, se.Retryable(), tt.name)
	}

	t.Run("no answer", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		_, err := newPayments(t, dead.URL).Transfer(ctx, "k-dead", usd, "acct_x")
		require.ErrorIs(t, err, ports.ErrUnavailable)
	})
}

// TestCancelPaymentIntent: cancelling a cancelled payment is fine; one that succeeded is refused.
func TestCancelPaymentIntent(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	p, ctx := newPayments(t, proxy.URL), t.Context()
	unexpected := func(status string) string {
		return `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state",` +
			`"message":"You cannot cancel this PaymentIntent because it has a status of ` + status + `.",` +
			`"payment_intent":{"id":"pi_1","object":"payment_intent","status":"` + status + `"}}}`
	}

	proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/payment_intents/pi_1/cancel", Status: 400, Body: unexpected("canceled")})
	require.NoError(t, p.CancelPaymentIntent(ctx, "pi_1"), "already cancelled")

	proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/payment_intents/pi_1/cancel", Status: 400, Body: unexpected("succeeded")})
	err := p.CancelPaymentIntent(ctx, "pi_1")
	require.ErrorContains(t, err, "status of succeeded")
	require.NotErrorIs(t, err, ports.ErrUnavailable)

	// Without the payment intent in the error, the adapter looks it up (stripe-mock's fixture is
	// not cancelled, so the refusal stands).
	proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/payment_intents/pi_2/cancel", Status: 400,
		Body: `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"unexpected state"}}`})
	require.ErrorContains(t, p.CancelPaymentIntent(ctx, "pi_2"), "unexpected state")
	require.Len(t, proxy.RequestsTo(http.MethodGet, "/v1/payment_intents/pi_2"), 1)
}

// refOf returns the reference of a checkout call's result.
func refOf(co ports.Checkout, err error) (string, error) { return co.Ref, err }

// TestExpireCheckoutSession: cancelling a card payment on Checkout expires its session; one
// already expired is fine, one that was paid is refused.
func TestExpireCheckoutSession(t *testing.T) {
	t.Parallel()
	proxy := stripetest.Start(t)
	p, ctx := newPayments(t, proxy.URL), t.Context()
	notOpen := `{"error":{"type":"invalid_request_error","message":"Only Checkout Sessions with a status in [\"open\"] can be expired."}}`
	session := func(id, status string) stripetest.Fault {
		return stripetest.Fault{Method: http.MethodGet, Path: "/v1/checkout/sessions/" + id, Status: http.StatusOK,
			Body: `{"id":"` + id + `","object":"checkout.session","status":"` + status + `"}`}
	}

	proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/checkout/sessions/cs_gone/expire", Status: 400, Body: notOpen})
	proxy.Inject(session("cs_gone", "expired"))
	require.NoError(t, p.CancelPaymentIntent(ctx, "cs_gone"), "already expired")

	proxy.Inject(stripetest.Fault{Method: http.MethodPost, Path: "/v1/checkout/sessions/cs_paid/expire", Status: 400, Body: notOpen})
	proxy.Inject(session("cs_paid", "complete"))
	err := p.CancelPaymentIntent(ctx, "cs_paid")
	require.ErrorContains(t, err, "can be expired")
	require.NotErrorIs(t, err, ports.ErrUnavailable)
	require.Len(t, proxy.RequestsTo(http.MethodGet, "/v1/checkout/sessions/cs_paid"), 1)
}
