package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBadInputGetsProblemsNever500(t *testing.T) {
	s := newSandbox(t, 0)
	key, _ := s.poster("Pat", 10_000)
	job := s.postJob(key, "t", "c", 100)

	p := s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs", key, map[string]any{
		"title": "x", "budget": map[string]any{"amount": 1, "currency": "USD"}, "bogus": true,
	})
	require.Contains(t, p["detail"], "bogus", "an unknown field is named")
	s.problem(http.StatusBadRequest, "INVALID_INPUT", "POST", "/api/jobs", key, `{"title":`)
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs", key, map[string]any{"title": "x", "budget": map[string]any{"amount": -5, "currency": "USD"}})
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs", key, map[string]any{"title": "", "budget": map[string]any{"amount": 5, "currency": "USD"}})
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "GET", "/api/agent/jobs/available?limit=1000", key, nil)
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "GET", "/api/agent/jobs/available?min_budget=abc", key, nil)
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs/"+job+"/deliver", key, map[string]any{"link": "x"})
	s.problem(http.StatusBadRequest, "INVALID_INPUT", "POST", "/api/jobs/"+job+"/deliver", key, nil)
	req, err := http.NewRequest("POST", s.URL+"/api/jobs/"+job+"/deliver", strings.NewReader("plain words"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+key)
	r := s.send(req)
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	require.Equal(t, "UNSUPPORTED_MEDIA_TYPE", r.M(t)["code"])
	s.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "GET", "/api/me", "", nil)
	s.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "GET", "/api/me", "agk_000000000000_nope", nil)
	s.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/jobs/job_missing", key, nil)
	s.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/nothing-here", key, nil)
	s.problem(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "DELETE", "/api/jobs", key, nil)
	s.problem(http.StatusConflict, "INVALID_TRANSITION", "POST", "/api/jobs/"+job+"/approve", key, nil)

	broke, _ := s.account("Broke")
	agent, _ := s.agent("Ada")
	poor := s.postJob(broke, "t", "c", 100)
	var app struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+poor+"/apply", agent, map[string]any{"message": "me"}).JSON(t, &app)
	s.problem(http.StatusPaymentRequired, "INSUFFICIENT_FUNDS", "POST", "/api/jobs/"+poor+"/accept-application", broke, map[string]any{"application_id": app.ID})
}

func TestIdempotencyKeyRunsOnce(t *testing.T) {
	s := newSandbox(t, 0)
	key, _ := s.account("Pat")
	body := map[string]any{"amount": 2_500, "currency": "USD"}

	const n = 20
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = s.do("POST", "/api/me/wallet/top-ups", key, body, "Idempotency-Key", "same-key") })
	}
	wg.Wait()
	var first string
	for _, a := range answers {
		switch a.Status {
		case http.StatusAccepted:
			if first == "" {
				first = string(a.Raw)
			}
			require.Equal(t, first, string(a.Raw), "a replay returns the first answer")
		case http.StatusConflict:
			require.Equal(t, "IDEMPOTENCY_KEY_IN_USE", a.M(t)["code"])
		default:
			t.Fatalf("unexpected answer %d: %s", a.Status, a.Raw)
		}
	}
	var topUps int
	for _, e := range s.events(key) {
		if e == "topup.created" {
			topUps++
		}
	}
	require.Equal(t, 1, topUps, "twenty requests with one key ran once")

	replay := s.do("POST", "/api/me/wallet/top-ups", key, body, "Idempotency-Key", "same-key")
	require.Equal(t, http.StatusAccepted, replay.Status)
	require.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first, string(replay.Raw))

	other := s.do("POST", "/api/me/wallet/top-ups", key, map[string]any{"amount": 9_999, "currency": "USD"}, "Idempotency-Key", "same-key")
	require.Equal(t, http.StatusUnprocessableEntity, other.Status)
	require.Equal(t, "IDEMPOTENCY_KEY_REUSED", other.M(t)["code"])

	// Keys are per account: another account's request with the same key runs.
	key2, _ := s.account("Quinn")
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/me/wallet/top-ups", key2, body, "Idempotency-Key", "same-key").Status)
}

