package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Seq numbers of the append-only logs (ledger entries, events, audit) come from the appending
// transaction's ID, not from a counter: Seq = xid << seqBits + the entry's ordinal within its
// transaction. A counter row would stay locked until its transaction ends, so every appending
// transaction would wait for the one before it; transaction IDs are handed out without a lock.
//
// A transaction's ID is lower than that of every transaction that gets one later, so a reader
// lists only settled entries: those of transactions older than every transaction still running
// (settledSQL), plus its own. Every entry that can still appear then has a higher Seq than any it
// was given, and a reader paging with Seq > after never skips an entry that commits late. So that
// a reader still sees what committed before it looked (read your writes), a list that finds
// entries visible but not settled yet waits for them (querySettled): the few milliseconds until
// the older transactions running at that moment end, at most defaultSettleWait.
//
// With 20 bits for the ordinal, Seq stays below 2^63 for 2^43 transaction IDs, and one
// transaction appends at most 2^20-1 entries to one log.
const seqBits = 20

// maxPerTx is how many entries one transaction may append to one log.
const maxPerTx = 1<<seqBits - 1

// defaultSettleWait bounds how long a list waits for older transactions to end; after it, the
// list returns what has settled.
const defaultSettleWait = 2 * time.Second

var (
	// xactSeqSQL is the Seq before the current transaction's first entry: its ID shifted by
	// seqBits (which gives the transaction an ID if it has none yet).
	xactSeqSQL = fmt.Sprintf(`(pg_current_xact_id()::text::bigint << %d)`, seqBits)
	// horizonSQL is the lowest Seq a transaction still running may write.
	horizonSQL = fmt.Sprintf(`(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << %d)`, seqBits)
)

// settledSQL returns the condition that the Seq in col is settled: written by a transaction
// older than every transaction still running, or by the reader's own. The subqueries run once
// per statement, so an index on col still serves a range on it.
func settledSQL(col string) string {
	return fmt.Sprintf(`(%[1]s < (SELECT %[2]s) OR %[1]s >> %[3]d = (SELECT pg_current_xact_id_if_assigned()::text::bigint))`,
		col, horizonSQL, seqBits)
}

// reserve reserves n ordinals in a log of which the transaction has appended *used entries and
// returns how many it had appended before, or an error when it would exceed maxPerTx.
func reserve(used *int64, n int, log string) (int64, error) {
	if *used+int64(n) > maxPerTx {
		return 0, fmt.Errorf("postgres: one transaction may append at most %d %s", maxPerTx, log)
	}
	before := *used
	*used += int64(n)
	return before, nil
}

// querySettled runs sql, a list of table's settled entries (see settledSQL), with scan for each
// row. In the same round trip it checks whether entries that were visible then had not settled
// yet; only then does it wait for them (at most settleWait) and run the list again, after reset,
// so that a reader sees what committed before it looked. In a transaction that has an ID (it
// wrote or locked a row) the horizon stays below its own entries, so the check counts only the
// entries of older transactions: a list there shows what committed before the transaction got
// its ID, and never skips what commits later.
func (t *tx) querySettled(ctx context.Context, table, op, sql string, args []any, reset func(), scan func(pgx.Rows) error) error {
	var newest *int64
	var horizon int64
	t.add(op, fmt.Sprintf(`SELECT (SELECT max(seq) FROM %s
		WHERE seq < coalesce(pg_current_xact_id_if_assigned()::text::bigint << %d, 9223372036854775807)), %s`,
		table, seqBits, horizonSQL)).QueryRow(func(r pgx.Row) error { return r.Scan(&newest, &horizon) })
	if err := t.query(ctx, op, sql, args, scan); err != nil || newest == nil || *newest < horizon {
		return err
	}
	deadline := time.Now().Add(t.s.settleWait)
	for pause := 200 * time.Microsecond; *newest >= horizon && time.Now().Before(deadline); pause = min(2*pause, 10*time.Millisecond) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		if err := t.queryRow(ctx, op, `SELECT `+horizonSQL, nil, &horizon); err != nil {
			return err
		}
	}
	reset()
	return t.query(ctx, op, sql, args, scan)
}
