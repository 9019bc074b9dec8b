package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/smtp/smtptest"
)

// TestServeSendsMailThroughSMTP runs serve with SMTP_URL pointing at mailpit: the verification
// email of a registration arrives there (sent by the timer loop), and the dev inbox is gone.
func TestServeSendsMailThroughSMTP(t *testing.T) {
	mp := smtptest.StartMailpit(t)
	env := map[string]string{"SMTP_URL": "smtp://" + mp.SMTPAddr + "?from=no-reply@agentgigs.test&tls=none"}
	base := startServerEnv(t, func(k string) string { return env[k] })

	res, err := http.Post(base+"/api/auth/register", "application/json", strings.NewReader(`{"email":"ada@example.test","name":"Ada"}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	require.Eventually(t, func() bool {
		for _, m := range mp.Messages(t) {
			if m.To == "ada@example.test" && strings.Contains(m.Text, "Token: ") {
				return true
			}
		}
		return false
	}, 10*time.Second, 100*time.Millisecond, "the verification email reached the SMTP server")

	res, err = http.Get(base + "/api/dev/inbox")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "mail left the sandbox, so there is no dev inbox")
}
