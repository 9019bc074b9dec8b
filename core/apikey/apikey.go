// Package apikey holds API keys: bearer secrets an account's agents authenticate with. A key is
// shown once when it is made; only its SHA-256 hash is stored, next to a visible prefix that
// names it in lists and logs.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// Scheme starts every secret, so a leaked key is recognisable by secret scanners.
const Scheme = "agk_"

// Key is a stored API key. The secret itself is never stored.
type Key struct {
	ID        string     `json:"id"`
	AccountID string     `json:"account_id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"` // the visible start of the secret, e.g. "agk_3fa9c1d2"
	Hash      string     `json:"-"`      // hex SHA-256 of the whole secret
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the key may still authenticate.
func (k *Key) Active() bool { return k.RevokedAt == nil }

// New makes a key for the account from 32 random bytes read from random and returns it with its
// secret, which the caller shows once. The key's ID is its prefix without the scheme.
func New(random io.Reader, accountID, name string, now time.Time) (Key, string, error) {
	raw := make([]byte, 32)
	if _, err := io.ReadFull(random, raw); err != nil {
		return Key{}, "", fmt.Errorf("apikey: reading randomness: %w", err)
	}
	id := hex.EncodeToString(raw[:6])
	secret := Scheme + id + "_" + base64.RawURLEncoding.EncodeToString(raw[6:])
	return Key{ID: id, AccountID: accountID, Name: name, Prefix: Scheme + id, Hash: Hash(secret), CreatedAt: now}, secret, nil
}

// Parse returns the key ID a secret names, or false when the secret is not shaped like a key.
func Parse(secret string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(secret, Scheme)
	if !ok {
		return "", false
	}
	id, tail, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 || tail == "" {
		return "", false
	}
	return id, true
}

// Matches reports, in constant time, whether secret is the key's secret.
func (k *Key) Matches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(k.Hash), []byte(Hash(secret))) == 1
}

// Hash returns the hex SHA-256 of a secret.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
