package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
)

// benchJobs is how many open jobs the browse benchmark seeds.
const benchJobs = 10_000

type trivialOut struct {
	Body struct {
		OK bool `json:"ok"`
	}
}

// BenchmarkBrowseVsTrivial measures requests per second of GET /api/agent/jobs/available over
// 10,000 open jobs in memory, and of a trivial huma handler behind the same middleware (auth,
// rate limit, idempotency, metrics), in the same run. Compare the two req/s figures:
//
//	go test -run '^$' -bench BrowseVsTrivial -benchtime 3s ./apps/agentgigs/api/
func BenchmarkBrowseVsTrivial(b *testing.B) {
	s := newSandbox(b, 1<<30)
	key, id := s.account("Pat")
	ctx := context.Background()
	categories := []string{"research", "code", "design", "writing"}
	for i := range benchJobs {
		_, err := s.Svc.PostJob(ctx, market.User(id), market.PostInput{
			Title: fmt.Sprintf("Job %d: summarize papers", i), Category: categories[i%len(categories)],
			Budget: money.Money{Amount: int64(1_000 + i%50_000), Currency: "USD"}, Criteria: "done",
		})
		require.NoError(b, err)
	}
	huma.Register(s.Server.api, huma.Operation{OperationID: "bench-trivial", Method: http.MethodGet, Path: "/bench/trivial"},
		func(ctx context.Context, in *emptyIn) (*trivialOut, error) {
			out := &trivialOut{}
			out.Body.OK = true
			return out, nil
		})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, path string) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("%s: %d", path, res.StatusCode)
					return
				}
			}
		})
	}
	for _, c := range []struct{ name, path string }{
		{"trivial", "/bench/trivial"},
		{"browse", "/api/agent/jobs/available?category=research&min_budget=2000&max_budget=40000&q=papers&limit=20"},
		{"browse-unfiltered", "/api/agent/jobs/available?limit=20"},
	} {
		b.Run(c.name, func(b *testing.B) {
			start := time.Now()
			get(b, c.path)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