// events returns the types of the caller's events.
func (s *sandboxAPI) events(key string) []string {
	var feed struct{ Events []struct{ Type string } }
	s.ok(http.StatusOK, "GET", "/api/events?limit=500", key, nil).JSON(s.t, &feed)
	var types []string
	for _, e := range feed.Events {
		types = append(types, e.Type)
	}
	return types
}

func TestRateLimitPerKey(t *testing.T) {
	s := newSandbox(t, 8)
	key, _ := s.account("Pat") // registration, inbox and verification used 3 of the address's 8
	for i := range 8 {
		r := s.ok(http.StatusOK, "GET", "/api/me", key, nil)
		require.Contains(t, r.Header.Get("RateLimit"), "remaining="+itoa(int64(7-i)))
		require.Equal(t, "8;w=60", r.Header.Get("RateLimit-Policy"))
	}
	p := s.do("GET", "/api/me", key, nil)
	require.Equal(t, http.StatusTooManyRequests, p.Status)
	require.Equal(t, "RATE_LIMITED", p.M(t)["code"])
	require.NotEmpty(t, p.Header.Get("Retry-After"))
}

func TestMetricsAndLLMsTxt(t *testing.T) {
	s := newSandbox(t, 0)
	key, _ := s.account("Pat")
	s.ok(http.StatusOK, "GET", "/api/me", key, nil)
	m := string(s.ok(http.StatusOK, "GET", "/metrics", "", nil).Raw)
	require.Contains(t, m, `agentgigs_http_requests_total{method="GET",route="GET /api/me",status="200"} 1`)
	require.Contains(t, m, `agentgigs_http_request_duration_seconds_count{route="GET /api/me"} 1`)

	llms := string(s.ok(http.StatusOK, "GET", "/llms.txt", "", nil).Raw)
	require.Contains(t, llms, Quickstart)
	for path := range s.Server.OpenAPI().Paths {
		require.Contains(t, llms, " "+path+" ", "llms.txt lists every operation")
	}
	for _, c := range errorCodes() {
		require.Contains(t, llms, c.Code)
	}
	require.True(t, strings.HasPrefix(llms, "# AgentGigs\n"))
}

// A top-up returned after the wallet spent it leaves a debt: the wallet shows it, and accepting
// an application is refused with 402 OUTSTANDING_DEBT until it is paid.
func TestReturnedTopUpDebtIsShownAndRefusesFunding(t *testing.T) {
	s := newSandbox(t, 0)
	key, _ := s.account("Pat")
	agentKey, _ := s.agent("Ada")
	var top struct{ ID string }
	s.ok(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", key, map[string]any{"amount": 50_00, "currency": "USD"}).JSON(t, &top)
	s.ok(http.StatusOK, "POST", "/api/dev/top-ups/"+top.ID+"/succeed", key, nil)
	s.hire(key, agentKey, 40_00)
	s.ok(http.StatusOK, "POST", "/api/dev/top-ups/"+top.ID+"/return", key, nil)

	var w struct {
		Wallet int64
		Debt   struct {
			Amount   int64
			Currency string
		}
	}
	s.ok(http.StatusOK, "GET", "/api/me/wallet", key, nil).JSON(t, &w)
	require.Zero(t, w.Wallet)
	require.Equal(t, int64(40_00), w.Debt.Amount)
	require.Equal(t, "USD", w.Debt.Currency)

	id := s.postJob(key, "another", "misc", 5_00)
	var app struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+id+"/apply", agentKey, map[string]any{"message": "me"}).JSON(t, &app)
	p := s.problem(http.StatusPaymentRequired, "OUTSTANDING_DEBT", "POST", "/api/jobs/"+id+"/accept-application", key, map[string]any{"application_id": app.ID})
	require.Contains(t, p["detail"], "40.00 USD")
	s.ok(http.StatusOK, "GET", "/errors/OUTSTANDING_DEBT", "", nil)
}
