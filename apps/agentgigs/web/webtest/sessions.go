// Package webtest holds the conformance suite every adapter of the web pages' Sessions port must
// pass.
package webtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/apps/agentgigs/web"
)

// Sessions checks a Sessions adapter; newSessions gives each subtest an empty store.
func Sessions(t *testing.T, newSessions func(*testing.T) web.Sessions) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := web.Session{ID: "s1", AccountID: "acc_1", CSRF: "c1", ExpiresAt: now.Add(time.Hour)}
	t.Run("PutGet", func(t *testing.T) {
		t.Parallel()
		st := newSessions(t)
		require.NoError(t, st.Put(ctx, s))
		got, err := st.Get(ctx, "s1", now)
		require.NoError(t, err)
		require.Equal(t, s.AccountID, got.AccountID)
		require.Equal(t, s.CSRF, got.CSRF)
		require.True(t, s.ExpiresAt.Equal(got.ExpiresAt))
	})
	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		_, err := newSessions(t).Get(ctx, "nope", now)
		require.ErrorIs(t, err, web.ErrNoSession)
	})
	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		st := newSessions(t)
		require.NoError(t, st.Put(ctx, s))
		_, err := st.Get(ctx, "s1", s.ExpiresAt)
		require.ErrorIs(t, err, web.ErrNoSession)
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		st := newSessions(t)
		require.NoError(t, st.Put(ctx, s))
		require.NoError(t, st.Delete(ctx, "s1"))
		require.NoError(t, st.Delete(ctx, "s1"), "deleting an unknown session is not an error")
		_, err := st.Get(ctx, "s1", now)
		require.ErrorIs(t, err, web.ErrNoSession)
	})
}
