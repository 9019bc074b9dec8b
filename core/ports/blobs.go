package ports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
)

// ReadBlob reads the content a Blobs.Put stores, as every adapter must: at most maxSize+1 bytes of
// r (a negative maxSize counts as 0), through SHA-256. Content longer than maxSize is refused with
// an error wrapping ErrTooLarge; an error reading r is returned. It returns the content (never
// nil) and the BlobInfo of it without a key.
func ReadBlob(r io.Reader, maxSize int64) ([]byte, BlobInfo, error) {
	maxSize = max(maxSize, 0)
	limit := maxSize
	if limit < math.MaxInt64 {
		limit++
	}
	h := sha256.New()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &buf), io.LimitReader(r, limit))
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("reading content: %w", err)
	}
	if n > maxSize {
		return nil, BlobInfo{}, fmt.Errorf("content exceeds %d bytes: %w", maxSize, ErrTooLarge)
	}
	content := buf.Bytes()
	if content == nil {
		content = []byte{}
	}
	return content, BlobInfo{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
