package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
)

// queueSize is how many disputes the queue shows.
const queueSize = 100

// routeAdmin registers the operator's pages. The service refuses non-admins (FORBIDDEN).
func (h *Handler) routeAdmin() {
	h.mux.HandleFunc("GET /web/admin/disputes", h.signedIn(h.disputes))
	h.mux.HandleFunc("GET /web/admin/jobs/{id}", h.signedIn(h.disputePage))
	h.mux.HandleFunc("POST /web/admin/jobs/{id}/resolve", h.signedIn(h.resolve))
	h.mux.HandleFunc("POST /web/admin/jobs/{id}/act", h.signedIn(h.adminAct))
	h.mux.HandleFunc("GET /web/admin/audit", h.signedIn(h.audit))
}

// disputes is the queue, oldest dispute first, each with its deadline.
func (h *Handler) disputes(w http.ResponseWriter, r *http.Request, s *Session) {
	jobs, _, err := h.cfg.Service.Disputes(r.Context(), caller(s), "", queueSize)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	slices.SortStableFunc(jobs, func(a, b *job.Job) int { return a.Dispute.OpenedAt.Compare(b.Dispute.OpenedAt) })
	h.render(w, http.StatusOK, "disputes.html", page{Title: "Disputes", CSRF: s.CSRF, Signed: true, Data: jobs})
}

// disputeData is a dispute page: the job, its timeline and proof report, and a dry run of the
// resolution the admin proposes before confirming it.
type disputeData struct {
	View     *market.JobView
	Report   *market.ProofReport
	DryRun   *market.Outcome
	ToAgent  string // the split as the admin typed it, in dollars
	ToPoster string
	Reason   string
}

func (h *Handler) disputePage(w http.ResponseWriter, r *http.Request, s *Session) {
	h.renderDispute(w, r, s, disputeData{})
}

func (h *Handler) renderDispute(w http.ResponseWriter, r *http.Request, s *Session, d disputeData) {
	ctx, c := r.Context(), caller(s)
	v, err := h.cfg.Service.GetJob(ctx, c, r.PathValue("id"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	if v.Role != job.RoleAdmin {
		h.fail(w, s, errs.New(errs.CodeForbidden, "only admins see the dispute page"))
		return
	}
	rep, err := h.cfg.Service.ProofReport(ctx, c, v.Job.ID)
	if errs.CodeOf(err) == errs.CodeNotFound { // the job the admin sees has no verification
		rep, err = nil, nil
	}
	if err != nil {
		h.fail(w, s, err)
		return
	}
	d.View, d.Report = v, rep
	h.render(w, http.StatusOK, "dispute.html", page{Title: "Dispute: " + v.Job.Title, CSRF: s.CSRF, Signed: true, Data: d})
}

// resolve shows a dry run of the split; with confirm set it resolves for real.
func (h *Handler) resolve(w http.ResponseWriter, r *http.Request, s *Session) {
	toAgent, err := parseAmount(r.PostFormValue("to_agent"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	toPoster, err := parseAmount(r.PostFormValue("to_poster"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	reason, id := r.PostFormValue("reason"), r.PathValue("id")
	confirm := r.PostFormValue("confirm") == "yes"
	out, err := h.cfg.Service.Resolve(r.Context(), caller(s), id, toAgent, toPoster, reason, !confirm)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	if confirm {
		http.Redirect(w, r, "/web/admin/jobs/"+id, http.StatusSeeOther)
		return
	}
	h.renderDispute(w, r, s, disputeData{DryRun: out, Reason: reason,
		ToAgent: r.PostFormValue("to_agent"), ToPoster: r.PostFormValue("to_poster")})
}

// audit is the admin audit log, oldest first.
func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *Session) {
	entries, err := h.cfg.Service.AuditLog(r.Context(), caller(s), 0, 100)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, http.StatusOK, "audit.html", page{Title: "Audit log", CSRF: s.CSRF, Signed: true, Data: entries})
}

// adminActions are the admin's actions on a job that take only a reason, by form value.
var adminActions = map[string]func(*market.Service, context.Context, market.Caller, string, string, bool) (*market.Outcome, error){
	"reverse_approval": (*market.Service).ReverseApproval,
	"hold_payout":      (*market.Service).HoldPayout,
	"unhold_payout":    (*market.Service).UnholdPayout,
	"release_payout":   (*market.Service).ReleasePayout,
}

// adminAct runs one of adminActions with its required reason (the service refuses an empty one
// and records the action in the audit log).
func (h *Handler) adminAct(w http.ResponseWriter, r *http.Request, s *Session) {
	do, ok := adminActions[r.PostFormValue("action")]
	if !ok {
		h.fail(w, s, errs.New(errs.CodeInvalidInput, "unknown action %q", r.PostFormValue("action")))
		return
	}
	id := r.PathValue("id")
	if _, err := do(h.cfg.Service, r.Context(), caller(s), id, r.PostFormValue("reason"), false); err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/web/admin/jobs/"+id, http.StatusSeeOther)
}
