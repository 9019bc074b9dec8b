package conformance

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
)

// IDs runs the conformance suite of ports.IDs: the prefix and underscore, uniqueness, creation
// order as strings (per prefix and across goroutines), and safety for concurrent use.
func IDs(t *testing.T, newIDs func(t *testing.T) ports.IDs) {
	t.Run("Prefix", func(t *testing.T) {
		t.Parallel()
		g := newIDs(t)
		for _, p := range []string{"job", "acc", "app", "po", "x"} {
			id := g.New(p)
			require.True(t, strings.HasPrefix(id, p+"_"), "%q starts with %q", id, p+"_")
			require.Greater(t, len(id), len(p)+1, "%q has something after the prefix", id)
		}
	})

	t.Run("UniqueAndSorted", func(t *testing.T) {
		t.Parallel()
		g := newIDs(t)
		const n = 10000
		seen := make(map[string]bool, n)
		prev := ""
		for range n {
			id := g.New("job")
			require.False(t, seen[id], "duplicate %q", id)
			seen[id] = true
			require.Greater(t, id, prev, "IDs sort in creation order")
			prev = id
		}
	})

	t.Run("SortedPerPrefixWhenInterleaved", func(t *testing.T) {
		t.Parallel()
		g := newIDs(t)
		last := map[string]string{}
		for i := range 3000 {
			p := []string{"job", "acc", "ev"}[i%3]
			id := g.New(p)
			require.Greater(t, id, last[p])
			last[p] = id
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		g := newIDs(t)
		const workers, each = 16, 1000
		got := make([][]string, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					got[w] = append(got[w], g.New("evt"))
				}
			})
		}
		wg.Wait()
		seen := make(map[string]bool, workers*each)
		maxID := ""
		for _, ids := range got {
			for i, id := range ids {
				require.False(t, seen[id], "duplicate %q", id)
				seen[id] = true
				if i > 0 {
					require.Greater(t, id, ids[i-1], "each goroutine sees its IDs in creation order")
				}
				maxID = max(maxID, id)
			}
		}
		require.Len(t, seen, workers*each)
		require.Greater(t, g.New("evt"), maxID, "an ID made after all others sorts after them")
	})
}
