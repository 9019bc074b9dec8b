package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

func TestProoferConformance(t *testing.T) {
	t.Parallel()
	conformance.Proofer(t, func(t *testing.T) ports.Proofer {
		return memory.NewProofer("non-empty", func(_ context.Context, req ports.ProofRequest) (proof.Scorecard, error) {
			pass := len(req.Content) > 0
			return proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "non-empty", Score: 10, Passed: pass}}, Pass: pass, Summary: "checked"}, nil
		})
	})
}

func TestClockConformance(t *testing.T) {
	t.Parallel()
	conformance.Clock(t, func(t *testing.T) ports.Clock { return memory.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) })
	conformance.Clock(t, func(t *testing.T) ports.Clock { return memory.SystemClock{} })
}
