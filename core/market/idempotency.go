package market

import (
	"context"
	"errors"
	"time"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
)

// Idempotency keys: how long a key's answer is kept, and how long a first request may run before
// its key is taken as abandoned (the server running it stopped).
const (
	IdempotencyKeyTTL    = 24 * time.Hour
	idempotencyAbandoned = 5 * time.Minute
)

// Outcomes of BeginIdempotent that refuse the request.
var (
	// ErrIdempotencyInUse: the first request with the key is still running.
	ErrIdempotencyInUse = errors.New("market: idempotency key in use")
	// ErrIdempotencyReused: the key was used with a different request.
	ErrIdempotencyReused = errors.New("market: idempotency key reused with another request")
)

// BeginIdempotent claims an idempotency key of the caller for the request identified by hash. It
// returns nil when the caller should run the request (then CompleteIdempotent or
// AbandonIdempotent must follow), the stored answer when the same request already finished, or
// ErrIdempotencyInUse / ErrIdempotencyReused. Keys expire after IdempotencyKeyTTL.
func (s *Service) BeginIdempotent(ctx context.Context, c Caller, key, hash string) (*ports.IdempotentRequest, error) {
	if err := text.Line("Idempotency-Key", key); err != nil {
		return nil, err
	}
	var prev *ports.IdempotentRequest
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		prev = nil // the store may run fn again
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		now := s.now()
		r, err := tx.Idempotency().Get(ctx, a.ID, key)
		switch {
		case errors.Is(err, ports.ErrNotFound):
		case err != nil:
			return err
		case now.Sub(r.CreatedAt) >= IdempotencyKeyTTL || (r.Status == 0 && now.Sub(r.CreatedAt) >= idempotencyAbandoned):
			if err := tx.Idempotency().Delete(ctx, a.ID, key); err != nil {
				return err
			}
		case r.RequestHash != hash:
			return ErrIdempotencyReused
		case r.Status == 0:
			return ErrIdempotencyInUse
		default:
			prev = &r
			return nil
		}
		return tx.Idempotency().Begin(ctx, ports.IdempotentRequest{AccountID: a.ID, Key: key, RequestHash: hash, CreatedAt: now})
	})
	if errors.Is(err, ports.ErrConflict) {
		return nil, ErrIdempotencyInUse // a concurrent first request claimed it
	}
	return prev, err
}

// CompleteIdempotent stores the answer of a request begun with BeginIdempotent.
func (s *Service) CompleteIdempotent(ctx context.Context, c Caller, key, hash string, status int, contentType string, body []byte) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		r, err := tx.Idempotency().Get(ctx, c.AccountID, key)
		if err != nil {
			return err
		}
		if r.RequestHash != hash {
			return ErrIdempotencyReused
		}
		r.Status, r.ContentType, r.Body = status, contentType, body
		return tx.Idempotency().Complete(ctx, r)
	})
}

// AbandonIdempotent forgets a begun key, so the request may be retried with it.
func (s *Service) AbandonIdempotent(ctx context.Context, c Caller, key string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.Idempotency().Delete(ctx, c.AccountID, key)
	})
}
