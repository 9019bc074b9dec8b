package memory

// chunkSize is how many records one chunk of a chunkLog holds.
const chunkSize = 512

// chunkLog is an append-only log stored in fixed-size chunks, so that appending never copies
// what is already there (one big slice would be copied, write barriers and all, every time it
// grew). Record i is at chunks[i/chunkSize][i%chunkSize]. The zero value is an empty log.
type chunkLog[T any] struct {
	chunks [][]T
	n      int
}

func (l *chunkLog[T]) len() int { return l.n }

func (l *chunkLog[T]) append(v T) {
	c := l.n / chunkSize
	if c == len(l.chunks) {
		l.chunks = append(l.chunks, make([]T, 0, chunkSize))
	}
	l.chunks[c] = append(l.chunks[c], v)
	l.n++
}

// at returns record i, which must exist.
func (l *chunkLog[T]) at(i int) *T { return &l.chunks[i/chunkSize][i%chunkSize] }

// truncate drops the records from n on, clearing them for the garbage collector. Emptied chunks
// are kept for reuse.
func (l *chunkLog[T]) truncate(n int) {
	for l.n > n {
		l.n--
		c := l.chunks[l.n/chunkSize]
		var zero T
		c[len(c)-1] = zero
		l.chunks[l.n/chunkSize] = c[:len(c)-1]
	}
}

// page returns a copy of the records with Seq > after (record i has Seq i+1), at most limit
// (0: all), or nil when there are none.
func (l *chunkLog[T]) page(after int64, limit int) []T {
	start := int(min(max(after, 0), int64(l.n)))
	end := l.n
	if limit > 0 && end-start > limit {
		end = start + limit
	}
	if start == end {
		return nil
	}
	out := make([]T, 0, end-start)
	for i := start; i < end; {
		c := l.chunks[i/chunkSize]
		j := min(len(c), i%chunkSize+end-i)
		out = append(out, c[i%chunkSize:j]...)
		i += j - i%chunkSize
	}
	return out
}
