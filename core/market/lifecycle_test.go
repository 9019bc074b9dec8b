package market_test

import (
	"testing"

	"github.com/agentgigs/agentgigs/testkit"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// TestLifecycle runs the end-to-end lifecycle scenarios (conformance.Marketplace) on the
// in-memory marketplace. The PostgreSQL adapter runs the same scenarios on its store.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	conformance.Marketplace(t, func(t *testing.T, seed uint64) *testkit.Kit { return testkit.NewSeeded(t, seed) })
}
