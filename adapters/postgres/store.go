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
	// settleWait bounds a list's wait for older transactions (seq.go); tests shorten it.
	settleWait time.Duration
}

// New returns a Store over pool. The schema must be migrated (Migrate) in the first schema of the
// pool's search_path. Close does not close pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, river: newInserter(pool), settleWait: defaultSettleWait}
}

// Connect connects to the database at url (a postgres:// URL or a key=value connection string;
// a search_path parameter selects the schema) and checks that it answers; errors never show the
// URL, which may hold a password. It does not migrate. Close the Store to close its connections.
func Connect(ctx context.Context, url string) (*Store, error) {
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
	s := New(pool)
	s.owned = true
	return s, nil
}

// Open connects to the database at url (Connect) and migrates the schema up (Migrate: safe when
// several replicas open at once). Close the Store to close its connections.
func Open(ctx context.Context, url string) (*Store, error) {
	s, err := Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, s.pool); err != nil {
		s.Close()
		return nil, err
	}
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

// attempt runs fn in one transaction. The transaction begins with its first statement and
// commits with its last write, in the same round trips (see tx).
func (s *Store) attempt(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	t := &tx{s: s}
	committed := false
	defer func() {
		// Runs on return and on panic alike; a panic is not recovered, so it goes on with its
		// original stack once the transaction is rolled back.
		if !committed {
			t.rollback(ctx)
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
	if err := t.commit(ctx); err != nil {
		return err
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

// tx is the ports.Tx of one WithinTx attempt. It saves round trips: writes whose outcome
// nobody waits for (appends to the logs, timers) are queued, and go to the server with the next
// statement that returns something, or with the commit; the BEGIN goes with the first statement
// (pgx.Batch.BeginTx). A queued write that fails makes the statement it went with fail, and the
// transaction with it, as it would have done on its own.
type tx struct {
	s       *Store
	conn    *pgxpool.Conn            // acquired at the first round trip
	ptx     pgx.Tx                   // begun by the first round trip
	pending *pgx.Batch               // statements not sent yet
	ops     []string                 // the operation of each pending statement, for errors
	timers  []river.InsertManyParams // River jobs of the timers scheduled, inserted before the commit
	wrote   bool                     // a statement that changes data was sent or queued (exec, writeRow, queue)
	shard   int16                    // 1 + the balance row the transaction credits, once chosen (creditShard)
	aborted *dbError                 // the failure that aborted the transaction, if one did
	// appended counts the entries the transaction appended to each log, which number them (seq.go).
	appended struct{ entries, events, audit int64 }
}

// scanError is a row that could not be read into Go values: it does not abort the transaction.
type scanError struct{ error }

func (e scanError) Unwrap() error { return e.error }

// genericPlansSQL makes the transaction's prepared statements run their generic plan instead of
// planning again at every execution: with arrays as parameters, PostgreSQL finds a custom plan
// cheaper than the generic one and plans each time, which cost more than executing the
// statements (Jobs.List, whose best plan depends on its filters' values, asks for custom plans).
const genericPlansSQL = "SET LOCAL plan_cache_mode = force_generic_plan"

// add appends a statement to the pending ones, after the BEGIN if the transaction has not begun.
func (t *tx) add(op, sql string, args ...any) *pgx.QueuedQuery {
	if t.pending == nil {
		t.pending = &pgx.Batch{}
		if t.ptx == nil {
			t.pending.BeginTx(pgx.TxOptions{})
			t.pending.Queue(genericPlansSQL)
			t.ops = append(t.ops, "begin", "begin")
		}
	}
	t.ops = append(t.ops, op)
	return t.pending.Queue(sql, args...)
}

// queue adds a write whose outcome nobody waits for; see tx.
func (t *tx) queue(op, sql string, args ...any) {
	t.wrote = true
	t.add(op, sql, args...)
}

// send sends the pending statements in one round trip and reads their results. On failure it
// returns the error and the operation of the statement that failed.
func (t *tx) send(ctx context.Context) (string, error) {
	b, ops := t.pending, t.ops
	t.pending, t.ops = nil, nil
	if b == nil {
		return "", nil
	}
	if t.aborted != nil {
		return "", t.aborted
	}
	done := 0
	for _, qq := range b.QueuedQueries {
		if read := qq.Fn; read != nil {
			qq.Fn = func(br pgx.BatchResults) error {
				if err := read(br); err != nil {
					return err
				}
				done++
				return nil
			}
		} else {
			qq.Exec(func(pgconn.CommandTag) error { done++; return nil })
		}
	}
	if t.conn == nil {
		conn, err := t.s.pool.Acquire(ctx)
		if err != nil {
			return "begin", err
		}
		t.conn = conn
	}
	var br pgx.BatchResults
	if t.ptx == nil {
		br = t.conn.SendBatch(ctx, b)
		t.ptx = br.Tx()
	} else {
		br = t.ptx.SendBatch(ctx, b)
	}
	if err := br.Close(); err != nil {
		return ops[min(done, len(ops)-1)], err
	}
	return "", nil
}

// roundTrip sends the pending statements, the last of which reads its results, and translates a
// failure (see fail).
func (t *tx) roundTrip(ctx context.Context) error {
	op, err := t.send(ctx)
	if err == nil {
		return nil
	}
	var se scanError
	if errors.As(err, &se) {
		return fmt.Errorf("postgres: %s: %w", op, se.error)
	}
	return t.fail(op, err)
}

// fail translates a statement's error, remembering one that aborted the transaction. An error
// already translated passes through.
func (t *tx) fail(op string, err error) error {
	de, ok := err.(*dbError)
	if !ok {
		de = translate(op, err, t.conn == nil || t.conn.Conn().IsClosed())
	}
	if !errors.Is(de, ports.ErrNotFound) && t.aborted == nil { // no rows aborts nothing
		t.aborted = de
	}
	return de
}

// exec runs a statement that returns no rows.
func (t *tx) exec(ctx context.Context, op, sql string, args ...any) (pgconn.CommandTag, error) {
	t.wrote = true
	var tag pgconn.CommandTag
	t.add(op, sql, args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	return tag, t.roundTrip(ctx)
}

// query runs a statement and calls scan for every row it returns.
func (t *tx) query(ctx context.Context, op, sql string, args []any, scan func(pgx.Rows) error) error {
	t.add(op, sql, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := scan(rows); err != nil {
				return scanError{err}
			}
		}
		return rows.Err()
	})
	return t.roundTrip(ctx)
}

// queryRow runs a statement that returns at most one row and scans it into dest; no row is
// ports.ErrNotFound.
func (t *tx) queryRow(ctx context.Context, op, sql string, args []any, dest ...any) error {
	return t.row(ctx, op, sql, args...).Scan(dest...)
}

// writeRow is queryRow for a statement that changes data (and so must commit durably).
func (t *tx) writeRow(ctx context.Context, op, sql string, args []any, dest ...any) error {
	t.wrote = true
	return t.queryRow(ctx, op, sql, args, dest...)
}

// row returns the row a statement returns, run when it is scanned: no row is an error matching
// ports.ErrNotFound, and other failures are translated.
func (t *tx) row(ctx context.Context, op, sql string, args ...any) pgx.Row {
	return pendingRow(func(dest ...any) error {
		t.add(op, sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
		return t.roundTrip(ctx)
	})
}

// pendingRow is a pgx.Row whose statement runs when it is scanned.
type pendingRow func(dest ...any) error

func (r pendingRow) Scan(dest ...any) error { return r(dest...) }

// commit sends what is pending, the River jobs of the timers scheduled, and the COMMIT. A server
// error means the transaction did not commit; a connection lost during the last round trip
// leaves its outcome unknown. A transaction that changed no data (it only read, perhaps locking
// rows, which gives it an ID and a commit record) does not wait for its commit record to reach
// the disk: there is nothing in it to keep.
func (t *tx) commit(ctx context.Context) error {
	if t.ptx == nil && t.pending == nil {
		return nil // fn ran no statement
	}
	if len(t.timers) > 0 {
		if err := t.roundTrip(ctx); err != nil {
			return err
		}
		if _, err := t.s.river.InsertManyFastTx(ctx, t.ptx, t.timers); err != nil {
			return t.fail("Timers.Schedule", err)
		}
	}
	if !t.wrote {
		t.add("commit", "SET LOCAL synchronous_commit = off")
	}
	var tag pgconn.CommandTag
	t.add("commit", "commit").Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	op, err := t.send(ctx)
	if err == nil && tag.String() == "ROLLBACK" {
		err = pgx.ErrTxCommitRollback
	}
	if err == nil {
		t.conn.Release()
		t.conn = nil
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) || errors.Is(err, pgx.ErrTxCommitRollback) {
		return t.fail(op, err) // the server refused: rolled back
	}
	return &dbError{op: op, msg: "the commit's outcome is unknown: " + err.Error(),
		kinds: []error{ports.ErrUnavailable, ctx.Err()}}
}

// rollback ends a transaction that did not commit and gives its connection back.
func (t *tx) rollback(ctx context.Context) {
	if t.conn == nil {
		return
	}
	if t.ptx != nil && t.conn.Conn().PgConn().TxStatus() != 'I' && !t.conn.Conn().IsClosed() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = t.ptx.Rollback(rctx)
		cancel()
	}
	t.conn.Release() // closes a connection left in an unknown state
	t.conn = nil
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
