package memory_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// The adapters implement their ports.
var (
	_ ports.Store    = (*memory.Store)(nil)
	_ ports.Clock    = (*memory.Clock)(nil)
	_ ports.Clock    = memory.SystemClock{}
	_ ports.IDs      = (*memory.IDs)(nil)
	_ ports.Payments = (*memory.Payments)(nil)
	_ ports.Mailer   = (*memory.Mailer)(nil)
	_ ports.Blobs    = (*memory.Blobs)(nil)
)

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	conformance.Store(t, func(*testing.T) ports.Store { return memory.NewStore() })
}

func TestPaymentsConformance(t *testing.T) {
	t.Parallel()
	conformance.Payments(t, func(*testing.T) ports.Payments { return memory.NewPayments() })
}

func TestMailerConformance(t *testing.T) {
	t.Parallel()
	conformance.Mailer(t, func(*testing.T) (ports.Mailer, func() []ports.Message) {
		m := memory.NewMailer(nil)
		return m, m.Messages
	})
}

func TestBlobsConformance(t *testing.T) {
	t.Parallel()
	conformance.Blobs(t, func(*testing.T) ports.Blobs { return memory.NewBlobs() })
}

func TestIDsConformance(t *testing.T) {
	t.Parallel()
	t.Run("Seeded", func(t *testing.T) {
		t.Parallel()
		conformance.IDs(t, func(*testing.T) ports.IDs { return memory.NewIDs(42) })
	})
	t.Run("ZeroValue", func(t *testing.T) {
		t.Parallel()
		conformance.IDs(t, func(*testing.T) ports.IDs { return &memory.IDs{} })
	})
}

// ---- Store extras ----

var t0 = time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)

func usd(a int64) money.Money { return money.Money{Amount: a, Currency: "USD"} }

func inTx(t *testing.T, s *memory.Store, fn func(ctx context.Context, tx ports.Tx)) {
	t.Helper()
	require.NoError(t, s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		fn(ctx, tx)
		return nil
	}))
}

func TestStoreTxUsedAfterReturnPanics(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	var kept ports.Tx
	inTx(t, s, func(_ context.Context, tx ports.Tx) { kept = tx })
	require.PanicsWithValue(t, "memory: Tx used after its WithinTx returned", func() {
		_, _ = kept.Jobs().Get(t.Context(), "job_1")
	})
	// Also after a rolled-back transaction.
	_ = s.WithinTx(t.Context(), func(_ context.Context, tx ports.Tx) error { kept = tx; return errors.New("no") })
	require.Panics(t, func() { _ = kept.Timers().Delete(t.Context(), "x") })
}

func TestStoreDoneContext(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.WithinTx(ctx, func(context.Context, ports.Tx) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)
}

func TestStoreSeqsAreDense(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	post := func(tx ports.Tx, ctx context.Context) error {
		return tx.Ledger().Post(ctx,
			ledger.Entry{Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet("a"), Amount: usd(5)}},
			ledger.Entry{Transfer: ledger.Transfer{From: ledger.Wallet("a"), To: ledger.Escrow("j"), Amount: usd(5)}})
	}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, post(tx, ctx))
		require.NoError(t, tx.Events().Append(ctx, event.Event{ID: "e1"}, event.Event{ID: "e2"}))
		require.NoError(t, tx.Audit().Append(ctx, event.Audit{Action: "a1"}))
	})
	// A rolled-back transaction leaves no gap.
	_ = s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		require.NoError(t, post(tx, ctx))
		require.NoError(t, tx.Events().Append(ctx, event.Event{ID: "rolled back"}))
		require.NoError(t, tx.Audit().Append(ctx, event.Audit{Action: "rolled back"}))
		return errors.New("roll back")
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, post(tx, ctx))
		require.NoError(t, tx.Events().Append(ctx, event.Event{ID: "e3"}))
		require.NoError(t, tx.Audit().Append(ctx, event.Audit{Action: "a2"}))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		es, err := tx.Ledger().Entries(ctx, "", 0, 0)
		require.NoError(t, err)
		for i, e := range es {
			require.Equal(t, int64(i+1), e.Seq)
		}
		require.Len(t, es, 4)
		evs, err := tx.Events().List(ctx, "", 0, 0)
		require.NoError(t, err)
		require.Equal(t, []int64{1, 2, 3}, []int64{evs[0].Seq, evs[1].Seq, evs[2].Seq})
		require.Equal(t, "e3", evs[2].ID)
		au, err := tx.Audit().List(ctx, 0, 0)
		require.NoError(t, err)
		require.Equal(t, []int64{1, 2}, []int64{au[0].Seq, au[1].Seq})
	})
}

