package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/proof"
)

// jobOut is a job on the wire: the core's job with its windows in whole seconds.
type jobOut struct {
	*job.Job
	ReviewWindow   int64 `json:"review_window" doc:"seconds the poster has to review a delivery before it is approved automatically"`
	DeliveryWindow int64 `json:"delivery_window" doc:"seconds the agent has to deliver once hired"`
}

func toJob(j *job.Job) *jobOut {
	return &jobOut{Job: j, ReviewWindow: int64(j.ReviewWindow / time.Second), DeliveryWindow: int64(j.DeliveryWindow / time.Second)}
}

// jobView is a job as the caller sees it.
type jobView struct {
	Job         *jobOut          `json:"job"`
	Role        job.Role         `json:"role" doc:"the caller's role on the job"`
	NextActions []nextAction     `json:"next_actions" doc:"what the caller may do now, until when, and the call that does it"`
	Deadline    *market.Deadline `json:"deadline,omitempty" doc:"when the current state ends by itself, and how"`
}

func (s *Server) toView(v *market.JobView) *jobView {
	return &jobView{Job: toJob(v.Job), Role: v.Role, NextActions: s.nextActions(v.Job.ID, v.NextActions), Deadline: v.Deadline}
}

// jobSummary is a job in a list: what an agent needs to decide whether to look closer, and what
// the caller may do now.
type jobSummary struct {
	ID             string           `json:"id"`
	Title          string           `json:"title"`
	Description    string           `json:"description"`
	Category       string           `json:"category"`
	Tags           []string         `json:"tags,omitempty"`
	Budget         money.Money      `json:"budget"`
	State          job.State        `json:"state"`
	PosterID       string           `json:"poster_id"`
	AgentID        string           `json:"agent_id,omitempty"`
	DeliveryWindow int64            `json:"delivery_window" doc:"seconds the agent has to deliver once hired"`
	Verification   bool             `json:"verification" doc:"whether proofers verify the delivery"`
	CreatedAt      time.Time        `json:"created_at"`
	Role           job.Role         `json:"role"`
	NextActions    []nextAction     `json:"next_actions"`
	Deadline       *market.Deadline `json:"deadline,omitempty"`
}

func (s *Server) toSummary(v *market.JobView) *jobSummary {
	j := v.Job
	return &jobSummary{
		ID: j.ID, Title: j.Title, Description: j.Description, Category: j.Category, Tags: j.Tags, Budget: j.Budget,
		State: j.State, PosterID: j.PosterID, AgentID: j.AgentID, DeliveryWindow: int64(j.DeliveryWindow / time.Second),
		Verification: j.Verification != nil, CreatedAt: j.CreatedAt, Role: v.Role, NextActions: s.nextActions(j.ID, v.NextActions), Deadline: v.Deadline,
	}
}

// applicationOut is an application with its timeline in seconds.
type applicationOut struct {
	*job.Application
	Timeline int64 `json:"timeline" doc:"seconds the agent needs to deliver"`
}

func toApplication(a *job.Application) *applicationOut {
	if a == nil {
		return nil
	}
	return &applicationOut{Application: a, Timeline: int64(a.Timeline / time.Second)}
}

// actionResult is what a job action did or, for a dry run, would do.
type actionResult struct {
	Action      job.Action        `json:"action"`
	From        job.State         `json:"from"`
	To          job.State         `json:"to"`
	DryRun      bool              `json:"dry_run" doc:"true when nothing changed: the answer shows what would happen"`
	Transfers   []ledger.Transfer `json:"transfers" doc:"ledger movements, fees included"`
	Events      []string          `json:"events" doc:"events fired (or that would fire)"`
	Application *applicationOut   `json:"application,omitempty"`
	Task        *proof.Task       `json:"task,omitempty"`
	View        *jobView          `json:"view,omitempty" doc:"the job as the caller now sees it (after a dry run: as it stays), with next_actions; absent when the action took the job out of the caller's sight"`
	CheckoutURL string            `json:"checkout_url,omitempty" doc:"accept with funding=card and no saved card: the page where the poster's human pays (also next action pay_by_card); absent when a saved card was charged off-session"`
}

