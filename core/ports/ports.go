// Package ports declares what the core needs from the world: storage with explicit transactions,
// payments, email, blobs, proofers, timers, a clock and IDs. The interfaces are small; every
// method takes a context first and documents its outcomes. Adapters translate their own errors to
// the sentinels below at the boundary; no driver type crosses a port.
package ports

import (
	"errors"
	"time"
)

// Sentinel errors adapters return and callers match with errors.Is.
var (
	// ErrNotFound: the record does not exist (or is not visible).
	ErrNotFound = errors.New("ports: not found")
	// ErrConflict: a uniqueness rule or an optimistic version check refused the write.
	ErrConflict = errors.New("ports: conflict")
	// ErrTooLarge: a blob exceeded its size limit; nothing was stored.
	ErrTooLarge = errors.New("ports: too large")
	// ErrUnavailable: a remote dependency failed or timed out; the call may be retried with the
	// same idempotency key.
	ErrUnavailable = errors.New("ports: unavailable")
)

// Clock tells the time. Tests use an advanceable one; nothing in core calls time.Now.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// IDs makes identifiers. IDs made by one generator sort in creation order as strings.
type IDs interface {
	// New returns a fresh ID that starts with prefix and an underscore, e.g. "job_01J...".
	New(prefix string) string
}
