package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
)

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := err.(*Problem)
	if !ok {
		p = newProblem(codeInternal, "an internal error occurred")
	}
	p.Instance = r.URL.Path
	if p.retryAfter != "" {
		w.Header().Set("Retry-After", p.retryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// limiter is a fixed-window rate limit per key: at most limit requests per window.
type limiter struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	start  time.Time
	counts map[string]int
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, counts: map[string]int{}}
}

// take counts one request of key and returns how many remain in the window (negative when over)
// and when the window resets.
func (l *limiter) take(key string, now time.Time) (remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start = now.Truncate(l.window)
		clear(l.counts)
	}
	l.counts[key]++
	return l.limit - l.counts[key], l.start.Add(l.window)
}

// rateLimit limits each API key (or, without one, each client address) to cfg.RateLimit requests
// per minute, announcing the policy in RateLimit headers (IETF draft) on every answer and refusing
// the excess with 429 and Retry-After.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientAddr(r)
		if c, err := callerOf(r.Context()); err == nil {
			key = "acct:" + c.AccountID
		}
		now := time.Now()
		remaining, reset := s.limiter.take(key, now)
		secs := max(1, int(reset.Sub(now).Seconds()+0.999))
		h := w.Header()
		h.Set("RateLimit-Policy", strconv.Itoa(s.limiter.limit)+";w="+strconv.Itoa(int(s.limiter.window.Seconds())))
		h.Set("RateLimit", "limit="+strconv.Itoa(s.limiter.limit)+", remaining="+strconv.Itoa(max(0, remaining))+", reset="+strconv.Itoa(secs))
		if remaining < 0 {
			h.Set("Retry-After", strconv.Itoa(secs))
			writeProblem(w, r, newProblem(errs.CodeRateLimited, "at most "+strconv.Itoa(s.limiter.limit)+" requests per minute; retry after "+strconv.Itoa(secs)+" s"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// idempotent gives POST requests with an Idempotency-Key Stripe's semantics, per account: the
// first request runs and its answer is kept; a repeat with the same method, path and body gets
// that answer again (with Idempotent-Replayed: true); a repeat with another request is refused
// with IDEMPOTENCY_KEY_REUSED; a repeat while the first still runs gets 409
// IDEMPOTENCY_KEY_IN_USE. A first request that fails with a 5xx is forgotten, so it may be
// retried with the same key. It reads at most the route's body limit (plus one byte, to tell
// that a body is over it, which is TOO_LARGE), so a key cannot make it buffer more than the route
// itself would; a request no route matches passes through to its 404 or 405.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		c, authErr := callerOf(r.Context())
		if key == "" || r.Method != http.MethodPost || authErr != nil {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			writeProblem(w, r, newProblem(errs.CodeInvalidInput, "an Idempotency-Key is at most 255 characters"))
			return
		}
		limit := s.routeOf(r).maxBody
		if limit == 0 { // no operation: a 404 or 405, or a route outside the OpenAPI document
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			writeProblem(w, r, newProblem(errs.CodeInvalidInput, "could not read the request body"))
			return
		}
		if int64(len(body)) > limit {
			writeProblem(w, r, newProblem(codeTooLarge, "the request body is over this route's limit of "+strconv.FormatInt(limit, 10)+" bytes"))
			return
		}
		sum := sha256.New()
		for _, part := range []string{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type")} {
			sum.Write([]byte(part))
			sum.Write([]byte{0})
		}
		sum.Write(body)
		hash := hex.EncodeToString(sum.Sum(nil))

		prev, err := s.cfg.Service.BeginIdempotent(r.Context(), c, key, hash)
		switch {
		case errors.Is(err, market.ErrIdempotencyInUse):
			writeProblem(w, r, newProblem(codeIdempotencyBusy, "a request with this Idempotency-Key is still running; retry later"))
			return
		case errors.Is(err, market.ErrIdempotencyReused):
			writeProblem(w, r, newProblem(codeIdempotencyUsed, "this Idempotency-Key was used with a different request"))
			return
		case err != nil:
			writeProblem(w, r, s.problem(r.Context(), err))
			return
		case prev != nil:
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", prev.ContentType)
			w.WriteHeader(prev.Status)
			_, _ = w.Write(prev.Body)
			return
		}
		rec := &recorder{statusWriter: statusWriter{ResponseWriter: w, status: http.StatusOK}}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), idemKeyCtx{}, c.AccountID+":"+key))
		completed := false
		defer func() {
			if !completed { // a panic: forget the key so that a retry may run
				_ = s.cfg.Service.AbandonIdempotent(r.Context(), c, key)
			}
		}()
		next.ServeHTTP(rec, r)
		completed = true
		if rec.status >= 500 {
			_ = s.cfg.Service.AbandonIdempotent(r.Context(), c, key)
			return
		}
		if err := s.cfg.Service.CompleteIdempotent(r.Context(), c, key, hash, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes()); err != nil {
			s.cfg.Log.Error("storing an idempotent response", "key", key, "err", err)
		}
	})
}

// recorder passes a response through while keeping a copy of its status and body.
type recorder struct {
	statusWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.statusWriter.Write(b)
}
