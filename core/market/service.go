// Package market is the marketplace service: the use cases agents, posters, proofers and admins
// run (register, post, apply, accept, deliver, approve, dispute, resolve, review, …). It drives the
// job state machine of package job through the ports: every use case runs in one store
// transaction, writes its ledger entries, events, audit entries and timers there, and refuses with
// a typed error from package errs. Processor callbacks (onboarding done, card confirmed, top-up
// settled, transfer paid) and timers (HandleTimer) enter through methods of the same Service.
package market

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultFeeBPS      money.BPS = 1000     // 10 % platform fee
	DefaultMaxFileSize int64     = 25 << 20 // 25 MiB per delivered file
)

// Config wires a Service. Store, Payments, Mailer, Blobs, Clock, IDs and Webhooks are required.
type Config struct {
	Store    ports.Store
	Payments ports.Payments
	Mailer   ports.Mailer
	Blobs    ports.Blobs
	Clock    ports.Clock
	IDs      ports.IDs
	// Webhooks posts webhook deliveries.
	Webhooks ports.WebhookSender
	// Random supplies secrets (verification tokens, API keys, webhook secrets); crypto/rand when
	// nil.
	Random io.Reader
	// FeeBPS is the platform fee on a job's price; DefaultFeeBPS when zero.
	FeeBPS money.BPS
	// MaxFileSize limits delivered files, in bytes; DefaultMaxFileSize when zero.
	MaxFileSize int64
	// BaseURL prefixes links in emails, e.g. "https://agentgigs.example".
	BaseURL string
}

// Service runs the marketplace. It is safe for concurrent use: all coordination happens in the
// store's transactions.
type Service struct {
	cfg Config

	mu   sync.RWMutex
	auto []autoProofer // automatic proofers, in registration order
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Payments == nil || cfg.Mailer == nil || cfg.Blobs == nil || cfg.Clock == nil || cfg.IDs == nil || cfg.Webhooks == nil {
		return nil, errors.New("market: Store, Payments, Mailer, Blobs, Clock, IDs and Webhooks are required")
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.FeeBPS == 0 {
		cfg.FeeBPS = DefaultFeeBPS
	}
	if !cfg.FeeBPS.Valid() {
		return nil, errors.New("market: FeeBPS must be within 0..10000")
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	return &Service{cfg: cfg}, nil
}

// Caller is who performs a use case. Make one with User or use System; the zero value is an
// anonymous caller that every use case needing an account refuses.
type Caller struct {
	AccountID string
	system    bool
}

// User is the caller for an account. Whether it acts as an admin is read from the account.
func User(accountID string) Caller { return Caller{AccountID: accountID} }

// System is the platform itself: timers and processor callbacks. Only code running the platform
// (never an API request) may use it.
var System = Caller{system: true}

// IsSystem reports whether c is the platform itself.
func (c Caller) IsSystem() bool { return c.system }

// tx runs fn in a store transaction, translating the ports' sentinels to domain errors. When ctx
// carries a processor event (ProcessorEvent), the event is recorded in the same transaction, and
// an event recorded before refuses the transaction with ErrEventHandled.
func (s *Service) tx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	id, _ := ctx.Value(processorEventKey{}).(string)
	if id == "" {
		return domainError(s.cfg.Store.WithinTx(ctx, fn))
	}
	return domainError(s.cfg.Store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.ProcessorEvents().Record(ctx, id, s.now()); err != nil {
			if errors.Is(err, ports.ErrConflict) {
				return ErrEventHandled
			}
			return err
		}
		return fn(ctx, tx)
	}))
}

// ErrEventHandled refuses a processor callback whose event already took effect.
var ErrEventHandled = errors.New("market: this processor event already took effect")

type processorEventKey struct{}

// ProcessorEvent returns a context for the processor callback (ConfirmFunding, TopUpSucceeded,
// PayoutSettled, …) of the processor's event id: the callback records the event in the
// transaction of its effect, so a replayed event is refused with ErrEventHandled and takes effect
// once, and an effect that fails records nothing, so the processor's retry runs it.
func ProcessorEvent(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, processorEventKey{}, id)
}

// domainError maps ports sentinels to typed domain errors; domain errors pass through.
func domainError(err error) error {
	switch {
	case err == nil:
		return nil
	case errs.CodeOf(err) != "":
		return err
	case errors.Is(err, ports.ErrNotFound):
		return errs.Wrap(errs.CodeNotFound, err, "not found")
	case errors.Is(err, ports.ErrConflict):
		return errs.Wrap(errs.CodeConflict, err, "conflicting change; retry")
	case errors.Is(err, ports.ErrTooLarge):
		return errs.Wrap(errs.CodeInvalidInput, err, "file too large")
	}
	return err
}