// Updates that would break a uniqueness rule are refused like the creates.
func TestStoreUpdateUniqueness(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Create(ctx, &account.Account{ID: "a1", Email: "one@example.com"}))
		require.NoError(t, tx.Accounts().Create(ctx, &account.Account{ID: "a2", Email: "two@example.com"}))
		require.NoError(t, tx.Applications().Create(ctx, &job.Application{ID: "ap1", JobID: "j1", AgentID: "g1"}))
		require.NoError(t, tx.Applications().Create(ctx, &job.Application{ID: "ap2", JobID: "j1", AgentID: "g2"}))
		require.NoError(t, tx.Payouts().Create(ctx, &payout.Payout{ID: "p1", JobID: "j1", Recipient: "g1"}))
		require.NoError(t, tx.Payouts().Create(ctx, &payout.Payout{ID: "p2", JobID: "j1", Recipient: "g2"}))
	})
	update := func(fn func(ctx context.Context, tx ports.Tx) error) error {
		return s.WithinTx(t.Context(), fn)
	}
	require.ErrorIs(t, update(func(ctx context.Context, tx ports.Tx) error {
		return tx.Accounts().Update(ctx, &account.Account{ID: "a2", Email: "ONE@example.com"})
	}), ports.ErrConflict)
	require.ErrorIs(t, update(func(ctx context.Context, tx ports.Tx) error {
		return tx.Applications().Update(ctx, &job.Application{ID: "ap2", JobID: "j1", AgentID: "g1"})
	}), ports.ErrConflict)
	require.ErrorIs(t, update(func(ctx context.Context, tx ports.Tx) error {
		return tx.Payouts().Update(ctx, &payout.Payout{ID: "p2", JobID: "j1", Recipient: "g1"})
	}), ports.ErrConflict)

	// Moving an application to another job moves it between the jobs' lists, and frees its key.
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Applications().Update(ctx, &job.Application{ID: "ap1", JobID: "j2", AgentID: "g1"}))
		l1, err := tx.Applications().ListByJob(ctx, "j1")
		require.NoError(t, err)
		require.Len(t, l1, 1)
		require.Equal(t, "ap2", l1[0].ID)
		l2, err := tx.Applications().ListByJob(ctx, "j2")
		require.NoError(t, err)
		require.Len(t, l2, 1)
		require.NoError(t, tx.Applications().Create(ctx, &job.Application{ID: "ap3", JobID: "j1", AgentID: "g1"}))
	})
}

// Job IDs that do not arrive in order are still listed by descending ID.
func TestStoreJobsListOutOfOrderIDs(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for _, id := range []string{"job_c", "job_a", "job_e", "job_b", "job_d"} {
			require.NoError(t, tx.Jobs().Create(ctx, &job.Job{ID: id, Version: 1}))
		}
	})
	err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		require.NoError(t, tx.Jobs().Create(ctx, &job.Job{ID: "job_bb", Version: 1}))
		return errors.New("roll back")
	})
	require.Error(t, err)
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		jobs, next, err := tx.Jobs().List(ctx, ports.JobFilter{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, "job_c", next)
		require.Equal(t, []string{"job_e", "job_d", "job_c"}, []string{jobs[0].ID, jobs[1].ID, jobs[2].ID})
		jobs, next, err = tx.Jobs().List(ctx, ports.JobFilter{After: next})
		require.NoError(t, err)
		require.Empty(t, next)
		require.Equal(t, []string{"job_b", "job_a"}, []string{jobs[0].ID, jobs[1].ID})
	})
}

