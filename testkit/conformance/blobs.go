package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Blobs runs the conformance suite of ports.Blobs: content and SHA-256 round-trip, every Put gets
// a new key, the size limit is exact and refuses with ErrTooLarge without reading past it,
// reader errors store nothing, and unknown keys are ErrNotFound.
func Blobs(t *testing.T, newBlobs func(t *testing.T) ports.Blobs) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		content := []byte("hello, world\n")
		info := must(b.Put(t.Context(), bytes.NewReader(content), 1024))(t)
		requireInfo(t, info, content)
		requireContent(t, b, info.Key, content)
		requireContent(t, b, info.Key, content) // opened again from the start
	})

	t.Run("EveryPutGetsANewKey", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		content := []byte("same content")
		i1 := must(b.Put(t.Context(), bytes.NewReader(content), 100))(t)
		i2 := must(b.Put(t.Context(), bytes.NewReader(content), 100))(t)
		require.NotEqual(t, i1.Key, i2.Key)
		require.Equal(t, i1.SHA256, i2.SHA256)
		requireContent(t, b, i1.Key, content)
		requireContent(t, b, i2.Key, content)
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		info := must(b.Put(t.Context(), bytes.NewReader(nil), 0))(t)
		requireInfo(t, info, nil)
		requireContent(t, b, info.Key, nil)
	})

	t.Run("SizeLimitIsExact", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		const limit = 100
		exact := bytes.Repeat([]byte{'x'}, limit)
		info := must(b.Put(t.Context(), bytes.NewReader(exact), limit))(t)
		requireInfo(t, info, exact)
		requireContent(t, b, info.Key, exact)

		over := bytes.Repeat([]byte{'y'}, limit+1)
		info, err := b.Put(t.Context(), bytes.NewReader(over), limit)
		require.ErrorIs(t, err, ports.ErrTooLarge)
		require.Equal(t, ports.BlobInfo{}, info, "nothing is stored, so no key")
		_, err = b.Open(t.Context(), "")
		require.ErrorIs(t, err, ports.ErrNotFound)
	})

	t.Run("LimitStopsReading", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		r := &endlessReader{}
		_, err := b.Put(t.Context(), r, 4096)
		require.NotErrorIs(t, err, errReadTooFar, "Put reads little past the limit")
		require.ErrorIs(t, err, ports.ErrTooLarge, "an endless reader is refused")
	})

	t.Run("Large", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		content := make([]byte, 3<<20)
		for i := range content {
			content[i] = byte(i * 7)
		}
		info := must(b.Put(t.Context(), bytes.NewReader(content), int64(len(content))))(t)
		requireInfo(t, info, content)
		requireContent(t, b, info.Key, content)
	})

	t.Run("ReaderError", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		boom := errors.New("conformance: disk on fire")
		info, err := b.Put(t.Context(), io.MultiReader(bytes.NewReader([]byte("partial")), errReader{boom}), 1024)
		require.Error(t, err)
		require.NotErrorIs(t, err, ports.ErrTooLarge)
		require.Equal(t, ports.BlobInfo{}, info)
	})

	t.Run("OpenUnknown", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		_, err := b.Open(t.Context(), "blob_does_not_exist")
		require.ErrorIs(t, err, ports.ErrNotFound)
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		b := newBlobs(t)
		const n = 10
		infos := make([]ports.BlobInfo, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				infos[i], errs[i] = b.Put(t.Context(), bytes.NewReader(fmt.Appendf(nil, "blob %d", i)), 64)
			})
		}
		wg.Wait()
		keys := map[string]bool{}
		for i := range n {
			require.NoError(t, errs[i])
			keys[infos[i].Key] = true
			requireContent(t, b, infos[i].Key, fmt.Appendf(nil, "blob %d", i))
		}
		require.Len(t, keys, n)
	})
}

func requireInfo(t *testing.T, info ports.BlobInfo, content []byte) {
	t.Helper()
	sum := sha256.Sum256(content)
	require.NotEmpty(t, info.Key)
	require.Equal(t, hex.EncodeToString(sum[:]), info.SHA256, "lower-case hex SHA-256")
	require.Equal(t, int64(len(content)), info.Size)
}

func requireContent(t *testing.T, b ports.Blobs, key string, want []byte) {
	t.Helper()
	rc, err := b.Open(t.Context(), key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.True(t, bytes.Equal(want, got), "content of %s differs: %d bytes, want %d", key, len(got), len(want))
}

var errReadTooFar = errors.New("conformance: Put read more than 1 MiB past a 4 KiB limit")

// endlessReader would never end, but fails once 1 MiB was read from it, so that a Put that does
// not stop at its limit fails the test instead of exhausting memory.
type endlessReader struct{ n int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.n >= 1<<20 {
		return 0, errReadTooFar
	}
	for i := range p {
		p[i] = 'z'
	}
	r.n += int64(len(p))
	return len(p), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