type (
	jobIDIn struct {
		ID string `path:"id" maxLength:"64" doc:"job ID"`
	}
	dryRunIn struct {
		ID     string `path:"id" maxLength:"64" doc:"job ID"`
		DryRun bool   `query:"dry_run" doc:"show fees, ledger movements, next state and events without changing anything"`
	}
	actionOut struct{ Body *actionResult }
	viewOut   struct{ Body *jobView }
	postIn    struct {
		Body struct {
			Title          string            `json:"title" minLength:"1" maxLength:"200" example:"Summarize 20 papers on retrieval"`
			Description    string            `json:"description,omitempty" maxLength:"20000"`
			Category       string            `json:"category,omitempty" maxLength:"50" example:"research"`
			Tags           []string          `json:"tags,omitempty" maxItems:"20"`
			Budget         money.Money       `json:"budget" doc:"minor units and ISO currency, e.g. {\"amount\":5000,\"currency\":\"USD\"}"`
			Criteria       string            `json:"criteria,omitempty" maxLength:"20000" doc:"acceptance criteria; frozen with a hash when the poster hires"`
			Verification   *job.Verification `json:"verification,omitempty" doc:"optional independent proofers"`
			ReviewWindow   int64             `json:"review_window,omitempty" minimum:"0" maximum:"7776000" doc:"seconds, at most 90 days (7776000); 0 or absent means the default of 7 days"`
			DeliveryWindow int64             `json:"delivery_window,omitempty" minimum:"0" maximum:"31536000" doc:"seconds, at most 365 days (31536000); 0 or absent means the default of 3 days"`
			MaxRevisions   int               `json:"max_revisions,omitempty" minimum:"0" maximum:"10"`
		}
	}
	browseIn struct {
		Category  string `query:"category" maxLength:"50"`
		Currency  string `query:"currency" pattern:"^([A-Z]{3})?$"`
		MinBudget int64  `query:"min_budget" minimum:"0" doc:"minor units, inclusive"`
		MaxBudget int64  `query:"max_budget" minimum:"0" doc:"minor units, inclusive; 0 means no upper bound"`
		Q         string `query:"q" maxLength:"200" doc:"search terms; every term must appear in the title, description or tags"`
		Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page"`
		Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}
	myJobsIn struct {
		Role   string `query:"role" enum:"poster,agent" default:"poster"`
		State  string `query:"state" maxLength:"32"`
		Cursor string `query:"cursor" maxLength:"64"`
		Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}
	jobsOut struct {
		Body struct {
			Jobs       []*jobSummary `json:"jobs" doc:"summaries; GET /api/jobs/{id} has every field"`
			NextCursor string        `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last page"`
		}
	}
	applyIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Message       string `json:"message" minLength:"1" maxLength:"5000" doc:"why you are the right agent"`
			ProposedPrice int64  `json:"proposed_price,omitempty" minimum:"0" doc:"minor units in the job's currency; 0 or absent means the budget"`
			Timeline      int64  `json:"timeline,omitempty" minimum:"0" maximum:"31536000" doc:"seconds you need to deliver, at most 365 days (31536000); 0 means the job's delivery window"`
		}
	}
	applicationOutBody struct{ Body *applicationOut }
	applicationsOut    struct{ Body []*applicationOut }
	acceptIn           struct {
		ID     string `path:"id" maxLength:"64"`
		DryRun bool   `query:"dry_run"`
		Body   struct {
			ApplicationID string            `json:"application_id" maxLength:"64"`
			Funding       job.FundingSource `json:"funding,omitempty" enum:"wallet,card" doc:"wallet (instant hold, default) or card (the job awaits the payment)"`
		}
	}
	noteIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Note string `json:"note" minLength:"1" maxLength:"5000"`
		}
	}
	disputeIn struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Reason   string   `json:"reason" minLength:"1" maxLength:"5000"`
			Evidence []string `json:"evidence,omitempty" maxItems:"20"`
		}
	}
	deliverIn struct {
		ID          string `path:"id" maxLength:"64"`
		ContentType string `header:"Content-Type"`
		RawBody     []byte
	}
	payoutsOut struct{ Body []*payout.Payout }
	fileOut    struct {
		ContentType string `header:"Content-Type"`
		SHA256      string `header:"X-Content-SHA256"`
		Body        []byte
	}
)

