package apikey

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewParseMatch(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k, secret, err := New(bytes.NewReader(bytes.Repeat([]byte{7}, 32)), "acc_1", "ci", now)
	require.NoError(t, err)
	require.Equal(t, "agk_070707070707", k.Prefix)
	require.True(t, len(secret) > 40 && secret[:len(k.Prefix)] == k.Prefix, secret)
	require.NotContains(t, k.Hash, secret)

	id, ok := Parse(secret)
	require.True(t, ok)
	require.Equal(t, k.ID, id)
	require.True(t, k.Matches(secret))
	require.False(t, k.Matches(secret+"x"))
	require.True(t, k.Active())

	for _, bad := range []string{"", "agk_", "agk_short_x", "sk_070707070707_x", "agk_070707070707_"} {
		_, ok := Parse(bad)
		require.False(t, ok, bad)
	}
	_, _, err = New(bytes.NewReader(nil), "acc_1", "ci", now)
	require.Error(t, err)
}
