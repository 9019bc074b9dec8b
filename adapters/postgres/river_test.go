package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/testkit"
)

// TestRiverRunsEachTimerOnceAcrossReplicas has two replicas, each with its own pool and River
// client, work the timers of one database: twenty registrations queue twenty verification emails
// (send_email timers enqueued in the registering transaction), and each is sent exactly once.
func TestRiverRunsEachTimerOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	const n = 20
	sch := pgtest.Pool(t, pgtest.Options{MaxConns: 6})
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(sch.Pool), Seed: 1})
	other := postgres.New(pgtest.NewPool(t, sch.Name, 6))
	second, err := market.New(market.Config{
		Store: other, Payments: k.Payments, Mailer: k.Mail, Blobs: k.Blobs, Clock: k.Clock, IDs: memory.NewIDs(2), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)

	ctx := context.Background()
	for i, r := range []struct {
		s *postgres.Store
		h postgres.TimerHandler
	}{{k.Store.(*postgres.Store), k.Service}, {other, second}} {
		runner, err := postgres.StartTimers(ctx, r.s, r.h, k.Clock, 4, nil)
		require.NoError(t, err, "replica %d", i)
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			require.NoError(t, runner.Stop(stopCtx))
		})
	}

	for i := range n {
		_, err := k.Service.Register(ctx, market.RegisterInput{Email: fmt.Sprintf("agent%d@example.test", i), Name: "Agent"})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return len(k.Mail.Messages()) >= n }, 20*time.Second, 50*time.Millisecond, "River sent the emails")
	require.Eventually(t, func() bool {
		var timers, unfinished int
		require.NoError(t, sch.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM timers), (SELECT count(*) FROM river_job WHERE state <> 'completed')`).
			Scan(&timers, &unfinished))
		return timers == 0 && unfinished == 0
	}, 10*time.Second, 50*time.Millisecond, "every timer ran and every River job completed, so nothing can run again")
	require.Len(t, k.Mail.Messages(), n, "each email was sent once")
	seen := map[string]bool{}
	for _, m := range k.Mail.Messages() {
		require.False(t, seen[m.To], "sent twice to %s", m.To)
		seen[m.To] = true
	}
}