// ledger.Balances.Apply may leave a zero balance behind for an account it touched for the first
// time before refusing; Post removes it, so a refused post is invisible in Balances.
func TestStoreRefusedPostLeavesNoZeroBalances(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		err := tx.Ledger().Post(ctx,
			ledger.Entry{Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet("a"), Amount: usd(5)}},
			ledger.Entry{Transfer: ledger.Transfer{From: ledger.Wallet("b"), To: ledger.Wallet("a"), Amount: usd(5)}})
		require.ErrorIs(t, err, errs.ErrInsufficientFunds)
		b, err := tx.Ledger().Balances(ctx)
		require.NoError(t, err)
		require.Empty(t, b)
	})
}

func TestStoreTimersIgnoreMonotonicClock(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	now := time.Now()
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Timers().Schedule(ctx, ports.Timer{ID: "a", DueAt: now}))
		require.NoError(t, tx.Timers().Schedule(ctx, ports.Timer{ID: "b", DueAt: now.Round(0)}))
		due, err := tx.Timers().Due(ctx, now.Round(0), 0)
		require.NoError(t, err)
		require.Len(t, due, 2)
		require.Equal(t, "a", due[0].ID)
	})
}

// ---- Clock ----

func TestClock(t *testing.T) {
	t.Parallel()
	c := memory.NewClock(t0)
	require.Equal(t, t0, c.Now())
	require.Equal(t, t0, c.Now(), "it stands still")
	require.Equal(t, t0.Add(90*time.Minute), c.Advance(90*time.Minute))
	require.Equal(t, t0.Add(90*time.Minute), c.Now())
	c.Set(t0.Add(-time.Hour))
	require.Equal(t, t0.Add(-time.Hour), c.Now())

	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { c.Advance(time.Second); _ = c.Now() })
	}
	wg.Wait()
	require.Equal(t, t0.Add(-time.Hour+100*time.Second), c.Now())

	var zero memory.Clock
	require.True(t, zero.Now().IsZero())

	now := memory.SystemClock{}.Now()
	require.Equal(t, time.UTC, now.Location())
	require.WithinDuration(t, time.Now(), now, time.Minute)
}

// ---- IDs ----

func TestIDsDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := memory.NewIDs(7), memory.NewIDs(7), memory.NewIDs(8)
	var sa, sc []string
	for i := range 100 {
		p := []string{"job", "acc"}[i%2]
		x := a.New(p)
		require.Equal(t, x, b.New(p), "same seed, same IDs")
		sa = append(sa, x)
		sc = append(sc, c.New(p))
	}
	require.NotEqual(t, sa, sc, "another seed, other IDs")
	require.Len(t, sa[0], len("job_")+14)
	require.Equal(t, "job_0000000001", sa[0][:14])
	require.Equal(t, "acc_0000000002", sa[1][:14])
	require.Regexp(t, `^job_[0-9a-hjkmnp-tv-z]{14}$`, sa[0])
}

func TestIDsAllocs(t *testing.T) {
	g := memory.NewIDs(1)
	require.LessOrEqual(t, testing.AllocsPerRun(100, func() { _ = g.New("job") }), 1.0)
}

// ---- Payments ----

