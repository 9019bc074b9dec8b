package market

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentgigs/agentgigs/core/ports"
)

// timerBatch is how many due timers one store transaction fetches.
const timerBatch = 100

// TimerHandler runs one due timer; *Service is one.
type TimerHandler interface {
	HandleTimer(ctx context.Context, t ports.Timer) error
}

// RunDue is the in-process scheduler step of the embedded default and the testkit. It runs the store's timers due at now through h, a batch at a time, until none is left
// (timers scheduled by the ones it runs run too when already due). When a timer fails, the rest
// of its batch still runs and RunDue returns the failures without fetching again, so a timer that
// keeps failing cannot spin the loop; it stays scheduled for the next call.
func RunDue(ctx context.Context, store ports.Store, h TimerHandler, now time.Time) error {
	for {
		var due []ports.Timer
		err := store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			var err error
			due, err = tx.Timers().Due(ctx, now, timerBatch)
			return err
		})
		if err != nil || len(due) == 0 {
			return err
		}
		var failed []error
		for _, t := range due {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := h.HandleTimer(ctx, t); err != nil {
				failed = append(failed, fmt.Errorf("timer %s (%s, job %s): %w", t.ID, t.Action, t.JobID, err))
			}
		}
		if len(failed) > 0 {
			return errors.Join(failed...)
		}
	}
}

// SettableClock is a clock Advance moves forward: the testkit's, which stands still, or the
// sandbox's, which also runs on by itself.
type SettableClock interface {
	ports.Clock
	// Set moves the clock to t.
	Set(t time.Time)
}

// Advance moves the clock to target, stopping at each timer that falls due on the way to run it
// at its due time, so that a chain of deadlines (auto-approval, then release, then payout
// retries) plays out as it would in real time. It is the sandbox's and the testkit's fast
// forward. What falls due by the time the clock shows, should a running clock pass target while
// the timers run (the payout a release schedules for its own now), runs too.
func Advance(ctx context.Context, store ports.Store, h TimerHandler, clock SettableClock, target time.Time) error {
	for {
		limit := target
		if now := clock.Now(); now.After(limit) {
			limit = now
		}
		var due []ports.Timer
		err := store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			var err error
			due, err = tx.Timers().Due(ctx, limit, 1)
			return err
		})
		if err != nil {
			return err
		}
		if len(due) == 0 {
			break
		}
		if due[0].DueAt.After(clock.Now()) {
			clock.Set(due[0].DueAt)
		}
		if err := h.HandleTimer(ctx, due[0]); err != nil {
			return fmt.Errorf("timer %s (%s, job %s): %w", due[0].ID, due[0].Action, due[0].JobID, err)
		}
	}
	if target.After(clock.Now()) {
		clock.Set(target)
	}
	return nil
}
