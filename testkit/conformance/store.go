package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
)

// Store runs the conformance suite of ports.Store: transactions (commit, rollback on error and on
// panic, across every repository), not-found and uniqueness outcomes, job versions, copy
// semantics, every field of every keyed record surviving a write, job listing, the ledger's
// balance rules, the event and audit logs, timers, API keys, webhook endpoints and deliveries,
// idempotency records, processor events, and concurrent read-modify-write transactions. newStore must return an empty store.
func Store(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("Tx", func(t *testing.T) {
		t.Parallel()
		storeTx(t, newStore)
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		storeNotFound(t, newStore(t))
	})
	t.Run("Uniqueness", func(t *testing.T) {
		t.Parallel()
		storeUniqueness(t, newStore)
	})
	t.Run("JobVersion", func(t *testing.T) {
		t.Parallel()
		storeJobVersion(t, newStore(t))
	})
	t.Run("Copies", func(t *testing.T) {
		t.Parallel()
		storeCopies(t, newStore)
	})
	t.Run("EveryFieldRoundTrips", func(t *testing.T) {
		t.Parallel()
		storeFields(t, newStore(t))
	})
	t.Run("Accounts", func(t *testing.T) {
		t.Parallel()
		storeAccounts(t, newStore(t))
	})
	t.Run("JobsList", func(t *testing.T) {
		t.Parallel()
		storeJobsList(t, newStore)
	})
	t.Run("Applications", func(t *testing.T) {
		t.Parallel()
		storeApplications(t, newStore(t))
	})
	t.Run("Payouts", func(t *testing.T) {
		t.Parallel()
		storePayouts(t, newStore(t))
	})
	t.Run("TopUps", func(t *testing.T) {
		t.Parallel()
		storeTopUps(t, newStore(t))
	})
	t.Run("Tasks", func(t *testing.T) {
		t.Parallel()
		storeTasks(t, newStore(t))
	})
	t.Run("Reviews", func(t *testing.T) {
		t.Parallel()
		storeReviews(t, newStore(t))
	})
	t.Run("Ledger", func(t *testing.T) {
		t.Parallel()
		storeLedger(t, newStore)
	})
	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		storeEvents(t, newStore(t))
	})
	t.Run("Audit", func(t *testing.T) {
		t.Parallel()
		storeAudit(t, newStore(t))
	})
	t.Run("Timers", func(t *testing.T) {
		t.Parallel()
		storeTimers(t, newStore(t))
	})
	t.Run("APIKeys", func(t *testing.T) {
		t.Parallel()
		storeAPIKeys(t, newStore(t))
	})
	t.Run("Webhooks", func(t *testing.T) {
		t.Parallel()
		storeWebhooks(t, newStore(t))
	})
	t.Run("Idempotency", func(t *testing.T) {
		t.Parallel()
		storeIdempotency(t, newStore(t))
	})
	t.Run("ProcessorEvents", func(t *testing.T) {
		t.Parallel()
		storeProcessorEvents(t, newStore(t))
	})
	t.Run("Concurrency", func(t *testing.T) {
		t.Parallel()
		storeConcurrency(t, newStore)
	})
}

// ---- transactions ----

// The records seedAll and writeAll touch.
var (
	snapAccounts = []string{"acc_1", "acc_2", "acc_3"}
	snapEmails   = []string{"poster@example.com", "agent@example.com", "third@example.com", "renamed@example.com"}
	snapJobs     = []string{"job_1", "job_2"}
	snapApps     = []string{"app_1", "app_2"}
	snapPayouts  = []string{"po_1", "po_2"}
	snapTopUps   = []string{"tu_1", "tu_2"}
	snapTasks    = []string{"tk_1", "tk_2"}
	snapPeople   = []string{"acc_1", "acc_2", "acc_3"}
	snapLedger   = []ledger.Account{ledger.Wallet("acc_1"), ledger.Escrow("job_1"), ledger.Pending("acc_2"), ledger.Wallet("acc_3")}
)

// snapshot is everything a reader can observe of the records seedAll and writeAll touch.
type snapshot struct {
	Accounts         map[string]*account.Account
	Emails           map[string]*account.Account
	Jobs             map[string]*job.Job
	JobList          []*job.Job
	Apps             map[string]*job.Application
	AppsByJob        map[string][]*job.Application
	Payouts          map[string]*payout.Payout
	PayoutsByJob     map[string][]*payout.Payout
	TopUps           map[string]*payout.TopUp
	Tasks            map[string]*proof.Task
	TasksByJob       map[string][]*proof.Task
	OpenTasks        []*proof.Task
	ReviewsByJob     map[string][]*review.Review
	ReviewsBySubject map[string][]*review.Review
	Balance          map[ledger.Account]int64
	Balances         ledger.Balances
	Entries          []ledger.Entry
	EntriesBy        map[ledger.Account][]ledger.Entry
	Events           []event.Event
	EventsFor        map[string][]event.Event
	Audit            []event.Audit
	Timers           []ports.Timer
}

func takeSnapshot(t *testing.T, s ports.Store) snapshot {
	t.Helper()
	sn := snapshot{
		Accounts: map[string]*account.Account{}, Emails: map[string]*account.Account{},
		Jobs: map[string]*job.Job{}, Apps: map[string]*job.Application{}, AppsByJob: map[string][]*job.Application{},
		Payouts: map[string]*payout.Payout{}, PayoutsByJob: map[string][]*payout.Payout{}, TopUps: map[string]*payout.TopUp{},
		Tasks: map[string]*proof.Task{}, TasksByJob: map[string][]*proof.Task{},
		ReviewsByJob: map[string][]*review.Review{}, ReviewsBySubject: map[string][]*review.Review{},
		Balance: map[ledger.Account]int64{}, EntriesBy: map[ledger.Account][]ledger.Entry{}, EventsFor: map[string][]event.Event{},
	}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for _, id := range snapAccounts {
			sn.Accounts[id] = orNil(tx.Accounts().Get(ctx, id))(t)
		}
		for _, e := range snapEmails {
			sn.Emails[e] = orNil(tx.Accounts().GetByEmail(ctx, e))(t)
		}
		for _, id := range snapJobs {
			sn.Jobs[id] = orNil(tx.Jobs().Get(ctx, id))(t)
			sn.AppsByJob[id] = must(tx.Applications().ListByJob(ctx, id))(t)
			sn.PayoutsByJob[id] = must(tx.Payouts().ListByJob(ctx, id))(t)
			sn.TasksByJob[id] = must(tx.Tasks().ListByJob(ctx, id))(t)
			sn.ReviewsByJob[id] = must(tx.Reviews().ListByJob(ctx, id))(t)
		}
		jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{})
		sn.JobList = must(jobs, err)(t)
		for _, id := range snapApps {
			sn.Apps[id] = orNil(tx.Applications().Get(ctx, id))(t)
		}
		for _, id := range snapPayouts {
			sn.Payouts[id] = orNil(tx.Payouts().Get(ctx, id))(t)
		}
		for _, id := range snapTopUps {
			sn.TopUps[id] = orNil(tx.TopUps().Get(ctx, id))(t)
		}
		for _, id := range snapTasks {
			sn.Tasks[id] = orNil(tx.Tasks().Get(ctx, id))(t)
		}
		sn.OpenTasks = must(tx.Tasks().ListOpen(ctx, 0))(t)
		for _, id := range snapPeople {
			sn.ReviewsBySubject[id] = must(tx.Reviews().ListBySubject(ctx, id))(t)
			sn.EventsFor[id] = must(tx.Events().List(ctx, id, 0, 0))(t)
		}
		for _, a := range snapLedger {
			sn.Balance[a] = must(tx.Ledger().Balance(ctx, a, usd))(t)
			sn.EntriesBy[a] = must(tx.Ledger().Entries(ctx, a, 0, 0))(t)
		}
		sn.Balances = must(tx.Ledger().Balances(ctx))(t)
		sn.Entries = must(tx.Ledger().Entries(ctx, "", 0, 0))(t)
		sn.Events = must(tx.Events().List(ctx, "", 0, 0))(t)
		sn.Audit = must(tx.Audit().List(ctx, 0, 0))(t)
		sn.Timers = must(tx.Timers().Due(ctx, at(1000*time.Hour), 0))(t)
	})
	return sn
}

// seedAll writes one record of every kind.
func seedAll(t *testing.T, ctx context.Context, tx ports.Tx) {
	require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_1", "Poster@Example.com")))
	require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_2", "agent@example.com")))
	require.NoError(t, tx.Jobs().Create(ctx, newJob("job_1", "acc_1")))
	require.NoError(t, tx.Applications().Create(ctx, newApp("app_1", "job_1", "acc_2")))
	require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_1", "job_1", "acc_2")))
	require.NoError(t, tx.TopUps().Create(ctx, newTopUp("tu_1", "acc_1")))
	require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_1", "job_1", proof.TaskOpen)))
	require.NoError(t, tx.Reviews().Create(ctx, newReview("job_1", "acc_1", "acc_2", 5)))
	require.NoError(t, tx.Ledger().Post(ctx,
		entry(ledger.ExternalStripe, ledger.Wallet("acc_1"), 10000, "top-up"),
		entry(ledger.Wallet("acc_1"), ledger.Escrow("job_1"), 4000, "fund")))
	require.NoError(t, tx.Events().Append(ctx, newEvent("ev_1", "acc_1"), newEvent("ev_2", "acc_1", "acc_2")))
	require.NoError(t, tx.Audit().Append(ctx, newAudit("hold")))
	require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_1", at(time.Hour))))
	require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_2", at(2*time.Hour))))
}

