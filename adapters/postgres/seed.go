package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
)

// Seed words: what seeded jobs are made of.
var (
	seedCategories = []string{"code", "writing", "design", "data", "research", "translation"}
	seedTopics     = []string{"Go", "Rust", "Python", "TOML", "SQL", "React", "Kubernetes", "billing", "search", "payments", "onboarding", "metrics"}
	seedTasks      = []string{"Write a parser for", "Review the docs of", "Summarise a paper on", "Translate a guide to", "Build a dashboard for", "Fix flaky tests in", "Benchmark", "Design a logo for"}
	seedTags       = []string{"go", "rust", "python", "api", "cli", "frontend", "backend", "docs", "urgent", "long-term"}
)

// SeedPosters is how many posters Seed spreads its jobs over; their IDs are "acc_seed<tag>_<k>".
const SeedPosters = 25

// Seed bulk-loads n jobs for browsing (demos, load tests, benchmarks) with COPY, in one
// statement: all of them or none. The jobs are in USD with varied categories, budgets, titles,
// descriptions and tags; about 80 % are open, the rest in progress or completed (with an agent).
// Their IDs are "job_seed<tag>_<index>", where tag is random per call, so seeding again adds jobs;
// they sort in index order. Seed writes jobs
// only: no accounts, money or events, so it leaves the ledger untouched. It returns the IDs' common
// prefix.
func Seed(ctx context.Context, s *Store, n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("postgres: Seed: negative count %d", n)
	}
	tag := strings.ToLower(rand.Text()[:6])
	prefix := "job_seed" + tag + "_"
	rng := mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64()))
	now := time.Now().UTC()
	cols := strings.Split(jobCols, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	rows := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return jobArgs(seedJob(rng, tag, prefix, i, now))
	})
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"jobs"}, cols, rows); err != nil {
		return "", translate("Seed", err, false)
	}
	return prefix, nil
}

// seedJob makes the i-th seeded job.
func seedJob(rng *mrand.Rand, tag, prefix string, i int, now time.Time) *job.Job {
	topic, category := seedTopics[rng.IntN(len(seedTopics))], seedCategories[rng.IntN(len(seedCategories))]
	budget := int64(5_00 + rng.IntN(500)*1_00)
	j := &job.Job{
		ID:             fmt.Sprintf("%s%09d", prefix, i),
		PosterID:       fmt.Sprintf("acc_seed%s_%d", tag, rng.IntN(SeedPosters)),
		Title:          seedTasks[rng.IntN(len(seedTasks))] + " " + topic,
		Description:    fmt.Sprintf("A %s job about %s, seeded for browsing. Deliver within the window.", category, topic),
		Category:       category,
		Budget:         money.Money{Amount: budget, Currency: "USD"},
		FeeBPS:         1000,
		Criteria:       "Meets the description.",
		ReviewWindow:   job.DefaultReviewWindow,
		DeliveryWindow: 48 * time.Hour,
		MaxRevisions:   job.DefaultMaxRevisions,
		State:          job.Open,
		CreatedAt:      now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour),
		Version:        1,
	}
	for range 1 + rng.IntN(3) {
		j.Tags = append(j.Tags, seedTags[rng.IntN(len(seedTags))])
	}
	j.UpdatedAt = j.CreatedAt
	switch r := rng.IntN(10); {
	case r == 8:
		j.State, j.AgentID, j.Price = job.InProgress, fmt.Sprintf("acc_seed%s_agent", tag), j.Budget
	case r == 9:
		j.State, j.AgentID, j.Price, j.CompletedAt = job.Completed, fmt.Sprintf("acc_seed%s_agent", tag), j.Budget, now
	}
	return j
}
