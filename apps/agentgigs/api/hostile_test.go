package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestWindowSecondsOverflow: a window in seconds so large that converting it to a time.Duration
// wraps around (18446744074 s is 0.29 s as nanoseconds) is refused, not stored as a tiny window.
func TestWindowSecondsOverflow(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, _ := s.agent("windows")
	budget := map[string]any{"amount": 5000, "currency": "USD"}
	for _, field := range []string{"review_window", "delivery_window"} {
		s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs", key,
			map[string]any{"title": "t", "budget": budget, field: int64(18446744074)})
	}
	poster, _ := s.poster("windows-poster", 10000)
	id := s.postJob(poster, "a job", "misc", 5000)
	s.problem(http.StatusUnprocessableEntity, "INVALID_INPUT", "POST", "/api/jobs/"+id+"/apply", key,
		map[string]any{"message": "me", "timeline": int64(18446744074)})
	r := s.ok(http.StatusCreated, "POST", "/api/jobs", poster, map[string]any{"title": "t", "budget": budget, "review_window": 7776000})
	require.InDelta(t, 7776000, r.M(t)["job"].(map[string]any)["review_window"], 0)
}

// TestDevEndpointsOwnObjectsOnly: in the sandbox one account cannot settle or fail another
// account's top-up, nor report another poster's card payment; it gets NOT_FOUND.
func TestDevEndpointsOwnObjectsOnly(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	victim, _ := s.account("victim")
	attacker, _ := s.account("attacker")
	var top struct{ ID string }
	s.ok(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", victim, map[string]any{"amount": 1000, "currency": "USD"}).JSON(t, &top)
	for _, outcome := range []string{"succeed", "fail", "return"} {
		s.problem(http.StatusNotFound, "NOT_FOUND", "POST", "/api/dev/top-ups/"+top.ID+"/"+outcome, attacker, nil)
	}
	s.ok(http.StatusOK, "POST", "/api/dev/top-ups/"+top.ID+"/succeed", victim, nil)
	id := s.postJob(victim, "a job", "misc", 500)
	for _, outcome := range []string{"succeed", "fail"} {
		s.problem(http.StatusNotFound, "NOT_FOUND", "POST", "/api/dev/jobs/"+id+"/card-payment/"+outcome, attacker, nil)
	}
	s.problem(http.StatusNotFound, "NOT_FOUND", "POST", "/api/dev/payouts/pay_nope/paid", attacker, nil)
}

// TestAmountCeiling: an amount above the currency's maximum per operation (1,000,000 major
// units) is AMOUNT_TOO_LARGE, so a 2^63-1 top-up cannot take the processor account to the edge
// of int64 and block everyone's later top-ups.
func TestAmountCeiling(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, _ := s.agent("rich")
	for _, body := range []map[string]any{
		{"amount": int64(9223372036854775807), "currency": "USD"},
		{"amount": 100_000_001, "currency": "USD"},
		{"amount": 1_000_001, "currency": "JPY"},
	} {
		s.problem(http.StatusUnprocessableEntity, "AMOUNT_TOO_LARGE", "POST", "/api/me/wallet/top-ups", key, body)
	}
	s.ok(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", key, map[string]any{"amount": 100_000_000, "currency": "USD"})
	s.problem(http.StatusUnprocessableEntity, "AMOUNT_TOO_LARGE", "POST", "/api/jobs", key,
		map[string]any{"title": "t", "budget": map[string]any{"amount": 100_000_001, "currency": "USD"}})
	poster, _ := s.poster("ceiling-poster", 10000)
	id := s.postJob(poster, "a job", "misc", 5000)
	s.problem(http.StatusUnprocessableEntity, "AMOUNT_TOO_LARGE", "POST", "/api/jobs/"+id+"/apply", key,
		map[string]any{"message": "me", "proposed_price": 100_000_001})
}

// countingReader is an endless body of spaces that counts the bytes read from it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.n += int64(len(p))
	return len(p), nil
}

// TestIdempotencyKeyBodyLimit: with an Idempotency-Key a body over the route's limit (1 MiB for
// POST /api/jobs) is TOO_LARGE after reading at most limit+1 bytes, not the 26 MiB of a delivery.
func TestIdempotencyKeyBodyLimit(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, _ := s.account("big-body")
	body := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, "/api/jobs", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", "big")
	rec := httptest.NewRecorder()
	s.Server.ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Body.String(), `"code":"TOO_LARGE"`)
	require.LessOrEqual(t, body.n, int64(defaultMaxBody+1))
}

