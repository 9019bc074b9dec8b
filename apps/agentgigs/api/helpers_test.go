package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/webhookhttp"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// sandboxAPI is a started sandbox server over real HTTP.
type sandboxAPI struct {
	t      testing.TB
	URL    string
	Server *Server
	Svc    *market.Service
}

func newSandbox(t testing.TB, rateLimit int) *sandboxAPI {
	return newSandboxOn(t, rateLimit, memory.NewStore(), memory.NewBlobs())
}

// newSandboxOn is a sandbox over another store, e.g. PostgreSQL for benchmarks.
func newSandboxOn(t testing.TB, rateLimit int, store ports.Store, blobs ports.Blobs) *sandboxAPI {
	t.Helper()
	clock, inbox := &memory.DevClock{}, memory.NewMailer(nil)
	svc, err := market.New(market.Config{
		Store: store, Payments: memory.NewSandboxPayments("http://sandbox.test"), Mailer: inbox, Blobs: blobs,
		Webhooks: webhookhttp.New(webhookhttp.Options{AllowPrivate: true, Timeout: 5 * time.Second}),
		Clock:    clock, IDs: memory.NewIDs(time.Now().UnixNano()), BaseURL: "http://sandbox.test",
	})
	require.NoError(t, err)
	s := New(Config{Service: svc, BaseURL: "http://sandbox.test", RateLimit: rateLimit, Sandbox: &Sandbox{Store: store, Clock: clock, Inbox: inbox, FakePayments: true}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &sandboxAPI{t: t, URL: srv.URL, Server: s, Svc: svc}
}

// response is an answer: status, headers and the decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
}

// JSON decodes the body into v.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Raw, v), string(r.Raw))
}

// M decodes the body as an object.
func (r response) M(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// do sends a request; body may be nil, a string (sent as is) or a value (sent as JSON).
func (s *sandboxAPI) do(method, path, key string, body any, headers ...string) response {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(s.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(req)
}

func (s *sandboxAPI) send(req *http.Request) response {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	require.Less(s.t, res.StatusCode, 500, "%s %s: %s", req.Method, req.URL.Path, raw)
	return response{Status: res.StatusCode, Header: res.Header, Raw: raw}
}

// ok sends a request that must succeed with want and returns the answer.
func (s *sandboxAPI) ok(want int, method, path, key string, body any, headers ...string) response {
	s.t.Helper()
	r := s.do(method, path, key, body, headers...)
	require.Equal(s.t, want, r.Status, "%s %s: %s", method, path, r.Raw)
	return r
}

// problem sends a request that must fail with status and code.
func (s *sandboxAPI) problem(status int, code, method, path, key string, body any) map[string]any {
	s.t.Helper()
	r := s.do(method, path, key, body)
	require.Equal(s.t, status, r.Status, "%s %s: %s", method, path, r.Raw)
	require.Equal(s.t, "application/problem+json", r.Header.Get("Content-Type"))
	p := r.M(s.t)
	require.Equal(s.t, code, p["code"], string(r.Raw))
	require.Equal(s.t, "/errors/"+code, p["type"])
	return p
}

// account registers and verifies an account through the dev inbox and returns its API key.
func (s *sandboxAPI) account(name string) (key, id string) {
	s.t.Helper()
	email := strings.ToLower(name) + "@example.test"
	s.ok(http.StatusAccepted, "POST", "/api/auth/register", "", map[string]string{"email": email, "name": name})
	var inbox []struct{ Token string }
	s.ok(http.StatusOK, "GET", "/api/dev/inbox?to="+email, "", nil).JSON(s.t, &inbox)
	require.NotEmpty(s.t, inbox)
	var v struct {
		Account struct{ ID string }
		APIKey  struct{ Secret string } `json:"api_key"`
	}
	s.ok(http.StatusOK, "POST", "/api/auth/verify-email", "", map[string]string{"token": inbox[0].Token}).JSON(s.t, &v)
	require.NotEmpty(s.t, v.APIKey.Secret)
	return v.APIKey.Secret, v.Account.ID
}

// agent is an account that completed payout onboarding.
func (s *sandboxAPI) agent(name string) (key, id string) {
	key, id = s.account(name)
	s.ok(http.StatusOK, "POST", "/api/dev/payout-onboarding/complete", key, nil)
	return key, id
}

// poster is an account whose USD wallet holds amount.
func (s *sandboxAPI) poster(name string, amount int64) (key, id string) {
	key, id = s.account(name)
	var t struct{ ID string }
	s.ok(http.StatusAccepted, "POST", "/api/me/wallet/top-ups", key, map[string]any{"amount": amount, "currency": "USD"}).JSON(s.t, &t)
	s.ok(http.StatusOK, "POST", "/api/dev/top-ups/"+t.ID+"/succeed", key, nil)
	return key, id
}

// postJob posts a job and returns its ID.
func (s *sandboxAPI) postJob(key, title, category string, budget int64) string {
	var v struct{ Job struct{ ID string } }
	s.ok(http.StatusCreated, "POST", "/api/jobs", key, map[string]any{
		"title": title, "category": category, "budget": map[string]any{"amount": budget, "currency": "USD"}, "criteria": "done well",
	}).JSON(s.t, &v)
	return v.Job.ID
}

// hire posts a job, has the agent apply and the poster accept; it returns the job ID.
func (s *sandboxAPI) hire(posterKey, agentKey string, budget int64) string {
	id := s.postJob(posterKey, "a job", "misc", budget)
	var app struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+id+"/apply", agentKey, map[string]any{"message": "me"}).JSON(s.t, &app)
	s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/accept-application", posterKey, map[string]any{"application_id": app.ID})
	return id
}

// multipartFile builds a multipart delivery of content.
func multipartFile(t *testing.T, content, note string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	f, err := w.CreateFormFile("file", "result.txt")
	require.NoError(t, err)
	_, err = f.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, w.WriteField("note", note))
	require.NoError(t, w.Close())
	return w.FormDataContentType(), &buf
}
