package postgres_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// BenchmarkEscrowCycle measures one escrow cycle as two committed (durable) transactions: fund a
// job's escrow from the poster's wallet, then release it to the agent's pending balance less the
// platform fee, each with its domain event. clients=1 runs the cycles one after the other;
// clients=8 runs 8 clients at once (with -cpu 1: 8 goroutines), each with its own wallet and
// jobs, as concurrent posters would. tx/s counts committed transactions.
func BenchmarkEscrowCycle(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			s := postgres.New(pgtest.Pool(b, pgtest.Options{MaxConns: int32(clients)}).Pool)
			ctx := context.Background()
			wallets := make([]ledger.Account, clients)
			for i := range wallets {
				wallets[i] = ledger.Wallet(fmt.Sprint("acc_bench_", i))
				require.NoError(b, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
					return tx.Ledger().Post(ctx, benchEntry("", ledger.ExternalStripe, wallets[i], 1<<50, "top-up"))
				}))
			}
			var jobs, client atomic.Int64
			cycle := func(wallet ledger.Account) {
				id := fmt.Sprintf("job_bench_%09d", jobs.Add(1))
				fund := benchEntry(id, wallet, ledger.Escrow(id), 50_00, "fund")
				require.NoError(b, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
					if err := tx.Ledger().Post(ctx, fund); err != nil {
						return err
					}
					return tx.Events().Append(ctx, benchEvent(id, "job.funded"))
				}))
				release := []ledger.Entry{
					benchEntry(id, ledger.Escrow(id), ledger.PlatformFees, 5_00, "platform fee"),
					benchEntry(id, ledger.Escrow(id), ledger.Pending("acc_agent"), 45_00, "earned"),
				}
				require.NoError(b, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
					if err := tx.Ledger().Post(ctx, release...); err != nil {
						return err
					}
					return tx.Events().Append(ctx, benchEvent(id, "job.approved"))
				}))
			}
			b.ResetTimer()
			if clients == 1 {
				for b.Loop() {
					cycle(wallets[0])
				}
			} else {
				b.SetParallelism(clients)
				b.RunParallel(func(pb *testing.PB) {
					wallet := wallets[int(client.Add(1)-1)%clients]
					for pb.Next() {
						cycle(wallet)
					}
				})
			}
			b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "tx/s")
			b.StopTimer()
			var bal ledger.Balances
			require.NoError(b, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) (err error) {
				bal, err = tx.Ledger().Balances(ctx)
				return err
			}))
			require.Empty(b, ledger.Check(bal))
			require.Equal(b, 45_00*jobs.Load(), bal[ledger.Key{Account: ledger.Pending("acc_agent"), Currency: "USD"}])
		})
	}
}

func benchEntry(jobID string, from, to ledger.Account, amount int64, memo string) ledger.Entry {
	return ledger.Entry{JobID: jobID, At: time.Now(), Transfer: ledger.Transfer{From: from, To: to, Amount: money.Money{Amount: amount, Currency: "USD"}, Memo: memo}}
}

func benchEvent(jobID, typ string) event.Event {
	return event.Event{ID: "ev_" + jobID + typ, Type: typ, JobID: jobID, Accounts: []string{"acc_poster", "acc_agent"}, At: time.Now()}
}

// browseJobs is how many jobs BenchmarkBrowse seeds: 20,000, or AGENTGIGS_BENCH_BROWSE_JOBS
// (e.g. 1000000 for the figure the closing note reports).
func browseJobs(b *testing.B) int {
	v := os.Getenv("AGENTGIGS_BENCH_BROWSE_JOBS")
	if v == "" {
		return 20_000
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, "AGENTGIGS_BENCH_BROWSE_JOBS")
	return n
}

// BenchmarkBrowse measures Jobs.List, each in its own transaction, over 20,000 seeded jobs (see
// browseJobs), with
// the filters an agent browsing for work uses (state, category, budget range, search terms, a
// poster), cycling through them; it reports the latency's 50th and 99th percentiles.
func BenchmarkBrowse(b *testing.B) {
	sch := pgtest.Pool(b, pgtest.Options{})
	s := postgres.New(sch.Pool)
	ctx := context.Background()
	prefix, err := postgres.Seed(ctx, s, browseJobs(b))
	require.NoError(b, err)
	_, err = sch.Pool.Exec(ctx, "ANALYZE")
	require.NoError(b, err)
	poster := "acc_seed" + prefix[len("job_seed"):len(prefix)-1] + "_3"
	filters := []ports.JobFilter{
		{State: job.Open},
		{State: job.Open, Category: "code"},
		{State: job.Open, MinBudget: 100_00, MaxBudget: 300_00},
		{State: job.Open, Terms: []string{"go"}},
		{State: job.Open, Category: "writing", Currency: "USD", MinBudget: 50_00, Terms: []string{"paper"}},
		{State: job.Open, Terms: []string{"parser", "TOML"}},
		{PosterID: poster},
		{State: job.Open, Limit: 20, After: prefix + "000010000"},
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		f := filters[i%len(filters)]
		i++
		start := time.Now()
		require.NoError(b, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			jobs, _, err := tx.Jobs().List(ctx, f)
			if err == nil && len(jobs) == 0 {
				err = fmt.Errorf("no jobs for %+v", f)
			}
			return err
		}))
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Microseconds()) }
	b.ReportMetric(pct(50), "p50-µs")
	b.ReportMetric(pct(99), "p99-µs")
}
