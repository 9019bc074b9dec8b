package memory

import (
	"math/rand/v2"
	"sync"
)

// IDs is a deterministic ports.IDs: an ID is the prefix, an underscore, a 10-character counter
// and 4 characters drawn from a PCG seeded by the seed, all in lower-case Crockford base 32
// ("job_0000000001k3qz"). The counter is fixed-width and shared by every prefix, so the IDs of
// one generator sort in creation order as strings (for the first 2^50 of them), and two
// generators with the same seed make the same IDs in the same order. It is safe for concurrent use.
//
// The counter lives in memory and starts again at 1 with every generator, so IDs are unique only
// among those one generator made: suitable for tests and the in-memory sandbox, not for a
// database that outlives the process.
//
// The zero value is usable and is a generator with a fixed seed of its own.
type IDs struct {
	mu  sync.Mutex
	n   uint64
	pcg rand.PCG
}

// idSeq is the PCG's fixed second seed word (an arbitrary odd constant).
const idSeq = 0x9e3779b97f4a7c15

// base32 is Crockford's alphabet in lower case; its characters are in ascending byte order, so
// fixed-width numbers written in it sort as strings.
const base32 = "0123456789abcdefghjkmnpqrstvwxyz"

// NewIDs returns a generator seeded by seed.
func NewIDs(seed int64) *IDs {
	g := &IDs{}
	g.pcg.Seed(uint64(seed), idSeq)
	return g
}

// New returns the next ID, prefix + "_" + 14 characters.
func (g *IDs) New(prefix string) string {
	g.mu.Lock()
	g.n++
	n, r := g.n, g.pcg.Uint64()
	g.mu.Unlock()

	var buf [64]byte
	b := append(buf[:0], prefix...)
	b = append(b, '_')
	var digits [14]byte
	for i := 9; i >= 0; i-- {
		digits[i] = base32[n&31]
		n >>= 5
	}
	for i := 10; i < 14; i++ {
		digits[i] = base32[r&31]
		r >>= 5
	}
	return string(append(b, digits[:]...))
}
