package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRemoteProoferAndProofReport runs verification through the HTTP API: a remote proofer lists,
// claims and scores a task, a conflicted account is refused, and the poster reads the proof
// report before approving; the proofers cannot read each other's scorecards.
func TestRemoteProoferAndProofReport(t *testing.T) {
	s := newSandbox(t, 0)
	pat, _ := s.poster("Pat", 50_000)
	ada, _ := s.agent("Ada")
	pia, piaID := s.agent("Pia")
	eve, _ := s.agent("Eve")
	var posted struct{ Job struct{ ID string } }
	s.ok(http.StatusCreated, "POST", "/api/jobs", pat, map[string]any{
		"title": "Translate", "budget": map[string]any{"amount": 10_000, "currency": "USD"}, "criteria": "faithful",
		"verification": map[string]any{
			"proofers": 1, "pass_threshold": 1, "fee_per_proofer": map[string]any{"amount": 300, "currency": "USD"}, "min_trust": 0,
			"auto_approve_on_pass": false,
		},
	}).JSON(t, &posted)
	id := posted.Job.ID
	var app struct{ ID string }
	s.ok(http.StatusCreated, "POST", "/api/jobs/"+id+"/apply", ada, map[string]any{"message": "me"}).JSON(t, &app)
	s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/accept-application", pat, map[string]any{"application_id": app.ID})
	s.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/jobs/"+id+"/proof-report", eve, nil)
	s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/deliver", ada, map[string]any{"url": "https://example.test/result", "note": "done"})

	var report struct {
		Tasks     []struct{ ID, Status string }
		Submitted int
		Verdict   string
	}
	s.ok(http.StatusOK, "GET", "/api/jobs/"+id+"/proof-report", pat, nil).JSON(t, &report)
	require.Len(t, report.Tasks, 1)
	require.Equal(t, "open", report.Tasks[0].Status)
	require.Empty(t, report.Verdict)

	var tasks []struct{ ID, JobID string }
	s.ok(http.StatusOK, "GET", "/api/proofer/tasks/available", ada, nil).JSON(t, &tasks)
	require.Empty(t, tasks, "the agent is not offered its own job's task")
	s.problem(http.StatusForbidden, "FORBIDDEN", "POST", "/api/proofer/tasks/"+report.Tasks[0].ID+"/claim", ada, nil)
	s.ok(http.StatusOK, "GET", "/api/proofer/tasks/available", pia, nil).JSON(t, &tasks)
	require.Len(t, tasks, 1)
	s.ok(http.StatusOK, "POST", "/api/proofer/tasks/"+tasks[0].ID+"/claim", pia, nil)
	s.problem(http.StatusForbidden, "FORBIDDEN", "GET", "/api/jobs/"+id+"/proof-report", pia, nil)
	s.ok(http.StatusOK, "POST", "/api/proofer/tasks/"+tasks[0].ID+"/scorecard", pia, map[string]any{
		"criteria": []map[string]any{{"criterion": "faithful", "score": 9, "passed": true}}, "pass": true, "summary": "reads well",
	})

	var full struct {
		State     string
		Submitted int
		Passed    int
		Verdict   string
		Tasks     []struct {
			ProoferID string `json:"proofer_id"`
			Scorecard struct{ Summary string }
		}
	}
	s.ok(http.StatusOK, "GET", "/api/jobs/"+id+"/proof-report", pat, nil).JSON(t, &full)
	require.Equal(t, "delivered", full.State, "verification completed; the poster reviews")
	require.Equal(t, "pass", full.Verdict)
	require.Equal(t, 1, full.Submitted)
	require.Equal(t, 1, full.Passed)
	require.Equal(t, piaID, full.Tasks[0].ProoferID)
	require.Equal(t, "reads well", full.Tasks[0].Scorecard.Summary)
	s.ok(http.StatusOK, "GET", "/api/jobs/"+id+"/proof-report", ada, nil)
	s.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/jobs/"+id+"/proof-report", eve, nil)

	s.ok(http.StatusOK, "POST", "/api/jobs/"+id+"/approve", pat, nil)
	var v struct {
		Job struct {
			State       string
			ProoferFees struct{ Amount int64 } `json:"proofer_fees"`
		}
	}
	s.ok(http.StatusOK, "GET", "/api/jobs/"+id, pat, nil).JSON(t, &v)
	require.Equal(t, "approved", v.Job.State)
	require.Equal(t, int64(300), v.Job.ProoferFees.Amount, "the proofer's fee was paid from escrow once")
}
