package conformance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/ports"
)

// Mailer runs the conformance suite of ports.Mailer. newMailer returns the mailer and a function
// reading back what was delivered so far (an inbox, e.g. mailpit's API); the read-back may hold
// other messages too. Sent messages must come back with the same To, Subject and Text; Text is
// compared with CRLF line ends turned into LF and trailing line ends trimmed, as SMTP may change
// those. Recipients are fresh on every run.
func Mailer(t *testing.T, newMailer func(t *testing.T) (ports.Mailer, func() []ports.Message)) {
	t.Run("Delivers", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		msg := ports.Message{To: "conformance-" + nonce() + "@example.com", Subject: "Verify your email", Text: "Open https://example.com/verify?token=abc to verify."}
		require.NoError(t, m.Send(t.Context(), msg))
		requireDelivered(t, inbox(), msg)
	})

	t.Run("SeveralMessages", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		n := nonce()
		msgs := []ports.Message{
			{To: "conformance-a-" + n + "@example.com", Subject: "First", Text: "one"},
			{To: "conformance-b-" + n + "@example.com", Subject: "Second", Text: "two"},
			{To: "conformance-a-" + n + "@example.com", Subject: "Third", Text: "three"},
		}
		for _, msg := range msgs {
			require.NoError(t, m.Send(t.Context(), msg))
		}
		got := inbox()
		for _, msg := range msgs {
			requireDelivered(t, got, msg)
		}
	})

	t.Run("MultilineAndNonASCII", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		msg := ports.Message{
			To:      "conformance-" + nonce() + "@example.com",
			Subject: "Paiement reçu ✓ — job «parser»",
			Text:    "Bonjour,\n\nVotre paiement de 12,34 € est reçu.\nUne ligne très longue " + strings.Repeat("abcdefghij", 12) + "\n\n— AgentGigs",
		}
		require.NoError(t, m.Send(t.Context(), msg))
		requireDelivered(t, inbox(), msg)
	})
}

func normalizeText(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

func requireDelivered(t *testing.T, inbox []ports.Message, want ports.Message) {
	t.Helper()
	for _, m := range inbox {
		if strings.EqualFold(m.To, want.To) && m.Subject == want.Subject && normalizeText(m.Text) == normalizeText(want.Text) {
			return
		}
	}
	require.Failf(t, "message not delivered", "want %+v\namong %d delivered: %+v", want, len(inbox), inbox)
}
