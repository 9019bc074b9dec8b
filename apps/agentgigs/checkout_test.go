package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/adapters/stripe/stripetest"
)

// TestProductionMoneyPath runs serve on PostgreSQL with Stripe (stripe-mock behind a recording
// proxy) and drives the money path over HTTP, Stripe's side played by signed webhooks built from
// what the server sent to Stripe: a human poster tops the wallet up through a Checkout Session
// (ACH, settled days later), funds a job from it, disputes the delivery, and an admin granted by
// the operator command resolves it with a split; an agent poster saves a card once on Checkout
// and its next job is charged off-session with no human step.
func TestProductionMoneyPath(t *testing.T) {
	schema := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	proxy := stripetest.Start(t)
	const secret = "whsec_money_path"
	env := map[string]string{
		"DATABASE_URL":      pgtest.URL() + "&search_path=" + schema.Name,
		"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_API_BASE": proxy.URL, "STRIPE_WEBHOOK_SECRET": secret,
		"AGENTGIGS_PUBLIC_URL": "https://gigs.example.test/",
	}
	getenv := func(k string) string { return env[k] }
	base, printed := startServerOutput(t, getenv)

	call := func(want int, method, path, key string, body any) map[string]any {
		t.Helper()
		status, v := callJSON(t, method, base+path, key, body)
		require.Equal(t, want, status, "%s %s: %v", method, path, v)
		return v
	}
	account := func(name, email string) (key, id string) {
		t.Helper()
		call(http.StatusAccepted, "POST", "/api/auth/register", "", map[string]string{"email": email, "name": name})
		token := regexp.MustCompile(`(?s)To:\s+[^\n]*` + regexp.QuoteMeta(email) + `.*?Token: (\S+)`)
		require.Eventually(t, func() bool { return token.MatchString(printed.String()) }, 10*time.Second, 20*time.Millisecond, "the verification email of %s", email)
		v := call(http.StatusOK, "POST", "/api/auth/verify-email", "", map[string]string{"token": token.FindStringSubmatch(printed.String())[1]})
		return v["api_key"].(map[string]any)["secret"].(string), v["account"].(map[string]any)["id"].(string)
	}
	var seq atomic.Int64
	// deliver posts a Stripe event of typ about obj to the webhook endpoint, signed as Stripe does.
	deliver := func(typ string, obj map[string]any) string {
		t.Helper()
		payload, err := json.Marshal(map[string]any{
			"id": fmt.Sprintf("evt_money_%d", seq.Add(1)), "object": "event", "type": typ, "api_version": "2023-10-16",
			"created": time.Now().Unix(), "livemode": false, "data": map[string]any{"object": obj},
		})
		require.NoError(t, err)
		req, err := http.NewRequest("POST", base+"/api/stripe/webhook", bytes.NewReader(payload))
		require.NoError(t, err)
		req.Header.Set("Stripe-Signature", webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", typ, body)
		return string(body)
	}
	// sent returns the one request the server sent to Stripe at path since the last look.
	seen := map[string]int{}
	sent := func(path string) stripetest.Request {
		t.Helper()
		reqs := proxy.RequestsTo("POST", path)[seen[path]:]
		require.Len(t, reqs, 1, path)
		seen[path]++
		return reqs[0]
	}
	wallet := func(key string) float64 {
		return call(http.StatusOK, "GET", "/api/me/wallet", key, nil)["wallet"].(float64)
	}
	jobOf := func(key, id string) map[string]any {
		return call(http.StatusOK, "GET", "/api/jobs/"+id, key, nil)["job"].(map[string]any)
	}
	// hire posts a job for poster, has the agent apply and accepts it with funding.
	hire := func(poster, agent string, price int64, funding string) map[string]any {
		t.Helper()
		id := call(http.StatusCreated, "POST", "/api/jobs", poster, map[string]any{
			"title": "Summarise a paper", "budget": map[string]any{"amount": price, "currency": "USD"}, "criteria": "500 words",
		})["job"].(map[string]any)["id"].(string)
		app := call(http.StatusCreated, "POST", "/api/jobs/"+id+"/apply", agent, map[string]any{"message": "on it"})
		return call(http.StatusOK, "POST", "/api/jobs/"+id+"/accept-application", poster, map[string]any{"application_id": app["id"], "funding": funding})
	}

	pat, _ := account("Pat", "pat@example.test")
	bot, botID := account("Bot", "bot@example.test")
	ada, adaID := account("Ada", "ada@example.test")
	opsKey, _ := account("Ops", "ops@example.test")

	// Ada onboards for payouts: the connected account comes from Stripe, its event enables it.
	call(http.StatusOK, "POST", "/api/me/payout-onboarding", ada, nil)
	acct := sent("/v1/accounts")
	require.Equal(t, adaID, acct.Form.Get("metadata[account_id]"))
	require.Contains(t, deliver("account.updated", map[string]any{"id": "acct_ada", "object": "account", "payouts_enabled": true,
		"capabilities": map[string]any{"transfers": "active"}, "metadata": map[string]string{"account_id": adaID}}), "ok payout_onboarding_completed")

	// Pat tops the wallet up by ACH on a Checkout Session.
	topUp := call(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", pat, map[string]any{"amount": 100_00, "currency": "USD"})
	require.Regexp(t, `^https://`, topUp["checkout_url"], "the human authorises the debit on Stripe's page")
	customer := sent("/v1/customers")
	session := sent("/v1/checkout/sessions")
	require.Equal(t, "us_bank_account", session.Form.Get("payment_method_types[0]"))
	require.Equal(t, topUp["id"], session.Form.Get("payment_intent_data[metadata][topup_id]"))
	require.NotEmpty(t, session.Form.Get("customer"))
	require.Equal(t, "https://gigs.example.test/web/?checkout=done", session.Form.Get("success_url"), "the human returns to the public URL")
	meta := map[string]string{"account_id": session.Form.Get("metadata[account_id]"), "kind": "topup", "topup_id": session.Form.Get("metadata[topup_id]")}
	checkoutObj := func(status, paid string) map[string]any {
		return map[string]any{"id": topUp["ref"], "object": "checkout.session", "mode": "payment", "status": status, "payment_status": paid, "metadata": meta}
	}
	require.Contains(t, deliver("checkout.session.completed", checkoutObj("complete", "unpaid")), "payment processing")
	require.Zero(t, wallet(pat), "not credited while the debit is processing")
	require.Contains(t, deliver("checkout.session.async_payment_succeeded", checkoutObj("complete", "paid")), "ok topup_succeeded")
	require.EqualValues(t, 100_00, wallet(pat))

	// A second top-up reuses the account's Customer.
	call(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", pat, map[string]any{"amount": 5_00, "currency": "USD"})
	require.Equal(t, session.Form.Get("customer"), sent("/v1/checkout/sessions").Form.Get("customer"))
	require.Len(t, proxy.RequestsTo("POST", "/v1/customers"), 1, "one Customer per account: %v", customer.Form)

	// Pat funds a job from the wallet, disputes the delivery; an operator-granted admin splits.
	funded := hire(pat, ada, 50_00, "wallet")
	jobID := funded["view"].(map[string]any)["job"].(map[string]any)["id"].(string)
	require.Equal(t, "in_progress", jobOf(pat, jobID)["state"])
	call(http.StatusOK, "POST", "/api/jobs/"+jobID+"/deliver", ada, map[string]any{"url": "https://example.test/summary", "note": "done"})
	call(http.StatusOK, "POST", "/api/jobs/"+jobID+"/dispute", pat, map[string]any{"reason": "half of it is missing"})
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"admin", "grant", "ops@example.test", "--reason", "on call"}, getenv, &out, &out), out.String())
	call(http.StatusOK, "POST", "/api/admin/jobs/"+jobID+"/resolve", opsKey, map[string]any{"to_agent": 30_00, "to_poster": 20_00, "reason": "half delivered"})
	require.Equal(t, "resolved", jobOf(pat, jobID)["state"])
	require.EqualValues(t, 100_00-50_00+20_00, wallet(pat), "the poster's share is back in the wallet")

	// Bot saves a card once on Checkout in setup mode.
	setup := call(http.StatusOK, "POST", "/api/me/card-setup", bot, nil)
	require.Regexp(t, `^https://`, setup["url"])
	setupReq := sent("/v1/checkout/sessions")
	require.Equal(t, "setup", setupReq.Form.Get("mode"))
	botCustomer := setupReq.Form.Get("customer")
	require.NotEmpty(t, botCustomer)
	require.Contains(t, deliver("setup_intent.succeeded", map[string]any{"id": "seti_bot", "object": "setup_intent", "status": "succeeded",
		"customer": botCustomer, "payment_method": "pm_bot_card", "metadata": map[string]string{
			"account_id": setupReq.Form.Get("setup_intent_data[metadata][account_id]"), "kind": setupReq.Form.Get("setup_intent_data[metadata][kind]"),
		}}), "ok card_saved")
	require.Equal(t, true, call(http.StatusOK, "GET", "/api/me", bot, nil)["card_saved"])

	// Bot's next job is charged off-session: no checkout page, no human.
	accepted := hire(bot, ada, 25_00, "card")
	require.NotContains(t, accepted, "checkout_url")
	cardJob := accepted["view"].(map[string]any)["job"].(map[string]any)
	require.Equal(t, "awaiting_funding", cardJob["state"])
	charge := sent("/v1/payment_intents")
	require.Equal(t, "true", charge.Form.Get("off_session"))
	require.Equal(t, "true", charge.Form.Get("confirm"))
	require.Equal(t, "pm_bot_card", charge.Form.Get("payment_method"))
	require.Equal(t, botCustomer, charge.Form.Get("customer"))
	require.Equal(t, "2500", charge.Form.Get("amount"))
	require.Contains(t, deliver("payment_intent.succeeded", map[string]any{"id": cardJob["payment_ref"], "object": "payment_intent",
		"amount": 25_00, "currency": "usd", "status": "succeeded", "customer": botCustomer,
		"metadata": map[string]string{"job_id": charge.Form.Get("metadata[job_id]"), "kind": "job", "account_id": botID}}), "ok confirm_funding")
	require.Equal(t, "in_progress", jobOf(bot, cardJob["id"].(string))["state"])
}
