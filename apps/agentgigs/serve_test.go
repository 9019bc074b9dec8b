package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServerTimeouts: serve's HTTP server bounds every phase of a connection, and its write
// timeout leaves room for the 30 s long poll of GET /api/events and for a body read to the end.
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(http.NotFoundHandler(), serverTimeouts, slog.New(slog.DiscardHandler))
	require.Equal(t, serverTimeouts.Header, srv.ReadHeaderTimeout)
	require.Equal(t, serverTimeouts.Read, srv.ReadTimeout)
	require.Equal(t, serverTimeouts.Write, srv.WriteTimeout)
	require.Equal(t, serverTimeouts.Idle, srv.IdleTimeout)
	for _, d := range []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout} {
		require.Positive(t, d)
	}
	require.Greater(t, srv.WriteTimeout, srv.ReadTimeout+30*time.Second)
}

// TestSlowClientsAreDisconnected: a connection that sends no headers, half the headers, half a
// body, or nothing after its first answer is closed by the server once its timeout passes.
func TestSlowClientsAreDisconnected(t *testing.T) {
	t.Parallel()
	short := timeouts{Header: 200 * time.Millisecond, Read: 400 * time.Millisecond, Write: time.Second, Idle: 300 * time.Millisecond}
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("ok"))
	}), short, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for name, send := range map[string]string{
		"no headers":    "",
		"half headers":  "GET /x HTTP/1.1\r\nHost: test\r\n",
		"half a body":   "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nhalf",
		"idle after ok": "GET /x HTTP/1.1\r\nHost: test\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			_, err = io.WriteString(conn, send)
			require.NoError(t, err)
			// The server must hang up well before the client's own deadline.
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
			_, err = io.Copy(io.Discard, bufio.NewReader(conn))
			require.NoError(t, err, "the server kept the connection open")
		})
	}
}
