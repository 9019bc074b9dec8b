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
	"github.com/agentgigs/agentgigs/core/webhook"
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
	other, second := secondReplica(t, k, sch)

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

// TestWebhookSurvivesACrashBetweenCommitAndDelivery commits an event with a webhook endpoint
// listening while no replica runs timers (the one that committed it "crashed" before
// delivering), then starts a fresh replica: the delivery happens, once, with a valid signature.
func TestWebhookSurvivesACrashBetweenCommitAndDelivery(t *testing.T) {
	t.Parallel()
	sch := pgtest.Pool(t, pgtest.Options{MaxConns: 6})
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(sch.Pool), Seed: 1})
	ctx := context.Background()
	a := k.Account("Ann")
	e := testkit.Got(k.Service.CreateWebhookEndpoint(ctx, a, market.EndpointInput{URL: "https://ann.example/hook"})).Must(t)
	d := testkit.Got(k.Service.TestWebhook(ctx, a, e.ID)).Must(t)
	require.Empty(t, k.Webhooks.Requests(), "nothing was delivered before the crash")

	restarted := postgres.New(pgtest.NewPool(t, sch.Name, 4))
	svc, err := market.New(market.Config{
		Store: restarted, Payments: k.Payments, Mailer: k.Mail, Blobs: k.Blobs, Clock: k.Clock, IDs: memory.NewIDs(3), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)
	runner, err := postgres.StartTimers(ctx, restarted, svc, k.Clock, 2, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, runner.Stop(stopCtx))
	})
	require.Eventually(t, func() bool {
		ds := testkit.Got(svc.WebhookDeliveries(ctx, a, e.ID, "", 10)).Must(t)
		return len(ds) == 1 && ds[0].Status == webhook.Succeeded
	}, 20*time.Second, 50*time.Millisecond, "the restarted replica delivered the webhook")
	reqs := k.Webhooks.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, d.ID, reqs[0].ID)
	require.NoError(t, webhook.Verify(e.Secret, reqs[0].Header[webhook.HeaderID], reqs[0].Header[webhook.HeaderTimestamp],
		reqs[0].Header[webhook.HeaderSignature], reqs[0].Body, k.Clock.Now()))
}
