// Package web is the dashboard for humans: server-rendered pages over the same market.Service as
// the API, so the same rules, errors and audit apply. Sign-in is a one-time email link that sets
// a session cookie; every form carries the session's CSRF token.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/trust"
)

// usd is the currency of the pages' amounts.
const usd money.Currency = "USD"

// Prefix is where the pages are mounted.
const Prefix = "/web/"

// sessionTTL is how long a sign-in lasts.
const sessionTTL = 7 * 24 * time.Hour

// cookieName names the session cookie.
const cookieName = "agentgigs_session"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the pages need.
type Config struct {
	Service  *market.Service
	Sessions Sessions
	// Secure marks the cookie Secure (HTTPS only); false only in the sandbox.
	Secure bool
	// Now is the wall clock for session expiry; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Handler serves the pages under Prefix.
type Handler struct {
	cfg  Config
	tmpl *template.Template
	mux  *http.ServeMux
}

// New returns the pages' handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"money": func(m money.Money) string { return m.String() },
		"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	}).ParseFS(templateFS, "templates/*.html"))
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /web/static/", http.StripPrefix("/web/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /web/sign-in", h.signInPage)
	h.mux.HandleFunc("POST /web/sign-in", h.signIn)
	h.mux.HandleFunc("GET /web/sign-in/verify", h.verify)
	h.mux.HandleFunc("POST /web/sign-out", h.signedIn(h.signOut))
	h.mux.HandleFunc("GET /web/{$}", h.signedIn(h.dashboard))
	h.mux.HandleFunc("POST /web/jobs", h.signedIn(h.postJob))
	h.mux.HandleFunc("GET /web/jobs/{id}", h.signedIn(h.jobPage))
	h.mux.HandleFunc("POST /web/jobs/{id}/accept", h.signedIn(h.accept))
	h.mux.HandleFunc("POST /web/jobs/{id}/approve", h.signedIn(h.approve))
	h.mux.HandleFunc("POST /web/jobs/{id}/revision", h.signedIn(h.revision))
	h.mux.HandleFunc("POST /web/jobs/{id}/dispute", h.signedIn(h.dispute))
	h.routeAdmin()
	return h
}

// ServeHTTP serves the pages.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// page is what every template gets.
type page struct {
	Title  string
	CSRF   string
	Signed bool
	Error  string
	Data   any
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("content-type", "text/html; charset=utf-8")
	w.Header().Set("x-frame-options", "DENY")
	w.WriteHeader(status)
	if err := h.tmpl.ExecuteTemplate(w, name, p); err != nil {
		h.cfg.Log.Error("web: rendering", "template", name, "err", err)
	}
}

// fail renders a use case's error with the status the API gives it.
func (h *Handler) fail(w http.ResponseWriter, s *Session, err error) {
	status := api.StatusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		h.cfg.Log.Error("web: use case failed", "err", err)
		msg = "an internal error occurred; it was logged"
	}
	p := page{Title: http.StatusText(status), Error: msg}
	if s != nil {
		p.CSRF, p.Signed = s.CSRF, true
	}
	h.render(w, status, "error.html", p)
}

// signedIn runs next for a signed-in browser, checking the CSRF token of a POST (403 without
// it); a browser without a session is sent to the sign-in page.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, *Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/web/sign-in", http.StatusSeeOther)
				return
			}
			h.render(w, http.StatusForbidden, "error.html", page{Title: "Forbidden", Error: "sign in first"})
			return
		}
		if r.Method == http.MethodPost && r.PostFormValue("csrf") != s.CSRF {
			h.render(w, http.StatusForbidden, "error.html", page{Title: "Forbidden", Error: "the form's CSRF token is missing or wrong; reload the page", CSRF: s.CSRF, Signed: true})
			return
		}
		next(w, r, s)
	}
}

func (h *Handler) session(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false
	}
	s, err := h.cfg.Sessions.Get(r.Context(), c.Value, h.cfg.Now())
	if err != nil {
		return nil, false
	}
	return &s, true
}

func caller(s *Session) market.Caller { return market.User(s.AccountID) }

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "sign-in.html", page{Title: "Sign in"})
}

// signIn emails a sign-in link; it answers the same whether or not the address has an account.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	if err := h.cfg.Service.RequestSignIn(r.Context(), r.PostFormValue("email")); err != nil {
		h.fail(w, nil, err)
		return
	}
	h.render(w, http.StatusOK, "sign-in-sent.html", page{Title: "Check your email"})
}

// verify spends the one-time token of the email and sets the session cookie.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	v, err := h.cfg.Service.VerifyEmail(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		h.fail(w, nil, err)
		return
	}
	s := Session{ID: randomToken(), AccountID: v.Account.ID, CSRF: randomToken(), ExpiresAt: h.cfg.Now().Add(sessionTTL)}
	if err := h.cfg.Sessions.Put(r.Context(), s); err != nil {
		h.fail(w, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.ID, Path: Prefix, MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, s *Session) {
	if err := h.cfg.Sessions.Delete(r.Context(), s.ID); err != nil {
		h.fail(w, s, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/web/sign-in", http.StatusSeeOther)
}

// dashboardData is the dashboard: the account, its wallet and its posted jobs.
type dashboardData struct {
	Name     string
	Balances market.Balances
	Jobs     []*job.Job
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx, c := r.Context(), caller(s)
	a, err := h.cfg.Service.Account(ctx, c)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	b, err := h.cfg.Service.Balances(ctx, c, usd)
	if err != nil {
		h.fail(w, s, err)
		return
	}
	jobs, _, err := h.cfg.Service.MyJobs(ctx, c, market.JobsInput{Role: job.RolePoster, Limit: 100})
	if err != nil {
		h.fail(w, s, err)
		return
	}
	h.render(w, http.StatusOK, "dashboard.html", page{Title: "Dashboard", CSRF: s.CSRF, Signed: true,
		Data: dashboardData{Name: a.Name, Balances: b, Jobs: jobs}})
}

func (h *Handler) postJob(w http.ResponseWriter, r *http.Request, s *Session) {
	budget, err := parseAmount(r.PostFormValue("budget"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	v, err := h.cfg.Service.PostJob(r.Context(), caller(s), market.PostInput{
		Title: r.PostFormValue("title"), Description: r.PostFormValue("description"),
		Category: r.PostFormValue("category"), Criteria: r.PostFormValue("criteria"),
		Budget: money.Money{Amount: budget, Currency: usd},
	})
	if err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/web/jobs/"+v.Job.ID, http.StatusSeeOther)
}

// parseAmount reads "49.99" as 4999 minor units, without floats.
func parseAmount(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if len(frac) > 2 || whole == "" {
		return 0, errs.New(errs.CodeInvalidInput, "the amount %q is not dollars with at most two decimals, like 50 or 49.99", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 {
		return 0, errs.New(errs.CodeInvalidInput, "the amount %q is not dollars with at most two decimals, like 50 or 49.99", s)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, errs.New(errs.CodeInvalidInput, "the amount %q is not dollars with at most two decimals, like 50 or 49.99", s)
	}
	return w*100 + f, nil
}

// jobData is a job page: the view, its applications for the poster, and the applicants' trust.
type jobData struct {
	View         *market.JobView
	Applications []applicant
	Poster       bool
}

// applicant is an application with its agent's trust score.
type applicant struct {
	*job.Application
	Trust trust.Score
}

func (h *Handler) jobPage(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx, c := r.Context(), caller(s)
	v, err := h.cfg.Service.GetJob(ctx, c, r.PathValue("id"))
	if err != nil {
		h.fail(w, s, err)
		return
	}
	d := jobData{View: v, Poster: v.Role == job.RolePoster}
	if d.Poster {
		apps, err := h.cfg.Service.Applications(ctx, c, v.Job.ID)
		if err != nil {
			h.fail(w, s, err)
			return
		}
		for _, a := range apps {
			t, err := h.cfg.Service.Trust(ctx, a.AgentID)
			if err != nil {
				h.fail(w, s, err)
				return
			}
			d.Applications = append(d.Applications, applicant{a, t})
		}
	}
	h.render(w, http.StatusOK, "job.html", page{Title: v.Job.Title, CSRF: s.CSRF, Signed: true, Data: d})
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request, s *Session) {
	h.act(w, r, s, func(ctx context.Context, id string) error {
		_, err := h.cfg.Service.Accept(ctx, caller(s), id, r.PostFormValue("application_id"), job.FundWallet, false)
		return err
	})
}

func (h *Handler) approve(w http.ResponseWriter, r *http.Request, s *Session) {
	h.act(w, r, s, func(ctx context.Context, id string) error {
		_, err := h.cfg.Service.Approve(ctx, caller(s), id, false)
		return err
	})
}

func (h *Handler) revision(w http.ResponseWriter, r *http.Request, s *Session) {
	h.act(w, r, s, func(ctx context.Context, id string) error {
		_, err := h.cfg.Service.RequestRevision(ctx, caller(s), id, r.PostFormValue("note"))
		return err
	})
}

func (h *Handler) dispute(w http.ResponseWriter, r *http.Request, s *Session) {
	h.act(w, r, s, func(ctx context.Context, id string) error {
		_, err := h.cfg.Service.Dispute(ctx, caller(s), id, r.PostFormValue("reason"), nil)
		return err
	})
}

// act runs a job action and shows the job again.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, s *Session, do func(context.Context, string) error) {
	id := r.PathValue("id")
	if err := do(r.Context(), id); err != nil {
		h.fail(w, s, err)
		return
	}
	http.Redirect(w, r, "/web/jobs/"+id, http.StatusSeeOther)
}
