package web_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

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
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTime)
	return ctx
}

// shot saves a full-page screenshot named name.
func shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(90)(ctx, t)
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

func TestBrowserPosterThreeClicks(t *testing.T) {
	k := testkit.New(t)
	poster := k.Poster("Pat", 100_00)
	agent := k.Agent("Ada")
	k.Advance(time.Minute)
	srv := newServer(t, k)
	ctx := chrome(t)
	browserSignIn(t, ctx, k, srv.URL, "pat@example.test", "poster")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#post-job")),
		shot("poster-dashboard"),
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

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("button.accept")),
		shot("poster-applications"),
		chromedp.Click(chromedp.CSS("button.accept")), // click 2
		state(job.InProgress),
	))
	k.Deliver(agent, id)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
		shot("poster-delivery"),
		chromedp.Click(chromedp.CSS("#approve")), // click 3
		state(job.Approved),
		shot("poster-approved"),
	))
	k.CheckInvariants()
}
