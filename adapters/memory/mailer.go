package memory

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Mailer is the dev inbox: a ports.Mailer that keeps every message it is sent and, when it has a
// writer, prints each one there readably (the text body; the HTML alternative is only noted) (the sandbox prints to the server's log). It can be told
// to fail (FailNext). It is safe for concurrent use. Make one with NewMailer; the zero value is
// usable and prints nothing.
type Mailer struct {
	mu   sync.Mutex
	w    io.Writer
	msgs []ports.Message
	fail int
}

// NewMailer returns an empty inbox printing to w, or printing nothing when w is nil.
func NewMailer(w io.Writer) *Mailer { return &Mailer{w: w} }

// Send keeps m and prints it. After FailNext it returns an error wrapping ports.ErrUnavailable
// and keeps nothing. An error writing to the printer is ignored: the message was delivered.
func (m *Mailer) Send(ctx context.Context, msg ports.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return fmt.Errorf("memory: mailer: sending to %q: %w", msg.To, ports.ErrUnavailable)
	}
	m.msgs = append(m.msgs, msg)
	if m.w != nil {
		to := msg.To
		if msg.ToName != "" {
			to = msg.ToName + " <" + msg.To + ">"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "──── mail #%d ────\nTo:      %s\nSubject: %s\n\n%s\n", len(m.msgs), to, msg.Subject, strings.TrimRight(msg.Text, "\n"))
		if msg.HTML != "" {
			fmt.Fprintf(&b, "(and an HTML version of %d bytes)\n", len(msg.HTML))
		}
		_, _ = io.WriteString(m.w, b.String()) // printing is best effort
	}
	return nil
}

// FailNext makes the next n Sends fail with ports.ErrUnavailable.
func (m *Mailer) FailNext(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail += n
}

// Messages returns every message delivered, oldest first.
func (m *Mailer) Messages() []ports.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ports.Message(nil), m.msgs...)
}

// Last returns the latest message delivered to the address (compared case-insensitively), and
// false when there is none.
func (m *Mailer) Last(to string) (ports.Message, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if strings.EqualFold(m.msgs[i].To, to) {
			return m.msgs[i], true
		}
	}
	return ports.Message{}, false
}
