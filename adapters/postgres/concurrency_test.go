package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
)

// callers is how many goroutines act on the job at once.
const callers = 50

// TestConcurrentActionsOnOneJob races 50 callers on one job through the market service, for many
// seeds: on a delivered job, the actions that end its review window (approve, dispute, revision,
// the due auto-approval, admin holds, views); on an approved job, those that end its cooldown
// (admin reversal, dispute, the due release, holds and unholds, resolution). Each time exactly one
// caller moves the job out of its state, refusals are typed, the agent gets at most one payout per
// job, transferred at most once, and the money invariants hold.
//
// It runs before the package's parallel tests, not beside them (so does the next test): callers
// waiting on one row hold the oldest running transactions, which keep other tests' log lists
// waiting for them to settle (seq.go), past the settle wait under the race detector's load.
func TestConcurrentActionsOnOneJob(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			raceOneJob(t, seed, false)
		})
	}
}

// TestConcurrentActionsSurviveKilledConnections is TestConcurrentActionsOnOneJob while another
// connection keeps terminating the test's backends (pg_terminate_backend). Calls may fail, with
// ports.ErrUnavailable when they do; once the connections are left alone and the failed calls are
// made again, the job has still left each state exactly once, nothing was paid twice, and the
// ledger is whole.
func TestConcurrentActionsSurviveKilledConnections(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			raceOneJob(t, seed, true)
		})
	}
}

// call is one caller's action.
type call struct {
	name string
	do   func() error
	once bool // made by one caller or none, as the seed decides (the others fill the rest)
}

func raceOneJob(t *testing.T, seed uint64, kill bool) {
	sch := pgtest.Pool(t, pgtest.Options{MaxConns: 8})
	k := testkit.NewWith(t, testkit.Options{Store: postgres.New(sch.Pool), Seed: seed})
	ctx, svc := k.Ctx, k.Service
	poster, agent, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Admin("Root")
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	runDue := call{name: "run due timers", do: func() error { return market.RunDue(ctx, k.Store, svc, k.Clock.Now()) }}

	// A delivered job whose review window ends: the auto-approval is due too.
	a := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, a.ID)
	k.Clock.Set(k.Job(a.ID).DeadlineAt)
	race(t, k, sch.Name, rng, kill, []call{
		{name: "approve", do: func() error { _, err := svc.Approve(ctx, poster, a.ID, false); return err }},
		{name: "dispute", do: func() error { _, err := svc.Dispute(ctx, agent, a.ID, "late", nil); return err }, once: true},
		{name: "request revision", do: func() error { _, err := svc.RequestRevision(ctx, poster, a.ID, "more"); return err }, once: true},
		{name: "approve (dry run)", do: func() error { _, err := svc.Approve(ctx, poster, a.ID, true); return err }},
		{name: "hold", do: func() error { _, err := svc.HoldPayout(ctx, admin, a.ID, "checking", false); return err }},
		{name: "view", do: func() error { _, err := svc.GetJob(ctx, poster, a.ID); return err }},
		runDue,
	})
	require.Equal(t, 1, leftState(t, k, a.ID, job.Delivered), "exactly one action ends the review window")
	k.CheckInvariants()

	// An approved job whose cooldown ends: the release is due but not yet run.
	b := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, b.ID)
	testkit.Got(svc.Approve(ctx, poster, b.ID, false)).Must(t)
	k.Clock.Set(k.Job(b.ID).DeadlineAt)
	race(t, k, sch.Name, rng, kill, []call{
		{name: "reverse approval", do: func() error { _, err := svc.ReverseApproval(ctx, admin, b.ID, "fraud", false); return err }},
		{name: "dispute", do: func() error { _, err := svc.Dispute(ctx, agent, b.ID, "chargeback threat", nil); return err }, once: true},
		{name: "hold", do: func() error { _, err := svc.HoldPayout(ctx, admin, b.ID, "checking", false); return err }},
		{name: "unhold", do: func() error { _, err := svc.UnholdPayout(ctx, admin, b.ID, "cleared", false); return err }},
		{name: "resolve", do: func() error { _, err := svc.Resolve(ctx, admin, b.ID, 50_00, 0, "agent delivered", false); return err }},
		{name: "view", do: func() error { _, err := svc.GetJob(ctx, agent, b.ID); return err }},
		runDue,
	})
	require.Equal(t, 1, leftState(t, k, b.ID, job.Approved), "exactly one action ends the cooldown")
	k.CheckInvariants()

	// Let every deadline play out: the jobs end, and the money is where exactly one outcome put it.
	k.Advance(60 * 24 * time.Hour)
	k.SettlePayouts()
	k.CheckInvariants()
	for _, id := range []string{a.ID, b.ID} {
		j := k.Job(id)
		require.True(t, j.State.Terminal(), "job %s ends (%s)", id, j.State)
		require.Zero(t, k.Balance(ledger.Escrow(id)))
		ps := testkit.Got(svc.Payouts(ctx, admin, id)).Must(t)
		require.LessOrEqual(t, len(ps), 1, "at most one payout")
		if j.State == job.Completed {
			require.Len(t, ps, 1)
			require.Equal(t, int64(45_00), ps[0].Amount.Amount, "a completed job pays the agent its net")
		}
	}
	keys := map[string]bool{}
	paid := int64(0)
	for _, tr := range k.Payments.Transfers() {
		require.False(t, keys[tr.Key], "payout %s transferred twice", tr.Key)
		keys[tr.Key] = true
		paid += tr.Amount.Amount
	}
	earned := k.Balance(ledger.Payable(agent.AccountID)) + k.Balance(ledger.Pending(agent.AccountID)) + paid
	require.Equal(t, int64(100_00), k.Balance(ledger.Wallet(poster.AccountID))+earned+k.Balance(ledger.PlatformFees),
		"the poster's money is in the wallet, with the agent or the platform, once")
	t.Logf("outcomes: %s, %s", k.Job(a.ID).State, k.Job(b.ID).State)
}

