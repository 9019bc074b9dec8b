package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/ports"
)

// Proofer runs the conformance suite of ports.Proofer: a stable, non-empty name; a valid
// scorecard (proof.Scorecard.Validate passes) for an ordinary file delivery; an error, and no
// scorecard, when the context is already cancelled; and safe concurrent reviews.
func Proofer(t *testing.T, newProofer func(t *testing.T) ports.Proofer) {
	req := ports.ProofRequest{
		Job: &job.Job{
			ID: "job_conformance", Title: "Summarise a paper", Criteria: "Under 300 words, accurate.",
			Budget: money.Money{Amount: 50_00, Currency: "USD"}, State: job.InVerification,
		},
		Delivery: job.Delivery{BlobKey: "blob_conformance", SHA256: "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26", Size: 11, Note: "done", At: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)},
		Content:  []byte("the summary"),
	}

	t.Run("Name", func(t *testing.T) {
		t.Parallel()
		p := newProofer(t)
		require.NotEmpty(t, p.Name())
		require.Equal(t, p.Name(), p.Name(), "the name is stable")
	})

	t.Run("ReviewsADelivery", func(t *testing.T) {
		t.Parallel()
		card, err := newProofer(t).Review(t.Context(), req)
		require.NoError(t, err)
		require.NoError(t, card.Validate(), "the scorecard is complete")
	})

	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		card, err := newProofer(t).Review(ctx, req)
		require.ErrorIs(t, err, context.Canceled)
		require.Empty(t, card.Criteria)
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		p := newProofer(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, errs[i] = p.Review(t.Context(), req) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	})
}
