package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// listEvents lists every event in its own transaction.
func listEvents(t *testing.T, s ports.Store, after int64) []event.Event {
	t.Helper()
	var out []event.Event
	require.NoError(t, s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) (err error) {
		out, err = tx.Events().List(ctx, "acc_1", after, 0)
		return err
	}))
	return out
}

// TestListNeverSkipsALateCommit holds a transaction open after it appended an event while a
// younger one appends and commits: a reader must not be handed the younger event alone (it
// would page past the older one), and once the older commits the reader gets both, in order.
func TestListNeverSkipsALateCommit(t *testing.T) {
	s := pgtest.Store(t)
	const wait = 200 * time.Millisecond
	postgres.SetSettleWait(s, wait)
	ev := func(id string) event.Event {
		return event.Event{ID: id, Type: "job.test", JobID: "job_1", Accounts: []string{"acc_1"}, At: time.Now()}
	}
	appended, release, older := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	releaseOlder := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOlder) // a failing assertion must not leave the older transaction hanging
	go func() {
		older <- s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
			if err := tx.Events().Append(ctx, ev("ev_older")); err != nil {
				return err
			}
			// A read sends the queued append, which gives the transaction its ID.
			if _, err := tx.Events().List(ctx, "acc_1", 0, 0); err != nil {
				return err
			}
			close(appended)
			<-release
			return nil
		})
	}()
	<-appended
	require.NoError(t, s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		return tx.Events().Append(ctx, ev("ev_younger"))
	}))

	// While the older transaction runs, the younger event has not settled: a reader waits for it
	// (up to its bound) and then lists nothing rather than the younger event alone. (The older
	// is held briefly: while it runs, every feed on the server waits for it.)
	start := time.Now()
	require.Empty(t, listEvents(t, s, 0), "the younger event alone would let the reader skip the older")
	require.GreaterOrEqual(t, time.Since(start), wait, "the reader waited for the older transaction")

	// A reader that starts while the older transaction runs waits, and gets both once the older
	// commits.
	got := make(chan []event.Event, 1)
	go func() { got <- listEvents(t, s, 0) }()
	time.Sleep(100 * time.Millisecond)
	select {
	case early := <-got:
		require.Fail(t, "the reader did not wait for the older transaction", "it got %v", early)
	default:
	}
	releaseOlder()
	require.NoError(t, <-older)
	events := <-got
	require.Len(t, events, 2)
	require.Equal(t, "ev_older", events[0].ID)
	require.Equal(t, "ev_younger", events[1].ID)
	require.Less(t, events[0].Seq, events[1].Seq)
	require.Empty(t, listEvents(t, s, events[1].Seq))
}

// TestQueuedWriteFailureFailsTheCommit posts a credit and appends an event PostgreSQL refuses (a
// NUL byte in its type): both writes are queued, so the refusal comes at the commit, which
// fails, and nothing of the transaction is kept.
func TestQueuedWriteFailureFailsTheCommit(t *testing.T) {
	s := pgtest.Store(t)
	ctx := t.Context()
	wallet := ledger.Wallet("acc_1")
	topUp := func(ctx context.Context, tx ports.Tx) error {
		return tx.Ledger().Post(ctx, ledger.Entry{JobID: "job_1", At: time.Now(), Transfer: ledger.Transfer{
			From: ledger.ExternalStripe, To: wallet, Amount: money.Money{Amount: 10, Currency: "USD"}, Memo: "top-up"}})
	}
	require.NoError(t, s.WithinTx(ctx, topUp))
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := topUp(ctx, tx); err != nil {
			return err
		}
		return tx.Events().Append(ctx, event.Event{ID: "ev_1", Type: "job.\x00", Accounts: []string{"acc_1"}, At: time.Now()})
	})
	require.ErrorContains(t, err, "Events.Append")

	require.NoError(t, s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		bal, err := tx.Ledger().Balances(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(10), bal[ledger.Key{Account: wallet, Currency: "USD"}])
		require.Equal(t, int64(-10), bal[ledger.Key{Account: ledger.ExternalStripe, Currency: "USD"}])
		entries, err := tx.Ledger().Entries(ctx, wallet, 0, 0)
		require.NoError(t, err)
		require.Len(t, entries, 1, "the failed transaction left no entry")
		events, err := tx.Events().List(ctx, "", 0, 0)
		require.NoError(t, err)
		require.Empty(t, events)
		return nil
	}))
}