// writeAll creates, updates and deletes records of every kind on top of seedAll, and checks that
// the transaction reads its own writes.
func writeAll(t *testing.T, ctx context.Context, tx ports.Tx) {
	require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_3", "third@example.com")))
	a := must(tx.Accounts().Get(ctx, "acc_1"))(t)
	a.Name, a.Email = "Renamed", "renamed@example.com"
	require.NoError(t, tx.Accounts().Update(ctx, a))

	require.NoError(t, tx.Jobs().Create(ctx, newJob("job_2", "acc_3")))
	j := must(tx.Jobs().Get(ctx, "job_1"))(t)
	j.Version++
	j.State, j.AgentID = job.InProgress, "acc_2"
	require.NoError(t, tx.Jobs().Update(ctx, j))

	require.NoError(t, tx.Applications().Create(ctx, newApp("app_2", "job_1", "acc_3")))
	app := must(tx.Applications().Get(ctx, "app_1"))(t)
	app.Status = job.AppAccepted
	require.NoError(t, tx.Applications().Update(ctx, app))

	require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_2", "job_1", "acc_3")))
	p := must(tx.Payouts().Get(ctx, "po_1"))(t)
	p.Status, p.Attempts, p.Ref = payout.Paid, 1, "tr_1"
	require.NoError(t, tx.Payouts().Update(ctx, p))

	require.NoError(t, tx.TopUps().Create(ctx, newTopUp("tu_2", "acc_3")))
	tu := must(tx.TopUps().Get(ctx, "tu_1"))(t)
	tu.Status = payout.TopUpSucceeded
	require.NoError(t, tx.TopUps().Update(ctx, tu))

	require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_2", "job_2", proof.TaskOpen)))
	tk := must(tx.Tasks().Get(ctx, "tk_1"))(t)
	tk.Status, tk.ProoferID, tk.ClaimedAt = proof.TaskClaimed, "acc_3", at(time.Minute)
	require.NoError(t, tx.Tasks().Update(ctx, tk))

	require.NoError(t, tx.Reviews().Create(ctx, newReview("job_1", "acc_2", "acc_1", 4)))

	require.NoError(t, tx.Ledger().Post(ctx,
		entry(ledger.Escrow("job_1"), ledger.Pending("acc_2"), 3600, "release"),
		entry(ledger.Escrow("job_1"), ledger.PlatformFees, 400, "fee")))
	require.NoError(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, ledger.Wallet("acc_3"), 500, "top-up")))

	require.NoError(t, tx.Events().Append(ctx, newEvent("ev_3", "acc_2"), newEvent("ev_4", "acc_3")))
	require.NoError(t, tx.Audit().Append(ctx, newAudit("release")))

	require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_3", at(30*time.Minute))))
	replaced := newTimer("tm_1", at(3*time.Hour))
	replaced.Action = job.ActAutoApprove
	require.NoError(t, tx.Timers().Schedule(ctx, replaced))
	require.NoError(t, tx.Timers().Delete(ctx, "tm_2"))

	// The transaction reads its own writes.
	require.Equal(t, "acc_3", must(tx.Accounts().Get(ctx, "acc_3"))(t).ID)
	require.Equal(t, "acc_1", must(tx.Accounts().GetByEmail(ctx, "RENAMED@example.com"))(t).ID)
	_, err := tx.Accounts().GetByEmail(ctx, "poster@example.com")
	require.ErrorIs(t, err, ports.ErrNotFound)
	require.Equal(t, job.InProgress, must(tx.Jobs().Get(ctx, "job_1"))(t).State)
	jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{AgentID: "acc_2"})
	require.Equal(t, []string{"job_1"}, jobIDs(must(jobs, err)(t)))
	require.Len(t, must(tx.Applications().ListByJob(ctx, "job_1"))(t), 2)
	require.Len(t, must(tx.Payouts().ListByJob(ctx, "job_1"))(t), 2)
	require.Equal(t, payout.TopUpSucceeded, must(tx.TopUps().Get(ctx, "tu_1"))(t).Status)
	require.Equal(t, []string{"tk_2"}, taskIDs(must(tx.Tasks().ListOpen(ctx, 0))(t)))
	require.Len(t, must(tx.Reviews().ListByJob(ctx, "job_1"))(t), 2)
	require.Equal(t, int64(3600), must(tx.Ledger().Balance(ctx, ledger.Pending("acc_2"), usd))(t))
	require.Len(t, must(tx.Ledger().Entries(ctx, "", 0, 0))(t), 5)
	require.Equal(t, []string{"ev_1", "ev_2", "ev_3", "ev_4"}, eventIDs(must(tx.Events().List(ctx, "", 0, 0))(t)))
	require.Len(t, must(tx.Audit().List(ctx, 0, 0))(t), 2)
	require.Equal(t, []string{"tm_3", "tm_1"}, timerIDs(must(tx.Timers().Due(ctx, at(10*time.Hour), 0))(t)))
}

var errRollback = errors.New("conformance: roll back")

func storeTx(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("CommitMakesEveryWriteVisible", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { seedAll(t, ctx, tx) })
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { writeAll(t, ctx, tx) })
		sn := takeSnapshot(t, s)

		require.Equal(t, "Renamed", sn.Accounts["acc_1"].Name)
		require.NotNil(t, sn.Accounts["acc_3"])
		require.Nil(t, sn.Emails["poster@example.com"])
		require.Equal(t, "acc_1", sn.Emails["renamed@example.com"].ID)
		require.Equal(t, "acc_3", sn.Emails["third@example.com"].ID)
		require.Equal(t, job.InProgress, sn.Jobs["job_1"].State)
		require.Equal(t, int64(2), sn.Jobs["job_1"].Version)
		require.Equal(t, []string{"job_2", "job_1"}, jobIDs(sn.JobList))
		require.Equal(t, job.AppAccepted, sn.Apps["app_1"].Status)
		require.NotNil(t, sn.Apps["app_2"])
		require.Equal(t, payout.Paid, sn.Payouts["po_1"].Status)
		require.NotNil(t, sn.Payouts["po_2"])
		require.Equal(t, payout.TopUpSucceeded, sn.TopUps["tu_1"].Status)
		require.NotNil(t, sn.TopUps["tu_2"])
		require.Equal(t, proof.TaskClaimed, sn.Tasks["tk_1"].Status)
		require.Equal(t, []string{"tk_2"}, taskIDs(sn.OpenTasks))
		require.Len(t, sn.ReviewsByJob["job_1"], 2)
		require.Equal(t, int64(6000), sn.Balance[ledger.Wallet("acc_1")])
		require.Equal(t, int64(0), sn.Balance[ledger.Escrow("job_1")])
		require.Equal(t, int64(3600), sn.Balance[ledger.Pending("acc_2")])
		require.Equal(t, int64(500), sn.Balance[ledger.Wallet("acc_3")])
		require.Empty(t, ledger.Check(sn.Balances))
		require.Len(t, sn.Entries, 5)
		require.Equal(t, []string{"ev_1", "ev_2", "ev_3", "ev_4"}, eventIDs(sn.Events))
		require.Equal(t, []string{"ev_4"}, eventIDs(sn.EventsFor["acc_3"]))
		require.Len(t, sn.Audit, 2)
		require.Equal(t, []string{"tm_3", "tm_1"}, timerIDs(sn.Timers))
		require.Equal(t, job.ActAutoApprove, sn.Timers[1].Action)
	})

	t.Run("ErrorRollsBackEveryWrite", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { seedAll(t, ctx, tx) })
		before := takeSnapshot(t, s)

		wrapped := fmt.Errorf("use case failed: %w", errRollback)
		err := txErr(t, s, func(ctx context.Context, tx ports.Tx) error {
			writeAll(t, ctx, tx)
			return wrapped
		})
		require.ErrorIs(t, err, errRollback, "WithinTx passes fn's error on")
		require.Equal(t, before, takeSnapshot(t, s))
	})

	t.Run("PanicRollsBackEveryWriteAndRepanics", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { seedAll(t, ctx, tx) })
		before := takeSnapshot(t, s)

		require.PanicsWithValue(t, "conformance: boom", func() {
			_ = s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
				writeAll(t, ctx, tx)
				panic("conformance: boom")
			})
		})
		require.Equal(t, before, takeSnapshot(t, s))
	})

	t.Run("RollbackOfFirstWritesLeavesEmptyStore", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		empty := takeSnapshot(t, s)
		err := txErr(t, s, func(ctx context.Context, tx ports.Tx) error {
			seedAll(t, ctx, tx)
			writeAll(t, ctx, tx)
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		require.Equal(t, empty, takeSnapshot(t, s))

		// And the same writes succeed afterwards: nothing of the rolled-back ones lingers.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { seedAll(t, ctx, tx) })
	})

	t.Run("EmptyTx", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(context.Context, ports.Tx) {})
		require.ErrorIs(t, txErr(t, s, func(context.Context, ports.Tx) error { return errRollback }), errRollback)
	})
}

// ---- not found ----

