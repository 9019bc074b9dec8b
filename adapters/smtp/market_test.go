package smtp_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/smtp/smtptest"
	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit"
)

// These tests run the marketplace (testkit) with the SMTP adapter delivering to mailpit, and
// read the mail the way an agent with inbox access would: through mailpit's API.

// register registers an account and checks that the request returned promptly: it only queues
// the email.
func register(t *testing.T, k *testkit.Kit, email, name string) *account.Account {
	t.Helper()
	start := time.Now()
	a := testkit.Got(k.Service.Register(k.Ctx, market.RegisterInput{Email: email, Name: name})).Must(t)
	require.Less(t, time.Since(start), 250*time.Millisecond, "the request does not wait for the mail server")
	return a
}

// emailTimers returns the queued emails.
func emailTimers(t *testing.T, k *testkit.Kit) []ports.Timer {
	t.Helper()
	var out []ports.Timer
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		due, err := tx.Timers().Due(ctx, k.Clock.Now().Add(365*24*time.Hour), 0)
		for _, tm := range due {
			if tm.Action == "send_email" {
				out = append(out, tm)
			}
		}
		return err
	}))
	return out
}

func TestRegistrationEmailArrivesAndVerifies(t *testing.T) {
	t.Parallel()
	mp := smtptest.StartMailpit(t)
	k := testkit.NewWith(t, testkit.Options{Seed: 1, Mailer: newMailer(t, mp.URL(""))})

	a := register(t, k, "zoe@example.test", "Zoë Ølstad")
	require.Empty(t, mp.Messages(t), "nothing is sent inside the request")
	k.RunDue()
	msg := requireReceived(t, mp, a.Email) // within a second of running the due timers
	require.Equal(t, "Verify your AgentGigs email", msg.Subject)
	require.Equal(t, "Zoë Ølstad", msg.ToName)
	require.Contains(t, msg.Text, "Hello Zoë Ølstad,")
	token := testkit.Token(msg.Text)
	require.Contains(t, msg.HTML, "http://sandbox.test/verify-email?token="+url.QueryEscape(token))

	_, err := k.Service.VerifyEmail(k.Ctx, token+"x")
	require.ErrorIs(t, err, errs.ErrInvalidToken, "a wrong token")
	v := testkit.Got(k.Service.VerifyEmail(k.Ctx, token)).Must(t)
	require.True(t, v.Account.EmailVerified)
	_, err = k.Service.VerifyEmail(k.Ctx, token)
	require.ErrorIs(t, err, errs.ErrInvalidToken, "a used token")

	late := register(t, k, "late@example.test", "Late")
	k.RunDue()
	expired := testkit.Token(requireReceived(t, mp, late.Email).Text)
	k.Advance(24*time.Hour + time.Second)
	_, err = k.Service.VerifyEmail(k.Ctx, expired)
	require.ErrorIs(t, err, errs.ErrInvalidToken, "an expired token")
}

func TestMailServerDownDelaysButDoesNotLoseTheEmail(t *testing.T) {
	t.Parallel()
	mp := smtptest.StartMailpit(t)
	k := testkit.NewWith(t, testkit.Options{Seed: 1, Mailer: newMailer(t, mp.URL("&timeout=2s"))})
	mp.Stop()

	a := register(t, k, "pat@example.test", "Pat")
	k.RunDue() // the attempt fails: nobody listens
	timers := emailTimers(t, k)
	require.Len(t, timers, 1)
	require.Equal(t, 1, timers[0].Attempt)

	mp.Start()
	k.Advance(time.Minute) // the retry falls due
	msg := requireReceived(t, mp, a.Email)
	require.Empty(t, emailTimers(t, k))
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(msg.Text))).Must(t)
}

func TestSlowMailServerDoesNotBlockRequests(t *testing.T) {
	t.Parallel()
	addr, stop := stallingServer(t)
	k := testkit.NewWith(t, testkit.Options{Seed: 1, Mailer: newMailer(t, "smtp://"+addr+"?tls=none&from=no-reply@agentgigs.test&timeout=300ms")})

	a := register(t, k, "pat@example.test", "Pat")
	start := time.Now()
	k.RunDue() // the timer loop waits for the server, not the request
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	require.Equal(t, 1, emailTimers(t, k)[0].Attempt)

	stop()
	mp := smtptest.StartMailpitOn(t, addr) // the server is back, and fast
	k.Advance(time.Minute)
	msg := requireReceived(t, mp, a.Email)
	testkit.Got(k.Service.VerifyEmail(k.Ctx, testkit.Token(msg.Text))).Must(t)
	require.True(t, strings.HasPrefix(testkit.Token(msg.Text), a.ID+"."))
}
