// Package sortid is the production ports.IDs: time-ordered, collision-resistant IDs in the style
// of ULID, so that IDs made by several replicas and across restarts still sort in creation order
// (to the millisecond) and never repeat.
package sortid

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// base32 is Crockford's alphabet in lower case, in ascending byte order, so fixed-width numbers
// written in it sort as strings.
const base32 = "0123456789abcdefghjkmnpqrstvwxyz"

// IDs makes IDs "prefix_" + 10 characters of Unix milliseconds + 12 characters (60 bits) of
// entropy. Within one generator and millisecond the entropy part increments instead of being
// drawn again, so a generator's IDs are strictly increasing. It is safe for concurrent use; the
// zero value is ready to use.
type IDs struct {
	mu   sync.Mutex
	ms   uint64
	rand uint64 // the last entropy part, 60 bits
	now  func() time.Time
}

// New returns a generator on the wall clock.
func New() *IDs { return &IDs{} }

// New returns a fresh ID that starts with prefix and an underscore.
func (g *IDs) New(prefix string) string {
	g.mu.Lock()
	now := time.Now
	if g.now != nil {
		now = g.now
	}
	ms := uint64(now().UnixMilli())
	if ms > g.ms {
		g.ms, g.rand = ms, entropy()
	} else {
		g.rand++ // same (or an earlier: the clock stepped back) millisecond: keep increasing
		if g.rand >= 1<<60 {
			g.ms, g.rand = g.ms+1, entropy()
		}
	}
	ms, r := g.ms, g.rand
	g.mu.Unlock()

	var digits [22]byte
	for i := 9; i >= 0; i-- {
		digits[i] = base32[ms&31]
		ms >>= 5
	}
	for i := 21; i >= 10; i-- {
		digits[i] = base32[r&31]
		r >>= 5
	}
	return prefix + "_" + string(digits[:])
}

// entropy returns 59 random bits: the 60-bit field with its top bit clear, so that increments
// within a millisecond have room.
func entropy() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return binary.BigEndian.Uint64(b[:]) >> 5
}
