package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/agentgigs/agentgigs/adapters/stripe/stripetest"
)

// TestServeWithStripe runs serve with Stripe keys against stripe-mock: onboarding links come from
// the Stripe API, the sandbox's fake-processor endpoints are gone, and a signed account.updated
// event posted to the webhook route completes payout onboarding.
func TestServeWithStripe(t *testing.T) {
	mock := stripetest.StartMock(t)
	const secret = "whsec_serve_test"
	env := map[string]string{"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_API_BASE": mock.URL, "STRIPE_WEBHOOK_SECRET": secret}
	base := startServerEnv(t, func(k string) string { return env[k] })

	call := func(method, path, key string, body any) (int, map[string]any) {
		return callJSON(t, method, base+path, key, body)
	}
	status, _ := call("POST", "/api/auth/register", "", map[string]string{"email": "ada@example.test", "name": "Ada"})
	require.Equal(t, http.StatusAccepted, status)
	var inbox []struct{ Token string }
	res, err := http.Get(base + "/api/dev/inbox?to=ada@example.test")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(res.Body).Decode(&inbox))
	res.Body.Close()
	status, v := call("POST", "/api/auth/verify-email", "", map[string]string{"token": inbox[0].Token})
	require.Equal(t, http.StatusOK, status, v)
	key := v["api_key"].(map[string]any)["secret"].(string)
	accountID := v["account"].(map[string]any)["id"].(string)

	status, v = call("POST", "/api/me/payout-onboarding", key, nil)
	require.Equal(t, http.StatusOK, status, v)
	require.NotEmpty(t, v["url"], "the account link comes from the Stripe API")
	require.Equal(t, false, v["payouts_enabled"])
	status, _ = call("POST", "/api/dev/payout-onboarding/complete", key, nil)
	require.Equal(t, http.StatusNotFound, status, "with a real processor the sandbox cannot fake its outcomes")

	event, err := json.Marshal(map[string]any{
		"id": "evt_serve_1", "object": "event", "type": "account.updated", "api_version": "2023-10-16",
		"created": time.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": map[string]any{
			"id": "acct_serve", "object": "account", "payouts_enabled": true, "charges_enabled": true,
			"capabilities": map[string]any{"transfers": "active"}, "metadata": map[string]any{"account_id": accountID},
		}},
	})
	require.NoError(t, err)
	post := func(sig string) int {
		req, err := http.NewRequest("POST", base+"/api/stripe/webhook", bytes.NewReader(event))
		require.NoError(t, err)
		req.Header.Set("Stripe-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusBadRequest, post("t=1,v1=bogus"), "an unsigned event is refused")
	_, v = call("GET", "/api/me/payout-onboarding", key, nil)
	require.Equal(t, false, v["payouts_enabled"])
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: event, Secret: secret, Timestamp: time.Now()}).Header
	require.Equal(t, http.StatusOK, post(sig))
	status, v = call("GET", "/api/me/payout-onboarding", key, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, v["payouts_enabled"], "Stripe's event completed onboarding")
}

func TestServeRefusesStripeWithoutWebhookSecret(t *testing.T) {
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string {
		return map[string]string{"STRIPE_SECRET_KEY": "sk_test_123"}[k]
	}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "STRIPE_WEBHOOK_SECRET")
}
