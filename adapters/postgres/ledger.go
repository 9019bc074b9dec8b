package postgres

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
)

// ---- ledger ----

type ledgerRepo tx

// balanceShards is how many rows one balance may be spread over. A transaction credits one row,
// chosen at random once per transaction, so transactions crediting one account at once (the
// platform's fees, an agent paid by many posters) rarely wait for each other; a debit locks every
// row of its balance and takes from them in order, so that none goes below zero.
const balanceShards = 16

// The statements of a Post's writes, queued one per entry and per balance row. A row Post read
// (and locked) is updated; any other balance is upserted with its delta, which is a credit, or
// belongs to a balance that had no row when Post looked, whose result Post checked from zero: a
// row another transaction inserts meanwhile was only credited, or may go negative (external, a
// receivable's debt), so adding to it is fine. (A read row is not upserted because the balances
// table's CHECK, which refuses a row below zero but an external or receivable one, applies to the
// row an upsert proposes before it finds the conflict.)
var (
	insertEntrySQL = `INSERT INTO ledger_entries (seq, job_id, at, from_account, to_account, amount, currency, memo)
		VALUES (` + xactSeqSQL + ` + $1, $2, $3, $4, $5, $6, $7, $8)`
	updateBalanceSQL = `UPDATE ledger_balances SET balance = balance + $4 WHERE account = $1 AND currency = $2 AND shard = $3`
	upsertBalanceSQL = `INSERT INTO ledger_balances (account, currency, shard, balance) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account, currency, shard) DO UPDATE SET balance = ledger_balances.balance + excluded.balance`
)

// lockReceivableSQL holds a receivable balance ($1 account, $2 currency) until the transaction
// ends, whether or not it has a row yet: an advisory lock in a key space of its own (the
// two-key form, whose first key no other lock uses). A receivable's first debit inserts its row,
// which a concurrent transaction could not lock before; this lock makes the check of a debt and
// the post that follows it race-free. It is its own statement, so that under READ COMMITTED the
// read that follows it sees what the transaction it waited for committed.
const lockReceivableSQL = `SELECT pg_advisory_xact_lock(1667326273, hashtext($1 || '/' || $2))`

// lockReceivable queues the lock of the balance of k when k is a receivable's.
func (t *tx) lockReceivable(k ledger.Key) {
	if !k.Account.MayGoPositive() {
		t.add("Ledger.LockReceivable", lockReceivableSQL, string(k.Account), string(k.Currency))
	}
}

// balanceRow is one row of a balance.
type balanceRow struct {
	shard   int16
	balance int64
}

// Post locks and reads the balances the entries debit, and the receivables they credit (in a
// fixed order, so concurrent posts cannot deadlock on them; a receivable is held even before it
// has a row, as Balance holds it), applies the entries with ledger.Balances.Apply, the rules the
// memory adapter applies, and writes only if they pass: a refused Post writes nothing and leaves
// the transaction usable. Other balances that are only
// credited are neither read nor locked before the write, since a credit cannot take them below
// zero, and the credit goes to the transaction's own row of the balance (balanceShards). A
// receivable, which a credit could take above zero, is kept in one row (shard 0), so that the
// schema can check each row stays at or below zero. Entries are numbered in the order they are
// posted.
func (r *ledgerRepo) Post(ctx context.Context, entries ...ledger.Entry) error {
	t := (*tx)(r)
	if len(entries) == 0 {
		return nil
	}
	transfers := make([]ledger.Transfer, len(entries))
	read := map[ledger.Key]bool{} // the balances Apply must see whole: debited, or a receivable
	var keys []ledger.Key
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
		transfers[i] = e.Transfer
		from, to := ledger.Key{Account: e.From, Currency: e.Amount.Currency}, ledger.Key{Account: e.To, Currency: e.Amount.Currency}
		read[from] = true
		if !e.To.MayGoPositive() {
			read[to] = true
		}
		keys = append(keys, from, to)
	}
	slices.SortFunc(keys, func(a, b ledger.Key) int {
		if c := strings.Compare(string(a.Account), string(b.Account)); c != 0 {
			return c
		}
		return strings.Compare(string(a.Currency), string(b.Currency))
	})
	keys = slices.Compact(keys)
	var accounts, currencies []string
	for _, k := range keys {
		if read[k] {
			t.lockReceivable(k)
			accounts, currencies = append(accounts, string(k.Account)), append(currencies, string(k.Currency))
		}
	}

	before, rows := ledger.Balances{}, map[ledger.Key][]balanceRow{}
	// Primary-key lookups per key, locking in the keys' order, whatever the table's statistics;
	// each balance's rows come in shard order.
	err := t.query(ctx, "Ledger.Post", `SELECT b.account, b.currency, b.shard, b.balance
		FROM unnest($1::text[], $2::text[]) AS k(account, currency)
		CROSS JOIN LATERAL (SELECT account, currency, shard, balance FROM ledger_balances
			WHERE account = k.account AND currency = k.currency ORDER BY shard FOR UPDATE) AS b`,
		[]any{accounts, currencies}, func(rs pgx.Rows) error {
			var a, c string
			var row balanceRow
			if err := rs.Scan(&a, &c, &row.shard, &row.balance); err != nil {
				return err
			}
			k := ledger.Key{Account: ledger.Account(a), Currency: money.Currency(c)}
			before[k] += row.balance
			rows[k] = append(rows[k], row)
			return nil
		})
	if err != nil {
		return err
	}
	after := maps.Clone(before)
	if err := after.Apply(transfers...); err != nil {
		return err // refused: nothing written
	}
	prior, err := reserve(&t.appended.entries, len(entries), "ledger entries")
	if err != nil {
		return err
	}
	for i, e := range entries {
		t.queue("Ledger.Post", insertEntrySQL, prior+int64(i)+1, e.JobID, ts(e.At), string(e.From), string(e.To),
			e.Amount.Amount, string(e.Amount.Currency), e.Memo)
	}
	for _, k := range keys {
		if rs, ok := rows[k]; ok {
			spread(rs, after[k]-before[k], k.Account.MayGoNegative(), func(shard int16, delta int64) {
				t.queue("Ledger.Post", updateBalanceSQL, string(k.Account), string(k.Currency), shard, delta)
			})
		} else {
			t.queue("Ledger.Post", upsertBalanceSQL, string(k.Account), string(k.Currency), t.creditShard(k.Account), after[k])
		}
	}
	return nil
}

