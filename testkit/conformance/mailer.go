package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Mailer runs the conformance suite of ports.Mailer. newMailer returns the mailer and a function
// reading back what was delivered so far (an inbox, e.g. mailpit's API); the read-back may hold
// other messages too. Sent messages must come back with the same To (compared
// case-insensitively), ToName, Subject, Text and HTML; the bodies are compared with CRLF line
// ends turned into LF and trailing white space trimmed, as SMTP may change those. Recipients are
// fresh on every run.
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

	t.Run("TextAndHTML", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		link := "https://example.com/verify-email?token=acc_1.abc-_XYZ&x=1"
		msg := ports.Message{
			To:      "conformance-" + nonce() + "@example.com",
			ToName:  "Ada Lovelace",
			Subject: "Verify your email",
			Text:    "Hello Ada,\n\nOpen " + link + " to verify.\n",
			HTML:    `<!DOCTYPE html><html><body><p>Hello Ada,</p><p><a href="` + strings.ReplaceAll(link, "&", "&amp;") + `">Verify</a> – it expires soon.</p></body></html>`,
		}
		require.NoError(t, m.Send(t.Context(), msg))
		requireDelivered(t, inbox(), msg)
	})

	t.Run("NonASCIINameAndSubject", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		msg := ports.Message{
			To:      "conformance-" + nonce() + "@example.com",
			ToName:  "Zoë Ølstad-Łukasiewicz 山田",
			Subject: "Vous êtes embauchée ✓ — « résumé » 日本語の件名",
			Text:    "Félicitations, Zoë !",
			HTML:    "<p>Félicitations, <b>Zoë</b> !</p>",
		}
		require.NoError(t, m.Send(t.Context(), msg))
		requireDelivered(t, inbox(), msg)
	})

	t.Run("ManyRecipientsSequentially", func(t *testing.T) {
		t.Parallel()
		m, inbox := newMailer(t)
		n := nonce()
		var msgs []ports.Message
		for i := range 20 {
			msg := ports.Message{
				To: fmt.Sprintf("conformance-%d-%s@example.com", i, n), ToName: fmt.Sprintf("Recipient %d", i),
				Subject: fmt.Sprintf("Message %d", i), Text: fmt.Sprintf("body %d", i), HTML: fmt.Sprintf("<p>body %d</p>", i),
			}
			require.NoError(t, m.Send(t.Context(), msg))
			msgs = append(msgs, msg)
		}
		got := inbox()
		for _, msg := range msgs {
			requireDelivered(t, got, msg)
		}
	})
}

func normalizeText(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n")
}

func requireDelivered(t *testing.T, inbox []ports.Message, want ports.Message) {
	t.Helper()
	for _, m := range inbox {
		if strings.EqualFold(m.To, want.To) && m.ToName == want.ToName && m.Subject == want.Subject &&
			normalizeText(m.Text) == normalizeText(want.Text) && normalizeText(m.HTML) == normalizeText(want.HTML) {
			return
		}
	}
	require.Failf(t, "message not delivered", "want %+v\namong %d delivered: %+v", want, len(inbox), inbox)
}
