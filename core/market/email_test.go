package market_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
)

// register registers an account without verifying it.
func register(k *testkit.Kit, name string) *account.Account {
	k.T.Helper()
	return testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: strings.ToLower(name) + "@example.test", Name: name})).Must(k.T)
}

// mailTo returns the messages delivered to the address, oldest first.
func mailTo(k *testkit.Kit, addr string) []ports.Message {
	var out []ports.Message
	for _, m := range k.Mail.Messages() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// emailTimers returns the queued send_email timers.
func emailTimers(k *testkit.Kit) []ports.Timer {
	k.T.Helper()
	var out []ports.Timer
	require.NoError(k.T, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		due, err := tx.Timers().Due(ctx, k.Clock.Now().Add(365*24*time.Hour), 0)
		for _, t := range due {
			if t.Action == "send_email" {
				out = append(out, t)
			}
		}
		return err
	}))
	return out
}

func events(k *testkit.Kit, typ string) []event.Event {
	k.T.Helper()
	var out []event.Event
	require.NoError(k.T, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		es, err := tx.Events().List(ctx, "", 0, 0)
		for _, e := range es {
			if e.Type == typ {
				out = append(out, e)
			}
		}
		return err
	}))
	return out
}

func TestVerificationEmailIsQueuedAndSentByTheTimer(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	a := register(k, "Zoë")
	require.Empty(t, k.Mail.Messages(), "nothing is sent inside the request")
	timers := emailTimers(k)
	require.Len(t, timers, 1)
	require.Equal(t, k.Clock.Now(), timers[0].DueAt)
	var queued ports.Message
	require.NoError(t, json.Unmarshal(timers[0].Payload, &queued))
	require.Equal(t, a.Email, queued.To)

	k.RunDue()
	msgs := k.Mail.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, queued, m)
	require.Equal(t, "zoë@example.test", m.To)
	require.Equal(t, "Zoë", m.ToName)
	require.Equal(t, "Verify your AgentGigs email", m.Subject)
	token := testkit.Token(m.Text)
	id, secret, ok := strings.Cut(token, ".")
	require.True(t, ok)
	require.Equal(t, a.ID, id)
	require.Len(t, secret, 43, "32 random bytes in unpadded base64url")
	link := "http://sandbox.test/verify-email?token=" + url.QueryEscape(token)
	require.Contains(t, m.Text, link)
	require.Contains(t, m.Text, "POST /api/auth/verify-email")
	require.Contains(t, m.Text, "expire at Fri, 02 Jan 2026 09:00 UTC")
	require.Contains(t, m.HTML, `href="`+link+`"`)
	require.Contains(t, m.HTML, token)
	require.Contains(t, m.HTML, "Hello Zoë,")
	require.Empty(t, emailTimers(k))

	got := testkit.Got(k.Service.VerifyEmail(k.Ctx, token)).Must(t)
	require.True(t, got.Account.EmailVerified)
	require.NotNil(t, got.Key, "the first verification creates the first key")
	_, key, err := k.Service.Authenticate(k.Ctx, got.Secret)
	require.NoError(t, err, "the first key's secret authenticates")
	require.Equal(t, got.Key.ID, key.ID)
}