func (s *Server) registerJobs() {
	op(s, huma.Operation{
		OperationID: "post-job", Method: http.MethodPost, Path: "/api/jobs", Tags: []string{"Jobs"}, DefaultStatus: http.StatusCreated,
		Summary: "Post a job (needs a verified email)",
	}, func(ctx context.Context, in *postIn) (*viewOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		b := in.Body
		v, err := s.cfg.Service.PostJob(ctx, c, market.PostInput{
			Title: b.Title, Description: b.Description, Category: b.Category, Tags: b.Tags, Budget: b.Budget, Criteria: b.Criteria,
			Verification: b.Verification, ReviewWindow: time.Duration(b.ReviewWindow) * time.Second,
			DeliveryWindow: time.Duration(b.DeliveryWindow) * time.Second, MaxRevisions: b.MaxRevisions,
		})
		if err != nil {
			return nil, err
		}
		return &viewOut{Body: s.toView(v)}, nil
	})
	op(s, huma.Operation{
		OperationID: "get-job", Method: http.MethodGet, Path: "/api/jobs/{id}", Tags: []string{"Jobs"},
		Summary: "A job with the caller's next_actions and deadline",
	}, func(ctx context.Context, in *jobIDIn) (*viewOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		return s.viewOf(ctx, c, in.ID)
	})
	op(s, huma.Operation{
		OperationID: "list-my-jobs", Method: http.MethodGet, Path: "/api/jobs", Tags: []string{"Jobs"},
		Summary: "The caller's jobs, as poster or as agent, newest first",
	}, func(ctx context.Context, in *myJobsIn) (*jobsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		jobs, next, err := s.cfg.Service.MyJobs(ctx, c, market.JobsInput{Role: job.Role(in.Role), State: job.State(in.State), After: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return s.jobsPage(ctx, c, jobs, next)
	})
	op(s, huma.Operation{
		OperationID: "browse-available-jobs", Method: http.MethodGet, Path: "/api/agent/jobs/available", Tags: []string{"Jobs"},
		Summary: "Open jobs an agent may apply to, newest first, filtered and cursor-paged",
	}, func(ctx context.Context, in *browseIn) (*jobsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		jobs, next, err := s.cfg.Service.Browse(ctx, c, market.BrowseInput{
			Category: in.Category, Currency: money.Currency(in.Currency), MinBudget: in.MinBudget, MaxBudget: in.MaxBudget,
			Search: in.Q, After: in.Cursor, Limit: in.Limit,
		})
		if err != nil {
			return nil, err
		}
		return s.jobsPage(ctx, c, jobs, next)
	})
	op(s, huma.Operation{
		OperationID: "apply", Method: http.MethodPost, Path: "/api/jobs/{id}/apply", Tags: []string{"Applications"}, DefaultStatus: http.StatusCreated,
		Summary: "Apply to an open job with a message, a proposed price and a timeline",
	}, func(ctx context.Context, in *applyIn) (*applicationOutBody, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Apply(ctx, c, in.ID, market.ApplyInput{
			Message: in.Body.Message, ProposedPrice: money.Money{Amount: in.Body.ProposedPrice}, // in the job's currency
			Timeline: time.Duration(in.Body.Timeline) * time.Second,
		})
		return &applicationOutBody{Body: toApplication(a)}, err
	})
	op(s, huma.Operation{
		OperationID: "list-applications", Method: http.MethodGet, Path: "/api/jobs/{id}/applications", Tags: []string{"Applications"},
		Summary: "The job's applications (all for the poster, your own for an applicant)",
	}, func(ctx context.Context, in *jobIDIn) (*applicationsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		apps, err := s.cfg.Service.Applications(ctx, c, in.ID)
		out := &applicationsOut{Body: []*applicationOut{}}
		for _, a := range apps {
			out.Body = append(out.Body, toApplication(a))
		}
		return out, err
	})
	op(s, huma.Operation{
		OperationID: "accept-application", Method: http.MethodPost, Path: "/api/jobs/{id}/accept-application", Tags: []string{"Applications"},
		Summary:     "Hire an applicant and fund the escrow",
		Description: "Funds the escrow from the wallet (instant) or by card (the job waits in awaiting_funding). The other applicants are rejected. Accepts Idempotency-Key and dry_run.",
	}, func(ctx context.Context, in *acceptIn) (*actionOut, error) {
		funding := in.Body.Funding
		if funding == "" {
			funding = job.FundWallet
		}
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) {
			return s.cfg.Service.Accept(ctx, c, in.ID, in.Body.ApplicationID, funding, in.DryRun)
		})
	})
	op(s, huma.Operation{
		OperationID: "deliver", Method: http.MethodPost, Path: "/api/jobs/{id}/deliver", Tags: []string{"Delivery"},
		Summary: "Deliver the work: a URL (JSON) or a file (multipart/form-data)",
		Description: "JSON `{\"url\": \"https://...\", \"note\": \"...\"}` or multipart/form-data with a `file` part and an optional `note` part. " +
			"A file is limited in size; its SHA-256 is recorded on the job.",
		MaxBodyBytes: market.DefaultMaxFileSize + 1<<20, SkipValidateBody: true, // parseDelivery validates both forms
		RequestBody: deliverBody(s.api.OpenAPI().Components.Schemas),
	}, func(ctx context.Context, in *deliverIn) (*actionOut, error) {
		d, err := parseDelivery(in.ContentType, in.RawBody)
		if err != nil {
			return nil, err
		}
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) { return s.cfg.Service.Deliver(ctx, c, in.ID, d) })
	})
	op(s, huma.Operation{
		OperationID: "get-delivered-file", Method: http.MethodGet, Path: "/api/jobs/{id}/delivery/file", Tags: []string{"Delivery"},
		Summary: "Download the delivered file",
	}, func(ctx context.Context, in *jobIDIn) (*fileOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		r, d, err := s.cfg.Service.DeliveredFile(ctx, c, in.ID)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		return &fileOut{ContentType: "application/octet-stream", SHA256: d.SHA256, Body: b}, err
	})
	s.jobAction("approve", "/approve", "Approve the delivery; funds move to the agent's pending balance for the cooldown",
		func(ctx context.Context, c market.Caller, id string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.Approve(ctx, c, id, dry)
		})
	s.jobAction("cancel", "/cancel", "Cancel the job; escrow is refunded to the wallet or card",
		func(ctx context.Context, c market.Caller, id string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.Cancel(ctx, c, id, dry)
		})
	s.jobAction("reopen", "/reopen", "Reopen an overdue job for another agent; escrow is refunded",
		func(ctx context.Context, c market.Caller, id string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.Reopen(ctx, c, id, dry)
		})
	s.jobAction("withdraw", "/withdraw", "Withdraw as the hired agent; the poster is refunded and the job reopens",
		func(ctx context.Context, c market.Caller, id string, dry bool) (*market.Outcome, error) {
			return s.cfg.Service.Withdraw(ctx, c, id, dry)
		})
	op(s, huma.Operation{
		OperationID: "request-revision", Method: http.MethodPost, Path: "/api/jobs/{id}/request-revision", Tags: []string{"Delivery"},
		Summary: "Ask the agent for a revision (limited count)",
	}, func(ctx context.Context, in *noteIn) (*actionOut, error) {
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) {
			return s.cfg.Service.RequestRevision(ctx, c, in.ID, in.Body.Note)
		})
	})
	op(s, huma.Operation{
		OperationID: "dispute", Method: http.MethodPost, Path: "/api/jobs/{id}/dispute", Tags: []string{"Disputes"},
		Summary: "Open a dispute while funds are in escrow or cooldown; funds freeze",
	}, func(ctx context.Context, in *disputeIn) (*actionOut, error) {
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) {
			return s.cfg.Service.Dispute(ctx, c, in.ID, in.Body.Reason, in.Body.Evidence)
		})
	})
	op(s, huma.Operation{
		OperationID: "list-job-payouts", Method: http.MethodGet, Path: "/api/jobs/{id}/payouts", Tags: []string{"Payouts"},
		Summary: "The job's payouts (to the agent and proofers)",
	}, func(ctx context.Context, in *jobIDIn) (*payoutsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		ps, err := s.cfg.Service.Payouts(ctx, c, in.ID)
		if ps == nil {
			ps = []*payout.Payout{}
		}
		return &payoutsOut{Body: ps}, err
	})
}

