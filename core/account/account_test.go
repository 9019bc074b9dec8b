package account_test

import (
	"fmt"
	"testing"

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
