package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// WebhookSender is a fake ports.WebhookSender that signs every request as the real sender does,
// with the time of its clock, records it, and answers each URL with the status set by Answer
// (200 by default).
type WebhookSender struct {
	clock    ports.Clock
	mu       sync.Mutex
	answers  map[string]int
	requests []SentWebhook
	during   func() // runs while a request is in flight (During)
}

// SentWebhook is a request the fake sent, with the headers it signed it with.
type SentWebhook struct {
	ports.WebhookRequest
	Header map[string]string
}

// NewWebhookSender returns a sender that signs with clock's time and answers 200 everywhere.
func NewWebhookSender(clock ports.Clock) *WebhookSender {
	return &WebhookSender{clock: clock, answers: map[string]int{}}
}

// Answer makes later requests to url get status; status 0 makes them fail without a response.
func (w *WebhookSender) Answer(url string, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers[url] = status
}

// During makes fn run once, while the next request is in flight, as if something happened
// elsewhere before the answer came back.
func (w *WebhookSender) During(fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.during = fn
}

// Send signs and records r and answers with the URL's status.
func (w *WebhookSender) Send(ctx context.Context, r ports.WebhookRequest) (int, error) {
	headers, err := webhook.Headers(r.Secret, r.ID, w.clock.Now(), r.Body)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	during := w.during
	w.during = nil
	w.mu.Unlock()
	if during != nil {
		during()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r.Body = slices.Clone(r.Body)
	w.requests = append(w.requests, SentWebhook{WebhookRequest: r, Header: headers})
	status, ok := w.answers[r.URL]
	if !ok {
		return 200, nil
	}
	if status == 0 {
		return 0, ports.ErrUnavailable
	}
	return status, nil
}

// Requests returns every request sent so far, oldest first.
func (w *WebhookSender) Requests() []SentWebhook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.requests)
}