// TestInvalidKeysAreRateLimited: after authFailBurst invalid keys from one address, any request
// with a key from it, even a valid one, is AUTH_RATE_LIMITED with Retry-After until the bucket
// refills; requests without a key and other addresses are not affected.
func TestInvalidKeysAreRateLimited(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, _ := s.account("guessed")
	for range authFailBurst {
		s.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "GET", "/api/me", "agk_wrong", nil)
	}
	for _, k := range []string{"agk_wrong", key} {
		r := s.do("GET", "/api/me", k, nil)
		require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Raw))
		require.Equal(t, "AUTH_RATE_LIMITED", r.M(t)["code"])
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.True(t, secs >= 1 && secs <= 6, secs)
	}
	s.ok(http.StatusOK, "GET", "/api/state-machine", "", nil)
}

// TestAuthFailuresBucket: the bucket refills one failure per authFailEvery, an IPv6 /64 is one
// client, and the map never holds more than its bound.
func TestAuthFailuresBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	l := newAuthFailures(2, 10*time.Second, 3)
	l.fail("10.0.0.1", now)
	l.fail("10.0.0.1", now)
	blocked, wait := l.blocked("10.0.0.1", now.Add(4*time.Second))
	require.True(t, blocked)
	require.Equal(t, 6*time.Second, wait)
	blocked, _ = l.blocked("10.0.0.1", now.Add(10*time.Second))
	require.False(t, blocked)
	blocked, _ = l.blocked("10.0.0.2", now)
	require.False(t, blocked)

	l.fail("2001:db8::1", now)
	l.fail("2001:db8::ffff", now)
	blocked, _ = l.blocked("2001:db8::2", now)
	require.True(t, blocked, "the same /64")
	blocked, _ = l.blocked("2001:db8:0:1::1", now)
	require.False(t, blocked, "another /64")

	for i := range 10 {
		l.fail("192.0.2."+strconv.Itoa(i), now)
		require.LessOrEqual(t, len(l.by), 3)
	}
}

// TestValidationErrorsTruncateEchoes: a 1 MB value, property name or malformed body comes back in
// a 422 or 400 cut to maxEcho bytes with a marker, not whole.
func TestValidationErrorsTruncateEchoes(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, _ := s.account("echo")
	big := strings.Repeat("é", 500_000) // 1 MB of two-byte characters
	budget := map[string]any{"amount": 5000, "currency": "USD"}
	for name, body := range map[string]any{
		"value":      map[string]any{"title": big, "budget": budget},
		"property":   map[string]any{"title": "t", "budget": budget, big: 1},
		"wrong type": map[string]any{"title": "t", "budget": map[string]any{"amount": big, "currency": "USD"}},
		"malformed":  `{"title": "` + big + `"`,
	} {
		r := s.do("POST", "/api/jobs", key, body)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, r.Status, name)
		require.Less(t, len(r.Raw), 8*maxEcho, "%s: %d bytes", name, len(r.Raw))
		require.Contains(t, string(r.Raw), "… (", name)
		require.True(t, utf8.Valid(r.Raw), name)
	}
	require.Equal(t, "short", truncateEcho("short"))
	require.Equal(t, strings.Repeat("é", maxEcho/2)+"… (1000000 bytes)", truncateEcho(big))
	require.Equal(t, "a"+strings.Repeat("é", maxEcho/2-1)+"… (1000001 bytes)", truncateEcho("a"+big), "cut on a character boundary")
}

// TestAuthenticationBeforeBody: a protected operation answers a request without a key 401,
// whatever its body (wrong content type, invalid, too large), while a public one still checks
// the body.
func TestAuthenticationBeforeBody(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	for name, req := range map[string]struct{ contentType, body string }{
		"wrong content type": {"text/plain", "hello"},
		"invalid body":       {"application/json", `{"title": 5}`},
		"malformed body":     {"application/json", `{`},
		"too large":          {"application/json", strings.Repeat(" ", 2<<20)},
	} {
		r, err := http.NewRequest(http.MethodPost, s.URL+"/api/jobs", strings.NewReader(req.body))
		require.NoError(t, err)
		r.Header.Set("Content-Type", req.contentType)
		res := s.send(r)
		require.Equal(t, http.StatusUnauthorized, res.Status, "%s: %s", name, res.Raw)
		require.Equal(t, "UNAUTHENTICATED", res.M(t)["code"], name)
	}
	r, err := http.NewRequest(http.MethodPost, s.URL+"/api/auth/register", strings.NewReader("hello"))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "text/plain")
	require.Equal(t, http.StatusUnsupportedMediaType, s.send(r).Status)
}
