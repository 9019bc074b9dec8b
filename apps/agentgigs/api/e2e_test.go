package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/webhook"
)

// receiver is a local webhook endpoint that verifies every delivery's signature, as an agent's
// receiver should, and keeps the verified events.
type receiver struct {
	t       *testing.T
	mu      sync.Mutex
	secret  string
	events  []map[string]any
	refused int
	srv     *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		err := webhook.Verify(r.secret, req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body, time.Now())
		if err != nil {
			r.refused++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev map[string]any
		if json.Unmarshal(body, &ev) != nil {
			r.refused++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.events = append(r.events, ev)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []string
	for _, e := range r.events {
		ts = append(ts, e["type"].(string))
	}
	return ts
}

// register makes the receiver an endpoint of the account and keeps the secret.
func (r *receiver) register(s *sandboxAPI, key string) {
	var e struct{ ID, Secret string }
	s.ok(http.StatusCreated, "POST", "/api/webhooks", key, map[string]any{"url": r.srv.URL + "/hook"}).JSON(s.t, &e)
	require.Regexp(r.t, `^whsec_`, e.Secret)
	r.mu.Lock()
	r.secret = e.Secret
	r.mu.Unlock()
}

// runTimers delivers due webhooks, as the server's timer loop does every second.
func (s *sandboxAPI) runTimers() {
	s.t.Helper()
	s.ok(http.StatusOK, "POST", "/api/dev/clock/advance", "", map[string]any{"seconds": 1})
}

func TestEndToEndOverHTTP(t *testing.T) {
	s := newSandbox(t, 0)
	posterKey, _ := s.poster("Pat", 20_000)
	adaKey, adaID := s.agent("Ada")
	bobKey, _ := s.agent("Bob")
	adaHooks, bobHooks, patHooks := newReceiver(t), newReceiver(t), newReceiver(t)
	adaHooks.register(s, adaKey)
	bobHooks.register(s, bobKey)
	patHooks.register(s, posterKey)

	// Post two jobs; browsing filters by category, budget range and search terms.
	jobID := s.postJob(posterKey, "Summarize twenty retrieval papers", "research", 8_000)
	other := s.postJob(posterKey, "Design a logo", "design", 30_000)
	var page struct {
		Jobs []struct {
			ID, Title   string
			NextActions []struct{ Action string } `json:"next_actions"`
		}
	}
	s.ok(http.StatusOK, "GET", "/api/agent/jobs/available?category=research&min_budget=5000&max_budget=10000&q=retrieval+papers", adaKey, nil).JSON(t, &page)
	require.Len(t, page.Jobs, 1)
	require.Equal(t, jobID, page.Jobs[0].ID)
	require.Equal(t, "apply", page.Jobs[0].NextActions[0].Action)
	s.ok(http.StatusOK, "GET", "/api/agent/jobs/available?max_budget=10000", adaKey, nil).JSON(t, &page)
	require.Len(t, page.Jobs, 1, "the design job is over budget")
	s.ok(http.StatusOK, "GET", "/api/agent/jobs/available?q=logo", adaKey, nil).JSON(t, &page)
	require.Equal(t, other, page.Jobs[0].ID)

	// Both agents apply; the poster hires Ada with a dry run first.
	var adaApp, bobApp struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+jobID+"/apply", adaKey, map[string]any{"message": "I read papers fast", "proposed_price": 7_000, "timeline": 86_400}).JSON(t, &adaApp)
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+jobID+"/apply", bobKey, map[string]any{"message": "Me too"}).JSON(t, &bobApp)
	var dry struct {
		DryRun    bool `json:"dry_run"`
		To        string
		Transfers []struct {
			From, To string
			Amount   struct{ Amount int64 }
		}
	}
	s.ok(http.StatusOK, "POST", "/api/jobs/"+jobID+"/accept-application?dry_run=true", posterKey, map[string]any{"application_id": adaApp.ID}).JSON(t, &dry)
	require.True(t, dry.DryRun)
	require.Equal(t, "in_progress", dry.To)
	require.Equal(t, int64(7_000), dry.Transfers[0].Amount.Amount)
	var job struct {
		Job struct{ State string }
	}
	s.ok(http.StatusOK, "GET", "/api/jobs/"+jobID, posterKey, nil).JSON(t, &job)
	require.Equal(t, "open", job.Job.State, "the dry run changed nothing")
	s.ok(http.StatusOK, "POST", "/api/jobs/"+jobID+"/accept-application", posterKey, map[string]any{"application_id": adaApp.ID})

	// Ada delivers a file; its SHA-256 is recorded and the poster can download it.
	content := "twenty summaries\n"
	ct, body := multipartFile(t, content, "all done")
	req, err := http.NewRequest("POST", s.URL+"/api/jobs/"+jobID+"/deliver", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+adaKey)
	delivered := s.send(req)
	require.Equal(t, http.StatusOK, delivered.Status, string(delivered.Raw))
	sum := sha256.Sum256([]byte(content))
	var dv struct {
		View struct {
			Job struct {
				Delivery struct {
					SHA256 string
					Size   int64
					Note   string
				}
			}
		}
	}
	delivered.JSON(t, &dv)
	require.Equal(t, hex.EncodeToString(sum[:]), dv.View.Job.Delivery.SHA256)
	require.Equal(t, "all done", dv.View.Job.Delivery.Note)
	file := s.ok(http.StatusOK, "GET", "/api/jobs/"+jobID+"/delivery/file", posterKey, nil)
	require.Equal(t, content, string(file.Raw))
	s.problem(http.StatusForbidden, "FORBIDDEN", "GET", "/api/jobs/"+other+"/delivery/file", adaKey, nil)

	// Approve, let the 24 h cooldown pass, and see the payout.
	s.ok(http.StatusOK, "POST", "/api/jobs/"+jobID+"/approve", posterKey, nil)
	s.ok(http.StatusOK, "POST", "/api/dev/clock/advance", "", map[string]any{"seconds": 24 * 3600})
	var payouts []struct {
		ID, Recipient, Status string
		Amount                struct{ Amount int64 }
	}
	s.ok(http.StatusOK, "GET", "/api/jobs/"+jobID+"/payouts", adaKey, nil).JSON(t, &payouts)
	require.Len(t, payouts, 1)
	require.Equal(t, adaID, payouts[0].Recipient)
	require.Equal(t, "submitted", payouts[0].Status)
	require.Equal(t, int64(6_300), payouts[0].Amount.Amount, "7000 minus the 10 % fee")
	s.ok(http.StatusOK, "POST", "/api/dev/payouts/"+payouts[0].ID+"/paid", adaKey, nil)
	s.runTimers()

	// Every webhook verified; Ada saw her whole job, Bob his rejection, Pat the poster's side.
	require.Contains(t, adaHooks.types(), "job.accepted")
	require.Contains(t, adaHooks.types(), "payout.paid")
	require.Contains(t, bobHooks.types(), "application.rejected")
	require.NotContains(t, bobHooks.types(), "payout.paid")
	require.Contains(t, patHooks.types(), "job.approved")
	for _, r := range []*receiver{adaHooks, bobHooks, patHooks} {
		require.Zero(t, r.refused, "every delivery carried a valid signature")
	}

	// The same events are in Bob's feed.
	var feed struct {
		Events []struct{ Type string }
		Next   int64
	}
	s.ok(http.StatusOK, "GET", "/api/events?after=0", bobKey, nil).JSON(t, &feed)
	var types []string
	for _, e := range feed.Events {
		types = append(types, e.Type)
	}
	require.Contains(t, types, "application.rejected")
	start := time.Now()
	s.ok(http.StatusOK, "GET", "/api/events?wait=1&after="+itoa(feed.Next), bobKey, nil).JSON(t, &feed)
	require.Empty(t, feed.Events)
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "the long poll waited")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
