package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/testkit"
)

// screenshots is where the browser tests write a screenshot of each page they visit.
const screenshots = "testdata/screenshots"

// chrome is a headless Chromium tab, closed when the test ends.
func chrome(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.WindowSize(412, 915)) // a phone's viewport
	if path := os.Getenv("CHROMIUM"); path != "" {
		opts = append(opts, chromedp.ExecPath(path))
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	ctx, cancelTime := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTime)
	return ctx
}

// shot saves a full-page screenshot named name.
func shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, t) // quality 100 is a PNG
		if err != nil {
			return err
		}
		if err := os.MkdirAll(screenshots, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(screenshots, name+".png"), buf, 0o644)
	})
}

// browserSignIn signs in through the pages: the form, the emailed link.
func browserSignIn(t *testing.T, ctx context.Context, k *testkit.Kit, base, email, name string) {
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/web/sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		shot(name+"-sign-in"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.Click(chromedp.CSS("#send-link")),
		chromedp.WaitVisible(chromedp.CSS("#sent")),
	))
	k.RunDue()
	msg, ok := k.Mail.Last(email)
	require.True(t, ok)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/web/sign-in/verify?token="+url.QueryEscape(testkit.Token(msg.Text))),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	))
}

// state waits until the job page shows the state.
func state(s job.State) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(`//strong[@id="state"][text()="` + string(s) + `"]`)
}

// reloadAndClick reloads the page, saves its screenshot, clicks the button and waits for the state.
func reloadAndClick(button, name string, want job.State) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(button)),
		shot(name),
		chromedp.Click(chromedp.CSS(button)),
		state(want),
	)
}

func TestBrowserPosterThreeClicks(t *testing.T) {
	posterThreeClicks(t, testkit.New(t), "poster")
}

func TestBrowserPosterThreeClicksOnPostgres(t *testing.T) {
	posterThreeClicks(t, testkit.NewWith(t, testkit.Options{Store: pgtest.Store(t), Seed: 1}), "pg-poster")
}

// posterThreeClicks signs a poster in over k and has it post, accept and approve, one click each,
// saving screenshots named after prefix.
func posterThreeClicks(t *testing.T, k *testkit.Kit, prefix string) {
	poster := k.Poster("Pat", 100_00)
	agent := k.Agent("Ada")
	k.Advance(time.Minute)
	srv := newServer(t, k)
	ctx := chrome(t)
	browserSignIn(t, ctx, k, srv.URL, "pat@example.test", prefix)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#post-job")),
		shot(prefix+"-dashboard"),
		chromedp.SendKeys(chromedp.CSS("#title"), "Summarize a paper"),
		chromedp.SendKeys(chromedp.CSS("#category"), "research"),
		chromedp.SendKeys(chromedp.CSS("#budget"), "50"),
		chromedp.SendKeys(chromedp.CSS("#criteria"), "A 200-word summary"),
		chromedp.Click(chromedp.CSS("#post-job")), // click 1
		state(job.Open),
	))
	jobs, _, err := k.Service.MyJobs(k.Ctx, poster, market.JobsInput{Role: job.RolePoster})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	id := jobs[0].ID
	testkit.Got(k.Service.Apply(k.Ctx, agent, id, market.ApplyInput{Message: "I summarize papers.", ProposedPrice: money.Money{Amount: 45_00, Currency: "USD"}, Timeline: time.Hour})).Must(t)

	require.NoError(t, chromedp.Do(ctx, reloadAndClick("button.accept", prefix+"-applications", job.InProgress))) // click 2
	k.Deliver(agent, id)
	require.NoError(t, chromedp.Do(ctx,
		reloadAndClick("#approve", prefix+"-delivery", job.Approved), // click 3
		shot(prefix+"-approved"),
	))
	k.CheckInvariants()
}

func TestBrowserAdminResolvesWithSplit(t *testing.T) {
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Hire(poster, agent, 50_00)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Dispute(k.Ctx, poster, j.ID, "The summary misses the method section.", []string{"https://example.com/notes"})).Must(t)
	k.Admin("Ann")
	k.Advance(time.Minute)
	price := k.Job(j.ID).Price.Amount
	toAgent := price / 2
	srv := newServer(t, k)
	ctx := chrome(t)
	browserSignIn(t, ctx, k, srv.URL, "ann@example.test", "admin")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/web/admin/disputes"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/web/admin/jobs/`+j.ID+`"]`)),
		shot("admin-disputes"),
		chromedp.Click(chromedp.CSS(`a[href="/web/admin/jobs/`+j.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#dry-run-resolve")),
		shot("admin-dispute"),
		chromedp.SendKeys(chromedp.CSS("#to_agent"), dollars(toAgent)),
		chromedp.SendKeys(chromedp.CSS("#to_poster"), dollars(price-toAgent)),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Half the work was done."),
		chromedp.Click(chromedp.CSS("#dry-run-resolve")),
		chromedp.WaitVisible(chromedp.CSS("#dry-run")),
		shot("admin-dry-run"),
	))
	require.Equal(t, job.Disputed, k.Job(j.ID).State, "the dry run changed nothing")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#confirm-resolve")),
		chromedp.WaitVisible(chromedp.CSS("#resolution")),
		shot("admin-resolved"),
		chromedp.Navigate(srv.URL+"/web/admin/audit"),
		chromedp.WaitVisible(`//td[text()="Half the work was done."]`),
		shot("admin-audit"),
	))
	d := k.Job(j.ID).Dispute
	require.Equal(t, toAgent, d.ToAgent.Amount)
	require.Equal(t, price-toAgent, d.ToPoster.Amount)
	k.CheckInvariants()
}

// dollars formats minor units as the pages' amount fields take them.
func dollars(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func TestBrowserStranger(t *testing.T) {
	k := testkit.New(t)
	poster := k.Poster("Pat", 100_00)
	j := k.Hire(poster, k.Agent("Ada"), 10_00)
	k.Account("Sam")
	k.Advance(time.Minute)
	srv := newServer(t, k)
	ctx := chrome(t)
	browserSignIn(t, ctx, k, srv.URL, "sam@example.test", "stranger")
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/web/jobs/"+j.ID))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusNotFound), resp.Status)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#error")),
		shot("stranger-404"),
		chromedp.Navigate(srv.URL+"/web/"),
		chromedp.WaitVisible(chromedp.CSS("#post-job")),
		chromedp.SendKeys(chromedp.CSS("#title"), "No token"),
		chromedp.SendKeys(chromedp.CSS("#category"), "x"),
		chromedp.SendKeys(chromedp.CSS("#budget"), "1"),
		chromedp.SendKeys(chromedp.CSS("#criteria"), "x"),
		chromedp.SetAttributeValue(chromedp.CSS(`form[action="/web/jobs"] input[name="csrf"]`), "value", ""),
	))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#post-job")),
		chromedp.WaitVisible(`//p[@id="error"][contains(text(), "CSRF")]`),
		shot("stranger-403"),
	))
	jobs, _, err := k.Service.MyJobs(k.Ctx, market.User(k.Job(j.ID).PosterID), market.JobsInput{Role: job.RolePoster})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "the form without its token posted nothing")
}
