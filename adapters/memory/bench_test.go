package memory_test

import (
	"context"
	"testing"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/ports"
)

// BenchmarkStoreTx measures one typical use-case transaction: read a job, write it back with the
// next version, post a ledger entry and append an event.
func BenchmarkStoreTx(b *testing.B) {
	s := memory.NewStore()
	ctx := b.Context()
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		j := &job.Job{ID: "job_1", PosterID: "acc_1", Title: "Bench", Tags: []string{"go"}, Budget: usd(1000), State: job.Open, Version: 1}
		return tx.Jobs().Create(ctx, j)
	})
	if err != nil {
		b.Fatal(err)
	}
	e := ledger.Entry{JobID: "job_1", At: t0, Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet("acc_1"), Amount: usd(1), Memo: "bench"}}
	ev := event.Event{ID: "ev", Type: "job.updated", JobID: "job_1", Accounts: []string{"acc_1", "acc_2"}, Data: map[string]string{"state": "open"}, At: t0}
	fn := func(ctx context.Context, tx ports.Tx) error {
		j, err := tx.Jobs().Get(ctx, "job_1")
		if err != nil {
			return err
		}
		j.Version++
		if err := tx.Jobs().Update(ctx, j); err != nil {
			return err
		}
		if err := tx.Ledger().Post(ctx, e); err != nil {
			return err
		}
		return tx.Events().Append(ctx, ev)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.WithinTx(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}