func TestPaymentsRecords(t *testing.T) {
	t.Parallel()
	p, ctx := memory.NewPayments(), t.Context()
	acct, err := p.CreateConnectedAccount(ctx, "acc_1", "a@example.com")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(acct, "acct_"), acct)
	_, err = p.CreateConnectedAccount(ctx, "acc_1", "a@example.com")
	require.NoError(t, err)
	require.Equal(t, []memory.ConnectedAccount{{AccountID: "acc_1", Email: "a@example.com", Ref: acct}}, p.ConnectedAccounts())
	link, err := p.OnboardingLink(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, "https://sandbox.agentgigs.local/onboarding/"+acct, link)
	_, err = p.OnboardingLink(ctx, "acct_unknown")
	require.ErrorIs(t, err, ports.ErrNotFound)

	cus, err := p.CreateCustomer(ctx, "acc_1", "a@example.com")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(cus, "cus_"), cus)
	payer := ports.Payer{AccountID: "acc_1", CustomerRef: cus}

	co, err := p.CreateCardPayment(ctx, "k1", usd(500), "job_1", payer)
	require.NoError(t, err)
	pi := co.Ref
	require.True(t, strings.HasPrefix(pi, "pi_"), pi)
	require.Equal(t, "https://sandbox.agentgigs.local/api/dev/jobs/job_1/card-payment/succeed", co.URL, "the sandbox checkout is the dev endpoint")
	_, err = p.CreateCardPayment(ctx, "k1", usd(500), "job_1", payer)
	require.NoError(t, err)
	require.NoError(t, p.CancelPaymentIntent(ctx, pi))
	require.NoError(t, p.CancelPaymentIntent(ctx, pi))
	require.ErrorIs(t, p.CancelPaymentIntent(ctx, "pi_unknown"), ports.ErrNotFound)
	require.Equal(t, []memory.IntentCall{{Key: "k1", Amount: usd(500), JobID: "job_1", Payer: payer, Ref: pi, URL: co.URL, Cancelled: true}}, p.Intents())
	saved := payer
	saved.CardRef = "pm_sandbox"
	off, err := p.CreateCardPayment(ctx, "k-off", usd(500), "job_3", saved)
	require.NoError(t, err)
	require.Empty(t, off.URL, "a saved card is charged with no human step")

	tu, err := p.CreateTopUp(ctx, "k1", usd(700), "tu_1", payer)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tu.Ref, "cs_"), tu.Ref)
	require.Equal(t, "https://sandbox.agentgigs.local/api/dev/top-ups/tu_1/succeed", tu.URL)
	require.Equal(t, []memory.TopUpCall{{Key: "k1", Amount: usd(700), TopUpID: "tu_1", AccountID: "acc_1", Ref: tu.Ref, URL: tu.URL}}, p.TopUps())

	setup, err := memory.NewSandboxPayments("http://127.0.0.1:8080/").CreateCardSetup(ctx, "k1", payer)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8080/api/dev/card-setup/succeed", setup.URL)

	tr, err := p.Transfer(ctx, "k1", usd(450), acct)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tr, "tr_"), tr)
	tr2, err := p.Transfer(ctx, "k1", usd(450), acct)
	require.NoError(t, err)
	require.Equal(t, tr, tr2)
	require.Equal(t, []memory.TransferCall{{Key: "k1", Amount: usd(450), Destination: acct, Ref: tr}}, p.Transfers(), "one effect per key")

	re, err := p.Refund(ctx, "k1", usd(500), pi)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(re, "re_"), re)
	require.Equal(t, []memory.RefundCall{{Key: "k1", Amount: usd(500), PaymentRef: pi, Ref: re}}, p.Refunds())

	// A key reused with other parameters is refused, as the real processor does.
	_, err = p.Transfer(ctx, "k1", usd(451), acct)
	require.ErrorIs(t, err, ports.ErrConflict)
	_, err = p.Refund(ctx, "k1", usd(500), "pi_other")
	require.ErrorIs(t, err, ports.ErrConflict)
	_, err = p.CreateCardPayment(ctx, "k1", usd(500), "job_2", payer)
	require.ErrorIs(t, err, ports.ErrConflict)
	_, err = p.CreateTopUp(ctx, "k1", usd(1), "tu_1", payer)
	require.ErrorIs(t, err, ports.ErrConflict)

	// Invalid calls.
	_, err = p.Transfer(ctx, "k2", usd(0), acct)
	require.Error(t, err)
	_, err = p.Transfer(ctx, "k2", usd(10), "")
	require.Error(t, err)
	_, err = p.Refund(ctx, "k2", usd(10), "")
	require.Error(t, err)
	require.Len(t, p.Transfers(), 1)

	// Inspectors return copies.
	p.Transfers()[0].Ref = "mutated"
	require.Equal(t, tr, p.Transfers()[0].Ref)
}

