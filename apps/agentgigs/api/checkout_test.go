package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// pathOf returns the path of a sandbox checkout URL, which is a dev endpoint of the server.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.Equal(t, "sandbox.test", u.Host, "the sandbox's checkout pages are on the server: %s", raw)
	return u.Path
}

// TestSandboxCheckout: in the sandbox a top-up and a card payment answer a checkout URL that is
// the dev endpoint completing them, and a card saved once is charged with no checkout page.
func TestSandboxCheckout(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	human, _ := s.account("Hana")
	bot, _ := s.account("Bot")
	agent, _ := s.agent("Ada")

	t.Run("top-up", func(t *testing.T) {
		var tu struct {
			ID          string
			Status      string
			CheckoutURL string `json:"checkout_url"`
		}
		s.ok(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", human, map[string]any{"amount": 40_00, "currency": "USD"}).JSON(t, &tu)
		require.Equal(t, "pending", tu.Status)
		require.Equal(t, "/api/dev/top-ups/"+tu.ID+"/succeed", pathOf(t, tu.CheckoutURL))
		s.ok(http.StatusOK, "POST", pathOf(t, tu.CheckoutURL), human, nil)
		require.EqualValues(t, 40_00, s.ok(http.StatusOK, "GET", "/api/me/wallet", human, nil).M(t)["wallet"])
	})

	// accept posts a job for the poster, has the agent apply and accepts by card.
	accept := func(poster string) map[string]any {
		id := s.postJob(poster, "a card job", "misc", 25_00)
		var app struct{ ID string }
		s.ok(http.StatusCreated, "POST", "/api/jobs/"+id+"/apply", agent, map[string]any{"message": "me"}).JSON(t, &app)
		return s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/accept-application", poster, map[string]any{"application_id": app.ID, "funding": "card"}).M(t)
	}
	stateOf := func(r map[string]any) (id, state string) {
		j := r["view"].(map[string]any)["job"].(map[string]any)
		return j["id"].(string), j["state"].(string)
	}

	t.Run("card per job on a checkout page", func(t *testing.T) {
		r := accept(human)
		id, state := stateOf(r)
		require.Equal(t, "awaiting_funding", state)
		checkout, _ := r["checkout_url"].(string)
		require.Equal(t, "/api/dev/jobs/"+id+"/card-payment/succeed", pathOf(t, checkout))
		var pay map[string]any
		for _, a := range r["view"].(map[string]any)["next_actions"].([]any) {
			if a.(map[string]any)["action"] == "pay_by_card" {
				pay = a.(map[string]any)
			}
		}
		require.NotNil(t, pay, "next_actions tell the poster to pay: %v", r["view"])
		require.Equal(t, checkout, pay["url"])
		require.NotContains(t, pay, "method", "a page for a human is not an API call")

		agentView := s.ok(http.StatusOK, "GET", "/api/jobs/"+id, agent, nil).M(t)
		require.NotContains(t, agentView["job"], "checkout_url", "only the poster sees the payment page")

		s.ok(http.StatusOK, "POST", pathOf(t, checkout), human, nil)
		require.Equal(t, "in_progress", s.ok(http.StatusOK, "GET", "/api/jobs/"+id, human, nil).M(t)["job"].(map[string]any)["state"])
	})

	t.Run("a card saved once, charged off-session", func(t *testing.T) {
		require.Equal(t, false, s.ok(http.StatusOK, "GET", "/api/me", bot, nil).M(t)["card_saved"])
		setup := s.ok(http.StatusOK, "POST", "/api/me/card-setup", bot, nil).M(t)
		require.Equal(t, "/api/dev/card-setup/succeed", pathOf(t, setup["url"].(string)))
		s.ok(http.StatusOK, "POST", pathOf(t, setup["url"].(string)), bot, nil)
		me := s.ok(http.StatusOK, "GET", "/api/me", bot, nil).M(t)
		require.Equal(t, true, me["card_saved"])
		require.NotContains(t, me, "card_ref", "the processor's references stay inside")
		require.NotContains(t, me, "customer_ref")

		r := accept(bot)
		id, state := stateOf(r)
		require.Equal(t, "awaiting_funding", state, "until the processor confirms the charge")
		require.NotContains(t, r, "checkout_url", "no human step")
		for _, a := range r["view"].(map[string]any)["next_actions"].([]any) {
			require.NotEqual(t, "pay_by_card", a.(map[string]any)["action"])
		}
		s.ok(http.StatusOK, "POST", "/api/dev/jobs/"+id+"/card-payment/succeed", bot, nil)
		require.Equal(t, "in_progress", s.ok(http.StatusOK, "GET", "/api/jobs/"+id, bot, nil).M(t)["job"].(map[string]any)["state"])
	})

	t.Run("card setup needs a key", func(t *testing.T) {
		s.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "POST", "/api/me/card-setup", "", nil)
	})
}
