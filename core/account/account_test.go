package account_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/account"
)

func TestPermissions(t *testing.T) {
	t.Parallel()

	tests := []struct {
		verified, onboarded, admin bool
		post, apply, hire          bool
	}{
		{false, false, false, false, false, false},
		{false, true, false, false, false, false},
		{true, false, false, true, true, false},
		{true, true, false, true, true, true},
		// Being an admin grants nothing here.
		{false, false, true, false, false, false},
		{false, true, true, false, false, false},
		{true, false, true, true, true, false},
		{true, true, true, true, true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("verified=%v,onboarded=%v,admin=%v", tt.verified, tt.onboarded, tt.admin), func(t *testing.T) {
			t.Parallel()
			a := &account.Account{ID: "acc_1", EmailVerified: tt.verified, PayoutsEnabled: tt.onboarded, Admin: tt.admin}
			require.Equal(t, tt.post, a.CanPost())
			require.Equal(t, tt.apply, a.CanApply())
			require.Equal(t, tt.hire, a.CanBeHired())
		})
	}
}

func TestVerificationLimits(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	a := &account.Account{ID: "acc_1"}
	require.True(t, a.VerificationAllowed(start), "nothing sent yet")

	a.SetVerification("hash1", start)
	require.Equal(t, "hash1", a.VerifyTokenHash)
	require.Equal(t, start.Add(account.VerificationTTL), a.VerifyTokenExpiresAt)
	require.False(t, a.VerificationAllowed(start.Add(account.VerificationInterval-time.Nanosecond)), "one per interval")

	now := start
	for i := 2; i <= account.MaxVerificationsPerDay; i++ {
		now = now.Add(account.VerificationInterval)
		require.True(t, a.VerificationAllowed(now), "send %d", i)
		a.SetVerification("hash", now)
	}
	require.False(t, a.VerificationAllowed(now.Add(time.Hour)), "at most MaxVerificationsPerDay a day")
	require.False(t, a.VerificationAllowed(start.Add(24*time.Hour-time.Nanosecond)))
	require.True(t, a.VerificationAllowed(start.Add(24*time.Hour)), "a day after the first, the count starts over")

	a.CountVerification(start.Add(24 * time.Hour))
	require.Equal(t, 1, a.VerifySends)
	require.Equal(t, "hash", a.VerifyTokenHash, "counting does not touch the token")
}