func TestPaymentsFailNext(t *testing.T) {
	t.Parallel()
	p, ctx := memory.NewPayments(), t.Context()
	boom := errors.New("card declined")
	p.FailNext(memory.OpTransfer, 2, nil)
	p.FailNext("transfer", 1, boom)

	_, err := p.Transfer(ctx, "payout-1", usd(100), "acct_x")
	require.ErrorIs(t, err, ports.ErrUnavailable)
	_, err = p.Transfer(ctx, "payout-1", usd(100), "acct_x")
	require.ErrorIs(t, err, ports.ErrUnavailable)
	_, err = p.Transfer(ctx, "payout-1", usd(100), "acct_x")
	require.ErrorIs(t, err, boom)
	require.Empty(t, p.Transfers(), "failed calls record nothing")

	ref, err := p.Transfer(ctx, "payout-1", usd(100), "acct_x")
	require.NoError(t, err, "the same key succeeds on retry")
	require.Len(t, p.Transfers(), 1)
	require.Equal(t, ref, p.Transfers()[0].Ref)

	// Each operation has its own queue.
	for _, op := range []string{memory.OpConnect, memory.OpLink, memory.OpCustomer, memory.OpIntent, memory.OpCancel, memory.OpTopUp, memory.OpSetup, memory.OpRefund} {
		p.FailNext(op, 1, nil)
	}
	_, err = p.CreateConnectedAccount(ctx, "acc_1", "a@example.com")
	require.ErrorIs(t, err, ports.ErrUnavailable)
	acct, err := p.CreateConnectedAccount(ctx, "acc_1", "a@example.com")
	require.NoError(t, err)
	_, err = p.OnboardingLink(ctx, acct)
	require.ErrorIs(t, err, ports.ErrUnavailable)
	_, err = p.CreateCustomer(ctx, "acc_1", "a@example.com")
	require.ErrorIs(t, err, ports.ErrUnavailable)
	payer := ports.Payer{AccountID: "acc_1", CustomerRef: "cus_1"}
	_, err = p.CreateCardSetup(ctx, "k", payer)
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.Empty(t, p.Setups())
	_, err = p.CreateCardPayment(ctx, "k", usd(1), "job_1", payer)
	require.ErrorIs(t, err, ports.ErrUnavailable)
	co, err := p.CreateCardPayment(ctx, "k", usd(1), "job_1", payer)
	require.NoError(t, err)
	pi := co.Ref
	require.ErrorIs(t, p.CancelPaymentIntent(ctx, pi), ports.ErrUnavailable)
	require.False(t, p.Intents()[0].Cancelled)
	_, err = p.CreateTopUp(ctx, "k", usd(1), "tu_1", payer)
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.Empty(t, p.TopUps())
	_, err = p.Refund(ctx, "k", usd(1), pi)
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.Empty(t, p.Refunds())
	require.Len(t, p.ConnectedAccounts(), 1)

	require.Panics(t, func() { p.FailNext("teleport", 1, nil) })
}

// ---- Mailer ----

func TestMailerInbox(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	m, ctx := memory.NewMailer(&out), t.Context()
	require.NoError(t, m.Send(ctx, ports.Message{To: "Ann@example.com", Subject: "Verify", Text: "Open https://x/verify?t=1\n"}))
	require.NoError(t, m.Send(ctx, ports.Message{To: "bob@example.com", Subject: "Hello", Text: "hi"}))
	require.NoError(t, m.Send(ctx, ports.Message{To: "ann@example.com", ToName: "Ann", Subject: "Paid", Text: "paid", HTML: "<p>paid</p>"}))

	require.Len(t, m.Messages(), 3)
	last, ok := m.Last("ANN@example.com")
	require.True(t, ok)
	require.Equal(t, "Paid", last.Subject)
	_, ok = m.Last("nobody@example.com")
	require.False(t, ok)

	printed := out.String()
	require.Contains(t, printed, "To:      Ann@example.com\nSubject: Verify\n\nOpen https://x/verify?t=1\n")
	require.Contains(t, printed, "mail #3")
	require.Contains(t, printed, "To:      Ann <ann@example.com>\nSubject: Paid\n\npaid\n(and an HTML version of 11 bytes)\n")

	m.FailNext(2)
	for range 2 {
		require.ErrorIs(t, m.Send(ctx, ports.Message{To: "c@example.com", Subject: "lost"}), ports.ErrUnavailable)
	}
	require.NoError(t, m.Send(ctx, ports.Message{To: "c@example.com", Subject: "kept"}))
	require.Len(t, m.Messages(), 4)
	require.NotContains(t, out.String(), "lost")

	var zero memory.Mailer
	require.NoError(t, zero.Send(ctx, ports.Message{To: "z@example.com"}))
	require.Len(t, zero.Messages(), 1)
}

