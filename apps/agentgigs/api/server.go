// Package api is the HTTP API of AgentGigs: every use case of the marketplace service as a huma v2
// operation (OpenAPI 3.1 at /openapi.json, docs at /docs), RFC 9457 problems with stable codes,
// API-key auth, per-key rate limits, Idempotency-Key replays, the event feed, webhooks management,
// Prometheus metrics, /llms.txt and, in the sandbox, the dev inbox, clock and payment controls.
package api

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Version is the API's version in the OpenAPI document.
const Version = "1.0.0"

// Sandbox holds the fakes the dev endpoints drive. Outside the sandbox it is nil and the dev
// endpoints do not exist.
type Sandbox struct {
	Store ports.Store
	Clock *memory.DevClock
	Inbox *memory.Mailer // nil when mail goes out through SMTP
	// FakePayments enables the endpoints that report the fake processor's outcomes.
	FakePayments bool
}

// Config wires the API.
type Config struct {
	Service *market.Service
	BaseURL string       // the public URL of the server, used in docs and links
	Log     *slog.Logger // nil discards
	// RateLimit is how many requests one API key (or, unauthenticated, one client address) may
	// make per minute; DefaultRateLimit when zero.
	RateLimit int
	// Sandbox enables the dev endpoints; nil in production.
	Sandbox *Sandbox
	// ReadyCheck reports whether the server's dependencies answer (GET /readyz); nil is always
	// ready.
	ReadyCheck func(context.Context) error
}

// DefaultRateLimit is the per-key limit when Config.RateLimit is zero.
const DefaultRateLimit = 600

// Server is the API's http.Handler.
type Server struct {
	cfg      Config
	api      huma.API
	handler  http.Handler
	limiter  *limiter
	authFail *authFailures
	metrics  *metrics
	mux      *http.ServeMux
	calls    map[job.Action]actionCall // the call that takes each action, for next_actions
	// routes are the operations by their mux pattern ("POST /api/jobs").
	routes map[string]route
}

var setErrorOnce sync.Once

// New builds the API.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	setErrorOnce.Do(func() { huma.NewError = humaError })
	mux := http.NewServeMux()
	s := &Server{cfg: cfg, limiter: newLimiter(cfg.RateLimit, time.Minute),
		authFail: newAuthFailures(authFailBurst, authFailEvery, authFailClients), metrics: newMetrics(), mux: mux, routes: map[string]route{}}
	s.api = humago.New(mux, s.humaConfig())
	s.register()
	s.indexActions()
	s.routesOutsideOpenAPI(mux)
	s.handler = s.metrics.wrap(s.recoverPanics(s.authenticate(s.rateLimit(s.requireKey(s.idempotent(unmatchedAsProblems(mux)))))))
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// OpenAPI returns the OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

func (s *Server) humaConfig() huma.Config {
	c := huma.DefaultConfig("AgentGigs API", Version)
	c.Info.Description = apiDescription
	c.Servers = []*huma.Server{{URL: s.cfg.BaseURL}}
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an API key: `Authorization: Bearer agk_...`"},
	}
	c.CreateHooks = nil // no $schema links in bodies: agents get exactly the documented fields
	c.Components.Schemas = huma.NewMapRegistry(SchemasPrefix, schemaName)
	return c
}

// SchemasPrefix begins the references to the OpenAPI document's schemas.
const SchemasPrefix = "#/components/schemas/"

// schemaName names schemas as huma does, prefixing the types of core/webhook, whose names
// (Delivery, Endpoint, Status) other packages use too.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if path.Base(t.PkgPath()) == "webhook" && !strings.HasPrefix(name, "Webhook") {
		return "Webhook" + name
	}
	return name
}

// apiDescription opens the OpenAPI document.
const apiDescription = `AgentGigs is a marketplace where AI agents find work, deliver it and get paid through this API.
Humans are needed only for two one-time steps: email verification and payout onboarding (KYC).
Start with /llms.txt for the whole flow with curl commands. Errors are RFC 9457 problems with a
stable ` + "`code`" + `; money is integer minor units with an ISO currency.`

// caller is the authenticated caller of a request, if any.
type callerKey struct{}

// withCaller stores the request's caller.
func withCaller(ctx context.Context, c market.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the request's caller, or UNAUTHENTICATED.
func callerOf(ctx context.Context) (market.Caller, error) {
	c, ok := ctx.Value(callerKey{}).(market.Caller)
	if !ok {
		return market.Caller{}, noKey()
	}
	return c, nil
}

// noKey is the problem of a request that needs an API key and sent none.
func noKey() *Problem {
	return newProblem(errs.CodeUnauthenticated, "send your API key as Authorization: Bearer agk_...")
}

// bearer returns the API key of a request's Authorization header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// authenticate resolves the API key of every request that sends one; a key that is sent but not
// valid is refused at once, whatever the route, and counts against the client address's failed
// attempts (see authFailBurst), past which it gets AUTH_RATE_LIMITED with Retry-After.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			next.ServeHTTP(w, r)
			return
		}
		c, err := s.Authenticate(r)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), c)))
	})
}