func storeNotFound(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		nf := func(err error, what string) { t.Helper(); require.ErrorIs(t, err, ports.ErrNotFound, what) }
		var err error
		_, err = tx.Accounts().Get(ctx, "acc_x")
		nf(err, "Accounts.Get")
		_, err = tx.Accounts().GetByEmail(ctx, "nobody@example.com")
		nf(err, "Accounts.GetByEmail")
		nf(tx.Accounts().Update(ctx, newAccount("acc_x", "x@example.com")), "Accounts.Update")
		_, err = tx.Jobs().Get(ctx, "job_x")
		nf(err, "Jobs.Get")
		j := newJob("job_x", "acc_x")
		j.Version = 2
		nf(tx.Jobs().Update(ctx, j), "Jobs.Update")
		_, err = tx.Applications().Get(ctx, "app_x")
		nf(err, "Applications.Get")
		nf(tx.Applications().Update(ctx, newApp("app_x", "job_x", "acc_x")), "Applications.Update")
		_, err = tx.Payouts().Get(ctx, "po_x")
		nf(err, "Payouts.Get")
		nf(tx.Payouts().Update(ctx, newPayout("po_x", "job_x", "acc_x")), "Payouts.Update")
		_, err = tx.TopUps().Get(ctx, "tu_x")
		nf(err, "TopUps.Get")
		nf(tx.TopUps().Update(ctx, newTopUp("tu_x", "acc_x")), "TopUps.Update")
		_, err = tx.Tasks().Get(ctx, "tk_x")
		nf(err, "Tasks.Get")
		nf(tx.Tasks().Update(ctx, newTask("tk_x", "job_x", proof.TaskOpen)), "Tasks.Update")

		// A refused update creates nothing.
		_, err = tx.Accounts().Get(ctx, "acc_x")
		nf(err, "Accounts.Get after a refused Update")
		_, err = tx.Jobs().Get(ctx, "job_x")
		nf(err, "Jobs.Get after a refused Update")

		// Lists of nothing are empty, not errors.
		require.Empty(t, must(tx.Applications().ListByJob(ctx, "job_x"))(t))
		require.Empty(t, must(tx.Payouts().ListByJob(ctx, "job_x"))(t))
		require.Empty(t, must(tx.Tasks().ListByJob(ctx, "job_x"))(t))
		require.Empty(t, must(tx.Tasks().ListOpen(ctx, 0))(t))
		require.Empty(t, must(tx.Reviews().ListByJob(ctx, "job_x"))(t))
		require.Empty(t, must(tx.Reviews().ListBySubject(ctx, "acc_x"))(t))
		jobs, next, err := tx.Jobs().List(ctx, ports.JobFilter{})
		require.NoError(t, err)
		require.Empty(t, jobs)
		require.Empty(t, next)
		require.Zero(t, must(tx.Ledger().Balance(ctx, ledger.Wallet("acc_x"), usd))(t))
		require.Empty(t, must(tx.Ledger().Balances(ctx))(t))
		require.Empty(t, must(tx.Ledger().Entries(ctx, "", 0, 0))(t))
		require.Empty(t, must(tx.Events().List(ctx, "", 0, 0))(t))
		require.Empty(t, must(tx.Audit().List(ctx, 0, 0))(t))
		require.Empty(t, must(tx.Timers().Due(ctx, at(1000*time.Hour), 0))(t))
	})
}

// ---- uniqueness ----

func storeUniqueness(t *testing.T, newStore func(t *testing.T) ports.Store) {
	seed := func(t *testing.T, ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_1", "Alice@Example.com")))
		require.NoError(t, tx.Jobs().Create(ctx, newJob("job_1", "acc_1")))
		require.NoError(t, tx.Applications().Create(ctx, newApp("app_1", "job_1", "agt_1")))
		require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_1", "job_1", "agt_1")))
		require.NoError(t, tx.TopUps().Create(ctx, newTopUp("tu_1", "acc_1")))
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_1", "job_1", proof.TaskOpen)))
		require.NoError(t, tx.Reviews().Create(ctx, newReview("job_1", "acc_1", "agt_1", 5)))
	}
	cases := []struct {
		name  string
		write func(ctx context.Context, tx ports.Tx) error
		check func(t *testing.T, ctx context.Context, tx ports.Tx) // the original is unchanged
	}{
		{"AccountID", func(ctx context.Context, tx ports.Tx) error {
			return tx.Accounts().Create(ctx, newAccount("acc_1", "other@example.com"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			a := must(tx.Accounts().Get(ctx, "acc_1"))(t)
			require.Equal(t, "Alice@Example.com", a.Email)
			_, err := tx.Accounts().GetByEmail(ctx, "other@example.com")
			require.ErrorIs(t, err, ports.ErrNotFound)
		}},
		{"AccountEmailCaseInsensitive", func(ctx context.Context, tx ports.Tx) error {
			return tx.Accounts().Create(ctx, newAccount("acc_2", "aLICE@example.COM"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			_, err := tx.Accounts().Get(ctx, "acc_2")
			require.ErrorIs(t, err, ports.ErrNotFound)
			require.Equal(t, "acc_1", must(tx.Accounts().GetByEmail(ctx, "alice@example.com"))(t).ID)
		}},
		{"JobID", func(ctx context.Context, tx ports.Tx) error {
			j := newJob("job_1", "acc_2")
			j.Title = "Other"
			return tx.Jobs().Create(ctx, j)
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, newJob("job_1", "acc_1"), must(tx.Jobs().Get(ctx, "job_1"))(t))
		}},
		{"ApplicationID", func(ctx context.Context, tx ports.Tx) error {
			return tx.Applications().Create(ctx, newApp("app_1", "job_2", "agt_2"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, newApp("app_1", "job_1", "agt_1"), must(tx.Applications().Get(ctx, "app_1"))(t))
			require.Empty(t, must(tx.Applications().ListByJob(ctx, "job_2"))(t))
		}},
		{"ApplicationPerJobAndAgent", func(ctx context.Context, tx ports.Tx) error {
			return tx.Applications().Create(ctx, newApp("app_2", "job_1", "agt_1"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			_, err := tx.Applications().Get(ctx, "app_2")
			require.ErrorIs(t, err, ports.ErrNotFound)
			require.Len(t, must(tx.Applications().ListByJob(ctx, "job_1"))(t), 1)
		}},
		{"PayoutID", func(ctx context.Context, tx ports.Tx) error {
			return tx.Payouts().Create(ctx, newPayout("po_1", "job_2", "agt_2"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, newPayout("po_1", "job_1", "agt_1"), must(tx.Payouts().Get(ctx, "po_1"))(t))
			require.Empty(t, must(tx.Payouts().ListByJob(ctx, "job_2"))(t))
		}},
		{"PayoutPerJobAndRecipient", func(ctx context.Context, tx ports.Tx) error {
			return tx.Payouts().Create(ctx, newPayout("po_2", "job_1", "agt_1"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			_, err := tx.Payouts().Get(ctx, "po_2")
			require.ErrorIs(t, err, ports.ErrNotFound)
			require.Len(t, must(tx.Payouts().ListByJob(ctx, "job_1"))(t), 1)
		}},
		{"TopUpID", func(ctx context.Context, tx ports.Tx) error {
			return tx.TopUps().Create(ctx, newTopUp("tu_1", "acc_2"))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, newTopUp("tu_1", "acc_1"), must(tx.TopUps().Get(ctx, "tu_1"))(t))
		}},
		{"TaskID", func(ctx context.Context, tx ports.Tx) error {
			return tx.Tasks().Create(ctx, newTask("tk_1", "job_2", proof.TaskClaimed))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, newTask("tk_1", "job_1", proof.TaskOpen), must(tx.Tasks().Get(ctx, "tk_1"))(t))
			require.Empty(t, must(tx.Tasks().ListByJob(ctx, "job_2"))(t))
		}},
		{"ReviewPerJobAndAuthor", func(ctx context.Context, tx ports.Tx) error {
			return tx.Reviews().Create(ctx, newReview("job_1", "acc_1", "agt_2", 1))
		}, func(t *testing.T, ctx context.Context, tx ports.Tx) {
			require.Equal(t, []*review.Review{newReview("job_1", "acc_1", "agt_1", 5)}, must(tx.Reviews().ListByJob(ctx, "job_1"))(t))
			require.Empty(t, must(tx.Reviews().ListBySubject(ctx, "agt_2"))(t))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			inTx(t, s, func(ctx context.Context, tx ports.Tx) { seed(t, ctx, tx) })
			require.ErrorIs(t, txErr(t, s, c.write), ports.ErrConflict)
			inTx(t, s, func(ctx context.Context, tx ports.Tx) { c.check(t, ctx, tx) })
		})
	}

	t.Run("DistinctKeysAreAllowed", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			seed(t, ctx, tx)
			require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_2", "alice2@example.com")))
			// The same agent on another job, another agent on the same job.
			require.NoError(t, tx.Applications().Create(ctx, newApp("app_2", "job_2", "agt_1")))
			require.NoError(t, tx.Applications().Create(ctx, newApp("app_3", "job_1", "agt_2")))
			require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_2", "job_2", "agt_1")))
			require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_3", "job_1", "agt_2")))
			require.NoError(t, tx.Reviews().Create(ctx, newReview("job_2", "acc_1", "agt_1", 4)))
			require.NoError(t, tx.Reviews().Create(ctx, newReview("job_1", "agt_1", "acc_1", 4)))
		})
	})

	t.Run("RefusedApplicationUpdateLeavesTheTxUsable", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			seed(t, ctx, tx)
			require.NoError(t, tx.Applications().Create(ctx, newApp("app_2", "job_1", "agt_2")))
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			taken := newApp("app_2", "job_1", "agt_1") // agt_1 applied to job_1 as app_1
			require.ErrorIs(t, tx.Applications().Update(ctx, taken), ports.ErrConflict)
			require.Equal(t, newApp("app_2", "job_1", "agt_2"), must(tx.Applications().Get(ctx, "app_2"))(t))
			accepted := newApp("app_1", "job_1", "agt_1")
			accepted.Status = job.AppAccepted
			require.NoError(t, tx.Applications().Update(ctx, accepted))
			second := newApp("app_2", "job_1", "agt_2")
			second.Status = job.AppAccepted
			require.ErrorIs(t, tx.Applications().Update(ctx, second), ports.ErrConflict, "one accepted application per job")
			moved := newApp("app_2", "job_2", "agt_1")
			require.NoError(t, tx.Applications().Update(ctx, moved), "the transaction goes on")
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Equal(t, newApp("app_2", "job_2", "agt_1"), must(tx.Applications().Get(ctx, "app_2"))(t))
		})
	})
}

// ---- job versions ----

func storeJobVersion(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Jobs().Create(ctx, newJob("job_1", "acc_1")))
	})
	update := func(version int64, title string) error {
		return txErr(t, s, func(ctx context.Context, tx ports.Tx) error {
			j := newJob("job_1", "acc_1")
			j.Version, j.Title = version, title
			return tx.Jobs().Update(ctx, j)
		})
	}
	require.NoError(t, update(2, "v2"))
	require.ErrorIs(t, update(2, "stale"), ports.ErrConflict, "a second update from version 1")
	require.ErrorIs(t, update(1, "same"), ports.ErrConflict, "an update that does not increment")
	require.ErrorIs(t, update(4, "skip"), ports.ErrConflict, "an update from a version never stored")
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		j := must(tx.Jobs().Get(ctx, "job_1"))(t)
		require.Equal(t, int64(2), j.Version)
		require.Equal(t, "v2", j.Title)
	})
	require.NoError(t, update(3, "v3"))
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, "v3", must(tx.Jobs().Get(ctx, "job_1"))(t).Title)
	})
}

