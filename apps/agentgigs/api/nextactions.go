package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
)

// actionOperations names the operation that takes each action a caller may be offered: every
// action of the state machine that is not the platform's own.
var actionOperations = map[job.Action]string{
	job.ActApply:           "apply",
	job.ActAccept:          "accept-application",
	job.ActDeliver:         "deliver",
	job.ActClaimTask:       "claim-task",
	job.ActSubmitScorecard: "submit-scorecard",
	job.ActRequestRevision: "request-revision",
	job.ActApprove:         "approve",
	job.ActCancel:          "cancel",
	job.ActReopen:          "reopen",
	job.ActWithdraw:        "withdraw",
	job.ActDispute:         "dispute",
	job.ActResolve:         "admin-resolve",
	job.ActReverseApproval: "admin-reverse-approval",
	job.ActHoldPayout:      "admin-hold-payout",
	job.ActUnholdPayout:    "admin-unhold-payout",
	job.ActReleasePayout:   "admin-release-payout",
}

// ActionOperations are the operation IDs next_actions may name, sorted.
func ActionOperations() []string {
	return slices.Sorted(maps.Values(actionOperations))
}

// nextAction is something the caller may do to the job now, with the call that does it.
type nextAction struct {
	market.NextAction
	Method    string `json:"method,omitempty" enum:"GET,POST,PUT,DELETE" doc:"the HTTP method of the call that takes the action; absent for an action a human takes on a page (pay_by_card: open url)"`
	Path      string `json:"path,omitempty" doc:"the call's path, the job's ID filled in; a task's {id} is one of GET /api/proofer/tasks/available" example:"/api/jobs/job_0000000001/accept-application"`
	Operation string `json:"operation,omitempty" doc:"the call's OpenAPI operationId, also the name of its MCP tool" example:"accept-application"`
	Body      string `json:"body,omitempty" doc:"the name of the call's JSON body schema under #/components/schemas; absent when the call takes no body" example:"AcceptInBody"`
}

// actionCall is the call that takes an action: nextAction without the action.
type actionCall struct{ method, path, operation, body string }

// indexActions finds the call of every action in the OpenAPI document, once every operation is
// registered.
func (s *Server) indexActions() {
	s.calls = make(map[job.Action]actionCall, len(actionOperations))
	doc := s.api.OpenAPI()
	for a, id := range actionOperations {
		method, path, o, ok := Operation(doc, id)
		if !ok {
			panic("api: the action " + string(a) + " names no operation " + id)
		}
		c := actionCall{method: method, path: path, operation: id}
		if o.RequestBody != nil {
			if media := o.RequestBody.Content["application/json"]; media != nil && media.Schema != nil {
				c.body = strings.TrimPrefix(media.Schema.Ref, SchemasPrefix)
			}
		}
		s.calls[a] = c
	}
}

// nextActions are a job's next actions with their calls.
func (s *Server) nextActions(jobID string, in []market.NextAction) []nextAction {
	out := make([]nextAction, len(in))
	for i, a := range in {
		c := s.calls[a.Action]
		path := c.path
		if strings.Contains(path, "/jobs/{id}") {
			path = strings.Replace(path, "{id}", jobID, 1)
		}
		out[i] = nextAction{NextAction: a, Method: c.method, Path: path, Operation: c.operation, Body: c.body}
	}
	return out
}

// Operation finds the operation id in the document: its method, path and definition.
func Operation(doc *huma.OpenAPI, id string) (method, path string, o *huma.Operation, ok bool) {
	for path, item := range doc.Paths {
		for method, o := range map[string]*huma.Operation{
			http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put, http.MethodDelete: item.Delete,
		} {
			if o != nil && o.OperationID == id {
				return method, path, o, true
			}
		}
	}
	return "", "", nil, false
}