func TestVerificationTokens(t *testing.T) {
	t.Parallel()

	t.Run("Reused", func(t *testing.T) {
		t.Parallel()
		k := testkit.New(t)
		a := register(k, "Pat")
		k.RunDue()
		m, _ := k.Mail.Last(a.Email)
		testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))).Must(t)
		_, err := k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))
		require.ErrorIs(t, err, errs.ErrInvalidToken)
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		k := testkit.New(t)
		a := register(k, "Pat")
		k.RunDue()
		m, _ := k.Mail.Last(a.Email)
		k.Advance(account.VerificationTTL)
		_, err := k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))
		require.ErrorIs(t, err, errs.ErrInvalidToken)
		require.False(t, testkit.Got(k.Service.Account(k.Ctx, market.User(a.ID))).Must(t).EmailVerified)
	})

	t.Run("JustBeforeExpiry", func(t *testing.T) {
		t.Parallel()
		k := testkit.New(t)
		a := register(k, "Pat")
		k.RunDue()
		m, _ := k.Mail.Last(a.Email)
		k.Advance(account.VerificationTTL - time.Second)
		testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))).Must(t)
	})

	t.Run("Wrong", func(t *testing.T) {
		t.Parallel()
		k := testkit.New(t)
		a := register(k, "Pat")
		k.RunDue()
		m, _ := k.Mail.Last(a.Email)
		token := testkit.Token(m.Text)
		for _, wrong := range []string{"", ".", a.ID, a.ID + ".", "." + token, a.ID + ".wrong", "acc_nobody" + token[len(a.ID):], token + "x", token[:len(token)-1]} {
			_, err := k.Service.VerifyEmail(k.Ctx, wrong)
			require.ErrorIs(t, err, errs.ErrInvalidToken, "%q", wrong)
		}
		testkit.Got(k.Service.VerifyEmail(k.Ctx, token)).Must(t)
	})

	t.Run("ReplacedByAResend", func(t *testing.T) {
		t.Parallel()
		k := testkit.New(t)
		a := register(k, "Pat")
		k.RunDue()
		first, _ := k.Mail.Last(a.Email)
		k.Advance(account.VerificationInterval)
		require.NoError(t, k.Service.RequestVerification(k.Ctx, a.Email))
		k.RunDue()
		second, _ := k.Mail.Last(a.Email)
		require.NotEqual(t, testkit.Token(first.Text), testkit.Token(second.Text))
		_, err := k.Service.VerifyEmail(k.Ctx, testkit.Token(first.Text))
		require.ErrorIs(t, err, errs.ErrInvalidToken)
		testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(second.Text))).Must(t)
	})
}

// Verification emails are rate limited: one per account.VerificationInterval, registering
// included, and account.MaxVerificationsPerDay a day; none once the email is verified.
func TestVerificationEmailsAreRateLimited(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	a := register(k, "Pat")
	resend := func() int {
		require.NoError(t, k.Service.RequestVerification(k.Ctx, a.Email))
		k.RunDue()
		return len(mailTo(k, a.Email))
	}
	require.Equal(t, 1, resend(), "registering sent one a moment ago")
	k.Advance(59 * time.Second)
	require.Equal(t, 1, resend())
	for i := range account.MaxVerificationsPerDay - 1 {
		k.Advance(time.Second)
		require.Equal(t, i+2, resend())
		require.Equal(t, i+2, resend())
		k.Advance(account.VerificationInterval - time.Second)
	}
	k.Advance(time.Hour)
	require.Equal(t, account.MaxVerificationsPerDay, resend(), "five a day")

	k.Advance(24 * time.Hour)
	require.Equal(t, account.MaxVerificationsPerDay+1, resend(), "a new day")
	m, _ := k.Mail.Last(a.Email)
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))).Must(t)
	k.Advance(24 * time.Hour)
	require.Equal(t, account.MaxVerificationsPerDay+1, resend(), "already verified")
}

func TestRequestVerificationDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	pending := register(k, "Pat")
	k.Account("Vic")
	k.Advance(account.VerificationInterval)
	sent := len(k.Mail.Messages())

	require.ErrorIs(t, k.Service.RequestVerification(k.Ctx, "not an address"), errs.ErrInvalidInput)
	require.NoError(t, k.Service.RequestVerification(k.Ctx, "nobody@example.test"))
	require.NoError(t, k.Service.RequestVerification(k.Ctx, "VIC@example.test"))
	k.RunDue()
	require.Len(t, k.Mail.Messages(), sent, "neither an unknown nor a verified address gets mail")

	require.NoError(t, k.Service.RequestVerification(k.Ctx, " PAT@example.test "))
	require.NoError(t, k.Service.RequestVerification(k.Ctx, "pat@example.test"), "rate limited, silently")
	k.RunDue()
	got := mailTo(k, pending.Email)
	require.Len(t, got, 2)
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(got[1].Text))).Must(t)
}

