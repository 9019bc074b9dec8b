package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/agentgigs/agentgigs/core/ports"
)

// MaxAttempts is how many times WithinTx runs fn when PostgreSQL aborts the transaction as a
// deadlock or serialization failure, or its connection is lost before it commits.
const MaxAttempts = 10

// Store is the PostgreSQL ports.Store. Make one with Open or New; the zero value is not usable.
// It is safe for concurrent use; see the package documentation for how transactions lock.
type Store struct {
	pool  *pgxpool.Pool
	owned bool                  // Close closes the pool
	river *river.Client[pgx.Tx] // enqueues the River job of each scheduled timer
}

// New returns a Store over pool. The schema must be migrated (Migrate) in the first schema of the
// pool's search_path. Close does not close pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, river: newInserter(pool)} }

// Open connects to the database at url (a postgres:// URL or a key=value connection string; a
// search_path parameter selects the schema), checks that it answers, and migrates the schema up
// (Migrate: safe when several replicas open at once). Close the Store to close its connections.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parsing the database URL: %w", errors.New(redact(err)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connecting (%s): %w", redact(err), ports.ErrUnavailable)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: the database does not answer (%s): %w", redact(err), ports.ErrUnavailable)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := New(pool)
	s.owned = true
	return s, nil
}

// redact returns the error's text without the connection string, which may hold a password.
func redact(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "invalid connection string"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return "cannot connect"
	}
	return err.Error()
}

// Close closes the connections if Open made them; with New it does nothing.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Pool returns the Store's connection pool, e.g. to run Migrate or MigrationStatus on it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// WithinTx runs fn in one transaction (see the package documentation). If fn returns nil the
// transaction commits; if fn returns an error or panics it rolls back and the error (or panic) is
// passed on. When PostgreSQL aborts the transaction as a deadlock or serialization failure, or the
// connection is lost before the commit, fn runs again in a new transaction, up to MaxAttempts
// times; then the error matches ports.ErrConflict or ports.ErrUnavailable. If the connection is
// lost during the commit itself, whether it committed is unknown: the error matches
// ports.ErrUnavailable and fn is not run again. If ctx is already done, fn is not run and
// ctx.Err() is returned.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, fn)
		var de *dbError
		if err == nil || !errors.As(err, &de) || !de.retry || attempt >= MaxAttempts {
			return err
		}
		// Back off a random while, growing with the attempts, so that transactions that
		// collided do not collide again in step.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// attempt runs fn in one transaction.
func (s *Store) attempt(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		// Nothing ran yet: retry unless the caller gave up.
		return translate("begin", err, ctx.Err() == nil)
	}
	t := &tx{tx: ptx, s: s}
	committed := false
	defer func() {
		// Runs on return and on panic alike; a panic is not recovered, so it goes on with its
		// original stack once the transaction is rolled back.
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = ptx.Rollback(rctx)
			cancel()
		}
	}()
	if err := fn(ctx, t); err != nil {
		if t.aborted != nil {
			// A statement failed and aborted the transaction, so whatever fn made of it,
			// the transaction is lost: report (and maybe retry) the cause.
			return t.aborted
		}
		return err
	}
	if t.aborted != nil {
		return t.aborted // fn went on after a failed statement; nothing can commit
	}
	if err := ptx.Commit(ctx); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) || errors.Is(err, pgx.ErrTxCommitRollback) {
			return translate("commit", err, false) // the server refused: rolled back
		}
		return &dbError{op: "commit", msg: "the commit's outcome is unknown: " + err.Error(),
			kinds: []error{ports.ErrUnavailable, ctx.Err()}}
	}
	committed = true
	return nil
}

// dbError is a failed database operation, translated to the ports' sentinels. It holds the
// driver's message as text, never a driver value.
type dbError struct {
	op    string
	msg   string
	kinds []error // what it matches with errors.Is: ports sentinels, context errors
	retry bool    // the transaction did not commit and may run again
}

func (e *dbError) Error() string   { return "postgres: " + e.op + ": " + e.msg }
func (e *dbError) Unwrap() []error { return e.kinds }

// SQLSTATE codes the adapter acts on.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeAdminShutdown        = "57P01"
	codeCrashShutdown        = "57P02"
	codeCannotConnectNow     = "57P03"
	classConnection          = "08" // connection exception
	classResources           = "53" // insufficient resources: too many connections, out of memory or disk
)

