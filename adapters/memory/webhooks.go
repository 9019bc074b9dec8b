package memory

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/agentgigs/agentgigs/ports"
)

// WebhookSender is a fake ports.WebhookSender that records every request and answers each URL
// with the status set by Answer (200 by default).
type WebhookSender struct {
	mu       sync.Mutex
	answers  map[string]int
	requests []ports.WebhookRequest
}

// NewWebhookSender returns a sender that answers 200 everywhere.
func NewWebhookSender() *WebhookSender { return &WebhookSender{answers: map[string]int{}} }

// Answer makes later requests to url get status; status 0 makes them fail without a response.
func (w *WebhookSender) Answer(url string, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers[url] = status
}

// Send records r and answers with the URL's status.
func (w *WebhookSender) Send(ctx context.Context, r ports.WebhookRequest) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r.Header = maps.Clone(r.Header)
	r.Body = slices.Clone(r.Body)
	w.requests = append(w.requests, r)
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
func (w *WebhookSender) Requests() []ports.WebhookRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.requests)
}