// creditShard is the balance row of a that the transaction credits (balanceShards): shard 0 for a
// receivable, which has only that row.
func (t *tx) creditShard(a ledger.Account) int16 {
	if !a.MayGoPositive() {
		return 0
	}
	if t.shard == 0 {
		t.shard = 1 + int16(rand.IntN(balanceShards))
	}
	return t.shard - 1
}

// spread changes a balance whose rows are rs by delta, calling change for each row to change: a
// gain goes to its first row, a loss is taken from the rows in order, each down to zero at most
// (an account that may go negative takes it all on its first row). Apply has checked that the
// rows hold enough.
func spread(rs []balanceRow, delta int64, mayGoNegative bool, change func(shard int16, delta int64)) {
	if delta >= 0 || mayGoNegative {
		if delta != 0 {
			change(rs[0].shard, delta)
		}
		return
	}
	for _, r := range rs {
		if take := min(r.balance, -delta); take > 0 {
			change(r.shard, -take)
			delta += take
		}
		if delta == 0 {
			return
		}
	}
}

// Balance sums the balance's rows, locking them, as the first step of a check-then-post; a
// receivable's is held even before it has a row (lockReceivable).
func (r *ledgerRepo) Balance(ctx context.Context, a ledger.Account, cur money.Currency) (int64, error) {
	t := (*tx)(r)
	t.lockReceivable(ledger.Key{Account: a, Currency: cur})
	var v int64
	err := t.queryRow(ctx, "Ledger.Balance", `SELECT coalesce(sum(balance), 0)::bigint FROM (
			SELECT balance FROM ledger_balances WHERE account = $1 AND currency = $2 ORDER BY shard FOR UPDATE) AS b`,
		[]any{string(a), string(cur)}, &v)
	return v, err
}

// Balances reads every balance in one statement, a consistent snapshot, without locking.
func (r *ledgerRepo) Balances(ctx context.Context) (ledger.Balances, error) {
	t := (*tx)(r)
	out := ledger.Balances{}
	err := t.query(ctx, "Ledger.Balances", `SELECT account, currency, sum(balance)::bigint FROM ledger_balances
		GROUP BY account, currency`, nil, func(rows pgx.Rows) error {
		var a, c string
		var v int64
		if err := rows.Scan(&a, &c, &v); err != nil {
			return err
		}
		out[ledger.Key{Account: ledger.Account(a), Currency: money.Currency(c)}] = v
		return nil
	})
	return out, err
}

const entryCols = `seq, job_id, at, from_account, to_account, amount, currency, memo`

// Entries reads the account's entries through the indexes on each side of a transfer.
func (r *ledgerRepo) Entries(ctx context.Context, a ledger.Account, afterSeq int64, limit int) ([]ledger.Entry, error) {
	t := (*tx)(r)
	settled := settledSQL("seq")
	sql := `SELECT ` + entryCols + ` FROM ledger_entries WHERE seq > $1 AND ` + settled + ` ORDER BY seq LIMIT $2`
	args := []any{afterSeq, limitOrAll(limit)}
	if a != "" {
		sql = `SELECT * FROM (
			(SELECT ` + entryCols + ` FROM ledger_entries WHERE from_account = $3 AND seq > $1 AND ` + settled + ` ORDER BY seq LIMIT $2)
			UNION ALL
			(SELECT ` + entryCols + ` FROM ledger_entries WHERE to_account = $3 AND seq > $1 AND ` + settled + ` ORDER BY seq LIMIT $2)
		) AS e ORDER BY seq LIMIT $2`
		args = append(args, string(a))
	}
	var out []ledger.Entry
	err := t.querySettled(ctx, "ledger_entries", "Ledger.Entries", sql, args, func() { out = nil }, func(rows pgx.Rows) error {
		var (
			e             ledger.Entry
			at            *time.Time
			from, to, cur string
		)
		if err := rows.Scan(&e.Seq, &e.JobID, &at, &from, &to, &e.Amount.Amount, &cur, &e.Memo); err != nil {
			return err
		}
		e.At, e.From, e.To, e.Amount.Currency = fromTS(at), ledger.Account(from), ledger.Account(to), money.Currency(cur)
		out = append(out, e)
		return nil
	})
	return out, err
}

