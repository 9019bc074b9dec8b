package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	s := pgtest.Store(t)
	ctx := t.Context()
	const n = 700
	prefix, err := postgres.Seed(ctx, s, n)
	require.NoError(t, err)
	other, err := postgres.Seed(ctx, s, 10)
	require.NoError(t, err)
	require.NotEqual(t, prefix, other, "seeding again adds jobs")
	_, err = postgres.Seed(ctx, s, -1)
	require.Error(t, err)

	require.NoError(t, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var all []*job.Job
		f := ports.JobFilter{Limit: 500}
		for {
			jobs, next, err := tx.Jobs().List(ctx, f)
			require.NoError(t, err)
			all = append(all, jobs...)
			if next == "" {
				break
			}
			f.After = next
		}
		require.Len(t, all, n+10)
		seeded, open := 0, 0
		for _, j := range all {
			if !strings.HasPrefix(j.ID, prefix) {
				continue
			}
			seeded++
			if j.State == job.Open {
				open++
			}
			got, err := tx.Jobs().Get(ctx, j.ID)
			require.NoError(t, err)
			require.Equal(t, j, got, "a seeded job is a whole record")
			require.NotEmpty(t, j.Title)
			require.NotEmpty(t, j.Tags)
			require.True(t, j.Budget.Currency.Valid())
			require.Positive(t, j.Budget.Amount)
			require.Equal(t, int64(1), j.Version)
		}
		require.Equal(t, n, seeded)
		require.Greater(t, open, n/2, "most seeded jobs are open")

		jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{State: job.Open, Terms: []string{"PARSER"}})
		require.NoError(t, err)
		require.NotEmpty(t, jobs, "seeded jobs are found by term")
		b, err := tx.Ledger().Balances(ctx)
		require.NoError(t, err)
		require.Empty(t, b, "seeding moves no money")
		return nil
	}))
}