// translate turns a driver error into a *dbError. connLost tells whether the connection the
// error came from is gone.
func translate(op string, err error, connLost bool) *dbError {
	de := &dbError{op: op, msg: err.Error()}
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		de.msg, de.kinds = "no rows", []error{ports.ErrNotFound}
	case errors.Is(err, context.DeadlineExceeded):
		de.kinds = []error{context.DeadlineExceeded}
	case errors.Is(err, context.Canceled):
		de.kinds = []error{context.Canceled}
	case errors.As(err, &pe):
		de.msg = fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
		if pe.ConstraintName != "" {
			de.msg += " on " + pe.ConstraintName
		}
		switch {
		case pe.Code == codeUniqueViolation:
			de.kinds = []error{ports.ErrConflict}
		case pe.Code == codeSerializationFailure, pe.Code == codeDeadlockDetected:
			de.kinds, de.retry = []error{ports.ErrConflict}, true
		case pe.Code == codeAdminShutdown, pe.Code == codeCrashShutdown, pe.Code == codeCannotConnectNow,
			strings.HasPrefix(pe.Code, classConnection), strings.HasPrefix(pe.Code, classResources):
			de.kinds, de.retry = []error{ports.ErrUnavailable}, true
		}
	case errors.Is(err, pgx.ErrTxCommitRollback):
		de.msg = "the transaction was aborted by an earlier error"
	case connLost:
		// Not a server error, and the connection is gone (closed, reset, timed out).
		de.kinds, de.retry = []error{ports.ErrUnavailable}, true
	}
	return de
}

// tx is the ports.Tx of one WithinTx attempt.
type tx struct {
	s       *Store
	tx      pgx.Tx
	aborted *dbError // the failure that aborted the transaction, if one did
}

// fail translates a statement's error, remembering one that aborted the transaction.
func (t *tx) fail(op string, err error) error {
	de := translate(op, err, t.tx.Conn().IsClosed())
	if !errors.Is(err, pgx.ErrNoRows) && t.aborted == nil {
		t.aborted = de
	}
	return de
}

// exec runs a statement that returns no rows.
func (t *tx) exec(ctx context.Context, op, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(ctx, sql, args...)
	if err != nil {
		return tag, t.fail(op, err)
	}
	return tag, nil
}

// query runs a statement and calls scan for every row it returns.
func (t *tx) query(ctx context.Context, op, sql string, args []any, scan func(pgx.Rows) error) error {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return t.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			rows.Close()
			if rerr := rows.Err(); rerr != nil {
				return t.fail(op, rerr)
			}
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return t.fail(op, err)
	}
	return nil
}

// queryRow runs a statement that returns at most one row and scans it into dest; no row is
// ports.ErrNotFound.
func (t *tx) queryRow(ctx context.Context, op, sql string, args []any, dest ...any) error {
	if err := t.tx.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		return t.fail(op, err)
	}
	return nil
}

func (t *tx) Accounts() ports.Accounts         { return (*accountsRepo)(t) }
func (t *tx) Jobs() ports.Jobs                 { return (*jobsRepo)(t) }
func (t *tx) Applications() ports.Applications { return (*appsRepo)(t) }
func (t *tx) Ledger() ports.Ledger             { return (*ledgerRepo)(t) }
func (t *tx) Payouts() ports.Payouts           { return (*payoutsRepo)(t) }
func (t *tx) TopUps() ports.TopUps             { return (*topUpsRepo)(t) }
func (t *tx) Events() ports.Events             { return (*eventsRepo)(t) }
func (t *tx) Audit() ports.Audit               { return (*auditRepo)(t) }
func (t *tx) Reviews() ports.Reviews           { return (*reviewsRepo)(t) }
func (t *tx) Tasks() ports.Tasks               { return (*tasksRepo)(t) }
func (t *tx) Timers() ports.Timers             { return (*timersRepo)(t) }
func (t *tx) APIKeys() ports.APIKeys           { return (*apiKeysRepo)(t) }
func (t *tx) Webhooks() ports.Webhooks         { return (*webhooksRepo)(t) }
func (t *tx) Idempotency() ports.Idempotency   { return (*idempotencyRepo)(t) }
func (t *tx) ProcessorEvents() ports.ProcessorEvents {
	return (*procEventsRepo)(t)
}

func notFound(kind, id string) error {
	return fmt.Errorf("postgres: %s %q: %w", kind, id, ports.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("postgres: "+format+": %w", append(args, ports.ErrConflict)...)
}
