package webhookhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

func TestSendPostsHeadersAndBody(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s := New(Options{AllowPrivate: true})
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	status, err := s.Send(t.Context(), ports.WebhookRequest{URL: srv.URL + "/hook", ID: "msg_1", Secret: secret, Body: []byte(`{"a":1}`)})
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, http.MethodPost, got.Method)
	require.Equal(t, "msg_1", got.Header.Get("webhook-id"))
	require.Equal(t, "application/json", got.Header.Get("content-type"))
	require.NoError(t, webhook.Verify(secret, "msg_1", got.Header.Get("webhook-timestamp"), got.Header.Get("webhook-signature"), body, time.Now()))
	require.Equal(t, `{"a":1}`, string(body))
}

func TestRefusesNonPublicTargetsAtDialTime(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	s := New(Options{})
	for _, u := range []string{srv.URL, "http://localhost:1/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]/"} {
		_, err := s.Send(t.Context(), ports.WebhookRequest{URL: u, ID: "msg_1", Secret: "whsec_AAAA"})
		require.ErrorIs(t, err, ErrForbiddenTarget, u)
	}
	require.False(t, hit, "the refused request never reached the server")
}

func TestRedirectIsAnAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
	}))
	defer srv.Close()
	status, err := New(Options{AllowPrivate: true}).Send(t.Context(), ports.WebhookRequest{URL: srv.URL, ID: "msg_1", Secret: "whsec_AAAA"})
	require.NoError(t, err)
	require.Equal(t, http.StatusFound, status)
}

func TestUnreachableIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := New(Options{AllowPrivate: true}).Send(t.Context(), ports.WebhookRequest{URL: url, ID: "msg_1", Secret: "whsec_AAAA"})
	require.ErrorIs(t, err, ports.ErrUnavailable)
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false,
		"fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
	} {
		require.Equal(t, want, Public(netip.MustParseAddr(ip)), ip)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
