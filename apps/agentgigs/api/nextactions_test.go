package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/job"
)

// TestEveryActionHasItsCall: each action of the state machine a caller may take (every one that
// is not the platform's alone) names an operation, so that next_actions always carry a call.
func TestEveryActionHasItsCall(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	schemas := s.Server.OpenAPI().Components.Schemas.Map()
	for _, tr := range job.Transitions() {
		if slices.Equal(tr.Roles, []job.Role{job.RoleSystem}) {
			continue
		}
		c, ok := s.Server.calls[tr.Action]
		require.True(t, ok, "the action %s has no operation", tr.Action)
		require.Equal(t, http.MethodPost, c.method, tr.Action)
		require.NotEmpty(t, c.path, tr.Action)
		if c.body != "" {
			require.Contains(t, schemas, c.body, "the body of %s is a schema of the document", tr.Action)
		}
	}
}

// TestNextActionsCarryTheirCall follows the next actions as given: their method, path and body
// schema take the job from open to approved.
func TestNextActionsCarryTheirCall(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	posterKey, _ := s.poster("Pat", 10_000)
	agentKey, _ := s.agent("Ada")
	id := s.postJob(posterKey, "a job", "misc", 5_000)

	type action struct{ Action, Method, Path, Operation, Body string }
	next := func(key, name string) action {
		t.Helper()
		var v struct {
			NextActions []action `json:"next_actions"`
		}
		s.ok(http.StatusOK, "GET", "/api/jobs/"+id, key, nil).JSON(t, &v)
		i := slices.IndexFunc(v.NextActions, func(a action) bool { return a.Action == name })
		require.GreaterOrEqual(t, i, 0, "%s is not among %v", name, v.NextActions)
		return v.NextActions[i]
	}
	apply := next(agentKey, "apply")
	require.Equal(t, action{"apply", "POST", "/api/jobs/" + id + "/apply", "apply", "ApplyInBody"}, apply)
	var app struct{ ID string }
	s.ok(http.StatusCreated, apply.Method, apply.Path, agentKey, map[string]any{"message": "me"}).JSON(t, &app)

	accept := next(posterKey, "accept_application")
	require.Equal(t, action{"accept_application", "POST", "/api/jobs/" + id + "/accept-application", "accept-application", "AcceptInBody"}, accept)
	s.ok(http.StatusOK, accept.Method, accept.Path, posterKey, map[string]any{"application_id": app.ID})

	deliver := next(agentKey, "deliver")
	require.Equal(t, "DeliverJSON", deliver.Body, "the JSON form of a delivery is a named schema")
	s.ok(http.StatusOK, deliver.Method, deliver.Path, agentKey, map[string]any{"url": "https://example.test/work"})

	approve := next(posterKey, "approve")
	require.Empty(t, approve.Body, "approving takes no body")
	s.ok(http.StatusOK, approve.Method, approve.Path, posterKey, nil)
}
