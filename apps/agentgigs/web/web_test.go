package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/apps/agentgigs/web"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/testkit"
)

// browser is an HTTP client with a cookie jar, signed in to the pages of one server.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newServer serves the pages over k's service.
func newServer(t *testing.T, k *testkit.Kit) *httptest.Server {
	srv := httptest.NewServer(web.New(web.Config{Service: k.Service, Sessions: &web.MemorySessions{}, Now: k.Clock.Now}))
	t.Cleanup(srv.Close)
	return srv
}

// signIn signs in as the account with the email through the emailed one-time link.
func signIn(t *testing.T, k *testkit.Kit, srv *httptest.Server, email string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{t: t, c: &http.Client{Jar: jar}, base: srv.URL}
	b.post("/web/sign-in", url.Values{"email": {email}}, http.StatusOK)
	k.RunDue()
	msg, ok := k.Mail.Last(email)
	require.True(t, ok)
	body := b.get("/web/sign-in/verify?token="+url.QueryEscape(testkit.Token(msg.Text)), http.StatusOK)
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF token on the dashboard: %s", body)
	b.csrf = m[1]
	return b
}

func (b *browser) get(path string, status int) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	require.NoError(b.t, err)
	return b.read(resp, status)
}

func (b *browser) post(path string, form url.Values, status int) string {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	require.NoError(b.t, err)
	return b.read(resp, status)
}

func (b *browser) read(resp *http.Response, status int) string {
	b.t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	require.Equal(b.t, status, resp.StatusCode, "%s", body)
	return string(body)
}

// form is v with the browser's CSRF token.
func (b *browser) form(v url.Values) url.Values {
	v.Set("csrf", b.csrf)
	return v
}

func TestPosterPostsAcceptsApproves(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster := k.Poster("Pat", 100_00)
	agent := k.Agent("Ada")
	k.Advance(time.Minute) // the registration email's rate limit
	srv := newServer(t, k)
	b := signIn(t, k, srv, "pat@example.test")

	body := b.post("/web/jobs", b.form(url.Values{"title": {"Summarize a paper"}, "category": {"research"},
		"budget": {"50.00"}, "criteria": {"200 words"}}), http.StatusOK)
	require.Contains(t, body, "Summarize a paper")
	jobs, _, err := k.Service.MyJobs(k.Ctx, poster, market.JobsInput{Role: job.RolePoster})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	j := jobs[0]
	require.Equal(t, int64(50_00), j.Budget.Amount)

	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{Message: "I summarize papers.", ProposedPrice: money.Money{Amount: 45_00, Currency: "USD"}, Timeline: time.Hour})).Must(t)
	body = b.get("/web/jobs/"+j.ID, http.StatusOK)
	require.Contains(t, body, "hold 45.00 USD in escrow")
	require.Contains(t, body, "Trust breakdown")

	body = b.post("/web/jobs/"+j.ID+"/accept", b.form(url.Values{"application_id": {app.ID}}), http.StatusOK)
	require.Contains(t, body, `id="state">in_progress`)
	k.Deliver(agent, j.ID)
	body = b.post("/web/jobs/"+j.ID+"/approve", b.form(url.Values{}), http.StatusOK)
	require.Equal(t, job.Approved, k.Job(j.ID).State, "%s", body)
	k.CheckInvariants()
}

func TestStrangerGets404AndFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster := k.Poster("Pat", 100_00)
	j := k.Hire(poster, k.Agent("Ada"), 10_00) // no longer open, so only its parties see it
	k.Account("Sam")
	k.Advance(time.Minute)
	srv := newServer(t, k)
	stranger := signIn(t, k, srv, "sam@example.test")
	stranger.get("/web/jobs/"+j.ID, http.StatusNotFound)
	body := stranger.post("/web/jobs", url.Values{"title": {"x"}, "category": {"x"}, "budget": {"1"}, "criteria": {"x"}}, http.StatusForbidden)
	require.Contains(t, body, "CSRF")
	stranger.post("/web/jobs", url.Values{"csrf": {"wrong"}, "title": {"x"}}, http.StatusForbidden)

	anonymous := &browser{t: t, c: &http.Client{}, base: srv.URL}
	anonymous.post("/web/jobs/"+j.ID+"/approve", url.Values{}, http.StatusForbidden)
	require.True(t, strings.Contains(anonymous.get("/web/", http.StatusOK), "sign-in link"))
}

func TestSignInLinkWorksOnce(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	k.Account("Pat")
	k.Advance(time.Minute)
	srv := newServer(t, k)
	b := signIn(t, k, srv, "pat@example.test")
	msg, _ := k.Mail.Last("pat@example.test")
	b.get("/web/sign-in/verify?token="+url.QueryEscape(testkit.Token(msg.Text)), http.StatusBadRequest)
	b.post("/web/sign-out", b.form(url.Values{}), http.StatusOK)
	b.post("/web/jobs", b.form(url.Values{}), http.StatusForbidden)
}

func TestPosterRequestsRevisionThenDisputes(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	k.Advance(time.Minute)
	b := signIn(t, k, newServer(t, k), "pat@example.test")
	require.Contains(t, b.get("/web/jobs/"+j.ID, http.StatusOK), `id="request-revision"`)
	b.post("/web/jobs/"+j.ID+"/revision", b.form(url.Values{"note": {"Add the method section."}}), http.StatusOK)
	require.Equal(t, job.RevisionRequested, k.Job(j.ID).State)
	k.Deliver(agent, j.ID)
	b.post("/web/jobs/"+j.ID+"/dispute", b.form(url.Values{"reason": {"Still no method section."}}), http.StatusOK)
	require.Equal(t, job.Disputed, k.Job(j.ID).State)
	k.CheckInvariants()
}

func TestAdminHoldsPayoutWithReason(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	admin := k.Admin("Ann")
	k.Advance(time.Minute)
	b := signIn(t, k, newServer(t, k), "ann@example.test")
	require.Contains(t, b.get("/web/admin/jobs/"+j.ID, http.StatusOK), `id="admin-act"`)
	b.post("/web/admin/jobs/"+j.ID+"/act", b.form(url.Values{"action": {"hold_payout"}}), http.StatusUnprocessableEntity)
	b.post("/web/admin/jobs/"+j.ID+"/act", b.form(url.Values{"action": {"nope"}, "reason": {"x"}}), http.StatusUnprocessableEntity)
	b.post("/web/admin/jobs/"+j.ID+"/act", b.form(url.Values{"action": {"hold_payout"}, "reason": {"Chargeback risk."}}), http.StatusOK)
	audit, err := k.Service.AuditLog(k.Ctx, admin, 0, 10)
	require.NoError(t, err)
	require.Len(t, audit, 1)
	require.Equal(t, "Chargeback risk.", audit[0].Reason)
	require.Contains(t, b.get("/web/admin/audit", http.StatusOK), "Chargeback risk.")
	poster2 := signIn(t, k, newServer(t, k), "pat@example.test")
	poster2.get("/web/admin/audit", http.StatusForbidden)
}
