package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// ErrNoSession is what Sessions.Get returns for an unknown or expired session.
var ErrNoSession = errors.New("web: no such session")

// Session is one signed-in browser: its account and the CSRF token its forms carry.
type Session struct {
	ID        string
	AccountID string
	CSRF      string
	ExpiresAt time.Time
}

// Sessions stores the signed-in browsers: the small port behind the session cookie.
type Sessions interface {
	// Put stores s, replacing a session with the same ID.
	Put(ctx context.Context, s Session) error
	// Get returns the session with the ID, or ErrNoSession when there is none or it expired at now.
	Get(ctx context.Context, id string, now time.Time) (Session, error)
	// Delete removes the session with the ID; deleting an unknown session is not an error.
	Delete(ctx context.Context, id string) error
}

// MemorySessions keeps sessions in memory (the sandbox's adapter). The zero value is ready.
type MemorySessions struct {
	mu sync.Mutex
	m  map[string]Session
}

// Put stores s.
func (m *MemorySessions) Put(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Session{}
	}
	m.m[s.ID] = s
	return nil
}

// Get returns the unexpired session with the ID, or ErrNoSession.
func (m *MemorySessions) Get(_ context.Context, id string, now time.Time) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[id]
	if !ok || !now.Before(s.ExpiresAt) {
		return Session{}, ErrNoSession
	}
	return s, nil
}

// Delete removes the session with the ID.
func (m *MemorySessions) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, id)
	return nil
}

// randomToken is 32 random bytes in unpadded base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
