package mcp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/apps/agentgigs/mcp"
	"github.com/agentgigs/agentgigs/core/market"
)

// sandbox is the API of an in-memory sandbox and the keys of verified accounts on it.
type sandbox struct {
	t   *testing.T
	API *api.Server
	Svc *market.Service
	mux *http.ServeMux
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	store, clock, inbox := memory.NewStore(), &memory.DevClock{}, memory.NewMailer(nil)
	svc, err := market.New(market.Config{
		Store: store, Payments: memory.NewPayments(), Mailer: inbox, Blobs: memory.NewBlobs(),
		Webhooks: memory.NewWebhookSender(clock), Clock: clock, IDs: memory.NewIDs(1), BaseURL: "http://sandbox.test",
	})
	require.NoError(t, err)
	a := api.New(api.Config{Service: svc, BaseURL: "http://sandbox.test", Sandbox: &api.Sandbox{Store: store, Clock: clock, Inbox: inbox, FakePayments: true}})
	mux := http.NewServeMux()
	mux.Handle("/", a)
	mux.Handle(mcp.Path, mcp.Handler(a, "test", nil))
	return &sandbox{t: t, API: a, Svc: svc, mux: mux}
}

// key registers a verified account (the human step) and returns its API key.
func (s *sandbox) key(name string) string {
	s.t.Helper()
	ctx := context.Background()
	email := strings.ToLower(name) + "@example.test"
	_, err := s.Svc.Register(ctx, market.RegisterInput{Email: email, Name: name})
	require.NoError(s.t, err)
	var inbox []struct{ Token string }
	rec := httptest.NewRecorder()
	s.API.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/dev/inbox?to="+email, nil))
	require.NoError(s.t, json.Unmarshal(rec.Body.Bytes(), &inbox), rec.Body.String())
	require.NotEmpty(s.t, inbox)
	v, err := s.Svc.VerifyEmail(ctx, inbox[0].Token)
	require.NoError(s.t, err)
	return v.Secret
}

// connect opens an MCP client session acting as key, over the in-memory transport (the stdio
// server) or over streamable HTTP against /mcp.
type connect func(t *testing.T, s *sandbox, key string) *sdk.ClientSession

func inMemory(t *testing.T, s *sandbox, key string) *sdk.ClientSession {
	serverT, clientT := sdk.NewInMemoryTransports()
	ss, err := mcp.NewServer(s.API, "test", key).Connect(t.Context(), serverT, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ss.Close() })
	return session(t, clientT)
}

func overHTTP(t *testing.T, s *sandbox, key string) *sdk.ClientSession {
	srv := httptest.NewServer(s.mux)
	t.Cleanup(srv.Close)
	return session(t, &sdk.StreamableClientTransport{
		Endpoint: srv.URL + mcp.Path, HTTPClient: &http.Client{Transport: bearer(key)}, DisableStandaloneSSE: true,
	})
}

func session(t *testing.T, tr sdk.Transport) *sdk.ClientSession {
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "1"}, nil).Connect(t.Context(), tr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// bearer sends an API key with every request.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// call runs a tool that must succeed and decodes its structured result into out.
func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	text := res.Content[0].(*sdk.TextContent).Text
	require.False(t, res.IsError, "%s: %s", name, text)
	if out != nil {
		require.NoError(t, json.Unmarshal([]byte(text), out), text)
	}
}

// problem runs a tool that must fail and returns its problem.
func problem(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	require.True(t, res.IsError, "%s succeeded", name)
	p, ok := res.StructuredContent.(map[string]any)
	require.True(t, ok, "%s: %v", name, res.Content)
	return p
}

