package api

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// Failed authentication attempts a client address may make: a burst of authFailBurst, then one
// more every authFailEvery. While its bucket is empty the address gets AUTH_RATE_LIMITED for any
// request carrying a key, valid or not, so guessing keys gives no answer at all.
const (
	authFailBurst = 10
	authFailEvery = 6 * time.Second
	// authFailClients bounds the addresses tracked; past it an arbitrary one is forgotten.
	authFailClients = 10_000
)

// bucket is a token bucket: tokens left at the instant at.
type bucket struct {
	tokens float64
	at     time.Time
}

// authFailures is a token bucket of failed authentications per client address (an IPv6 address
// counts as its /64, which one client usually holds whole), in memory and bounded.
type authFailures struct {
	burst float64
	every time.Duration
	max   int
	mu    sync.Mutex
	by    map[netip.Prefix]*bucket
}

func newAuthFailures(burst int, every time.Duration, maxClients int) *authFailures {
	return &authFailures{burst: float64(burst), every: every, max: maxClients, by: map[netip.Prefix]*bucket{}}
}

// clientPrefix is the address a client is limited by: the IPv4 address, or the IPv6 /64.
func clientPrefix(addr string) netip.Prefix {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{} // unparseable addresses share one bucket
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// refill returns b's tokens at now, at most burst.
func (l *authFailures) refill(b *bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
}

// blocked reports whether addr has no failure left at now, and if so how long until it has one.
func (l *authFailures) blocked(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.by[clientPrefix(addr)]
	if !ok {
		return false, 0
	}
	tokens := l.refill(b, now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration(math.Ceil((1 - tokens) * float64(l.every)))
}

// fail takes one token of addr's bucket at now.
func (l *authFailures) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := clientPrefix(addr)
	b, ok := l.by[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst, at: now}
		l.by[key] = b
	}
	b.tokens, b.at = max(0, l.refill(b, now)-1), now
}

// makeRoom forgets the buckets that are full again, and if none is, an arbitrary one, when the
// map is at its bound.
func (l *authFailures) makeRoom(now time.Time) {
	if len(l.by) < l.max {
		return
	}
	for k, b := range l.by {
		if l.refill(b, now) >= l.burst {
			delete(l.by, k)
		}
	}
	for k := range l.by {
		if len(l.by) < l.max {
			return
		}
		delete(l.by, k)
	}
}