// race runs callers calls at once: each of calls not marked once, each marked once or not as rng
// decides, and more drawn at random from those not marked once. Refusals must be typed; when kill is set,
// another connection terminates the schema's backends meanwhile, calls may also fail with
// ports.ErrUnavailable, and those are made again (sequentially) once it stops.
func race(t *testing.T, k *testkit.Kit, schema string, rng *rand.Rand, kill bool, calls []call) {
	t.Helper()
	var picked, many []call
	for _, c := range calls {
		if !c.once {
			many = append(many, c)
			picked = append(picked, c)
		} else if rng.IntN(2) == 0 {
			picked = append(picked, c)
		}
	}
	for len(picked) < callers {
		picked = append(picked, many[rng.IntN(len(many))])
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		bad     []error
		retry   []call
		running atomic.Bool
	)
	killed, ready := make(chan int, 1), make(chan struct{})
	if kill {
		running.Store(true)
		go func() { killed <- killBackends(t, schema, &running, ready) }()
		<-ready
	}
	start := make(chan struct{})
	for _, c := range picked {
		wg.Go(func() {
			<-start
			err := c.do()
			switch {
			case err == nil || errs.CodeOf(err) != "":
			case kill && errors.Is(err, ports.ErrUnavailable):
				mu.Lock()
				retry = append(retry, c)
				mu.Unlock()
			default:
				mu.Lock()
				bad = append(bad, fmt.Errorf("%s: %w", c.name, err))
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if kill {
		running.Store(false)
		n := <-killed
		t.Logf("terminated %d backends; %d calls failed and are made again", n, len(retry))
	}
	require.Empty(t, bad, "refusals must be typed")
	for _, c := range retry {
		if err := c.do(); err != nil {
			require.NotEmpty(t, errs.CodeOf(err), "%s, made again: %v", c.name, err)
		}
	}
}

// killBudget is how many backends killBackends terminates at most in one race.
const killBudget = 60

// killBackends terminates one of the schema's backends, at random, every 1 to 5 ms while
// running is set, up to killBudget, and returns how many it terminated. It closes ready once it
// is connected.
func killBackends(t *testing.T, schema string, running *atomic.Bool, ready chan<- struct{}) int {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL())
	close(ready)
	if err != nil {
		t.Errorf("connecting to kill backends: %v", err)
		return 0
	}
	defer func() { _ = conn.Close(ctx) }()
	n := 0
	for running.Load() && n < killBudget {
		var killed int
		err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (
			SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()
			ORDER BY random() LIMIT 1) AS victim`, schema).Scan(&killed)
		if err != nil {
			t.Errorf("killing backends: %v", err)
			return n
		}
		n += killed
		time.Sleep(time.Duration(1+rand.IntN(5)) * time.Millisecond)
	}
	return n
}

// leftState counts the transitions of the job recorded out of state.
func leftState(t *testing.T, k *testkit.Kit, jobID string, state job.State) int {
	n := 0
	for _, e := range testkit.Got(k.Service.Events(k.Ctx, market.System, 0, 500)).Must(t) {
		if e.JobID == jobID && e.Data["from"] == string(state) && e.Data["to"] != string(state) {
			n++
		}
	}
	return n
}
