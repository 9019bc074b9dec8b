package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

type timersRepo tx

// Schedule inserts the timer or replaces the one with its ID, and enqueues its River job (see
// river.go) in the same transaction.
func (r *timersRepo) Schedule(ctx context.Context, tm ports.Timer) error {
	t := (*tx)(r)
	tm.DueAt = tm.DueAt.UTC().Truncate(time.Microsecond)
	t.timers = append(t.timers, river.InsertManyParams{Args: timerArgs{TimerID: tm.ID, DueAt: tm.DueAt}, InsertOpts: &river.InsertOpts{ScheduledAt: tm.DueAt}})
	t.queue("Timers.Schedule", `INSERT INTO timers (id, action, job_id, payout_id, ref, amount, amount_currency, attempt, payload, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET action = excluded.action, job_id = excluded.job_id, payout_id = excluded.payout_id,
			ref = excluded.ref, amount = excluded.amount, amount_currency = excluded.amount_currency,
			attempt = excluded.attempt, payload = excluded.payload, due_at = excluded.due_at`,
		tm.ID, string(tm.Action), tm.JobID, tm.PayoutID, tm.Ref, tm.Amount.Amount, string(tm.Amount.Currency), tm.Attempt, tm.Payload, tm.DueAt)
	return nil
}

// Due claims the timers it returns: it locks them until the transaction ends and skips timers
// another transaction holds (FOR UPDATE SKIP LOCKED), so replicas polling at once take disjoint
// timers while they hold them.
func (r *timersRepo) Due(ctx context.Context, now time.Time, limit int) ([]ports.Timer, error) {
	t := (*tx)(r)
	var out []ports.Timer
	err := t.query(ctx, "Timers.Due", `SELECT `+timerCols+` FROM timers WHERE due_at <= $1 ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
		[]any{now, limitOrAll(limit)}, func(rows pgx.Rows) error {
			tm, err := scanTimer(rows)
			out = append(out, tm)
			return err
		})
	return out, err
}

// timerCols are the columns scanTimer reads.
const timerCols = `id, action, job_id, payout_id, ref, amount, amount_currency, attempt, payload, due_at`

// scanTimer reads a row of timerCols.
func scanTimer(row pgx.Row) (ports.Timer, error) {
	var (
		tm          ports.Timer
		action, cur string
	)
	err := row.Scan(&tm.ID, &action, &tm.JobID, &tm.PayoutID, &tm.Ref, &tm.Amount.Amount, &cur, &tm.Attempt, &tm.Payload, &tm.DueAt)
	tm.Action, tm.Amount.Currency, tm.DueAt = job.Action(action), money.Currency(cur), tm.DueAt.UTC()
	return tm, err
}

// Delete removes the timer; a missing one is not an error.
func (r *timersRepo) Delete(ctx context.Context, id string) error {
	t := (*tx)(r)
	t.queue("Timers.Delete", `DELETE FROM timers WHERE id = $1`, id)
	return nil
}
