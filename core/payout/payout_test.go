package payout_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
)

func TestBackoffSequence(t *testing.T) {
	t.Parallel()

	want := []time.Duration{
		time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute,
		6 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}
	for i, w := range want {
		require.Equal(t, w, payout.Backoff(i+1), "after %d failures", i+1)
	}
}

func TestBackoffNeverDecreasesAndIsCapped(t *testing.T) {
	t.Parallel()

	prev := time.Duration(0)
	for n := 0; n <= 1000; n++ {
		d := payout.Backoff(n)
		require.GreaterOrEqual(t, d, prev, "attempt %d", n)
		require.GreaterOrEqual(t, d, time.Minute, "attempt %d", n)
		require.LessOrEqual(t, d, 6*time.Hour, "attempt %d", n)
		prev = d
	}
	require.Equal(t, 6*time.Hour, prev)
	require.Equal(t, 6*time.Hour, payout.Backoff(math.MaxInt))
	require.Equal(t, time.Minute, payout.Backoff(0))
	require.Equal(t, time.Minute, payout.Backoff(-5))
}

func TestRetryable(t *testing.T) {
	t.Parallel()

	tests := []struct {
		status payout.Status
		held   bool
		ref    string
		want   bool
	}{
		{payout.Due, false, "", true},
		{payout.Failed, false, "", true},
		{payout.Due, true, "", false},
		{payout.Failed, true, "", false},
		{payout.Submitted, false, "", true}, // submitted, its outcome never recorded
		{payout.Submitted, false, "tr_1", false},
		{payout.Paid, false, "", false},
		{payout.Stuck, false, "", false},
		{payout.Submitted, true, "", false},
		{payout.Paid, true, "", false},
		{payout.Stuck, true, "", false},
		{payout.Status(""), false, "", false},
		{payout.Status("bogus"), false, "", false},
	}
	for _, tt := range tests {
		p := &payout.Payout{ID: "po_1", Status: tt.status, Held: tt.held, Ref: tt.ref}
		require.Equal(t, tt.want, p.Retryable(), "status %q held %v ref %q", tt.status, tt.held, tt.ref)
	}
}

func TestIdempotencyKeyDependsOnlyOnID(t *testing.T) {
	t.Parallel()

	a := &payout.Payout{ID: "po_1", JobID: "j1", Recipient: "r1", Amount: money.Money{Amount: 100, Currency: "USD"}, Status: payout.Due}
	b := &payout.Payout{ID: "po_1", JobID: "j2", Recipient: "r2", Amount: money.Money{Amount: 999, Currency: "EUR"},
		Status: payout.Failed, Held: true, Attempts: 7, Ref: "tr_1", LastError: "boom", CreatedAt: time.Unix(1, 0), PaidAt: time.Unix(2, 0)}
	c := &payout.Payout{ID: "po_2", JobID: "j1", Recipient: "r1", Amount: a.Amount, Status: payout.Due}

	require.NotEmpty(t, a.IdempotencyKey())
	require.Equal(t, a.IdempotencyKey(), b.IdempotencyKey())
	require.NotEqual(t, a.IdempotencyKey(), c.IdempotencyKey())

	key := a.IdempotencyKey()
	a.Attempts++
	a.Status = payout.Failed
	require.Equal(t, key, a.IdempotencyKey(), "a retry carries the same key")
}
