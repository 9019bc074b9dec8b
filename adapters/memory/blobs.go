package memory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Blobs is an in-memory ports.Blobs. Each Put stores its content under a new key
// "blob_<first 12 hex digits of the SHA-256>_<n>", even when the same content was stored before.
// It is safe for concurrent use. Make one with NewBlobs; the zero value is not usable.
type Blobs struct {
	mu    sync.Mutex
	n     int
	blobs map[string][]byte
}

// NewBlobs returns an empty blob store.
func NewBlobs() *Blobs { return &Blobs{blobs: map[string][]byte{}} }

// Put reads r through SHA-256, at most maxSize+1 bytes of it: content longer than maxSize (a
// negative maxSize counts as 0) is refused with an error wrapping ports.ErrTooLarge, and an error
// reading r is returned; in both cases nothing is stored.
func (b *Blobs) Put(ctx context.Context, r io.Reader, maxSize int64) (ports.BlobInfo, error) {
	maxSize = max(maxSize, 0)
	limit := maxSize
	if limit < math.MaxInt64 {
		limit++
	}
	h := sha256.New()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &buf), io.LimitReader(r, limit))
	if err != nil {
		return ports.BlobInfo{}, fmt.Errorf("memory: blobs: reading content: %w", err)
	}
	if n > maxSize {
		return ports.BlobInfo{}, fmt.Errorf("memory: blobs: content exceeds %d bytes: %w", maxSize, ports.ErrTooLarge)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	key := "blob_" + sum[:12] + "_" + strconv.Itoa(b.n)
	b.blobs[key] = buf.Bytes()
	return ports.BlobInfo{Key: key, SHA256: sum, Size: n}, nil
}

// Open returns a reader of the content stored under key, or an error wrapping ports.ErrNotFound.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.blobs[key]
	if !ok {
		return nil, fmt.Errorf("memory: blobs: %q: %w", key, ports.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Len returns how many blobs are stored.
func (b *Blobs) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.blobs)
}
