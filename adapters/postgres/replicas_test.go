package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
)

// countingHandler counts the timers a replica handled.
type countingHandler struct {
	h market.TimerHandler
	n atomic.Int64
}

func (c *countingHandler) HandleTimer(ctx context.Context, t ports.Timer) error {
	c.n.Add(1)
	return c.h.HandleTimer(ctx, t)
}

// TestTimersRunOnceAcrossReplicas runs two market services, each with its own pool, on one
// schema, both running market.RunDue loops at once: the auto-approval of every delivered job, the
// release after its cooldown and its payout each happen exactly once.
func TestTimersRunOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	const jobs = 20
	sch := pgtest.Pool(t, pgtest.Options{MaxConns: 6})
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(sch.Pool), Seed: 1})
	other, second := secondReplica(t, k, sch)
	replicas := []*countingHandler{{h: k.Service}, {h: second}}
	stores := []ports.Store{k.Store, other}

	poster, agent := k.Poster("Pat", jobs*10_00), k.Agent("Ada")
	ids := make([]string, jobs)
	for i := range ids {
		j := k.Hire(poster, agent, 10_00)
		k.Deliver(agent, j.ID)
		ids[i] = j.ID
	}

	// runBoth runs both replicas' scheduler loops at once until neither finds a due timer.
	runBoth := func() {
		var wg sync.WaitGroup
		for i, r := range replicas {
			wg.Go(func() {
				for range 50 {
					require.NoError(t, market.RunDue(k.Ctx, stores[i], r, k.Clock.Now()))
					if len(due(t, stores[i], k.Clock.Now())) == 0 {
						return
					}
				}
				t.Error("timers kept falling due")
			})
		}
		wg.Wait()
	}

	k.Clock.Set(testkit.Start.Add(8 * 24 * time.Hour)) // every review window has ended
	runBoth()
	for _, id := range ids {
		require.Equal(t, job.Approved, k.Job(id).State)
	}
	k.Clock.Set(testkit.Start.Add(10 * 24 * time.Hour)) // every cooldown has ended
	runBoth()

	types := map[string]int{}
	for _, e := range testkit.Got(k.Service.Events(k.Ctx, market.System, 0, 500)).Must(t) {
		types[e.Type]++
	}
	require.Equal(t, jobs, types["job.auto_approved"], "one auto-approval per job")
	require.Equal(t, jobs, types["job.completed"], "one release per job")
	require.Equal(t, jobs, types["payout.submitted"], "one payout attempt per job")
	transfers := k.Payments.Transfers()
	require.Len(t, transfers, jobs, "one transfer per job")
	keys := map[string]bool{}
	for _, tr := range transfers {
		require.False(t, keys[tr.Key], "transferred twice: %s", tr.Key)
		keys[tr.Key] = true
	}
	for _, id := range ids {
		require.Equal(t, job.Completed, k.Job(id).State)
		require.Len(t, testkit.Got(k.Service.Payouts(k.Ctx, poster, id)).Must(t), 1)
	}
	k.CheckInvariants()
	t.Logf("timers handled: %d by the first replica, %d by the second", replicas[0].n.Load(), replicas[1].n.Load())
}

// due returns the timers due at now.
func due(t *testing.T, s ports.Store, now time.Time) []ports.Timer {
	var out []ports.Timer
	require.NoError(t, s.WithinTx(context.Background(), func(ctx context.Context, tx ports.Tx) error {
		var err error
		out, err = tx.Timers().Due(ctx, now, 0)
		return err
	}))
	return out
}

// secondReplica is another market service on k's schema, as a second replica of the server would
// be: it shares the database and the processor, nothing else (its own pool and IDs).
func secondReplica(t *testing.T, k *testkit.Kit, sch *pgtest.Schema) (*postgres.Store, *market.Service) {
	t.Helper()
	store := postgres.New(pgtest.NewPool(t, sch.Name, 6))
	svc, err := market.New(market.Config{
		Store: store, Payments: k.Payments, Mailer: k.Mail, Blobs: k.Blobs, Clock: k.Clock, IDs: memory.NewIDs(2), Webhooks: k.Webhooks,
	})
	require.NoError(t, err)
	return store, svc
}