// ---- events ----

type eventsRepo tx

// appendEventSQL appends one event as the $1-th of the transaction, and records who may see it
// ($8, distinct accounts).
var appendEventSQL = `WITH e AS (
		INSERT INTO events (seq, id, type, job_id, accounts, data, at)
		VALUES (` + xactSeqSQL + ` + $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) RETURNING seq
	)
	INSERT INTO event_visibility (account_id, seq) SELECT a, e.seq FROM e, unnest($8::text[]) AS a`

// Append numbers events in the order they are appended, one statement each (they are queued).
func (r *eventsRepo) Append(ctx context.Context, events ...event.Event) error {
	t := (*tx)(r)
	prior, err := reserve(&t.appended.events, len(events), "events")
	if err != nil {
		return err
	}
	for i, e := range events {
		var accounts, data []byte
		if e.Accounts != nil {
			if accounts, err = json.Marshal(e.Accounts); err != nil {
				return err
			}
		}
		if e.Data != nil {
			if data, err = json.Marshal(e.Data); err != nil {
				return err
			}
		}
		visible := slices.Clone(e.Accounts)
		slices.Sort(visible)
		t.queue("Events.Append", appendEventSQL, prior+int64(i)+1, e.ID, e.Type, e.JobID,
			nullText(accounts), nullText(data), ts(e.At), slices.Compact(visible))
	}
	return nil
}

// nullText is a JSON document as text for a jsonb parameter: NULL when there is none.
func nullText(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

const eventCols = `e.seq, e.id, e.type, e.job_id, e.accounts, e.data, e.at`

func (r *eventsRepo) List(ctx context.Context, accountID string, afterSeq int64, limit int) ([]event.Event, error) {
	t := (*tx)(r)
	sql := `SELECT ` + eventCols + ` FROM events AS e WHERE e.seq > $1 AND ` + settledSQL("e.seq") + ` ORDER BY e.seq LIMIT $2`
	args := []any{afterSeq, limitOrAll(limit)}
	if accountID != "" {
		sql = `SELECT ` + eventCols + ` FROM event_visibility AS v JOIN events AS e ON e.seq = v.seq
			WHERE v.account_id = $3 AND v.seq > $1 AND ` + settledSQL("v.seq") + ` ORDER BY v.seq LIMIT $2`
		args = append(args, accountID)
	}
	var out []event.Event
	err := t.querySettled(ctx, "events", "Events.List", sql, args, func() { out = nil }, func(rows pgx.Rows) error {
		var (
			e              event.Event
			accounts, data []byte
			at             *time.Time
		)
		if err := rows.Scan(&e.Seq, &e.ID, &e.Type, &e.JobID, &accounts, &data, &at); err != nil {
			return err
		}
		if accounts != nil {
			if err := json.Unmarshal(accounts, &e.Accounts); err != nil {
				return err
			}
		}
		if data != nil {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return err
			}
		}
		e.At = fromTS(at)
		out = append(out, e)
		return nil
	})
	return out, err
}

// ---- audit ----

type auditRepo tx

// Append numbers entries in the order they are appended.
func (r *auditRepo) Append(ctx context.Context, a event.Audit) error {
	t := (*tx)(r)
	prior, err := reserve(&t.appended.audit, 1, "audit entries")
	if err != nil {
		return err
	}
	t.queue("Audit.Append", `INSERT INTO audit (seq, actor_id, action, job_id, reason, at)
		VALUES (`+xactSeqSQL+` + $1 + 1, $2, $3, $4, $5, $6)`,
		prior, a.ActorID, a.Action, a.JobID, a.Reason, ts(a.At))
	return nil
}

func (r *auditRepo) List(ctx context.Context, afterSeq int64, limit int) ([]event.Audit, error) {
	t := (*tx)(r)
	var out []event.Audit
	err := t.querySettled(ctx, "audit", "Audit.List", `SELECT seq, actor_id, action, job_id, reason, at FROM audit
		WHERE seq > $1 AND `+settledSQL("seq")+` ORDER BY seq LIMIT $2`, []any{afterSeq, limitOrAll(limit)}, func() { out = nil }, func(rows pgx.Rows) error {
		var (
			a  event.Audit
			at *time.Time
		)
		if err := rows.Scan(&a.Seq, &a.ActorID, &a.Action, &a.JobID, &a.Reason, &at); err != nil {
			return err
		}
		a.At = fromTS(at)
		out = append(out, a)
		return nil
	})
	return out, err
}