// ---- Blobs ----

func TestBlobsStoreNothingWhenRefused(t *testing.T) {
	t.Parallel()
	b, ctx := memory.NewBlobs(), t.Context()
	_, err := b.Put(ctx, strings.NewReader("12345"), 4)
	require.ErrorIs(t, err, ports.ErrTooLarge)
	_, err = b.Put(ctx, io.MultiReader(strings.NewReader("ab"), errReader{}), 4)
	require.Error(t, err)
	require.Zero(t, b.Len())

	info, err := b.Put(ctx, strings.NewReader("1234"), 4)
	require.NoError(t, err)
	require.Equal(t, "blob_03ac674216f3_1", info.Key, "blob_<sha prefix>_<n>")
	require.Equal(t, 1, b.Len())
	_, err = b.Put(ctx, strings.NewReader(""), -1)
	require.NoError(t, err, "a negative limit counts as 0")
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

// Logs are stored in chunks; paging, per-account reads and rollbacks work across their borders.
func TestStoreLogsAcrossChunks(t *testing.T) {
	t.Parallel()
	s := memory.NewStore()
	const n = 1300
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for i := range n {
			acc := []string{"a", "b"}[i%2]
			require.NoError(t, tx.Events().Append(ctx, event.Event{ID: "e", Accounts: []string{acc}}))
			require.NoError(t, tx.Audit().Append(ctx, event.Audit{Action: "x"}))
			require.NoError(t, tx.Ledger().Post(ctx, ledger.Entry{Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet(acc), Amount: usd(1)}}))
		}
	})
	// Roll back appends that cross a chunk border (1300 -> 1600 crosses 1536).
	err := s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		for range 300 {
			require.NoError(t, tx.Events().Append(ctx, event.Event{ID: "rolled back", Accounts: []string{"a"}}))
			require.NoError(t, tx.Audit().Append(ctx, event.Audit{Action: "rolled back"}))
			require.NoError(t, tx.Ledger().Post(ctx, ledger.Entry{Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet("a"), Amount: usd(1)}}))
		}
		return errors.New("roll back")
	})
	require.Error(t, err)
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for _, c := range []struct {
			after int64
			limit int
		}{{0, 0}, {0, 600}, {500, 30}, {511, 2}, {512, 0}, {1000, 100}, {1023, 1}, {1299, 0}, {1300, 0}, {2000, 0}} {
			want := int(max(0, min(int64(n)-c.after, int64(n))))
			if c.limit > 0 {
				want = min(want, c.limit)
			}
			evs, err := tx.Events().List(ctx, "", c.after, c.limit)
			require.NoError(t, err)
			require.Len(t, evs, want, "%+v", c)
			au, err := tx.Audit().List(ctx, c.after, c.limit)
			require.NoError(t, err)
			require.Len(t, au, want, "%+v", c)
			es, err := tx.Ledger().Entries(ctx, "", c.after, c.limit)
			require.NoError(t, err)
			require.Len(t, es, want, "%+v", c)
			for i := range want {
				require.Equal(t, c.after+int64(i)+1, evs[i].Seq)
				require.Equal(t, c.after+int64(i)+1, au[i].Seq)
				require.Equal(t, c.after+int64(i)+1, es[i].Seq)
			}
		}
		evs, err := tx.Events().List(ctx, "a", 1000, 0)
		require.NoError(t, err)
		require.Len(t, evs, 150)
		for _, e := range evs {
			require.Equal(t, []string{"a"}, e.Accounts)
			require.Equal(t, int64(1), e.Seq%2)
		}
		es, err := tx.Ledger().Entries(ctx, ledger.Wallet("b"), 0, 0)
		require.NoError(t, err)
		require.Len(t, es, n/2)
		bal, err := tx.Ledger().Balance(ctx, ledger.Wallet("a"), "USD")
		require.NoError(t, err)
		require.Equal(t, int64(n/2), bal)
	})
}