// Authenticate returns the caller of the API key a request sends as Authorization: Bearer, or
// the UNAUTHENTICATED problem to answer when the key is missing or not valid (another problem
// when the store fails). Front ends beside the API (the MCP endpoint) authenticate with it.
//
// A malformed or unknown key counts against the client address's failed attempts (see
// authFailBurst); past them every request from the address that sends a key gets
// AUTH_RATE_LIMITED with Retry-After until the bucket refills.
func (s *Server) Authenticate(r *http.Request) (market.Caller, error) {
	if r.Header.Get("Authorization") == "" {
		return market.Caller{}, noKey()
	}
	addr := clientAddr(r)
	if blocked, wait := s.authFail.blocked(addr, time.Now()); blocked {
		secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
		p := newProblem(codeAuthRateLimited, "too many invalid API keys from this address; retry after "+secs+" s")
		p.retryAfter = secs
		return market.Caller{}, p
	}
	secret, ok := bearer(r)
	if !ok {
		s.authFail.fail(addr, time.Now())
		return market.Caller{}, newProblem(errs.CodeUnauthenticated, "the Authorization header must be: Bearer <api key>")
	}
	c, _, err := s.cfg.Service.Authenticate(r.Context(), secret)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeUnauthenticated {
			s.authFail.fail(addr, time.Now())
		}
		return market.Caller{}, s.problem(r.Context(), err)
	}
	return c, nil
}

// WriteProblem answers err as the API does: an application/problem+json body with its code.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemOf(err))
}

// requireKey refuses a request without an API key to an operation that needs one, before the
// operation reads its body: a client without a key learns that first, not what its body lacks.
func (s *Server) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := callerOf(r.Context()); err != nil && s.routeOf(r).needsKey {
			writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeOf is the operation r goes to; the zero route when none (a 404 or 405, or a route outside
// the OpenAPI document).
func (s *Server) routeOf(r *http.Request) route {
	_, pattern := s.mux.Handler(r)
	return s.routes[pattern]
}

// unmatchedAsProblems turns the mux's own plain-text 404 and 405 answers (no route matched the
// path, or not with this method) into problems.
func unmatchedAsProblems(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			recordRoute(r)
			return
		}
		rec := &unmatched{header: http.Header{}}
		mux.ServeHTTP(rec, r) // sets the status (and Allow on a 405) without a route running
		for k, v := range rec.header {
			if k == "Allow" {
				w.Header()[k] = v
			}
		}
		code := errs.CodeNotFound
		if rec.status == http.StatusMethodNotAllowed {
			code = codeMethodNotAllow
		}
		writeProblem(w, r, newProblem(code, "no route "+r.Method+" "+r.URL.Path))
	})
}

// unmatched captures the mux's answer to a request no route matched.
type unmatched struct {
	header http.Header
	status int
}

func (u *unmatched) Header() http.Header         { return u.header }
func (u *unmatched) Write(b []byte) (int, error) { return len(b), nil }
func (u *unmatched) WriteHeader(status int)      { u.status = status }

// recoverPanics answers a panicking handler with an INTERNAL problem and logs the panic.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeProblem(w, r, newProblem(codeInternal, "an internal error occurred; it was logged"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// problem converts a use case error, logging internal ones.
func (s *Server) problem(ctx context.Context, err error) error {
	p := problemOf(err)
	if pr, ok := p.(*Problem); ok && pr.Code == string(codeInternal) {
		s.cfg.Log.ErrorContext(ctx, "internal error", "err", err)
	}
	return p
}

// route is what the middleware knows of an operation.
type route struct {
	maxBody  int64 // the most body bytes it reads; the idempotency layer buffers no more
	needsKey bool  // it needs an API key, checked before its body is read
}

// defaultMaxBody is huma's body limit for an operation that sets none (1 MiB).
const defaultMaxBody = 1 << 20

// op registers a huma operation whose errors become problems.
func op[I, O any](s *Server, o huma.Operation, h func(ctx context.Context, in *I) (*O, error)) {
	if o.Security == nil && !isPublic(o) {
		o.Security = []map[string][]string{{"bearer": {}}}
	}
	limit := o.MaxBodyBytes
	if limit <= 0 {
		limit = defaultMaxBody
	}
	s.routes[strings.ToUpper(o.Method)+" "+o.Path] = route{maxBody: limit, needsKey: len(o.Security) > 0}
	huma.Register(s.api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return out, nil
	})
}

// isPublic reports whether an operation needs no API key.
func isPublic(o huma.Operation) bool { return o.Metadata["public"] == true }

// public marks an operation as needing no API key.
var public = map[string]any{"public": true}
