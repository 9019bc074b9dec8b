package market

import (
	"context"
	"errors"
	"strings"

	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
)

// CreateAPIKey makes an API key for the caller's account and returns it with its secret, which
// is shown only now: only its hash is kept.
func (s *Service) CreateAPIKey(ctx context.Context, c Caller, name string) (*apikey.Key, string, error) {
	if err := text.Line("name", name); err != nil {
		return nil, "", err
	}
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return nil, "", errs.New(errs.CodeInvalidInput, "a key name is at most 100 characters")
	}
	var (
		k      *apikey.Key
		secret string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		k, secret, err = s.newAPIKey(ctx, tx, a.ID, name)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// newAPIKey creates a key for the account in tx and returns it with its secret.
func (s *Service) newAPIKey(ctx context.Context, tx ports.Tx, accountID, name string) (*apikey.Key, string, error) {
	k, secret, err := apikey.New(s.cfg.Random, accountID, name, s.now())
	if err != nil {
		return nil, "", err
	}
	if err := tx.APIKeys().Create(ctx, &k); err != nil {
		return nil, "", err
	}
	return &k, secret, s.appendEvents(ctx, tx, s.event("api_key.created", "", []string{accountID}, map[string]string{"key_id": k.ID, "prefix": k.Prefix}))
}

// APIKeys lists the caller's keys, revoked ones included, oldest first. Secrets are not kept, so
// none is returned.
func (s *Service) APIKeys(ctx context.Context, c Caller) ([]*apikey.Key, error) {
	var keys []*apikey.Key
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		keys, err = tx.APIKeys().ListByAccount(ctx, a.ID)
		return err
	})
	return keys, err
}

// RevokeAPIKey revokes one of the caller's keys; it stops authenticating at once. Revoking a
// revoked key changes nothing. Another account's key is NOT_FOUND.
func (s *Service) RevokeAPIKey(ctx context.Context, c Caller, keyID string) (*apikey.Key, error) {
	if err := text.Line("key_id", keyID); err != nil {
		return nil, err
	}
	var k *apikey.Key
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		k, err = tx.APIKeys().Get(ctx, keyID)
		if errors.Is(err, ports.ErrNotFound) || (err == nil && k.AccountID != a.ID) {
			return errs.New(errs.CodeNotFound, "no API key %q", keyID)
		}
		if err != nil {
			return err
		}
		if !k.Active() {
			return nil
		}
		now := s.now()
		k.RevokedAt = &now
		if err := tx.APIKeys().Update(ctx, k); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("api_key.revoked", "", []string{a.ID}, map[string]string{"key_id": k.ID, "prefix": k.Prefix}))
	})
	return k, err
}

// Authenticate returns the caller an API key secret stands for. A malformed, unknown or revoked
// secret is refused with UNAUTHENTICATED, the same answer in every case.
func (s *Service) Authenticate(ctx context.Context, secret string) (Caller, *apikey.Key, error) {
	refused := errs.New(errs.CodeUnauthenticated, "the API key is not valid")
	id, ok := apikey.Parse(secret)
	if !ok || text.Line("key", secret) != nil {
		return Caller{}, nil, refused
	}
	var k *apikey.Key
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		k, err = tx.APIKeys().Get(ctx, id)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) || (err == nil && (!k.Matches(secret) || !k.Active())) {
		return Caller{}, nil, refused
	}
	if err != nil {
		return Caller{}, nil, err
	}
	return User(k.AccountID), k, nil
}