// ---- copies ----

func storeCopies(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("Jobs", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		mutate := func(j *job.Job) {
			j.Title = "mutated"
			j.Tags[0] = "mutated"
			j.Verification.Proofers = 9
			j.Delivery.Note = "mutated"
			j.Dispute.Evidence[0] = "mutated"
		}
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			in := newJob("job_1", "acc_1")
			require.NoError(t, tx.Jobs().Create(ctx, in))
			mutate(in)
			got := must(tx.Jobs().Get(ctx, "job_1"))(t)
			require.Equal(t, newJob("job_1", "acc_1"), got, "Create stores a copy")
			mutate(got)
			require.Equal(t, newJob("job_1", "acc_1"), must(tx.Jobs().Get(ctx, "job_1"))(t), "Get returns a copy")
			jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{})
			mutate(must(jobs, err)(t)[0])
			require.Equal(t, newJob("job_1", "acc_1"), must(tx.Jobs().Get(ctx, "job_1"))(t), "List returns copies")

			up := newJob("job_1", "acc_1")
			up.Version = 2
			require.NoError(t, tx.Jobs().Update(ctx, up))
			mutate(up)
			want := newJob("job_1", "acc_1")
			want.Version = 2
			require.Equal(t, want, must(tx.Jobs().Get(ctx, "job_1"))(t), "Update stores a copy")
		})
		// Across transactions as well.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			want := newJob("job_1", "acc_1")
			want.Version = 2
			require.Equal(t, want, must(tx.Jobs().Get(ctx, "job_1"))(t))
		})
	})

	t.Run("Records", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		scored := func() *proof.Task {
			tk := newTask("tk_1", "job_1", proof.TaskSubmitted)
			tk.Scorecard = scorecard()
			tk.SubmittedAt = t0
			return tk
		}
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			a := newAccount("acc_1", "a@example.com")
			require.NoError(t, tx.Accounts().Create(ctx, a))
			a.Name = "mutated"
			got := must(tx.Accounts().Get(ctx, "acc_1"))(t)
			got.Name = "mutated"
			byEmail := must(tx.Accounts().GetByEmail(ctx, "a@example.com"))(t)
			byEmail.Name = "mutated"
			require.Equal(t, newAccount("acc_1", "a@example.com"), must(tx.Accounts().Get(ctx, "acc_1"))(t))

			app := newApp("app_1", "job_1", "agt_1")
			require.NoError(t, tx.Applications().Create(ctx, app))
			app.Message = "mutated"
			must(tx.Applications().Get(ctx, "app_1"))(t).Message = "mutated"
			must(tx.Applications().ListByJob(ctx, "job_1"))(t)[0].Message = "mutated"
			require.Equal(t, newApp("app_1", "job_1", "agt_1"), must(tx.Applications().Get(ctx, "app_1"))(t))

			p := newPayout("po_1", "job_1", "agt_1")
			require.NoError(t, tx.Payouts().Create(ctx, p))
			p.Attempts = 7
			must(tx.Payouts().Get(ctx, "po_1"))(t).Attempts = 7
			must(tx.Payouts().ListByJob(ctx, "job_1"))(t)[0].Attempts = 7
			require.Equal(t, newPayout("po_1", "job_1", "agt_1"), must(tx.Payouts().Get(ctx, "po_1"))(t))

			tu := newTopUp("tu_1", "acc_1")
			require.NoError(t, tx.TopUps().Create(ctx, tu))
			tu.Status = payout.TopUpReturned
			must(tx.TopUps().Get(ctx, "tu_1"))(t).Status = payout.TopUpReturned
			require.Equal(t, newTopUp("tu_1", "acc_1"), must(tx.TopUps().Get(ctx, "tu_1"))(t))

			tk := scored()
			require.NoError(t, tx.Tasks().Create(ctx, tk))
			tk.Scorecard.Criteria[0].Score = 0
			tk.Scorecard.Evidence[0] = "mutated"
			got2 := must(tx.Tasks().Get(ctx, "tk_1"))(t)
			got2.Scorecard.Criteria[0].Score = 0
			got2.Scorecard.Evidence[0] = "mutated"
			must(tx.Tasks().ListByJob(ctx, "job_1"))(t)[0].Scorecard.Summary = "mutated"
			require.Equal(t, scored(), must(tx.Tasks().Get(ctx, "tk_1"))(t))

			r := newReview("job_1", "acc_1", "agt_1", 5)
			require.NoError(t, tx.Reviews().Create(ctx, r))
			r.Stars = 1
			must(tx.Reviews().ListByJob(ctx, "job_1"))(t)[0].Stars = 1
			must(tx.Reviews().ListBySubject(ctx, "agt_1"))(t)[0].Stars = 1
			require.Equal(t, []*review.Review{newReview("job_1", "acc_1", "agt_1", 5)}, must(tx.Reviews().ListByJob(ctx, "job_1"))(t))

			evs := []event.Event{newEvent("ev_1", "acc_1")}
			require.NoError(t, tx.Events().Append(ctx, evs...))
			evs[0].Accounts[0] = "mutated"
			evs[0].Data["id"] = "mutated"
			got3 := must(tx.Events().List(ctx, "", 0, 0))(t)
			got3[0].Accounts[0] = "mutated"
			got3[0].Data["id"] = "mutated"
			got4 := must(tx.Events().List(ctx, "acc_1", 0, 0))(t)
			require.Len(t, got4, 1)
			got4[0].Data["id"] = "mutated"
			require.Equal(t, []event.Event{newEvent("ev_1", "acc_1")}, eventsWithoutSeq(must(tx.Events().List(ctx, "", 0, 0))(t)))

			require.NoError(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, ledger.Wallet("acc_1"), 100, "in")))
			b := must(tx.Ledger().Balances(ctx))(t)
			b[ledger.Key{Account: ledger.Wallet("acc_1"), Currency: usd}] = 1
			require.Equal(t, int64(100), must(tx.Ledger().Balance(ctx, ledger.Wallet("acc_1"), usd))(t), "Balances returns a copy")
		})
		// Updates store copies.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			a := must(tx.Accounts().Get(ctx, "acc_1"))(t)
			a.Name = "updated"
			require.NoError(t, tx.Accounts().Update(ctx, a))
			a.Name = "mutated"
			require.Equal(t, "updated", must(tx.Accounts().Get(ctx, "acc_1"))(t).Name)

			tk := must(tx.Tasks().Get(ctx, "tk_1"))(t)
			tk.Scorecard.Summary = "updated"
			require.NoError(t, tx.Tasks().Update(ctx, tk))
			tk.Scorecard.Summary = "mutated"
			tk.Scorecard.Criteria[0].Note = "mutated"
			got := must(tx.Tasks().Get(ctx, "tk_1"))(t)
			require.Equal(t, "updated", got.Scorecard.Summary)
			require.Equal(t, "green", got.Scorecard.Criteria[0].Note)
		})
	})
}

// ---- accounts ----

