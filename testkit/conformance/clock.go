package conformance

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Clock runs the conformance suite of ports.Clock: Now is never zero, never goes backwards
// between calls, and is safe to call concurrently.
func Clock(t *testing.T, newClock func(t *testing.T) ports.Clock) {
	t.Run("NotZero", func(t *testing.T) {
		t.Parallel()
		require.False(t, newClock(t).Now().IsZero())
	})

	t.Run("Monotonic", func(t *testing.T) {
		t.Parallel()
		c := newClock(t)
		prev := c.Now()
		for range 1000 {
			now := c.Now()
			require.False(t, now.Before(prev), "%v came after %v", now, prev)
			prev = now
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		c := newClock(t)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 100 {
					_ = c.Now()
				}
			})
		}
		wg.Wait()
	})
}
