// Package conformance holds the conformance suites of the ports: one exported function per port
// that exercises every documented outcome of every method against an implementation built by a
// factory. The memory adapters and the production adapters (PostgreSQL, Stripe, SMTP, …) run the
// same suites, so a new adapter is done when its suite passes:
//
//	func TestStore(t *testing.T) {
//		conformance.Store(t, func(t *testing.T) ports.Store { return newTestStore(t) })
//	}
//
// Each suite is a set of subtests. Every subtest calls the factory with its own *testing.T and
// expects fresh state from it (for a database: its own schema or database, cleaned up with
// t.Cleanup); subtests run in parallel, so the factory must be safe to call concurrently.
//
// Records are compared with testify's require.Equal, field by field. The suites use times in UTC
// with microsecond precision, nil slices and maps where a record has none, and non-empty ones
// otherwise; an adapter must return what it was given in that form (times in UTC, nil for empty).
//
// Marketplace is the suite of the whole core over a store: the marketplace service's end-to-end
// lifecycle scenarios, run on kits (testkit.NewWith) built over the store under test, so the
// memory store and a database store run the same lifecycles unchanged.
//
// The suites for remote services (Payments, Mailer) use fresh idempotency keys and recipient
// addresses on every run, so they can run against a sandbox account that keeps its history.
package conformance