func storeAccounts(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_1", "Mixed.Case@Example.com")))
		require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_2", "other@example.com")))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, newAccount("acc_1", "Mixed.Case@Example.com"), must(tx.Accounts().Get(ctx, "acc_1"))(t))
		for _, e := range []string{"Mixed.Case@Example.com", "mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"} {
			require.Equal(t, "acc_1", must(tx.Accounts().GetByEmail(ctx, e))(t).ID, e)
		}
		a := must(tx.Accounts().Get(ctx, "acc_1"))(t)
		a.EmailVerified, a.PayoutsEnabled, a.Email = false, false, "new@example.com"
		require.NoError(t, tx.Accounts().Update(ctx, a))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		want := newAccount("acc_1", "new@example.com")
		want.EmailVerified, want.PayoutsEnabled = false, false
		require.Equal(t, want, must(tx.Accounts().Get(ctx, "acc_1"))(t))
		require.Equal(t, want, must(tx.Accounts().GetByEmail(ctx, "NEW@example.com"))(t))
		_, err := tx.Accounts().GetByEmail(ctx, "mixed.case@example.com")
		require.ErrorIs(t, err, ports.ErrNotFound, "the old email no longer finds the account")
		require.Equal(t, "acc_2", must(tx.Accounts().GetByEmail(ctx, "other@example.com"))(t).ID)
	})
	// The freed email may be taken by a new account.
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Create(ctx, newAccount("acc_3", "mixed.case@example.com")))
	})
}

// ---- job listing ----

// listJobs are the jobs the listing tests filter, oldest first.
func listJobs() []*job.Job {
	mk := func(id, poster string, state job.State, category string, cur money.Currency, budget int64, agent, title, desc string, tags ...string) *job.Job {
		j := newJob(id, poster)
		j.State, j.Category, j.Budget, j.AgentID, j.Title, j.Description = state, category, money.Money{Amount: budget, Currency: cur}, agent, title, desc
		j.Tags = tags
		return j
	}
	return []*job.Job{
		mk("job_01", "pst_1", job.Open, "code", usd, 5000, "", "Write a Go parser", "Parse TOML files", "go", "parsing"),
		mk("job_02", "pst_1", job.Open, "design", usd, 10000, "", "Logo design", "A logo for a coffee shop", "branding"),
		mk("job_03", "pst_2", job.InProgress, "code", eur, 20000, "agt_1", "Rust CLI", "A command-line tool in Rust", "rust", "cli"),
		mk("job_04", "pst_2", job.Open, "code", usd, 15000, "", "Go web server", "HTTP API with huma", "go", "http"),
		mk("job_05", "pst_1", job.Completed, "writing", usd, 2500, "agt_1", "Blog post about Go generics", "Friendly tone"),
		mk("job_06", "pst_2", job.Open, "Code", usd, 10000, "", "Data pipeline", "ETL in Python, summer: ÉTÉ", "python", "GO-Adjacent"),
		mk("job_07", "pst_1", job.InProgress, "code", usd, 10000, "agt_2", "Parser fuzzing", "Fuzz the TOML parser", "go"),
	}
}

func storeJobsList(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			for _, j := range listJobs() {
				require.NoError(t, tx.Jobs().Create(ctx, j))
			}
		})
		cases := []struct {
			name string
			f    ports.JobFilter
			want []string
		}{
			{"None", ports.JobFilter{}, []string{"job_07", "job_06", "job_05", "job_04", "job_03", "job_02", "job_01"}},
			{"State", ports.JobFilter{State: job.Open}, []string{"job_06", "job_04", "job_02", "job_01"}},
			{"CategoryExact", ports.JobFilter{Category: "code"}, []string{"job_07", "job_04", "job_03", "job_01"}},
			{"Currency", ports.JobFilter{Currency: eur}, []string{"job_03"}},
			{"MinBudgetInclusive", ports.JobFilter{MinBudget: 10000}, []string{"job_07", "job_06", "job_04", "job_03", "job_02"}},
			{"MaxBudgetInclusive", ports.JobFilter{MaxBudget: 10000}, []string{"job_07", "job_06", "job_05", "job_02", "job_01"}},
			{"BudgetRange", ports.JobFilter{MinBudget: 10000, MaxBudget: 15000}, []string{"job_07", "job_06", "job_04", "job_02"}},
			{"EmptyBudgetRange", ports.JobFilter{MinBudget: 10001, MaxBudget: 14999}, nil},
			{"Poster", ports.JobFilter{PosterID: "pst_1"}, []string{"job_07", "job_05", "job_02", "job_01"}},
			{"Agent", ports.JobFilter{AgentID: "agt_1"}, []string{"job_05", "job_03"}},
			{"TermSubstringAnyField", ports.JobFilter{Terms: []string{"go"}}, []string{"job_07", "job_06", "job_05", "job_04", "job_02", "job_01"}},
			{"TermCaseInsensitive", ports.JobFilter{Terms: []string{"PARSER"}}, []string{"job_07", "job_01"}},
			{"TermInDescription", ports.JobFilter{Terms: []string{"coffee"}}, []string{"job_02"}},
			{"TermInTagsOnly", ports.JobFilter{Terms: []string{"Branding"}}, []string{"job_02"}},
			{"TermUnicodeCase", ports.JobFilter{Terms: []string{"été"}}, []string{"job_06"}},
			{"EveryTermMustAppear", ports.JobFilter{Terms: []string{"toml", "FUZZ"}}, []string{"job_07"}},
			{"TermsAcrossFields", ports.JobFilter{Terms: []string{"rust", "cli", "command-line"}}, []string{"job_03"}},
			{"TermNotAcrossFieldBoundaries", ports.JobFilter{Terms: []string{"shopbranding"}}, nil},
			{"TermNotAcrossTitleAndDescription", ports.JobFilter{Terms: []string{"designa logo"}}, nil},
			{"NoTermMatch", ports.JobFilter{Terms: []string{"go", "kotlin"}}, nil},
			{"Combined", ports.JobFilter{State: job.Open, Category: "code", Currency: usd, MinBudget: 10000, Terms: []string{"go"}, PosterID: "pst_2"}, []string{"job_04"}},
			{"CombinedNothing", ports.JobFilter{State: job.Open, AgentID: "agt_1"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				inTx(t, s, func(ctx context.Context, tx ports.Tx) {
					jobs, next, err := tx.Jobs().List(ctx, c.f)
					require.NoError(t, err)
					require.Equal(t, c.want, nilIfEmpty(jobIDs(jobs)))
					require.Empty(t, next, "a single page has no next cursor")
				})
			})
		}
		// Listed jobs are whole records.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{Currency: eur})
			require.NoError(t, err)
			require.Equal(t, []*job.Job{listJobs()[2]}, jobs)
		})
		// Updates move jobs in and out of filters.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			j := must(tx.Jobs().Get(ctx, "job_02"))(t)
			j.Version++
			j.State, j.AgentID = job.InProgress, "agt_1"
			require.NoError(t, tx.Jobs().Update(ctx, j))
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{State: job.Open})
			require.NoError(t, err)
			require.Equal(t, []string{"job_06", "job_04", "job_01"}, jobIDs(jobs))
			jobs, _, err = tx.Jobs().List(ctx, ports.JobFilter{AgentID: "agt_1"})
			require.NoError(t, err)
			require.Equal(t, []string{"job_05", "job_03", "job_02"}, jobIDs(jobs))
		})
	})

	t.Run("Pagination", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const total = 63
		var all []string
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			for i := range total {
				j := newJob(fmt.Sprintf("job_%04d", i), "pst_1")
				if i%2 == 0 {
					j.State = job.InProgress
				}
				require.NoError(t, tx.Jobs().Create(ctx, j))
				all = append([]string{j.ID}, all...) // newest first
			}
		})
		var open []string
		for _, id := range all {
			var n int
			_, _ = fmt.Sscanf(id, "job_%04d", &n)
			if n%2 == 1 {
				open = append(open, id)
			}
		}

		walk := func(f ports.JobFilter) (ids []string, pages int) {
			inTx(t, s, func(ctx context.Context, tx ports.Tx) {
				for {
					jobs, next, err := tx.Jobs().List(ctx, f)
					require.NoError(t, err)
					pages++
					ids = append(ids, jobIDs(jobs)...)
					if next == "" {
						return
					}
					require.Equal(t, jobs[len(jobs)-1].ID, next, "the cursor is the ID of the page's last job")
					require.LessOrEqual(t, pages, total, "pagination does not end")
					f.After = next
				}
			})
			return ids, pages
		}
		ids, pages := walk(ports.JobFilter{Limit: 7})
		require.Equal(t, all, ids, "every job once, newest first")
		require.Equal(t, 9, pages, "63 jobs in full pages of 7: the last full page has no next cursor")

		ids, pages = walk(ports.JobFilter{Limit: 10})
		require.Equal(t, all, ids)
		require.Equal(t, 7, pages)

		ids, _ = walk(ports.JobFilter{State: job.Open, Limit: 4})
		require.Equal(t, open, ids, "filtered pagination covers every match once")

		ids, pages = walk(ports.JobFilter{Limit: 1000})
		require.Equal(t, all, ids)
		require.Equal(t, 1, pages)

		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			jobs, next, err := tx.Jobs().List(ctx, ports.JobFilter{})
			require.NoError(t, err)
			require.Len(t, jobs, 50, "Limit 0 means 50")
			require.Equal(t, all[49], next)
			jobs, next, err = tx.Jobs().List(ctx, ports.JobFilter{After: next})
			require.NoError(t, err)
			require.Equal(t, all[50:], jobIDs(jobs))
			require.Empty(t, next)

			jobs, next, err = tx.Jobs().List(ctx, ports.JobFilter{After: all[len(all)-1]})
			require.NoError(t, err)
			require.Empty(t, jobs, "nothing after the oldest job")
			require.Empty(t, next)
		})
	})
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// ---- applications, payouts, top-ups, tasks, reviews ----

