// Package postgres is the PostgreSQL adapter of ports.Store, built on pgx: every repository of
// ports.Tx over one pgx transaction per WithinTx, an embedded schema with numbered migrations
// (Migrate, MigrateDown, MigrationStatus) and a bulk loader for browse data (Seed).
//
// # Transactions and locking
//
// WithinTx runs fn in one READ COMMITTED transaction in which every record read through the Tx is
// locked until the transaction ends, so concurrent transactions that touch the same job, payout,
// task, application, top-up or balance run one after the other and each sees what the previous one
// committed: those reads are SELECT ... FOR UPDATE. Accounts are read FOR SHARE, so the many
// transactions that read their caller's account do not queue behind each other, while an update
// still waits for them. A transaction that PostgreSQL aborts as a deadlock (40P01) or
// serialization failure (40001), or whose connection is lost before it commits, is rolled back and
// fn runs again, up to MaxAttempts times in all; fn must therefore not leave effects outside the
// transaction that a second run would repeat. Some reads take no lock: Jobs.List and
// Ledger.Balances, which are consistent snapshots (a job read through List and then updated is
// still protected by the version check of Jobs.Update), Applications.AppliedTo (what matters is
// mostly a row's absence, which no lock holds; the uniqueness constraint refuses a second
// application), and reviews and the append-only logs, whose rows never change. Ledger.Post locks
// only the balances it debits before it checks them.
// A balance is spread over up to 16 rows: a transaction credits one row of its own choosing, so
// posts that credit one hot account (the platform's fees) rarely wait for each other, and a debit
// locks all the rows of its balance. Timers.Due locks the timers it returns and skips those another
// transaction holds (FOR UPDATE SKIP LOCKED), so replicas polling at once do not both take a timer
// while either holds it.
//
// # Errors
//
// Driver errors are translated at the boundary: no rows becomes ports.ErrNotFound, a unique
// violation ports.ErrConflict, a lost connection or a transaction whose commit is in doubt
// ports.ErrUnavailable, and retries exhausted on a serialization failure ports.ErrConflict. No pgx
// type is part of an error's chain. Creates use INSERT ... ON CONFLICT DO NOTHING and updates
// check their uniqueness rules first, so a refused write leaves the transaction usable, as it
// does with the memory adapter. A refused ledger Post (INSUFFICIENT_FUNDS, INVALID_INPUT) checks
// the locked balances before writing anything, so it does not abort the transaction either.
//
// # Storage
//
// Money is bigint minor units with a currency column. Times are timestamptz, returned in UTC with
// microsecond precision (PostgreSQL's), the zero time as NULL; times inside jsonb columns are
// stored the same way. Durations are bigint nanoseconds. The ledger, event and audit logs number
// their entries from the appending transaction's ID, and a list shows only entries that can no
// longer be preceded by one that commits late, so a reader paging with Seq > after never skips
// one (seq.go).
//
// # Round trips
//
// A transaction's BEGIN goes to the server with its first statement, and writes whose outcome
// nobody waits for (appends to the ledger, event and audit logs, timers) go with the next
// statement that returns something or with the COMMIT: a use case that reads what it locks and
// then writes costs about one round trip per read, plus one for the commit. Statements run
// their generic plan (plan_cache_mode, set for the transaction), except Jobs.List, whose best
// plan depends on its filters' values. The River jobs of the timers a transaction schedules are
// inserted in one statement just before its commit.
package postgres