// jobAction registers a POST /api/jobs/{id}<suffix> action without a body that moves money.
func (s *Server) jobAction(id, suffix, summary string, do func(ctx context.Context, c market.Caller, id string, dry bool) (*market.Outcome, error)) {
	o := huma.Operation{
		OperationID: id, Method: http.MethodPost, Path: "/api/jobs/{id}" + suffix, Tags: []string{"Jobs"}, Summary: summary,
		Description: "Moves money: accepts Idempotency-Key and dry_run=true.",
	}
	op(s, o, func(ctx context.Context, in *dryRunIn) (*actionOut, error) {
		return s.act(ctx, func(c market.Caller) (*market.Outcome, error) { return do(ctx, c, in.ID, in.DryRun) })
	})
}

// act runs a job action as the caller and answers with its outcome and the job as the caller now
// sees it (after a dry run: as it stays), without the job when the action took it out of the
// caller's sight.
func (s *Server) act(ctx context.Context, do func(c market.Caller) (*market.Outcome, error)) (*actionOut, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	o, err := do(c)
	if err != nil {
		return nil, err
	}
	r := &actionResult{
		Action: o.Action, From: o.From, To: o.To, DryRun: o.DryRun, Transfers: o.Transfers, Events: o.Events,
		Application: toApplication(o.Application), Task: o.Task,
	}
	if o.View != nil {
		r.View = s.toView(o.View)
		if o.View.Job.State == job.AwaitingFunding {
			r.CheckoutURL = o.View.Job.CheckoutURL // only the poster's view carries it
		}
	}
	if r.Transfers == nil {
		r.Transfers = []ledger.Transfer{}
	}
	if r.Events == nil {
		r.Events = []string{}
	}
	return &actionOut{Body: r}, nil
}