func storeApplications(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Applications().Create(ctx, newApp("app_1", "job_1", "agt_1")))
		require.NoError(t, tx.Applications().Create(ctx, newApp("app_2", "job_2", "agt_1")))
		a3 := newApp("app_3", "job_1", "agt_2")
		a3.CreatedAt = at(time.Minute)
		require.NoError(t, tx.Applications().Create(ctx, a3))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, newApp("app_1", "job_1", "agt_1"), must(tx.Applications().Get(ctx, "app_1"))(t))
		got := must(tx.Applications().ListByJob(ctx, "job_1"))(t)
		require.Len(t, got, 2)
		require.Equal(t, []string{"app_1", "app_3"}, []string{got[0].ID, got[1].ID}, "oldest first")
		a := got[1]
		a.Status, a.Message = job.AppRejected, "rejected"
		require.NoError(t, tx.Applications().Update(ctx, a))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		a := must(tx.Applications().Get(ctx, "app_3"))(t)
		require.Equal(t, job.AppRejected, a.Status)
		require.Equal(t, "rejected", a.Message)
		got := must(tx.Applications().ListByJob(ctx, "job_1"))(t)
		require.Equal(t, a, got[1], "the update shows in the list, in place")
		require.Len(t, must(tx.Applications().ListByJob(ctx, "job_2"))(t), 1)
		require.ElementsMatch(t, []string{"job_1", "job_2"}, must(tx.Applications().AppliedTo(ctx, "agt_1", []string{"job_2", "job_3", "job_1"}))(t))
		require.Equal(t, []string{"job_1"}, must(tx.Applications().AppliedTo(ctx, "agt_2", []string{"job_1", "job_2"}))(t))
		require.Empty(t, must(tx.Applications().AppliedTo(ctx, "agt_3", []string{"job_1", "job_2"}))(t))
		require.Empty(t, must(tx.Applications().AppliedTo(ctx, "agt_1", nil))(t))
	})
}

func storePayouts(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_1", "job_1", "agt_1")))
		require.NoError(t, tx.Payouts().Create(ctx, newPayout("po_2", "job_2", "agt_1")))
		p3 := newPayout("po_3", "job_1", "prf_1")
		p3.CreatedAt = at(time.Minute)
		require.NoError(t, tx.Payouts().Create(ctx, p3))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, newPayout("po_1", "job_1", "agt_1"), must(tx.Payouts().Get(ctx, "po_1"))(t))
		got := must(tx.Payouts().ListByJob(ctx, "job_1"))(t)
		require.Len(t, got, 2)
		require.Equal(t, []string{"po_1", "po_3"}, []string{got[0].ID, got[1].ID}, "oldest first")
		p := got[0]
		p.Status, p.Held, p.Attempts, p.Ref, p.LastError, p.PaidAt = payout.Paid, true, 3, "tr_1", "boom", at(time.Hour)
		require.NoError(t, tx.Payouts().Update(ctx, p))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		want := newPayout("po_1", "job_1", "agt_1")
		want.Status, want.Held, want.Attempts, want.Ref, want.LastError, want.PaidAt = payout.Paid, true, 3, "tr_1", "boom", at(time.Hour)
		require.Equal(t, want, must(tx.Payouts().Get(ctx, "po_1"))(t))
		require.Equal(t, want, must(tx.Payouts().ListByJob(ctx, "job_1"))(t)[0])
	})
}

func storeTopUps(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.TopUps().Create(ctx, newTopUp("tu_1", "acc_1")))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		tu := must(tx.TopUps().Get(ctx, "tu_1"))(t)
		require.Equal(t, newTopUp("tu_1", "acc_1"), tu)
		tu.Status = payout.TopUpReturned
		require.NoError(t, tx.TopUps().Update(ctx, tu))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, payout.TopUpReturned, must(tx.TopUps().Get(ctx, "tu_1"))(t).Status)
	})
}

func storeTasks(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_1", "job_1", proof.TaskOpen)))
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_2", "job_2", proof.TaskOpen)))
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_3", "job_1", proof.TaskOpen)))
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_4", "job_2", proof.TaskClaimed)))
		require.NoError(t, tx.Tasks().Create(ctx, newTask("tk_5", "job_3", proof.TaskOpen)))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, newTask("tk_4", "job_2", proof.TaskClaimed), must(tx.Tasks().Get(ctx, "tk_4"))(t))
		require.Equal(t, []string{"tk_1", "tk_3"}, taskIDs(must(tx.Tasks().ListByJob(ctx, "job_1"))(t)), "oldest first")
		require.Equal(t, []string{"tk_2", "tk_4"}, taskIDs(must(tx.Tasks().ListByJob(ctx, "job_2"))(t)))
		require.Equal(t, []string{"tk_1", "tk_2", "tk_3", "tk_5"}, taskIDs(must(tx.Tasks().ListOpen(ctx, 0))(t)), "open tasks across jobs, oldest first")
		require.Equal(t, []string{"tk_1", "tk_2"}, taskIDs(must(tx.Tasks().ListOpen(ctx, 2))(t)))

		tk := must(tx.Tasks().Get(ctx, "tk_1"))(t)
		tk.Status, tk.ProoferID, tk.ClaimedAt = proof.TaskClaimed, "prf_1", at(time.Minute)
		require.NoError(t, tx.Tasks().Update(ctx, tk))
		tk4 := must(tx.Tasks().Get(ctx, "tk_4"))(t)
		tk4.Status, tk4.Scorecard, tk4.SubmittedAt = proof.TaskSubmitted, scorecard(), at(time.Hour)
		require.NoError(t, tx.Tasks().Update(ctx, tk4))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, []string{"tk_2", "tk_3", "tk_5"}, taskIDs(must(tx.Tasks().ListOpen(ctx, 0))(t)), "a claimed task is not open")
		want := newTask("tk_4", "job_2", proof.TaskClaimed)
		want.Status, want.Scorecard, want.SubmittedAt = proof.TaskSubmitted, scorecard(), at(time.Hour)
		require.Equal(t, want, must(tx.Tasks().Get(ctx, "tk_4"))(t))

		// A claim that lapses reopens the task, in its original place.
		tk := must(tx.Tasks().Get(ctx, "tk_1"))(t)
		tk.Status, tk.ProoferID, tk.ClaimedAt = proof.TaskOpen, "", time.Time{}
		require.NoError(t, tx.Tasks().Update(ctx, tk))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, []string{"tk_1", "tk_2", "tk_3", "tk_5"}, taskIDs(must(tx.Tasks().ListOpen(ctx, 0))(t)))
		require.Equal(t, newTask("tk_1", "job_1", proof.TaskOpen), must(tx.Tasks().Get(ctx, "tk_1"))(t))
	})
}

func storeReviews(t *testing.T, s ports.Store) {
	r1 := newReview("job_1", "pst_1", "agt_1", 5)
	r2 := newReview("job_1", "agt_1", "pst_1", 3)
	r2.At = at(time.Minute)
	r3 := newReview("job_2", "pst_2", "agt_1", 4)
	r3.At = at(2 * time.Minute)
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for _, r := range []*review.Review{r1, r2, r3} {
			require.NoError(t, tx.Reviews().Create(ctx, r))
		}
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, []*review.Review{r1, r2}, must(tx.Reviews().ListByJob(ctx, "job_1"))(t), "oldest first")
		require.Equal(t, []*review.Review{r3}, must(tx.Reviews().ListByJob(ctx, "job_2"))(t))
		require.Equal(t, []*review.Review{r1, r3}, must(tx.Reviews().ListBySubject(ctx, "agt_1"))(t), "oldest first")
		require.Equal(t, []*review.Review{r2}, must(tx.Reviews().ListBySubject(ctx, "pst_1"))(t))
		require.Empty(t, must(tx.Reviews().ListBySubject(ctx, "pst_2"))(t))
	})
}

// ---- ledger ----

