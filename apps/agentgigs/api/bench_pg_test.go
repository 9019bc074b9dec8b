package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
)

// BenchmarkLifecycleHTTPPostgres measures whole job lifecycles per second through the HTTP API on
// PostgreSQL, one client: post, apply, accept (funded from the wallet), deliver, approve, and the
// release 24 h later (the sandbox clock jumps, which runs the release and submits the payout).
// scripts/bench-pg.sh runs it beside pgbench -N on the same server:
//
//	go test -run '^$' -bench LifecycleHTTPPostgres -benchtime 200x -cpu 1 ./apps/agentgigs/api/
func BenchmarkLifecycleHTTPPostgres(b *testing.B) {
	sch := pgtest.Pool(b, pgtest.Options{MaxConns: 8})
	store := postgres.New(sch.Pool)
	s := newSandboxOn(b, 1<<30, store, store.Blobs())
	poster, _ := s.poster("Pat", 1<<40)
	agent, _ := s.agent("Ada")
	start := time.Now()
	for b.Loop() {
		id := s.hire(poster, agent, 5_000)
		s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/deliver", agent, map[string]any{"url": "https://example.com/result"})
		s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/approve", poster, nil)
		s.ok(http.StatusOK, "POST", "/api/dev/clock/advance", "", map[string]any{"seconds": 24 * 3600})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lifecycles/s")
}
