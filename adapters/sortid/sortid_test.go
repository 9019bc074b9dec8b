package sortid

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

func TestIDsConformance(t *testing.T) {
	conformance.IDs(t, func(t *testing.T) ports.IDs { return New() })
}

func TestIDsSortAcrossGeneratorsAndRestarts(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	first := &IDs{now: func() time.Time { return at }}
	before := first.New("job")
	// A restarted process (or another replica) a millisecond later sorts after.
	second := &IDs{now: func() time.Time { return at.Add(time.Millisecond) }}
	after := second.New("job")
	require.Less(t, before, after)
	require.Len(t, after, len("job_")+22)

	// A clock stepping back does not make a generator repeat or go backwards.
	stepped := &IDs{now: func() time.Time { return at }}
	a := stepped.New("x")
	stepped.now = func() time.Time { return at.Add(-time.Second) }
	b := stepped.New("x")
	require.Less(t, a, b)
}
