package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
)

// TestPropertyHostileInputOnPostgreSQL sends seeded random requests to the server on PostgreSQL
// (register, verify email, post job, search, apply, dispute, webhook and API key creation,
// top-up, and lookups by path ID) whose text holds control characters, NUL and invalid UTF-8 and
// whose amounts and windows are huge, negative or zero. Whatever the input, no answer is a 5xx,
// every other refusal is an RFC 9457 problem with a code that GET /api/errors lists, and no
// success echoes a control character (so none was stored). AGENTGIGS_PROPERTY_SEED replays a
// failing seed, which the test prints when it fails.
func TestPropertyHostileInputOnPostgreSQL(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AGENTGIGS_PROPERTY_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with AGENTGIGS_PROPERTY_SEED=%d", seed)
		}
	})
	r := rand.New(rand.NewPCG(seed, seed>>1|1))

	schema := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	env := map[string]string{"DATABASE_URL": pgtest.URL() + "&search_path=" + schema.Name}
	base, printed := startServerOutput(t, func(k string) string { return env[k] })
	h := &hostile{t: t, r: r, base: base, client: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	status, body := h.send("GET", "/api/errors", "", "", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	var listed []struct{ Code string }
	require.NoError(t, json.Unmarshal(body, &listed))
	h.codes = map[string]bool{}
	for _, c := range listed {
		h.codes[c.Code] = true
	}
	poster, agent := h.verified(printed, "pat"), h.verified(printed, "ada")
	status, body = h.send("POST", "/api/jobs", poster, `{"title":"A real job","budget":{"amount":5000,"currency":"USD"}}`, nil)
	require.Equal(t, http.StatusCreated, status, string(body))
	var posted struct{ Job struct{ ID string } }
	require.NoError(t, json.Unmarshal(body, &posted))
	jobID := posted.Job.ID

	keys := []string{poster, agent, "", "agk_" + strings.Repeat("\xff", 12) + "_x"}
	for i := range 400 {
		key := keys[r.IntN(len(keys))]
		if r.IntN(4) > 0 {
			key = keys[r.IntN(2)] // mostly a valid key, so the use cases run
		}
		id := h.pathID(jobID)
		var headers map[string]string
		if r.IntN(4) == 0 {
			headers = map[string]string{"Idempotency-Key": h.headerText()}
		}
		switch r.IntN(13) {
		case 0:
			h.check(i, "POST", "/api/auth/register", "", obj("email", h.str(h.email()), "name", h.str(h.text())), headers)
		case 11:
			h.check(i, "POST", "/api/auth/verify-email", "", obj("token", h.str(h.text()+"."+h.text())), nil)
		case 12:
			h.check(i, "POST", "/api/jobs/"+id+"/dispute", key, obj("reason", h.str(h.text()), "evidence", "["+h.str(h.text())+"]"), headers)
		case 1, 2:
			h.check(i, "POST", "/api/jobs", key, obj("title", h.str(h.text()), "description", h.str(h.text()), "category", h.str(h.text()),
				"tags", "["+h.str(h.text())+","+h.str(h.text())+"]", "criteria", h.str(h.text()),
				"budget", obj("amount", h.amount(), "currency", h.str(h.currency())),
				"review_window", h.window(), "delivery_window", h.window(), "max_revisions", h.amount()), headers)
		case 3:
			q := url.Values{"q": {h.text()}, "category": {h.text()}, "cursor": {h.text()}, "currency": {h.currency()},
				"min_budget": {h.amount()}, "max_budget": {h.amount()}}
			h.check(i, "GET", "/api/agent/jobs/available?"+q.Encode(), key, "", nil)
		case 4, 5:
			h.check(i, "POST", "/api/jobs/"+id+"/apply", key, obj("message", h.str(h.text()), "proposed_price", h.amount(), "timeline", h.window()), headers)
		case 6:
			h.check(i, "POST", "/api/webhooks", key, obj("url", h.str("https://example.test/"+h.text()), "description", h.str(h.text()),
				"events", "["+h.str(h.text())+"]"), headers)
		case 7:
			h.check(i, "POST", "/api/me/api-keys", key, obj("name", h.str(h.text())), headers)
		case 8:
			h.check(i, "POST", "/api/me/wallet/top-ups", key, obj("amount", h.amount(), "currency", h.str(h.currency())), headers)
		case 9:
			paths := []string{"/api/jobs/" + id, "/api/jobs/" + id + "/applications", "/api/accounts/" + id + "/trust",
				"/api/webhooks/" + id, "/api/jobs/" + id + "/payouts", "/api/jobs?cursor=" + url.QueryEscape(h.text()) + "&state=" + url.QueryEscape(h.text())}
			h.check(i, "GET", paths[r.IntN(len(paths))], key, "", nil)
		case 10:
			h.check(i, "DELETE", "/api/me/api-keys/"+id, key, "", nil)
		}
	}
}

// hostile makes random requests and checks their answers.
type hostile struct {
	t      *testing.T
	r      *rand.Rand
	base   string
	client *http.Client
	// lastType is the Content-Type of the last answer.
	lastType string
	// codes are the error codes GET /api/errors lists.
	codes map[string]bool
}

// verified registers an account, verifies it with the token of the email the server printed and
// returns its API key.
func (h *hostile) verified(printed *serverOutput, name string) string {
	token := regexp.MustCompile(`Token: (\S+)`)
	before := len(token.FindAllString(printed.String(), -1))
	status, body := h.send("POST", "/api/auth/register", "", obj("email", h.str(name+"@example.test"), "name", h.str(name)), nil)
	require.Equal(h.t, http.StatusAccepted, status, string(body))
	var tokens [][]string
	require.Eventually(h.t, func() bool {
		tokens = token.FindAllStringSubmatch(printed.String(), -1)
		return len(tokens) > before
	}, 10*time.Second, 20*time.Millisecond, "the timer loop sends the verification email")
	status, body = h.send("POST", "/api/auth/verify-email", "", obj("token", h.str(tokens[len(tokens)-1][1])), nil)
	require.Equal(h.t, http.StatusOK, status, string(body))
	var v struct {
		APIKey struct{ Secret string } `json:"api_key"`
	}
	require.NoError(h.t, json.Unmarshal(body, &v))
	require.NotEmpty(h.t, v.APIKey.Secret)
	return v.APIKey.Secret
}

// controlEscape is a JSON-escaped control character other than tab, LF and CR (Go escapes those
// as \t, \n and \r), or DEL.
var controlEscape = regexp.MustCompile(`\\u00[01][0-9a-fA-F]|\\u007[fF]`)

// hasControl reports whether a JSON answer holds a control character, escaped or raw.
func hasControl(raw []byte) bool {
	return controlEscape.Match(raw) || strings.ContainsFunc(string(raw), func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f
	})
}

