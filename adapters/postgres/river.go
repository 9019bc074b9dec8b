package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Timers run through River (github.com/riverqueue/river): Timers.Schedule writes the timer row and,
// in the same transaction, inserts a River job scheduled at its due time, so a timer exists and
// runs if and only if its cause committed. River gives each job to exactly one worker among all
// replicas. The timers table stays the source of truth: a job whose timer is gone (deleted, or
// run by another path) or was replaced by a later schedule does nothing.

// timerArgs is the River job of one scheduled timer.
type timerArgs struct {
	TimerID string    `json:"timer_id"`
	DueAt   time.Time `json:"due_at"` // which schedule of the timer this job is for
}

// Kind names the job kind in River's tables.
func (timerArgs) Kind() string { return "agentgigs_timer" }

// newInserter returns the insert-only River client the timers repository enqueues with.
func newInserter(pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{SkipUnknownJobCheck: true})
	if err != nil { // only an invalid configuration fails, and this one is fixed
		panic(fmt.Sprintf("postgres: creating the River inserter: %v", err))
	}
	return c
}

// migrateRiver creates or updates River's own tables in the connection's schema, one River
// version per transaction (some add an enum value a later one uses), all on conn, which holds the
// migration lock, so no other connection is needed.
func migrateRiver(ctx context.Context, conn *pgx.Conn) error {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return fmt.Errorf("postgres: River migrator: %w", err)
	}
	for {
		var applied int
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// MigrateTx is deprecated because some River versions cannot share a transaction;
			// one version per transaction (MaxSteps 1) is exactly what avoids that, and it lets
			// the migration run on the connection holding our lock.
			//lint:ignore SA1019 one version per transaction, see above
			res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
			if err == nil {
				applied = len(res.Versions)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: River migrations: %w", err)
		}
		if applied == 0 {
			return nil
		}
	}
}

// TimerHandler runs one due timer (the marketplace service is one).
type TimerHandler interface {
	HandleTimer(ctx context.Context, t ports.Timer) error
}

// TimerRunner works the store's timers through River until Stop.
type TimerRunner struct {
	client *river.Client[pgx.Tx]
}

// StartTimers starts a River client working the timers with up to workers at once, calling h for
// each due timer. clock is the marketplace's clock: a job River hands over before the timer is due
// by that clock waits again. A failing timer is retried by River with backoff.
func StartTimers(ctx context.Context, s *Store, h TimerHandler, clock ports.Clock, workers int, log *slog.Logger) (*TimerRunner, error) {
	ws := river.NewWorkers()
	river.AddWorker(ws, &timerWorker{s: s, h: h, clock: clock})
	c, err := river.NewClient(riverpgxv5.New(s.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(workers, 1)}},
		Workers:           ws,
		Logger:            log,
		FetchPollInterval: 200 * time.Millisecond,
		FetchCooldown:     50 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: River client: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("postgres: starting River: %w", err)
	}
	return &TimerRunner{client: c}, nil
}

// Stop lets running timers finish (within ctx) and stops fetching.
func (r *TimerRunner) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

type timerWorker struct {
	river.WorkerDefaults[timerArgs]
	s     *Store
	h     TimerHandler
	clock ports.Clock
}

// Work runs the timer the job is for, if it is still scheduled for that time.
func (w *timerWorker) Work(ctx context.Context, j *river.Job[timerArgs]) error {
	tm, err := w.s.timer(ctx, j.Args.TimerID)
	if errors.Is(err, ports.ErrNotFound) {
		return nil // deleted: the work was done or is no longer wanted
	}
	if err != nil {
		return err
	}
	if !tm.DueAt.Equal(j.Args.DueAt.UTC().Truncate(time.Microsecond)) {
		return nil // rescheduled: the job of the new schedule runs it
	}
	if wait := tm.DueAt.Sub(w.clock.Now()); wait > 0 {
		return river.JobSnooze(wait)
	}
	return w.h.HandleTimer(ctx, tm)
}

// timer reads one timer row.
func (s *Store) timer(ctx context.Context, id string) (ports.Timer, error) {
	tm, err := scanTimer(s.pool.QueryRow(ctx, `SELECT `+timerCols+` FROM timers WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ports.Timer{}, notFound("timer", id)
	}
	if err != nil {
		return ports.Timer{}, translate("timer", err, false)
	}
	return tm, nil
}
