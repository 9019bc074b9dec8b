package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/market"
)

// world is a sandbox with one record of every kind that has an {id} route, all owned by Pat
// (poster) and Ada (agent), plus an outsider and an admin.
type world struct {
	s                       *sandboxAPI
	pat, ada, eve, admin    string
	job, endpoint, delivery string
	key                     string
	patID, adaID            string
}

func newWorld(t *testing.T) *world {
	s := newSandbox(t, 0)
	w := &world{s: s}
	w.pat, w.patID = s.poster("Pat", 50_000)
	w.ada, w.adaID = s.agent("Ada")
	w.eve, _ = s.agent("Eve")
	var adminID string
	w.admin, adminID = s.account("Root")
	require.NoError(t, s.Svc.GrantAdmin(context.Background(), market.System, adminID))

	w.job = s.hire(w.pat, w.ada, 10_000)
	var e struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/webhooks", w.pat, map[string]any{"url": "http://127.0.0.1:1/hook"}).JSON(t, &e)
	w.endpoint = e.ID
	var d struct{ ID string }
	s.ok(http.StatusAccepted, "POST", "/api/webhooks/"+w.endpoint+"/test", w.pat, nil).JSON(t, &d)
	w.delivery = d.ID
	var k struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/me/api-keys", w.pat, map[string]any{"name": "second"}).JSON(t, &k)
	w.key = k.ID
	return w
}

// snapshot is what an authorized caller sees of the world; a refused call must not change it.
func (w *world) snapshot(t *testing.T) string {
	var b strings.Builder
	for _, get := range []struct{ path, key string }{
		{"/api/jobs/" + w.job, w.pat}, {"/api/jobs/" + w.job + "/applications", w.pat}, {"/api/jobs/" + w.job + "/payouts", w.pat},
		{"/api/webhooks/" + w.endpoint, w.pat}, {"/api/me/api-keys", w.pat}, {"/api/me/wallet", w.pat}, {"/api/me/wallet", w.ada},
		{"/api/events?after=0&limit=500", w.pat}, {"/api/events?after=0&limit=500", w.ada}, {"/api/admin/audit-log", w.admin},
	} {
		b.Write(w.s.ok(http.StatusOK, "GET", get.path, get.key, nil).Raw)
	}
	return b.String()
}

// TestEveryIDRouteRefusesOtherAccounts walks every operation of the OpenAPI document whose path
// has an {id}: an outsider gets 404 (or 403 on admin routes), and nothing changes.
func TestEveryIDRouteRefusesOtherAccounts(t *testing.T) {
	w := newWorld(t)
	ids := map[string]string{
		"/api/jobs/":                w.job,
		"/api/webhooks/deliveries/": w.delivery,
		"/api/webhooks/":            w.endpoint,
		"/api/me/api-keys/":         w.key,
		"/api/admin/jobs/":          w.job,
		"/api/accounts/":            w.adaID,
	}
	// Public by design: reviews and trust scores are read about any account; the sandbox's
	// processor controls act as the processor, not as an account; proofer tasks are offered to
	// every eligible account (who may claim and score one: TestRemoteProoferAndProofReport).
	public := []string{"/api/accounts/", "/api/dev/", "/api/proofer/tasks/"}
	before := w.snapshot(t)
	checked := 0
	for path, item := range w.s.Server.OpenAPI().Paths {
		if !strings.Contains(path, "{id}") || hasAnyPrefix(path, public) {
			continue
		}
		for method, o := range map[string]bool{"GET": item.Get != nil, "POST": item.Post != nil, "PUT": item.Put != nil, "DELETE": item.Delete != nil} {
			if !o {
				continue
			}
			best := ""
			for prefix := range ids {
				if strings.HasPrefix(path, prefix) && len(prefix) > len(best) {
					best = prefix
				}
			}
			id := ids[best]
			require.NotEmpty(t, id, "no record for %s", path)
			url := strings.Replace(path, "{id}", id, 1)
			body := bodyFor(path)
			r := w.s.do(method, url, w.eve, body)
			want := http.StatusNotFound
			if strings.HasPrefix(path, "/api/admin/") {
				want = http.StatusForbidden
			}
			require.Equal(t, want, r.Status, "%s %s as an outsider: %s", method, path, r.Raw)
			checked++
		}
	}
	require.Greater(t, checked, 20)
	require.Equal(t, before, w.snapshot(t), "a refused call changed something")
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// bodyFor returns a valid body for the operations that need one, so that the refusal is about
// who calls, not what is sent.
func bodyFor(path string) any {
	switch {
	case strings.HasSuffix(path, "/apply"):
		return map[string]any{"message": "hi"}
	case strings.HasSuffix(path, "/accept-application"):
		return map[string]any{"application_id": "app_x"}
	case strings.HasSuffix(path, "/deliver"):
		return map[string]any{"url": "https://example.com/x"}
	case strings.HasSuffix(path, "/request-revision"):
		return map[string]any{"note": "more"}
	case strings.HasSuffix(path, "/dispute"):
		return map[string]any{"reason": "bad"}
	case strings.HasSuffix(path, "/reviews"):
		return map[string]any{"stars": 5}
	case strings.HasSuffix(path, "/scorecard"):
		return map[string]any{"criteria": []map[string]any{{"criterion": "c", "score": 5, "passed": true}}, "pass": true, "summary": "ok"}
	case strings.HasSuffix(path, "/resolve"):
		return map[string]any{"to_agent": 1, "to_poster": 1, "reason": "r"}
	case strings.HasPrefix(path, "/api/admin/jobs/"):
		return map[string]any{"reason": "r"}
	case path == "/api/webhooks/{id}":
		return map[string]any{"url": "https://example.com/hook"}
	}
	return nil
}

func TestAdminRoutesRefuseNonAdmins(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot(t)
	for _, p := range []string{"/api/admin/disputes", "/api/admin/audit-log"} {
		w.s.problem(http.StatusForbidden, "FORBIDDEN", "GET", p, w.pat, nil)
	}
	w.s.problem(http.StatusForbidden, "FORBIDDEN", "POST", "/api/admin/jobs/"+w.job+"/hold-payout", w.pat, map[string]any{"reason": "mine"})
	require.Equal(t, before, w.snapshot(t))
	w.s.ok(http.StatusOK, "GET", "/api/admin/disputes", w.admin, nil)
}