func TestFullJobThroughMCPTools(t *testing.T) {
	t.Parallel()
	for name, connect := range map[string]connect{"in-memory": inMemory, "streamable-http": overHTTP} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			poster, agent := connect(t, s, s.key("Poster")), connect(t, s, s.key("Agent"))

			var topUp struct{ ID string }
			call(t, poster, "create-top-up", map[string]any{"amount": 10000, "currency": "USD", "idempotency_key": "top-1"}, &topUp)
			call(t, poster, "dev-top-up-succeeded", map[string]any{"id": topUp.ID}, nil)
			var posted struct {
				Job struct{ ID string }
			}
			call(t, poster, "post-job", map[string]any{
				"title": "Summarise a paper", "category": "writing", "criteria": "under 300 words",
				"budget": map[string]any{"amount": 5000, "currency": "USD"},
			}, &posted)
			id := posted.Job.ID

			var page struct {
				Jobs []struct{ ID string }
			}
			call(t, agent, "browse-available-jobs", map[string]any{"category": "writing"}, &page)
			require.Len(t, page.Jobs, 1)
			require.Equal(t, id, page.Jobs[0].ID)
			call(t, agent, "dev-complete-payout-onboarding", nil, nil)
			var app struct{ ID string }
			call(t, agent, "apply", map[string]any{"id": id, "message": "I summarise papers daily"}, &app)

			var accepted struct {
				To   string
				View struct {
					NextActions []struct{ Operation string } `json:"next_actions"`
				}
			}
			call(t, poster, "accept-application", map[string]any{"id": id, "application_id": app.ID, "funding": "wallet"}, &accepted)
			require.Equal(t, "in_progress", accepted.To)
			require.NotEmpty(t, accepted.View.NextActions)
			for _, a := range accepted.View.NextActions {
				require.Contains(t, mcp.Tools, a.Operation, "a next action's operation is a tool")
			}
			var wallet struct{ Wallet int64 }
			call(t, poster, "get-wallet", map[string]any{"currency": "USD"}, &wallet)
			require.Equal(t, int64(5000), wallet.Wallet, "the escrow holds the price")

			// 5 MiB: above the SDK's default request limit, within the API's file limit
			file := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("summary "), 5<<20/8))
			var delivered struct{ To string }
			call(t, agent, "deliver", map[string]any{"id": id, "file_base64": file, "note": "attached"}, &delivered)
			require.Equal(t, "delivered", delivered.To)
			var approved struct{ To string }
			call(t, poster, "approve", map[string]any{"id": id}, &approved)
			require.Equal(t, "approved", approved.To)

			var view struct {
				Job struct {
					State    string
					Delivery struct{ SHA256 string }
				}
			}
			call(t, agent, "get-job", map[string]any{"id": id}, &view)
			require.Equal(t, "approved", view.Job.State)
			require.NotEmpty(t, view.Job.Delivery.SHA256, "the file was delivered as a file")
			var feed struct {
				Events []struct{ Type string }
			}
			call(t, agent, "list-events", nil, &feed)
			require.Equal(t, "job.approved", feed.Events[len(feed.Events)-1].Type)

			// After the cooldown both review each other; the reviews are revealed and count.
			call(t, poster, "dev-advance-clock", map[string]any{"seconds": 25 * 3600}, nil)
			call(t, agent, "get-job", map[string]any{"id": id}, &view)
			require.Equal(t, "completed", view.Job.State)
			call(t, poster, "create-review", map[string]any{"id": id, "stars": 5, "text": "fast"}, nil)
			call(t, agent, "create-review", map[string]any{"id": id, "stars": 4}, nil)
			var me struct{ ID string }
			call(t, agent, "get-me", nil, &me)
			var reviews []struct{ Stars int }
			call(t, poster, "list-reviews", map[string]any{"id": me.ID}, &reviews)
			require.Equal(t, []struct{ Stars int }{{5}}, reviews)
			var trust struct {
				Value      int
				Components []any
				Formula    string
			}
			call(t, poster, "get-trust", map[string]any{"id": me.ID}, &trust)
			require.Positive(t, trust.Value)
			require.NotEmpty(t, trust.Components)
			require.NotEmpty(t, trust.Formula)
		})
	}
}

// TestProoferToolsVerifyADelivery: a proofer lists, claims and scores a task through the tools,
// and the poster reads the verdict in the proof report.
func TestProoferToolsVerifyADelivery(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	poster, agent, proofer := inMemory(t, s, s.key("Poster")), inMemory(t, s, s.key("Agent")), inMemory(t, s, s.key("Proofer"))
	var topUp struct{ ID string }
	call(t, poster, "create-top-up", map[string]any{"amount": 10000, "currency": "USD"}, &topUp)
	call(t, poster, "dev-top-up-succeeded", map[string]any{"id": topUp.ID}, nil)
	var posted struct {
		Job struct{ ID string }
	}
	call(t, poster, "post-job", map[string]any{"title": "Translate", "budget": map[string]any{"amount": 5000, "currency": "USD"},
		"verification": map[string]any{"proofers": 1, "pass_threshold": 1, "fee_per_proofer": map[string]any{"amount": 300, "currency": "USD"}, "min_trust": 0, "auto_approve_on_pass": false},
	}, &posted)
	id := posted.Job.ID
	for _, cs := range []*sdk.ClientSession{agent, proofer} {
		call(t, cs, "dev-complete-payout-onboarding", nil, nil)
	}
	var app struct{ ID string }
	call(t, agent, "apply", map[string]any{"id": id, "message": "me"}, &app)
	call(t, poster, "accept-application", map[string]any{"id": id, "application_id": app.ID}, nil)
	call(t, agent, "deliver", map[string]any{"id": id, "url": "https://example.test/result"}, nil)

	res, err := proofer.CallTool(t.Context(), &sdk.CallToolParams{Name: "list-available-tasks"})
	require.NoError(t, err)
	var tasks []struct{ ID, JobID string }
	require.NoError(t, json.Unmarshal([]byte(res.Content[0].(*sdk.TextContent).Text), &tasks))
	require.Nil(t, res.StructuredContent, "a list is text: structured content is an object")
	require.Len(t, tasks, 1)
	call(t, proofer, "claim-task", map[string]any{"id": tasks[0].ID}, nil)
	call(t, proofer, "submit-scorecard", map[string]any{"id": tasks[0].ID, "pass": true, "summary": "faithful",
		"criteria": []any{map[string]any{"criterion": "faithful", "score": 9, "passed": true}}}, nil)
	var report struct{ Verdict string }
	call(t, poster, "get-proof-report", map[string]any{"id": id}, &report)
	require.Equal(t, "pass", report.Verdict)
}

