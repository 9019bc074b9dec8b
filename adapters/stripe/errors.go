package stripe

import (
	"errors"
	"net/http"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Error is a failed Stripe call, or a call the adapter refused before making it. It carries no
// stripe-go type. Match the class with errors.Is: ports.ErrUnavailable (network failure, rate
// limit, Stripe server error, an idempotency key in use by a concurrent request: retry with the
// same idempotency key), ports.ErrConflict (the idempotency key was used with other parameters),
// ports.ErrNotFound (no such object); an Error matching none of them is a refusal that retrying
// will not change (invalid parameters, a declined card, an object in the wrong state).
type Error struct {
	Op        string // the adapter operation, e.g. "transfer"
	Status    int    // the HTTP status Stripe answered, 0 when there was no answer
	Type      string // Stripe's error type, e.g. "invalid_request_error"
	Code      string // Stripe's error code, e.g. "resource_missing"
	Message   string // Stripe's message, or the adapter's
	RequestID string // Stripe's request ID, for support

	class error // a ports sentinel, or nil
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("stripe: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		b.WriteString(": ")
		b.WriteString(http.StatusText(e.Status))
	}
	for _, s := range []string{e.Type, e.Code, e.Message} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if e.RequestID != "" {
		b.WriteString(" (request ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the ports sentinel the error is classed as, or nil.
func (e *Error) Unwrap() error { return e.class }

// Retryable reports whether the same call may succeed later: the error wraps
// ports.ErrUnavailable.
func (e *Error) Retryable() bool { return errors.Is(e.class, ports.ErrUnavailable) }

// translate turns a stripe-go error into an *Error classed by what a caller can do about it.
func translate(op string, err error) error {
	var se *stripego.Error
	if !errors.As(err, &se) {
		// No answer from Stripe: connection refused or reset, timeout, cancelled context.
		return &Error{Op: op, Message: err.Error(), class: ports.ErrUnavailable}
	}
	e := &Error{Op: op, Status: se.HTTPStatusCode, Type: string(se.Type), Code: string(se.Code), Message: se.Msg, RequestID: se.RequestID}
	switch {
	case se.HTTPStatusCode == http.StatusTooManyRequests, se.HTTPStatusCode == http.StatusConflict,
		se.HTTPStatusCode >= 500, se.Type == stripego.ErrorTypeAPI:
		// 409: the key is in use by a concurrent request, or a lock timed out; a later retry
		// gets the first request's answer.
		e.class = ports.ErrUnavailable
	case se.Type == stripego.ErrorTypeIdempotency:
		e.class = ports.ErrConflict
	case se.HTTPStatusCode == http.StatusNotFound, se.Code == stripego.ErrorCodeResourceMissing:
		e.class = ports.ErrNotFound
	}
	return e
}