// check sends request number i and fails the test unless the answer is below 500, a refusal is
// an application/problem+json problem with one of the listed codes, and a success is valid UTF-8 without control
// characters.
func (h *hostile) check(i int, method, path, key, body string, headers map[string]string) {
	status, raw := h.send(method, path, key, body, headers)
	what := fmt.Sprintf("request %d: %s %q %q %q: %d %s", i, method, path, body, headers, status, raw)
	require.Less(h.t, status, 500, what)
	if status < 300 {
		require.True(h.t, utf8.Valid(raw), what)
		require.False(h.t, hasControl(raw), what)
		return
	}
	var p struct {
		Code   string `json:"code"`
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	require.NoError(h.t, json.Unmarshal(raw, &p), what)
	require.True(h.t, h.codes[p.Code], "the code is one GET /api/errors lists: "+what)
	require.Equal(h.t, "/errors/"+p.Code, p.Type, what)
	require.Equal(h.t, status, p.Status, what)
	require.Equal(h.t, "application/problem+json", h.lastType, what)
}

// send makes one request and returns the status and body.
func (h *hostile) send(method, path, key, body string, headers map[string]string) (int, []byte) {
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	require.NoError(h.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := h.client.Do(req)
	require.NoError(h.t, err, "%s %q", method, path)
	defer res.Body.Close()
	h.lastType = res.Header.Get("Content-Type")
	raw, err := io.ReadAll(res.Body)
	require.NoError(h.t, err)
	return res.StatusCode, raw
}

// text is a random string: half the time plain, else empty, long, non-ASCII, or with NUL, other C0 controls, DEL,
// C1 controls, invalid UTF-8, tabs and line breaks mixed in.
func (h *hostile) text() string {
	pieces := []string{"job", "Ünïcode 日本", "a b", "\x00", "\x01", "\x1b[2J", "\x7f", "\u0085", "\u009f", "\xff", "\xc3",
		"\xed\xa0\x80", "\xc0\x80", "\t", "\n", "\r\n", `"`, `\`, "%00", "\u2028", "\uFEFF", strings.Repeat("x", 300)}
	if h.r.IntN(2) == 0 {
		return "plain text" // so that the other fields' checks are reached too
	}
	var b strings.Builder
	for range 1 + h.r.IntN(4) {
		b.WriteString(pieces[h.r.IntN(len(pieces))])
	}
	return b.String()
}

// email is an address that is sometimes valid and often carries hostile text.
func (h *hostile) email() string {
	if h.r.IntN(3) == 0 {
		return fmt.Sprintf("u%d@example.test", h.r.Uint32())
	}
	return "u" + h.text() + "@example" + h.text() + ".test"
}

// currency is USD half the time, else a valid, unknown, lower-case, empty or hostile currency.
func (h *hostile) currency() string {
	if h.r.IntN(2) == 0 {
		return "USD"
	}
	cs := []string{"USD", "EUR", "JPY", "XXX", "usd", "", "US\x00", "U\xffD", "USDD"}
	return cs[h.r.IntN(len(cs))]
}

// amount is a JSON number: half the time 500, else small, zero, negative, at and beyond the int64 range, fractional or in
// exponent form.
func (h *hostile) amount() string {
	if h.r.IntN(2) == 0 {
		return "500"
	}
	ns := []string{"0", "1", "-1", "100", "5000", "2147483648", "9007199254740993", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "18446744074", "99999999999999999999", "1e30", "1.5", "-0",
		strconv.FormatInt(h.r.Int64(), 10), strconv.FormatInt(-h.r.Int64N(1<<40), 10)}
	return ns[h.r.IntN(len(ns))]
}

// window is a JSON number of seconds: half the time a day, else around the limits and beyond what a time.Duration holds.
func (h *hostile) window() string {
	if h.r.IntN(2) == 0 {
		return "86400"
	}
	ns := []string{"0", "-1", "1", "86400", "7776000", "7776001", "31536000", "31536001", "18446744074",
		"9223372036", "9223372037", "9223372036854775807", "1e400", "3.5", strconv.FormatUint(h.r.Uint64(), 10)}
	return ns[h.r.IntN(len(ns))]
}

// pathID is the real job's ID or hostile text, escaped for a path segment (prefixed, so that it
// is never a dot segment the router would clean).
func (h *hostile) pathID(real string) string {
	if h.r.IntN(3) == 0 {
		return real
	}
	return url.PathEscape("x" + h.text())
}

// headerText is a header value the HTTP client may send: no ASCII control characters, but bytes
// of invalid UTF-8.
func (h *hostile) headerText() string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, h.text()) + string([]byte{0xff, byte(0x80 + h.r.IntN(0x40))})
}

// str is s as a JSON string written byte for byte: quotes and backslashes escaped, control
// characters escaped (or, one time in ten, raw, which is invalid JSON), and invalid UTF-8 kept.
func (h *hostile) str(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && h.r.IntN(10) > 0:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// obj is a JSON object of keys and values already in JSON.
func obj(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, strconv.Quote(kv[i])+":"+kv[i+1])
	}
	return "{" + strings.Join(parts, ",") + "}"
}