func TestToolErrorsCarryTheProblemCode(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	cs := inMemory(t, s, s.key("Poster"))
	var posted struct {
		Job struct{ ID string }
	}
	call(t, cs, "post-job", map[string]any{"title": "t", "budget": map[string]any{"amount": 5000, "currency": "USD"}}, &posted)

	p := problem(t, cs, "approve", map[string]any{"id": posted.Job.ID})
	require.Equal(t, "INVALID_TRANSITION", p["code"], "an open job cannot be approved")
	require.EqualValues(t, http.StatusConflict, p["status"])

	p = problem(t, cs, "apply", map[string]any{"id": posted.Job.ID, "message": ""})
	require.Equal(t, "INVALID_INPUT", p["code"], "the API's validation runs on tool arguments")
	p = problem(t, cs, "get-job", nil)
	require.Equal(t, "INVALID_INPUT", p["code"], "a missing path argument")
	p = problem(t, cs, "get-wallet", map[string]any{"bogus": 1})
	require.Equal(t, "INVALID_INPUT", p["code"], "an unknown argument")

	anonymous := inMemory(t, s, "agk_not_a_key")
	require.Equal(t, "UNAUTHENTICATED", problem(t, anonymous, "get-me", nil)["code"])
}

func TestHTTPEndpointNeedsAnAPIKey(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	srv := httptest.NewServer(s.mux)
	defer srv.Close()
	for _, auth := range []string{"", "Bearer agk_wrong"} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+mcp.Path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var p struct{ Code string }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
		res.Body.Close()
		require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		require.Equal(t, "UNAUTHENTICATED", p.Code)
	}
}

func TestHTTPEndpointLimitsInvalidKeys(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	srv := httptest.NewServer(s.mux)
	defer srv.Close()
	call := func() *http.Response {
		req, err := http.NewRequest(http.MethodPost, srv.URL+mcp.Path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer agk_guess")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	last := call()
	for i := 0; i < 20 && last.StatusCode == http.StatusUnauthorized; i++ {
		last = call()
	}
	require.Equal(t, http.StatusTooManyRequests, last.StatusCode, "guessing keys on /mcp is limited as on the API")
	require.NotEmpty(t, last.Header.Get("Retry-After"))
}

func TestToolSchemasComeFromTheAPI(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	cs := inMemory(t, s, s.key("Agent"))
	tools := map[string]*sdk.Tool{}
	for tl, err := range cs.Tools(t.Context(), nil) {
		require.NoError(t, err)
		tools[tl.Name] = tl
	}
	for _, id := range mcp.Tools {
		require.Contains(t, tools, id, "the sandbox has every operation")
	}
	for _, id := range api.ActionOperations() {
		require.Contains(t, tools, id, "every operation next_actions name is a tool")
	}
	schema := func(name string) map[string]any {
		b, err := json.Marshal(tools[name].InputSchema)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	apply := schema("apply")
	require.ElementsMatch(t, []any{"id", "message"}, apply["required"])
	message := apply["properties"].(map[string]any)["message"].(map[string]any)
	require.EqualValues(t, 1, message["minLength"], "the API's validation tags")
	require.EqualValues(t, 5000, message["maxLength"])

	post := schema("post-job")
	budget := post["properties"].(map[string]any)["budget"].(map[string]any)
	require.Equal(t, "#/$defs/Money", budget["$ref"], "nested types stand alone as $defs")
	require.Contains(t, post["$defs"], "Money")
	require.NotContains(t, string(must(json.Marshal(post))), "#/components/")

	deliver := schema("deliver")
	require.Equal(t, []any{"id"}, deliver["required"], "a url or a file")
	require.Contains(t, deliver["properties"], "file_base64")
	require.True(t, tools["get-job"].Annotations.ReadOnlyHint)
	require.Contains(t, tools["get-job"].Description, "GET /api/jobs/{id}")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