func storeLedger(t *testing.T, newStore func(t *testing.T) ports.Store) {
	wallet, escrow, pending := ledger.Wallet("acc_1"), ledger.Escrow("job_1"), ledger.Pending("agt_1")

	t.Run("PostAndRead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		posted := []ledger.Entry{
			entry(ledger.ExternalStripe, wallet, 10000, "top-up"),
			entry(wallet, escrow, 6000, "fund"),
			entry(escrow, pending, 5400, "release"),
			entry(escrow, ledger.PlatformFees, 600, "fee"),
		}
		eur1 := ledger.Entry{At: t0, Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: wallet, Amount: money.Money{Amount: 700, Currency: eur}, Memo: "eur"}}
		posted[2].JobID, posted[3].At = "job_other", at(time.Hour)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.NoError(t, tx.Ledger().Post(ctx, posted[0]))
			require.NoError(t, tx.Ledger().Post(ctx, posted[1:]...))
			require.NoError(t, tx.Ledger().Post(ctx), "posting nothing is fine")
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.NoError(t, tx.Ledger().Post(ctx, eur1))
		})
		all := append(append([]ledger.Entry(nil), posted...), eur1)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			es := must(tx.Ledger().Entries(ctx, "", 0, 0))(t)
			require.Equal(t, all, withoutSeq(es), "every entry, in posting order")
			seqs := make([]int64, len(es))
			for i, e := range es {
				seqs[i] = e.Seq
			}
			require.Positive(t, seqs[0])
			requireIncreasing(t, seqs)

			// By account: the entries that debit or credit it.
			byWallet := must(tx.Ledger().Entries(ctx, wallet, 0, 0))(t)
			require.Equal(t, []ledger.Entry{es[0], es[1], es[4]}, byWallet)
			require.Equal(t, []ledger.Entry{es[1], es[2], es[3]}, must(tx.Ledger().Entries(ctx, escrow, 0, 0))(t))
			require.Equal(t, []ledger.Entry{es[2]}, must(tx.Ledger().Entries(ctx, pending, 0, 0))(t))
			require.Empty(t, must(tx.Ledger().Entries(ctx, ledger.Wallet("nobody"), 0, 0))(t))

			// After a Seq, at most limit.
			require.Equal(t, es[2:], must(tx.Ledger().Entries(ctx, "", es[1].Seq, 0))(t))
			require.Equal(t, es[:2], must(tx.Ledger().Entries(ctx, "", 0, 2))(t))
			require.Equal(t, es[1:3], must(tx.Ledger().Entries(ctx, "", es[0].Seq, 2))(t))
			require.Empty(t, must(tx.Ledger().Entries(ctx, "", es[4].Seq, 0))(t))
			require.Equal(t, []ledger.Entry{es[4]}, must(tx.Ledger().Entries(ctx, wallet, es[1].Seq, 0))(t))
			require.Equal(t, []ledger.Entry{es[1]}, must(tx.Ledger().Entries(ctx, wallet, es[0].Seq, 1))(t))

			// Balances.
			bal := func(a ledger.Account, cur money.Currency) int64 { return must(tx.Ledger().Balance(ctx, a, cur))(t) }
			require.Equal(t, int64(4000), bal(wallet, usd))
			require.Equal(t, int64(700), bal(wallet, eur))
			require.Equal(t, int64(0), bal(escrow, usd))
			require.Equal(t, int64(5400), bal(pending, usd))
			require.Equal(t, int64(600), bal(ledger.PlatformFees, usd))
			require.Equal(t, int64(-10000), bal(ledger.ExternalStripe, usd), "the external account mirrors money that came in")
			require.Equal(t, int64(-700), bal(ledger.ExternalStripe, eur))
			require.Zero(t, bal(ledger.Wallet("nobody"), usd), "an account that never moved")
			require.Zero(t, bal(pending, eur))

			b := must(tx.Ledger().Balances(ctx))(t)
			require.Empty(t, ledger.Check(b), "balances sum to zero per currency, none negative")
			for k, v := range map[ledger.Key]int64{
				{Account: wallet, Currency: usd}: 4000, {Account: wallet, Currency: eur}: 700,
				{Account: pending, Currency: usd}: 5400, {Account: ledger.PlatformFees, Currency: usd}: 600,
				{Account: ledger.ExternalStripe, Currency: usd}: -10000, {Account: ledger.ExternalStripe, Currency: eur}: -700,
			} {
				require.Equal(t, v, b[k], "%v", k)
			}
			for k, v := range b {
				if v != 0 {
					require.Contains(t, []ledger.Account{wallet, pending, ledger.PlatformFees, ledger.ExternalStripe}, k.Account)
				}
			}
		})
		// Seq keeps increasing in later transactions.
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			last := must(tx.Ledger().Entries(ctx, "", 0, 0))(t)
			require.NoError(t, tx.Ledger().Post(ctx, entry(wallet, escrow, 1, "more")))
			es := must(tx.Ledger().Entries(ctx, "", last[len(last)-1].Seq, 0))(t)
			require.Len(t, es, 1)
			require.Greater(t, es[0].Seq, last[len(last)-1].Seq)
		})
	})

	refusals := []struct {
		name    string
		entries []ledger.Entry
		code    errs.Code
	}{
		{"Overdraw", []ledger.Entry{entry(wallet, escrow, 1001, "too much")}, errs.CodeInsufficientFunds},
		{"OverdrawEmptyAccount", []ledger.Entry{entry(escrow, pending, 1, "nothing there")}, errs.CodeInsufficientFunds},
		{"LaterEntryOverdraws", []ledger.Entry{
			entry(wallet, escrow, 600, "fine"),
			entry(ledger.ExternalStripe, ledger.Wallet("acc_2"), 50, "fine, new account"),
			entry(escrow, pending, 601, "more than escrow holds"),
		}, errs.CodeInsufficientFunds},
		{"ZeroAmount", []ledger.Entry{entry(ledger.ExternalStripe, escrow, 1, "fine"), entry(wallet, escrow, 0, "zero")}, errs.CodeInvalidInput},
		{"NegativeAmount", []ledger.Entry{entry(wallet, escrow, -5, "negative")}, errs.CodeInvalidInput},
		{"ToItself", []ledger.Entry{entry(wallet, wallet, 5, "self")}, errs.CodeInvalidInput},
		{"InvalidCurrency", []ledger.Entry{{Transfer: ledger.Transfer{From: wallet, To: escrow, Amount: money.Money{Amount: 5, Currency: "usd"}}}}, errs.CodeInvalidInput},
		// A receivable is paid down to zero, never beyond: an internal failure, with no code.
		{"ReceivableOverpaid", []ledger.Entry{
			entry(ledger.Receivable("acc_1"), ledger.ExternalStripe, 300, "debt"),
			entry(wallet, ledger.Receivable("acc_1"), 301, "more than owed"),
		}, ""},
		{"ReceivableCreditedWithNoDebt", []ledger.Entry{entry(wallet, ledger.Receivable("acc_1"), 1, "nothing owed")}, ""},
	}
	for _, c := range refusals {
		t.Run("Refuses"+c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			inTx(t, s, func(ctx context.Context, tx ports.Tx) {
				require.NoError(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, wallet, 1000, "seed")))
			})
			before := takeSnapshot(t, s)
			// The refusal is returned inside a transaction that then commits: the refused Post
			// itself writes nothing.
			inTx(t, s, func(ctx context.Context, tx ports.Tx) {
				err := tx.Ledger().Post(ctx, c.entries...)
				require.Error(t, err)
				require.Equal(t, c.code, errs.CodeOf(err), "error %v", err)
				if c.code == errs.CodeInsufficientFunds {
					require.ErrorIs(t, err, errs.ErrInsufficientFunds)
				}
				require.Equal(t, before.Balances, must(tx.Ledger().Balances(ctx))(t), "balances unchanged inside the transaction")
				require.Len(t, must(tx.Ledger().Entries(ctx, "", 0, 0))(t), 1)
			})
			require.Equal(t, before, takeSnapshot(t, s))
			require.Equal(t, int64(1000), before.Balance[wallet])
		})
	}

	// A receivable records a debt: below zero by what the account owes, paid down from its wallet
	// across transactions, to zero at most, and listed in Balances like any account.
	t.Run("ReceivableDebt", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		debt := ledger.Receivable("acc_1")
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.NoError(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, wallet, 1000, "top-up"), entry(wallet, escrow, 600, "fund")))
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) { // the top-up is returned: 400 recovered, 600 owed
			require.NoError(t, tx.Ledger().Post(ctx, entry(wallet, ledger.ExternalStripe, 400, "returned"), entry(debt, ledger.ExternalStripe, 600, "unrecovered")))
			require.Equal(t, int64(-600), must(tx.Ledger().Balance(ctx, debt, usd))(t))
		})
		for i, pay := range []int64{250, 350} { // refunds, each netted against the debt at once
			inTx(t, s, func(ctx context.Context, tx ports.Tx) {
				require.NoError(t, tx.Ledger().Post(ctx, entry(escrow, wallet, pay, "refund"), entry(wallet, debt, pay, "debt repaid")))
			})
			inTx(t, s, func(ctx context.Context, tx ports.Tx) {
				require.Equal(t, []int64{-350, 0}[i], must(tx.Ledger().Balance(ctx, debt, usd))(t))
				require.Zero(t, must(tx.Ledger().Balance(ctx, wallet, usd))(t))
				b := must(tx.Ledger().Balances(ctx))(t)
				require.Empty(t, ledger.Check(b))
				require.Equal(t, []int64{-350, 0}[i], b[ledger.Key{Account: debt, Currency: usd}])
			})
		}
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Error(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, debt, 1, "paid when nothing is owed")))
			require.Len(t, must(tx.Ledger().Entries(ctx, debt, 0, 0))(t), 3)
		})
	})

	// Balance holds a receivable, even one that never moved, until the transaction ends: a
	// concurrent Balance of it waits, then sees the debt the first transaction posted.
	t.Run("ReceivableBalanceHoldsItBeforeItMoved", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		debt := ledger.Receivable("acc_1")
		held, first := make(chan struct{}), make(chan error, 1)
		var once sync.Once
		go func() {
			first <- s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
				if _, err := tx.Ledger().Balance(ctx, debt, usd); err != nil {
					return err
				}
				once.Do(func() { close(held) })
				time.Sleep(100 * time.Millisecond) // the second reader must wait out this
				return tx.Ledger().Post(ctx, entry(debt, ledger.ExternalStripe, 50, "unrecovered"))
			})
		}()
		<-held
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Equal(t, int64(-50), must(tx.Ledger().Balance(ctx, debt, usd))(t), "read after the first transaction committed")
		})
		require.NoError(t, <-first)
	})

	t.Run("ManyPostsConserveMoney", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			for i := range 20 {
				acc, j := fmt.Sprintf("acc_%d", i%3), fmt.Sprintf("job_%d", i)
				cur := []money.Currency{usd, eur}[i%2]
				m := func(a int64) money.Money { return money.Money{Amount: a, Currency: cur} }
				require.NoError(t, tx.Ledger().Post(ctx,
					ledger.Entry{Transfer: ledger.Transfer{From: ledger.ExternalStripe, To: ledger.Wallet(acc), Amount: m(int64(1000 + i))}},
					ledger.Entry{Transfer: ledger.Transfer{From: ledger.Wallet(acc), To: ledger.Escrow(j), Amount: m(int64(900 + i))}},
					ledger.Entry{Transfer: ledger.Transfer{From: ledger.Escrow(j), To: ledger.Pending("agt"), Amount: m(800)}},
					ledger.Entry{Transfer: ledger.Transfer{From: ledger.Escrow(j), To: ledger.PlatformFees, Amount: m(int64(100 + i))}},
				))
				if i%4 == 0 {
					err := tx.Ledger().Post(ctx, ledger.Entry{Transfer: ledger.Transfer{From: ledger.Pending("agt"), To: ledger.Payable("agt"), Amount: m(1 << 40)}})
					require.Equal(t, errs.CodeInsufficientFunds, errs.CodeOf(err))
				}
				require.Empty(t, ledger.Check(must(tx.Ledger().Balances(ctx))(t)))
			}
		})
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			b := must(tx.Ledger().Balances(ctx))(t)
			require.Empty(t, ledger.Check(b))
			require.Equal(t, int64(800*10), b[ledger.Key{Account: ledger.Pending("agt"), Currency: usd}])
			require.Len(t, must(tx.Ledger().Entries(ctx, "", 0, 0))(t), 80)
			require.Len(t, must(tx.Ledger().Entries(ctx, ledger.Pending("agt"), 0, 0))(t), 20)
		})
	})
}

