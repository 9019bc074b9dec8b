package memory

import (
	"sync"
	"time"
)

// Clock is a ports.Clock that stands still until told to move, for tests and the sandbox. It is
// safe for concurrent use. The zero value is usable and reads the zero time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative) and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SystemClock is the real ports.Clock: the wall time in UTC, to the microsecond (what PostgreSQL
// keeps), so that a time answered before it is stored equals the time read back. The zero value
// is ready to use.
type SystemClock struct{}

// Now returns time.Now() in UTC (which also drops the monotonic clock reading), truncated to the
// microsecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// DevClock is the sandbox's clock: the wall time plus an offset that only grows, so an agent can
// jump ahead (through a cooldown, say) while time keeps running. It is safe for concurrent use.
type DevClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall time in UTC plus the offset.
func (c *DevClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}

// Set moves the clock to t; a t before Now is ignored, since the sandbox's time never goes back.
func (c *DevClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(time.Now().UTC().Add(c.offset)); d > 0 {
		c.offset += d
	}
}

// Offset returns how far the clock is ahead of the wall time.
func (c *DevClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
