package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	content, info, err := ports.ReadBlob(r, maxSize)
	if err != nil {
		return ports.BlobInfo{}, fmt.Errorf("memory: blobs: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	info.Key = "blob_" + info.SHA256[:12] + "_" + strconv.Itoa(b.n)
	b.blobs[info.Key] = content
	return info, nil
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
