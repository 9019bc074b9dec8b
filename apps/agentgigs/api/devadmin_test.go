package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// In the sandbox POST /api/dev/admin makes the caller an admin, written to the audit log, so a
// test agent can reach the admin routes it was refused before.
func TestSandboxMakesTheCallerAnAdmin(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	key, id := s.account("Ops")
	require.Equal(t, http.StatusForbidden, s.do("GET", "/api/admin/audit-log", key, nil).Status)
	require.Equal(t, http.StatusUnauthorized, s.do("POST", "/api/dev/admin", "", nil).Status)

	s.ok(http.StatusOK, "POST", "/api/dev/admin", key, nil)
	var log struct {
		Entries []struct{ ActorID, Action, Reason string }
	}
	s.ok(http.StatusOK, "GET", "/api/admin/audit-log", key, nil).JSON(t, &log)
	require.Len(t, log.Entries, 1, "%+v", log)
	require.Equal(t, "grant_admin", log.Entries[0].Action)
	require.Contains(t, log.Entries[0].Reason, id)
}
