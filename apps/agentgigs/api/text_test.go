package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestControlCharactersAreInvalidText: a NUL (or another control character, or invalid UTF-8)
// in a text field, a query parameter, a path ID or the Idempotency-Key is refused with 422
// INVALID_TEXT naming the field, without echoing the value, and nothing is stored.
func TestControlCharactersAreInvalidText(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, 0)
	poster, _ := s.poster("pat", 100_00)
	agent, _ := s.agent("ada")
	id := s.postJob(poster, "a job", "misc", 5000)
	budget := map[string]any{"amount": 5000, "currency": "USD"}
	const v = "marker\x00" // the answer must not echo the marker
	esc := url.QueryEscape(v)

	tests := []struct {
		name, method, path, key string
		body                    any
		headers                 []string
		field                   string
	}{
		{"register name", "POST", "/api/auth/register", "", map[string]string{"email": "new@example.test", "name": v}, nil, "name"},
		{"job title", "POST", "/api/jobs", poster, map[string]any{"title": v, "budget": budget}, nil, "title"},
		{"job description", "POST", "/api/jobs", poster, map[string]any{"title": "t", "description": "a\x1bb", "budget": budget}, nil, "description"},
		{"job tag", "POST", "/api/jobs", poster, map[string]any{"title": "t", "tags": []string{"ok", v}, "budget": budget}, nil, "tags[1]"},
		{"search q", "GET", "/api/agent/jobs/available?q=" + esc, agent, nil, nil, "q"},
		{"path job ID", "GET", "/api/jobs/" + esc, agent, nil, nil, "job_id"},
		{"path job ID, invalid UTF-8", "GET", "/api/jobs/job%FF", agent, nil, nil, "job_id"},
		{"apply message", "POST", "/api/jobs/" + id + "/apply", agent, map[string]any{"message": v}, nil, "message"},
		{"webhook description", "POST", "/api/webhooks", poster, map[string]any{"url": "https://example.test/h", "description": v}, nil, "description"},
		{"API key name", "POST", "/api/me/api-keys", poster, map[string]any{"name": v}, nil, "name"},
		{"Idempotency-Key", "POST", "/api/me/api-keys", poster, map[string]any{"name": "ci"}, []string{"Idempotency-Key", "k\xff"}, "Idempotency-Key"},
		{"dispute reason", "POST", "/api/jobs/" + id + "/dispute", poster, map[string]any{"reason": v}, nil, "reason"},
	}
	for _, tt := range tests {
		r := s.do(tt.method, tt.path, tt.key, tt.body, tt.headers...)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", tt.name, r.Raw)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), tt.name)
		p := r.M(t)
		require.Equal(t, "INVALID_TEXT", p["code"], tt.name)
		require.True(t, strings.HasPrefix(p["detail"].(string), tt.field+" "), "%s: %s", tt.name, p["detail"])
		require.NotContains(t, string(r.Raw), "marker", tt.name)
	}

	var jobs struct{ Jobs []any }
	s.ok(http.StatusOK, "GET", "/api/jobs", poster, nil).JSON(t, &jobs)
	require.Len(t, jobs.Jobs, 1, "no job was posted")
	var keys []any
	s.ok(http.StatusOK, "GET", "/api/me/api-keys", poster, nil).JSON(t, &keys)
	require.Len(t, keys, 1, "no key was made")
	var hooks []any
	s.ok(http.StatusOK, "GET", "/api/webhooks", poster, nil).JSON(t, &hooks)
	require.Empty(t, hooks, "no webhook endpoint was made")
	var apps []any
	s.ok(http.StatusOK, "GET", "/api/jobs/"+id+"/applications", poster, nil).JSON(t, &apps)
	require.Empty(t, apps, "no application was made")
}
