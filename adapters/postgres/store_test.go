package postgres_test

import (
	"testing"

	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

var _ ports.Store = (*postgres.Store)(nil)

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	conformance.Store(t, func(t *testing.T) ports.Store { return pgtest.Store(t) })
}

func TestBlobsConformance(t *testing.T) {
	t.Parallel()
	conformance.Blobs(t, func(t *testing.T) ports.Blobs { return pgtest.Store(t).Blobs() })
}

// newKit is a marketplace over a Store on a fresh schema.
func newKit(t *testing.T, seed uint64) *testkit.Kit {
	return testkit.NewWith(t, testkit.Options{Store: pgtest.Store(t), Seed: seed})
}

func TestMarketplace(t *testing.T) {
	t.Parallel()
	conformance.Marketplace(t, newKit)
}