func (s *Server) viewOf(ctx context.Context, c market.Caller, id string) (*viewOut, error) {
	v, err := s.cfg.Service.GetJob(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &viewOut{Body: s.toView(v)}, nil
}

func (s *Server) jobsPage(ctx context.Context, c market.Caller, jobs []*job.Job, next string) (*jobsOut, error) {
	views, err := s.cfg.Service.Views(ctx, c, jobs)
	if err != nil {
		return nil, err
	}
	out := &jobsOut{}
	out.Body.Jobs = make([]*jobSummary, len(views))
	out.Body.NextCursor = next
	for i, v := range views {
		out.Body.Jobs[i] = s.toSummary(v)
	}
	return out, nil
}

// deliverJSON is the JSON form of a delivery.
type deliverJSON struct {
	URL  string `json:"url" format:"uri" maxLength:"2000" doc:"where the work is"`
	Note string `json:"note,omitempty" maxLength:"5000"`
}

// deliverBody documents the two forms of a delivery: the JSON one as the schema DeliverJSON of
// reg, which next_actions name. It makes a new multipart schema on every call, since huma
// annotates a schema when it registers it and servers may be built concurrently.
func deliverBody(reg huma.Registry) *huma.RequestBody {
	return &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"application/json": {Schema: reg.Schema(reflect.TypeFor[deliverJSON](), true, "")},
		"multipart/form-data": {Schema: &huma.Schema{
			Type: "object", Required: []string{"file"},
			Properties: map[string]*huma.Schema{
				"file": {Type: "string", Format: "binary", Description: "the delivered file"},
				"note": {Type: "string", MaxLength: ptr(5000)},
			},
		}},
	}}
}

func ptr[T any](v T) *T { return &v }

// parseDelivery reads a delivery from a JSON or multipart body.
func parseDelivery(contentType string, body []byte) (market.DeliverInput, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return market.DeliverInput{}, newProblem(codeUnsupportedType, "send application/json or multipart/form-data")
	}
	switch mt {
	case "application/json":
		var d deliverJSON
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return market.DeliverInput{}, newProblem(errs.CodeInvalidInput, "the body must be {\"url\": ..., \"note\": ...}: "+err.Error())
		}
		if d.URL == "" {
			return market.DeliverInput{}, newProblem(errs.CodeInvalidInput, "url is required")
		}
		return market.DeliverInput{URL: d.URL, Note: d.Note}, nil
	case "multipart/form-data":
		return parseMultipartDelivery(multipart.NewReader(bytes.NewReader(body), params["boundary"]))
	}
	return market.DeliverInput{}, newProblem(codeUnsupportedType, "send application/json or multipart/form-data, not "+mt)
}

func parseMultipartDelivery(mr *multipart.Reader) (market.DeliverInput, error) {
	var d market.DeliverInput
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d, newProblem(errs.CodeInvalidInput, "malformed multipart body: "+err.Error())
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return d, newProblem(errs.CodeInvalidInput, "malformed multipart body: "+err.Error())
		}
		switch p.FormName() {
		case "file":
			d.File = bytes.NewReader(b)
		case "note":
			d.Note = strings.TrimSpace(string(b))
		default:
			return d, newProblem(errs.CodeInvalidInput, "unknown form field "+p.FormName()+"; send file and note")
		}
	}
	if d.File == nil {
		return d, newProblem(errs.CodeInvalidInput, "a multipart delivery needs a file part")
	}
	return d, nil
}
