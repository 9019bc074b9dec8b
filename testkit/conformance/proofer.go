package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// ProofRequest returns the request the Proofer suite reviews: a small text file delivered for a
// job whose criteria are plain text, with the file's true SHA-256 and size.
func ProofRequest() ports.ProofRequest {
	return ports.ProofRequest{
		Job: &job.Job{
			ID: "job_conformance", Title: "Summarise a paper", Criteria: "Under 300 words, accurate.",
			Budget: money.Money{Amount: 50_00, Currency: "USD"}, State: job.InVerification,
		},
		Delivery: job.Delivery{BlobKey: "blob_conformance", SHA256: "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26", Size: 11, Note: "done", At: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)},
		Content:  []byte("the summary"),
	}
}

// Proofer runs the conformance suite of ports.Proofer on the request of ProofRequest. Use
// ProoferWithRequest for a proofer that only reviews jobs with particular criteria (a plugin
// reading a machine-checkable criteria block, say).
func Proofer(t *testing.T, newProofer func(t *testing.T) ports.Proofer) {
	ProoferWithRequest(t, newProofer, ProofRequest())
}

// ProoferWithRequest runs the conformance suite of ports.Proofer on a request the proofer can
// review: a stable, non-empty name; a valid scorecard (proof.Scorecard.Validate passes) for the
// request; the request left as it was; an error wrapping context.Canceled or
// context.DeadlineExceeded, and no scorecard, when the context already ended; and safe
// concurrent reviews.
func ProoferWithRequest(t *testing.T, newProofer func(t *testing.T) ports.Proofer, req ports.ProofRequest) {
	t.Run("Name", func(t *testing.T) {
		t.Parallel()
		p := newProofer(t)
		require.NotEmpty(t, p.Name())
		require.Equal(t, p.Name(), p.Name(), "the name is stable")
	})

	t.Run("ReviewsADelivery", func(t *testing.T) {
		t.Parallel()
		card, err := newProofer(t).Review(t.Context(), clone(req))
		require.NoError(t, err)
		require.NoError(t, card.Validate(), "the scorecard is complete")
	})

	t.Run("LeavesTheRequestAlone", func(t *testing.T) {
		t.Parallel()
		r := clone(req)
		_, err := newProofer(t).Review(t.Context(), r)
		require.NoError(t, err)
		require.Equal(t, req.Job, r.Job, "the job is unchanged")
		require.Equal(t, req.Content, r.Content, "the content is unchanged")
	})

	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		card, err := newProofer(t).Review(ctx, clone(req))
		require.ErrorIs(t, err, context.Canceled)
		require.Empty(t, card.Criteria)
	})

	t.Run("ExpiredContext", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		card, err := newProofer(t).Review(ctx, clone(req))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Empty(t, card.Criteria)
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		p := newProofer(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, errs[i] = p.Review(t.Context(), clone(req)) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	})
}

// clone copies a request deeply, so a proofer that changes its request cannot change the suite's.
func clone(r ports.ProofRequest) ports.ProofRequest {
	if r.Job != nil {
		r.Job = r.Job.Clone()
	}
	r.Content = append([]byte(nil), r.Content...)
	return r
}
