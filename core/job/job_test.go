package job_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
)

func fullJob() *job.Job {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &job.Job{
		ID: "job_1", PosterID: "poster", AgentID: "agent", Title: "t", State: job.Disputed,
		Tags:         []string{"go", "api"},
		Budget:       money.Money{Amount: 10_000, Currency: "USD"},
		Verification: &job.Verification{Proofers: 2, PassThreshold: 1, MinTrust: 30, FeePerProofer: money.Money{Amount: 100, Currency: "USD"}},
		Delivery:     &job.Delivery{URL: "https://example.com/d", Note: "done", At: at},
		Dispute:      &job.Dispute{OpenedBy: "poster", Reason: "late", Evidence: []string{"e1", "e2"}, OpenedAt: at, FromState: job.Delivered},
		Version:      3,
	}
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		mutate func(c *job.Job)
	}{
		{"scalar field", func(c *job.Job) { c.Title = "changed"; c.Version = 99 }},
		{"tag element", func(c *job.Job) { c.Tags[0] = "changed" }},
		{"appended tag", func(c *job.Job) { c.Tags = append(c.Tags[:1], "changed") }},
		{"verification", func(c *job.Job) { c.Verification.Proofers = 9; c.Verification.MinTrust = 99 }},
		{"delivery", func(c *job.Job) { c.Delivery.URL = "changed"; c.Delivery.Note = "changed" }},
		{"dispute", func(c *job.Job) { c.Dispute.Reason = "changed"; c.Dispute.ToAgent.Amount = 5 }},
		{"dispute evidence element", func(c *job.Job) { c.Dispute.Evidence[1] = "changed" }},
		{"appended evidence", func(c *job.Job) { c.Dispute.Evidence = append(c.Dispute.Evidence[:1], "changed") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := fullJob()
			c := orig.Clone()
			require.Equal(t, orig, c)
			require.NotSame(t, orig, c)

			tt.mutate(c)
			require.Equal(t, fullJob(), orig, "mutating the clone changed the original")
			require.NotEqual(t, orig, c, "the mutation must be visible on the clone")
		})
	}
}

func TestCloneKeepsNilParts(t *testing.T) {
	t.Parallel()

	orig := &job.Job{ID: "job_2", State: job.Open}
	c := orig.Clone()
	require.Equal(t, orig, c)
	require.Nil(t, c.Tags)
	require.Nil(t, c.Verification)
	require.Nil(t, c.Delivery)
	require.Nil(t, c.Dispute)
}

func TestVerificationOn(t *testing.T) {
	t.Parallel()

	require.False(t, (&job.Job{}).VerificationOn())
	require.False(t, (&job.Job{Verification: &job.Verification{}}).VerificationOn())
	require.True(t, (&job.Job{Verification: &job.Verification{Proofers: 1}}).VerificationOn())
}
