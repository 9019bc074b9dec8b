package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Blobs is the ports.Blobs of a deployment on PostgreSQL: delivered files in a table, so every
// replica reads what any replica stored. Files are bounded by the marketplace's size limit
// (25 MiB by default), which bytea holds comfortably.
type Blobs struct {
	s *Store
}

// Blobs returns the store's blob storage.
func (s *Store) Blobs() *Blobs { return &Blobs{s: s} }

// Put reads at most maxSize+1 bytes of r: longer content is refused with ErrTooLarge, a read
// error is returned, and in both cases nothing is stored.
func (b *Blobs) Put(ctx context.Context, r io.Reader, maxSize int64) (ports.BlobInfo, error) {
	content, info, err := ports.ReadBlob(r, maxSize)
	if err != nil {
		return ports.BlobInfo{}, fmt.Errorf("postgres: blobs: %w", err)
	}
	info.Key = "blob_" + rand.Text()
	if _, err := b.s.pool.Exec(ctx, `INSERT INTO blobs (key, sha256, size, content) VALUES ($1, $2, $3, $4)`,
		info.Key, info.SHA256, info.Size, content); err != nil {
		return ports.BlobInfo{}, translate("Blobs.Put", err, false)
	}
	return info, nil
}

// Open returns the content stored under key, or an error wrapping ErrNotFound.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	var content []byte
	err := b.s.pool.QueryRow(ctx, `SELECT content FROM blobs WHERE key = $1`, key).Scan(&content)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("blob", key)
	}
	if err != nil {
		return nil, translate("Blobs.Open", err, false)
	}
	return io.NopCloser(bytes.NewReader(content)), nil
}
