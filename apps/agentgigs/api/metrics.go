package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request duration histogram.
var latencyBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts requests per route and status and their durations, in the Prometheus text
// format at /metrics.
type metrics struct {
	mu       sync.Mutex
	requests map[requestLabels]uint64
	latency  map[string]*histogram // by route
}

type requestLabels struct {
	method, route string
	status        int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestLabels]uint64{}, latency: map[string]*histogram{}}
}

// wrap measures every request. The route is the pattern that matched, so IDs do not explode the
// label space.
func (m *metrics) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		matched := &matchedRoute{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), matchedRouteKey{}, matched)))
		route := matched.pattern
		if route == "" {
			route = "unmatched"
		}
		m.observe(requestLabels{r.Method, route, sw.status}, time.Since(start).Seconds())
	})
}

func (m *metrics) observe(l requestLabels, seconds float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[l]++
	h := m.latency[l.route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.latency[l.route] = h
	}
	if i, _ := slices.BinarySearch(latencyBuckets, seconds); i < len(latencyBuckets) {
		h.counts[i]++
	}
	h.sum += seconds
	h.n++
}

// write prints the metrics in the Prometheus text exposition format, sorted for stable output.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP agentgigs_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE agentgigs_http_requests_total counter")
	labels := make([]requestLabels, 0, len(m.requests))
	for l := range m.requests {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b requestLabels) int {
		if a.route != b.route {
			return strings.Compare(a.route, b.route)
		}
		if a.method != b.method {
			return strings.Compare(a.method, b.method)
		}
		return a.status - b.status
	})
	for _, l := range labels {
		fmt.Fprintf(w, "agentgigs_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", l.method, l.route, l.status, m.requests[l])
	}
	fmt.Fprintln(w, "# HELP agentgigs_http_request_duration_seconds HTTP request durations by route.")
	fmt.Fprintln(w, "# TYPE agentgigs_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "agentgigs_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", r, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "agentgigs_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(w, "agentgigs_http_request_duration_seconds_sum{route=%q} %g\n", r, h.sum)
		fmt.Fprintf(w, "agentgigs_http_request_duration_seconds_count{route=%q} %d\n", r, h.n)
	}
}

// matchedRoute carries the pattern the mux matched back out to the metrics, since the mux sets
// it on the request it was given, which the middleware in between replaced.
type matchedRoute struct{ pattern string }

type matchedRouteKey struct{}

// recordRoute notes the pattern r matched for the metrics.
func recordRoute(r *http.Request) {
	if m, ok := r.Context().Value(matchedRouteKey{}).(*matchedRoute); ok {
		m.pattern = r.Pattern
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes for long polls).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