// ---- events and audit ----

func storeEvents(t *testing.T, s ports.Store) {
	e1, e2, e3, e4 := newEvent("ev_1", "acc_a"), newEvent("ev_2", "acc_a", "acc_b"), newEvent("ev_3", "acc_b"), newEvent("ev_4")
	e4.Data, e4.JobID = nil, ""
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Events().Append(ctx, e1, e2))
		require.NoError(t, tx.Events().Append(ctx))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Events().Append(ctx, e3))
		require.NoError(t, tx.Events().Append(ctx, e4))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		all := must(tx.Events().List(ctx, "", 0, 0))(t)
		require.Equal(t, []event.Event{e1, e2, e3, e4}, eventsWithoutSeq(all), "every event, in append order")
		seqs := []int64{all[0].Seq, all[1].Seq, all[2].Seq, all[3].Seq}
		require.Positive(t, seqs[0])
		requireIncreasing(t, seqs)

		list := func(acc string, after int64, limit int) []string {
			return eventIDs(must(tx.Events().List(ctx, acc, after, limit))(t))
		}
		require.Equal(t, []string{"ev_1", "ev_2"}, list("acc_a", 0, 0), "visible to acc_a")
		require.Equal(t, []string{"ev_2", "ev_3"}, list("acc_b", 0, 0))
		require.Empty(t, list("acc_c", 0, 0))
		require.Equal(t, []string{"ev_3", "ev_4"}, list("", seqs[1], 0), "after a Seq")
		require.Equal(t, []string{"ev_1", "ev_2"}, list("", 0, 2), "at most limit")
		require.Equal(t, []string{"ev_2"}, list("", seqs[0], 1))
		require.Equal(t, []string{"ev_3"}, list("acc_b", seqs[1], 0))
		require.Equal(t, []string{"ev_2"}, list("acc_b", 0, 1))
		require.Empty(t, list("acc_a", seqs[1], 0))
		require.Empty(t, list("", seqs[3], 0))
		require.Equal(t, all[1:2], must(tx.Events().List(ctx, "acc_b", 0, 1))(t), "filtered events are whole")
	})
}

func storeAudit(t *testing.T, s ports.Store) {
	a1, a2, a3 := newAudit("hold"), newAudit("unhold"), newAudit("resolve")
	a3.JobID = ""
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Audit().Append(ctx, a1))
		require.NoError(t, tx.Audit().Append(ctx, a2))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Audit().Append(ctx, a3))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		all := must(tx.Audit().List(ctx, 0, 0))(t)
		require.Len(t, all, 3)
		seqs := []int64{all[0].Seq, all[1].Seq, all[2].Seq}
		require.Positive(t, seqs[0])
		requireIncreasing(t, seqs)
		for i, want := range []event.Audit{a1, a2, a3} {
			want.Seq = seqs[i]
			require.Equal(t, want, all[i])
		}
		require.Equal(t, all[1:], must(tx.Audit().List(ctx, seqs[0], 0))(t))
		require.Equal(t, all[:2], must(tx.Audit().List(ctx, 0, 2))(t))
		require.Equal(t, all[1:2], must(tx.Audit().List(ctx, seqs[0], 1))(t))
		require.Empty(t, must(tx.Audit().List(ctx, seqs[2], 0))(t))
	})
}

// ---- timers ----

func storeTimers(t *testing.T, s ports.Store) {
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_b", at(2*time.Hour))))
		require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_c", at(time.Hour))))
		require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_a", at(time.Hour))))
		require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_d", at(3*time.Hour))))
	})
	due := func(tx ports.Tx, ctx context.Context, now time.Time, limit int) []string {
		return timerIDs(must(tx.Timers().Due(ctx, now, limit))(t))
	}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Empty(t, due(tx, ctx, t0, 0), "nothing due yet")
		require.Empty(t, due(tx, ctx, at(time.Hour-time.Microsecond), 0))
		require.Equal(t, []string{"tm_a", "tm_c"}, due(tx, ctx, at(time.Hour), 0), "DueAt <= now; ties by ID")
		require.Equal(t, []string{"tm_a", "tm_c", "tm_b"}, due(tx, ctx, at(2*time.Hour), 0), "earliest first")
		require.Equal(t, []string{"tm_a", "tm_c", "tm_b", "tm_d"}, due(tx, ctx, at(100*time.Hour), 0))
		require.Equal(t, []string{"tm_a", "tm_c"}, due(tx, ctx, at(100*time.Hour), 2), "at most limit")
		require.Equal(t, []ports.Timer{newTimer("tm_a", at(time.Hour))}, must(tx.Timers().Due(ctx, at(time.Hour), 1))(t), "whole timers")

		// Scheduling an existing ID replaces it.
		replaced := newTimer("tm_d", at(30*time.Minute))
		replaced.Action, replaced.PayoutID, replaced.Ref, replaced.Amount = job.ActRelease, "", "", money.Money{}
		require.NoError(t, tx.Timers().Schedule(ctx, replaced))
		got := must(tx.Timers().Due(ctx, at(100*time.Hour), 0))(t)
		require.Equal(t, []string{"tm_d", "tm_a", "tm_c", "tm_b"}, timerIDs(got))
		require.Equal(t, replaced, got[0])

		require.NoError(t, tx.Timers().Delete(ctx, "tm_a"))
		require.NoError(t, tx.Timers().Delete(ctx, "tm_a"), "deleting a missing timer is fine")
		require.NoError(t, tx.Timers().Delete(ctx, "tm_never"))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, []string{"tm_d", "tm_c", "tm_b"}, due(tx, ctx, at(100*time.Hour), 0))
		// A timer may be scheduled again after it was deleted.
		require.NoError(t, tx.Timers().Schedule(ctx, newTimer("tm_a", at(5*time.Hour))))
		require.Equal(t, []string{"tm_d", "tm_c", "tm_b", "tm_a"}, due(tx, ctx, at(100*time.Hour), 0))
	})
}

// ---- concurrency ----

func storeConcurrency(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("ReadModifyWrite", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.NoError(t, tx.Jobs().Create(ctx, newJob("job_1", "acc_1")))
		})
		const n = 50
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				errc <- s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
					j, err := tx.Jobs().Get(ctx, "job_1")
					if err != nil {
						return err
					}
					j.Version++
					return tx.Jobs().Update(ctx, j)
				})
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			require.NoError(t, err, "a record read in a transaction is locked until it ends")
		}
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Equal(t, int64(1+n), must(tx.Jobs().Get(ctx, "job_1"))(t).Version)
		})
	})

	t.Run("LedgerNeverOverdraws", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		wallet := ledger.Wallet("acc_1")
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.NoError(t, tx.Ledger().Post(ctx, entry(ledger.ExternalStripe, wallet, 2500, "seed")))
		})
		const n = 40
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errc <- s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
					if err := tx.Ledger().Post(ctx, entry(wallet, ledger.Escrow(fmt.Sprintf("job_%d", i)), 100, "fund")); err != nil {
						return err
					}
					return tx.Events().Append(ctx, newEvent(fmt.Sprintf("ev_%d", i), "acc_1"))
				})
			})
		}
		wg.Wait()
		close(errc)
		ok, refused := 0, 0
		for err := range errc {
			if err == nil {
				ok++
				continue
			}
			require.Equal(t, errs.CodeInsufficientFunds, errs.CodeOf(err), "error %v", err)
			refused++
		}
		require.Equal(t, 25, ok)
		require.Equal(t, n-25, refused)
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Zero(t, must(tx.Ledger().Balance(ctx, wallet, usd))(t))
			require.Empty(t, ledger.Check(must(tx.Ledger().Balances(ctx))(t)))
			require.Len(t, must(tx.Ledger().Entries(ctx, wallet, 0, 0))(t), 26)
			require.Len(t, must(tx.Events().List(ctx, "acc_1", 0, 0))(t), 25, "the refused transactions' events rolled back")
		})
	})
}
