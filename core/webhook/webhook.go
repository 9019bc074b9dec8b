// Package webhook holds webhook endpoints and deliveries and the Standard Webhooks signature
// (https://www.standardwebhooks.com): every delivery carries webhook-id, webhook-timestamp and
// webhook-signature headers, the signature being "v1," and the base64 HMAC-SHA256 of
// "{id}.{timestamp}.{body}" keyed by the endpoint's whsec_ secret.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks spec.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every endpoint secret.
const SecretPrefix = "whsec_"

// Tolerance is how far a delivery's timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Endpoint is a URL an account receives events at.
type Endpoint struct {
	ID          string `json:"id"`
	AccountID   string `json:"account_id"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// Events filters by event type: exact types ("job.approved") or prefixes ending in ".*"
	// ("job.*"); empty means every event.
	Events         []string  `json:"events"`
	Secret         string    `json:"-"`
	Disabled       bool      `json:"disabled"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Wants reports whether the endpoint is enabled and its filter lets the event type through.
func (e *Endpoint) Wants(eventType string) bool {
	if e.Disabled {
		return false
	}
	if len(e.Events) == 0 {
		return true
	}
	return slices.ContainsFunc(e.Events, func(f string) bool {
		if p, ok := strings.CutSuffix(f, "*"); ok {
			return strings.HasPrefix(eventType, p)
		}
		return f == eventType
	})
}

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	Pending   Status = "pending"   // waiting for its next attempt
	Succeeded Status = "succeeded" // the endpoint answered 2xx
	Failed    Status = "failed"    // every attempt failed, or the endpoint is gone
)

// Delivery is one event sent to one endpoint, with its attempts.
type Delivery struct {
	ID         string    `json:"id"` // also the webhook-id header, stable across retries
	EndpointID string    `json:"endpoint_id"`
	AccountID  string    `json:"account_id"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	Payload    []byte    `json:"-"` // the exact body sent
	Status     Status    `json:"status"`
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"last_response_status,omitempty"` // HTTP status of the last attempt
	LastError  string    `json:"last_error,omitempty"`
	NextAt     time.Time `json:"next_attempt_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Schedule is the wait before each retry: attempt n+1 happens Schedule[n-1] after attempt n
// fails. The waits add up to about three days; after the last, the delivery has failed.
var Schedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 20 * time.Hour,
}

// NextRetry returns the wait after the given number of failed attempts, and false when no
// attempt is left.
func NextRetry(failedAttempts int) (time.Duration, bool) {
	if failedAttempts < 1 || failedAttempts > len(Schedule) {
		return 0, false
	}
	return Schedule[failedAttempts-1], true
}

// NewSecret returns a fresh whsec_ secret made of 24 random bytes.
func NewSecret(random io.Reader) (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("webhook: reading randomness: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// Sign returns the webhook-signature value of a message.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return "", errors.New("webhook: the secret is not whsec_ followed by base64")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, at.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Headers returns the headers of a delivery sent at the given time: webhook-id,
// webhook-timestamp, webhook-signature and the JSON content type.
func Headers(secret, id string, at time.Time, body []byte) (map[string]string, error) {
	sig, err := Sign(secret, id, at, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		HeaderID: id, HeaderTimestamp: strconv.FormatInt(at.Unix(), 10), HeaderSignature: sig,
		"content-type": "application/json", "user-agent": "AgentGigs-Webhooks/1",
	}, nil
}

// Errors Verify returns.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrStale          = errors.New("webhook: timestamp outside the tolerance")
	ErrBadSignature   = errors.New("webhook: no signature matches")
)

// Verify checks a received message as a receiver should: the timestamp is within Tolerance of
// now and one of the space-separated v1 signatures matches.
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	at := time.Unix(sec, 0)
	if at.Before(now.Add(-Tolerance)) || at.After(now.Add(Tolerance)) {
		return ErrStale
	}
	want, err := Sign(secret, id, at, body)
	if err != nil {
		return err
	}
	for _, sig := range strings.Fields(signatures) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