func TestRegisterAgainDoesNotRevealTheAccount(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	owner := k.Account("Vic")
	pending := register(k, "Pat")
	k.RunDue()
	k.Advance(account.VerificationInterval)

	again := testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: "VIC@example.test", Name: "Mallory"})).Must(t)
	require.NotEqual(t, owner.AccountID, again.ID, "the answer looks like a new account")
	require.Equal(t, "vic@example.test", again.Email)
	require.False(t, again.EmailVerified)
	_, err := k.Service.Account(k.Ctx, market.User(again.ID))
	require.ErrorIs(t, err, errs.ErrForbidden, "and it does not exist")
	k.RunDue()
	notice, _ := k.Mail.Last("vic@example.test")
	require.Equal(t, "Someone tried to register with your AgentGigs email", notice.Subject)
	require.Contains(t, notice.Text, "Hello Vic,")
	require.Equal(t, "Vic", testkit.Got(k.Service.Account(k.Ctx, owner)).Must(t).Name, "nothing changed")

	// An unverified owner gets a fresh verification link instead.
	before, _ := k.Mail.Last(pending.Email)
	testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: pending.Email, Name: "Other"})).Must(t)
	k.RunDue()
	fresh, _ := k.Mail.Last(pending.Email)
	require.Contains(t, fresh.Text, "asked to register this address again")
	require.NotEqual(t, testkit.Token(before.Text), testkit.Token(fresh.Text))
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(fresh.Text))).Must(t)

	// Repeated attempts do not flood the owner.
	n := len(mailTo(k, "vic@example.test"))
	for range 3 {
		testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: "vic@example.test", Name: "Mallory"})).Must(t)
	}
	k.RunDue()
	require.Len(t, mailTo(k, "vic@example.test"), n, "within the rate limit")
}

func TestNotificationEmails(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	pat := testkit.Got(k.Service.Account(k.Ctx, poster)).Must(t)
	ada := testkit.Got(k.Service.Account(k.Ctx, agent)).Must(t)
	sent := len(k.Mail.Messages())

	j := k.Post(poster, 50_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{Message: "On it"})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	require.Len(t, k.Mail.Messages(), sent, "queued, not sent in the request")
	k.RunDue()
	hired, _ := k.Mail.Last(ada.Email)
	require.Equal(t, "You were hired: Summarise a paper", hired.Subject)
	require.Contains(t, hired.Text, "accepted at 50.00 USD")
	require.Contains(t, hired.Text, j.ID)
	require.Contains(t, hired.HTML, "<strong>Summarise a paper</strong>")
	require.Contains(t, hired.HTML, `href="http://sandbox.test/api/jobs/`+j.ID+`"`)

	k.Deliver(agent, j.ID)
	k.RunDue()
	delivered, _ := k.Mail.Last(pat.Email)
	require.Equal(t, "Work delivered: Summarise a paper", delivered.Subject)
	require.Contains(t, delivered.Text, "approved automatically")

	testkit.Got(k.Service.Dispute(k.Ctx, poster, j.ID, "The summary is of another paper", nil)).Must(t)
	k.RunDue()
	disputed, _ := k.Mail.Last(ada.Email)
	require.Equal(t, "Dispute opened: Summarise a paper", disputed.Subject)
	require.Contains(t, disputed.Text, "The poster opened a dispute")
	require.Contains(t, disputed.Text, "The summary is of another paper")
	require.Len(t, k.Mail.Messages(), sent+3, "one email per moment, none to the actor")
}

func TestNotificationOptOut(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	require.NoError(t, k.Service.SetEmailNotifications(k.Ctx, agent, false))
	require.True(t, testkit.Got(k.Service.Account(k.Ctx, agent)).Must(t).EmailOptOut)
	sent := len(k.Mail.Messages())

	j := k.Hire(poster, agent, 50_00)
	k.RunDue()
	require.Len(t, k.Mail.Messages(), sent, "the agent opted out")
	k.Deliver(agent, j.ID)
	k.RunDue()
	require.Len(t, k.Mail.Messages(), sent+1, "the poster did not")

	require.NoError(t, k.Service.SetEmailNotifications(k.Ctx, agent, true))
	testkit.Got(k.Service.Dispute(k.Ctx, poster, j.ID, "wrong paper", nil)).Must(t)
	k.RunDue()
	require.Len(t, k.Mail.Messages(), sent+2)
	require.ErrorIs(t, k.Service.SetEmailNotifications(k.Ctx, market.Caller{}, false), errs.ErrForbidden)
}

func TestHostileJobTitleStaysInItsPlace(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	in := market.PostInput{
		Title: "Fix <script>alert(1)</script>\r\nBcc: all@example.test", Description: "x", Category: "code",
		Budget: testkit.USDAmount(10_00), Criteria: "works",
	}
	_, err := k.Service.PostJob(k.Ctx, poster, in)
	require.ErrorIs(t, err, errs.ErrInvalidText, "a title is one line")
	in.Title = "Fix <script>alert(1)</script> Bcc: all@example.test"
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, in)).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	k.RunDue()
	m, _ := k.Mail.Last(testkit.Got(k.Service.Account(k.Ctx, agent)).Must(t).Email)
	require.Equal(t, "You were hired: Fix <script>alert(1)</script> Bcc: all@example.test", m.Subject, "one header line")
	require.NotContains(t, m.HTML, "<script>")
	require.Contains(t, m.HTML, "&lt;script&gt;")
}

