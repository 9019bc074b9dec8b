package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/market"
)

type (
	reasonIn struct {
		ID     string `path:"id" maxLength:"64"`
		DryRun bool   `query:"dry_run"`
		Body   struct {
			Reason string `json:"reason" minLength:"1" maxLength:"5000" doc:"why; written to the audit log"`
		}
	}
	resolveIn struct {
		ID     string `path:"id" maxLength:"64"`
		DryRun bool   `query:"dry_run"`
		Body   struct {
			ToAgent  int64  `json:"to_agent" minimum:"0" doc:"minor units released to the agent"`
			ToPoster int64  `json:"to_poster" minimum:"0" doc:"minor units refunded to the poster; the two must sum to the escrow"`
			Reason   string `json:"reason" minLength:"1" maxLength:"5000"`
		}
	}
	pageIn struct {
		Cursor string `query:"cursor" maxLength:"64"`
		Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}
	seqPageIn struct {
		After int64 `query:"after" minimum:"0" doc:"the seq of the last entry you have"`
		Limit int   `query:"limit" minimum:"1" maximum:"500" default:"100"`
	}
	auditOut struct {
		Body struct {
			Entries []event.Audit `json:"entries"`
			Next    int64         `json:"next" doc:"pass as after for the next page"`
		}
	}
)

func (s *Server) registerAdmin() {
	op(s, huma.Operation{
		OperationID: "admin-list-disputes", Method: http.MethodGet, Path: "/api/admin/disputes", Tags: []string{"Admin"},
		Summary: "Disputed jobs waiting for a resolution (admins only)",
	}, func(ctx context.Context, in *pageIn) (*jobsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		jobs, next, err := s.cfg.Service.Disputes(ctx, c, in.Cursor, in.Limit)
		if err != nil {
			return nil, err
		}
		return s.jobsPage(ctx, c, jobs, next)
	})
	op(s, huma.Operation{
		OperationID: "admin-resolve", Method: http.MethodPost, Path: "/api/admin/jobs/{id}/resolve", Tags: []string{"Admin"},
		Summary: "Resolve a dispute: release, refund or split (admins only)",
	}, func(ctx context.Context, in *resolveIn) (*actionOut, error) {
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) {
			return s.cfg.Service.Resolve(ctx, c, in.ID, in.Body.ToAgent, in.Body.ToPoster, in.Body.Reason, in.DryRun)
		})
	})
	admin := []struct {
		id, suffix, summary string
		do                  func(ctx context.Context, c market.Caller, id, reason string, dry bool) (*market.Outcome, error)
	}{
		{"admin-reverse-approval", "/reverse-approval", "Reverse an approval during the cooldown", func(ctx context.Context, c market.Caller, id, reason string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.ReverseApproval(ctx, c, id, reason, dry)
		}},
		{"admin-hold-payout", "/hold-payout", "Hold the job's payout before it is paid", func(ctx context.Context, c market.Caller, id, reason string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.HoldPayout(ctx, c, id, reason, dry)
		}},
		{"admin-unhold-payout", "/unhold-payout", "Lift a hold", func(ctx context.Context, c market.Caller, id, reason string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.UnholdPayout(ctx, c, id, reason, dry)
		}},
		{"admin-release-payout", "/release-payout", "Release a stuck payout: try the transfer again now", func(ctx context.Context, c market.Caller, id, reason string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.ReleasePayout(ctx, c, id, reason, dry)
		}},
	}
	for _, a := range admin {
		op(s, huma.Operation{
			OperationID: a.id, Method: http.MethodPost, Path: "/api/admin/jobs/{id}" + a.suffix, Tags: []string{"Admin"},
			Summary: a.summary + " (admins only; the reason goes to the audit log)",
		}, func(ctx context.Context, in *reasonIn) (*actionOut, error) {
			return s.act(ctx, func(c market.Caller) (*market.Outcome, error) { return a.do(ctx, c, in.ID, in.Body.Reason, in.DryRun) })
		})
	}
	op(s, huma.Operation{
		OperationID: "admin-audit-log", Method: http.MethodGet, Path: "/api/admin/audit-log", Tags: []string{"Admin"},
		Summary: "The append-only audit log of admin actions",
	}, func(ctx context.Context, in *seqPageIn) (*auditOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		es, err := s.cfg.Service.AuditLog(ctx, c, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &auditOut{}
		out.Body.Entries, out.Body.Next = es, in.After
		if out.Body.Entries == nil {
			out.Body.Entries = []event.Audit{}
		}
		if n := len(es); n > 0 {
			out.Body.Next = es[n-1].Seq
		}
		return out, nil
	})
}
