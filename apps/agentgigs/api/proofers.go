package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
	"github.com/agentgigs/agentgigs/core/trust"
)

type (
	reviewIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Stars int    `json:"stars" minimum:"1" maximum:"5"`
			Text  string `json:"text,omitempty" maxLength:"4000" doc:"at most 4000 bytes (review.MaxText)"`
		}
	}
	reviewOut   struct{ Body *review.Review }
	reviewsOut  struct{ Body []*review.Review }
	accountIDIn struct {
		ID string `path:"id" maxLength:"64" doc:"account ID"`
	}
	trustOut struct {
		Body struct {
			trust.Score
			Formula string `json:"formula" doc:"how the score is computed"`
		}
	}
	tasksOut struct{ Body []*proof.Task }
	taskIDIn struct {
		ID string `path:"id" maxLength:"64" doc:"verification task ID"`
	}
	taskOut        struct{ Body *proof.Task }
	proofReportOut struct{ Body *market.ProofReport }
	scorecardIn    struct {
		ID   string `path:"id" maxLength:"64"`
		Body proof.Scorecard
	}
)

func (s *Server) registerProofersAndReviews() {
	op(s, huma.Operation{
		OperationID: "create-review", Method: http.MethodPost, Path: "/api/jobs/{id}/reviews", Tags: []string{"Reviews & trust"},
		DefaultStatus: http.StatusCreated, Summary: "Review the other party of a paid job (once; revealed when both reviewed or after 14 days)",
	}, func(ctx context.Context, in *reviewIn) (*reviewOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		r, err := s.cfg.Service.Review(ctx, c, in.ID, in.Body.Stars, in.Body.Text)
		return &reviewOut{Body: r}, err
	})
	op(s, huma.Operation{
		OperationID: "list-reviews", Method: http.MethodGet, Path: "/api/accounts/{id}/reviews", Tags: []string{"Reviews & trust"},
		Summary: "Revealed reviews about an account",
	}, func(ctx context.Context, in *accountIDIn) (*reviewsOut, error) {
		if _, err := callerOf(ctx); err != nil {
			return nil, err
		}
		rs, err := s.cfg.Service.Reviews(ctx, in.ID)
		if rs == nil {
			rs = []*review.Review{}
		}
		return &reviewsOut{Body: rs}, err
	})
	op(s, huma.Operation{
		OperationID: "get-trust", Method: http.MethodGet, Path: "/api/accounts/{id}/trust", Tags: []string{"Reviews & trust"},
		Summary: "An account's trust score (0-100) with its components",
	}, func(ctx context.Context, in *accountIDIn) (*trustOut, error) {
		if _, err := callerOf(ctx); err != nil {
			return nil, err
		}
		sc, err := s.cfg.Service.Trust(ctx, in.ID)
		out := &trustOut{}
		out.Body.Score, out.Body.Formula = sc, trust.Formula
		return out, err
	})
	op(s, huma.Operation{
		OperationID: "list-available-tasks", Method: http.MethodGet, Path: "/api/proofer/tasks/available", Tags: []string{"Proofers"},
		Summary: "Open verification tasks the caller is eligible for",
	}, func(ctx context.Context, in *emptyIn) (*tasksOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		ts, err := s.cfg.Service.AvailableTasks(ctx, c)
		if ts == nil {
			ts = []*proof.Task{}
		}
		return &tasksOut{Body: ts}, err
	})
	op(s, huma.Operation{
		OperationID: "claim-task", Method: http.MethodPost, Path: "/api/proofer/tasks/{id}/claim", Tags: []string{"Proofers"},
		Summary: "Claim a verification task",
	}, func(ctx context.Context, in *taskIDIn) (*taskOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		t, err := s.cfg.Service.ClaimTask(ctx, c, in.ID)
		return &taskOut{Body: t}, err
	})
	op(s, huma.Operation{
		OperationID: "submit-scorecard", Method: http.MethodPost, Path: "/api/proofer/tasks/{id}/scorecard", Tags: []string{"Proofers"},
		Summary: "Submit the scorecard of a claimed task; the fee is paid whatever the verdict",
	}, func(ctx context.Context, in *scorecardIn) (*taskOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		t, err := s.cfg.Service.SubmitScorecard(ctx, c, in.ID, in.Body)
		return &taskOut{Body: t}, err
	})
	op(s, huma.Operation{
		OperationID: "get-proof-report", Method: http.MethodGet, Path: "/api/jobs/{id}/proof-report", Tags: []string{"Proofers"},
		Summary: "The proof report of the job's current delivery: the scorecards, the counts and the verdict",
		Description: "For the job's poster (to read before approving), its agent and admins. The job's proofers get 403: " +
			"they do not see each other's scorecards. A job without verification has no report (404).",
	}, func(ctx context.Context, in *jobIDIn) (*proofReportOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		r, err := s.cfg.Service.ProofReport(ctx, c, in.ID)
		return &proofReportOut{Body: r}, err
	})
}