func TestEmailSurvivesAMailOutage(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	k.Mail.FailNext(3)
	a := register(k, "Pat")
	start := k.Clock.Now()
	k.RunDue()
	require.Empty(t, k.Mail.Messages())
	timers := emailTimers(k)
	require.Len(t, timers, 1)
	require.Equal(t, 1, timers[0].Attempt)
	require.Equal(t, start.Add(time.Minute), timers[0].DueAt, "first retry after a minute")

	k.Advance(2 * time.Minute) // retries at +1 min and +3 min
	require.Empty(t, k.Mail.Messages())
	require.Equal(t, 2, emailTimers(k)[0].Attempt)
	k.Advance(5 * time.Minute) // third failure at +3 min, then a success at +7 min
	require.Len(t, k.Mail.Messages(), 1)
	require.Empty(t, emailTimers(k))
	m, _ := k.Mail.Last(a.Email)
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(m.Text))).Must(t)
	require.Empty(t, events(k, "email.failed"))
}

func TestEmailIsGivenUpAfterADay(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	k.Mail.FailNext(1000)
	register(k, "Pat")
	start := k.Clock.Now()
	k.Advance(20 * time.Hour)
	require.Len(t, emailTimers(k), 1, "still retrying after 20 h")
	require.Empty(t, events(k, "email.failed"))
	k.Advance(10 * time.Hour)
	require.Empty(t, emailTimers(k))
	failed := events(k, "email.failed")
	require.Len(t, failed, 1)
	took := failed[0].At.Sub(start)
	require.True(t, took > 22*time.Hour && took < 26*time.Hour, "gave up after %s", took)
	require.Equal(t, "pat@example.test", failed[0].Data["to"])
	require.Equal(t, "19", failed[0].Data["attempts"])
	require.Contains(t, failed[0].Data["error"], "unavailable")
}

// rejecting is a mail server that refuses every message for good.
type rejecting struct{ calls int }

func (r *rejecting) Send(context.Context, ports.Message) error {
	r.calls++
	return errs.New(errs.CodeInvalidInput, "550 mailbox unavailable")
}

func TestRejectedEmailIsNotRetried(t *testing.T) {
	t.Parallel()
	r := &rejecting{}
	k := testkit.NewWith(t, testkit.Options{Seed: 1, Mailer: r})
	register(k, "Pat")
	k.Advance(48 * time.Hour)
	require.Equal(t, 1, r.calls)
	require.Empty(t, emailTimers(k))
	failed := events(k, "email.failed")
	require.Len(t, failed, 1)
	require.Equal(t, "1", failed[0].Data["attempts"])
	require.Contains(t, failed[0].Data["error"], "550 mailbox unavailable")
	require.Empty(t, k.Mail.Messages(), "the dev inbox records only what was delivered")
}

func TestDryRunQueuesNoEmail(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 100_00), k.Agent("Ada")
	j := k.Post(poster, 50_00)
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{})).Must(t)
	require.Empty(t, emailTimers(k))
	out := testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, true)).Must(t)
	require.True(t, out.DryRun)
	require.Empty(t, emailTimers(k))
}

func TestRequestSignInMailsVerifiedAccountsOneTimeToken(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	c := k.Account("Pat")
	require.NoError(t, k.Service.RequestVerification(k.Ctx, "pat@example.test"), "a verified account gets no verification email")
	k.Advance(time.Minute) // the registration email's rate limit
	before := len(k.Mail.Messages())
	require.NoError(t, k.Service.RequestSignIn(k.Ctx, "nobody@example.test"), "an unknown address answers the same")
	require.NoError(t, k.Service.RequestSignIn(k.Ctx, "pat@example.test"))
	k.RunDue()
	require.Len(t, k.Mail.Messages(), before+1, "a verified account gets a sign-in email, an unknown address none")
	msg, _ := k.Mail.Last("pat@example.test")
	v := testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(msg.Text))).Must(t)
	require.Equal(t, c.AccountID, v.Account.ID)
	_, err := k.Service.VerifyEmail(k.Ctx, testkit.Token(msg.Text))
	require.Equal(t, errs.CodeInvalidToken, errs.CodeOf(err), "the link works once")
}
