package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// runTimers is the in-process scheduler of the embedded default: every tick it runs the timers
// due by the clock's time, until ctx is cancelled. Failures are logged; the failed timers stay
// scheduled and are tried again on the next tick.
func runTimers(ctx context.Context, store ports.Store, h market.TimerHandler, clock ports.Clock, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := market.RunDue(ctx, store, h, clock.Now()); err != nil && ctx.Err() == nil {
			log.Error("running due timers", "err", err)
		}
	}
}
