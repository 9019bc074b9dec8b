package smtp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/smtp"
	"github.com/agentgigs/agentgigs/adapters/smtp/smtptest"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

var _ ports.Mailer = (*smtp.Mailer)(nil)

func TestParseURL(t *testing.T) {
	t.Parallel()

	tests := []struct {
		url  string
		want smtp.Config
		err  string
	}{
		{url: "smtp://mail.example.com?from=no-reply@example.com",
			want: smtp.Config{Host: "mail.example.com", From: "no-reply@example.com", TLS: smtp.StartTLSOpportunistic}},
		{url: "smtp://user%40example.com:p%40ss%3Aw0rd@mail.example.com:2525?from=AgentGigs%20%3Cno-reply%40example.com%3E&tls=required&dial_timeout=3s&timeout=1m",
			want: smtp.Config{Host: "mail.example.com", Port: 2525, Username: "user@example.com", Password: "p@ss:w0rd",
				From: "AgentGigs <no-reply@example.com>", TLS: smtp.StartTLSRequired, DialTimeout: 3 * time.Second, Timeout: time.Minute}},
		{url: "smtps://apikey:secret@smtp.example.com?from=no-reply@example.com",
			want: smtp.Config{Host: "smtp.example.com", Username: "apikey", Password: "secret", From: "no-reply@example.com", TLS: smtp.ImplicitTLS}},
		{url: "smtp://127.0.0.1:1025?tls=none&from=a@b.test",
			want: smtp.Config{Host: "127.0.0.1", Port: 1025, From: "a@b.test", TLS: smtp.NoTLS}},
		{url: "smtp://[::1]:1025/?tls=opportunistic&from=a@b.test",
			want: smtp.Config{Host: "::1", Port: 1025, From: "a@b.test", TLS: smtp.StartTLSOpportunistic}},
		{url: "http://mail.example.com?from=a@b.test", err: "neither smtp nor smtps"},
		{url: "smtp://mail.example.com", err: "sender (from) is required"},
		{url: "smtp://mail.example.com?from=not-an-address", err: "sender"},
		{url: "smtp://?from=a@b.test", err: "host is required"},
		{url: "smtp://mail.example.com:port?from=a@b.test", err: "parsing URL"},
		{url: "smtp://mail.example.com:70000?from=a@b.test", err: "out of range"},
		{url: "smtp://mail.example.com?from=a@b.test&tls=maybe", err: "tls=\"maybe\""},
		{url: "smtps://mail.example.com?from=a@b.test&tls=none", err: "smtps always uses implicit TLS"},
		{url: "smtp://mail.example.com?from=a@b.test&timeout=soon", err: "not a positive duration"},
		{url: "smtp://mail.example.com?from=a@b.test&dial_timeout=-1s", err: "not a positive duration"},
		{url: "smtp://mail.example.com?from=a@b.test&starttls=required", err: "unknown URL parameter \"starttls\""},
		{url: "smtp://mail.example.com/path?from=a@b.test", err: "must be scheme://"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := smtp.ParseURL(tt.url)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			_, err = smtp.New(got)
			require.NoError(t, err)
		})
	}
}

func TestNewChecksTheConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []smtp.Config{
		{From: "a@b.test"},
		{Host: "h"},
		{Host: "h", From: "a@b.test", TLS: "sometimes"},
		{Host: "h", From: "a@b.test", Timeout: -time.Second},
		{Host: "h", From: "a@b.test", Port: -1},
	} {
		_, err := smtp.New(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestConfigStringHidesThePassword(t *testing.T) {
	t.Parallel()
	cfg, err := smtp.ParseURL("smtps://apikey:s3cret@smtp.example.com:465?from=no-reply@example.com")
	require.NoError(t, err)
	require.Equal(t, `smtp smtp.example.com:465 tls=implicit from="no-reply@example.com" user="apikey"`, cfg.String())
}

// newMailer returns the adapter for the SMTP_URL, failing the test on error.
func newMailer(t *testing.T, url string) *smtp.Mailer {
	t.Helper()
	cfg, err := smtp.ParseURL(url)
	require.NoError(t, err)
	m, err := smtp.New(cfg)
	require.NoError(t, err)
	return m
}

func message(to string) ports.Message {
	return ports.Message{To: to, ToName: "Test", Subject: "Hello " + to, Text: "text body", HTML: "<p>html body</p>"}
}

// requireReceived fails unless mailpit received a message to the address within a second.
func requireReceived(t *testing.T, mp *smtptest.Mailpit, to string) ports.Message {
	t.Helper()
	var got ports.Message
	require.Eventually(t, func() bool {
		for _, m := range mp.Messages(t) {
			if strings.EqualFold(m.To, to) {
				got = m
				return true
			}
		}
		return false
	}, time.Second, 20*time.Millisecond, "no message to %s", to)
	return got
}

func TestMailerConformance(t *testing.T) {
	t.Parallel()
	mp := smtptest.StartMailpit(t)
	m := newMailer(t, mp.URL(""))
	conformance.Mailer(t, func(t *testing.T) (ports.Mailer, func() []ports.Message) {
		return m, func() []ports.Message { return mp.Messages(t) }
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	authFile := filepath.Join(t.TempDir(), "auth")
	require.NoError(t, os.WriteFile(authFile, []byte("agent:s3cret-pass\n"), 0o600))
	mp := smtptest.StartMailpit(t, "--smtp-auth-file", authFile, "--smtp-auth-allow-insecure")
	base := "smtp://" + mp.SMTPAddr + "?tls=none&from=no-reply@agentgigs.test"

	ok := newMailer(t, strings.Replace(base, "://", "://agent:s3cret-pass@", 1))
	require.NoError(t, ok.Send(t.Context(), message("authed@example.com")))
	requireReceived(t, mp, "authed@example.com")

	wrong := newMailer(t, strings.Replace(base, "://", "://agent:wrong@", 1))
	err := wrong.Send(t.Context(), message("wrong@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable, "a configuration problem, not the message's fault")
	require.NotErrorIs(t, err, smtp.ErrRejected)

	none := newMailer(t, base)
	require.ErrorIs(t, none.Send(t.Context(), message("anonymous@example.com")), ports.ErrUnavailable)
}

// selfSigned writes a certificate for 127.0.0.1 and its key to files and returns their paths
// and a TLS config trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, cfg *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// mailerWithTLS returns the adapter for the URL, trusting tlsCfg.
func mailerWithTLS(t *testing.T, url string, tlsCfg *tls.Config) *smtp.Mailer {
	t.Helper()
	cfg, err := smtp.ParseURL(url)
	require.NoError(t, err)
	cfg.TLSConfig = tlsCfg
	m, err := smtp.New(cfg)
	require.NoError(t, err)
	return m
}

func TestStartTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, tlsCfg := selfSigned(t)
	mp := smtptest.StartMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls", "--smtp-auth-accept-any")
	url := "smtp://agent:secret@" + mp.SMTPAddr + "?from=no-reply@agentgigs.test&tls="

	require.NoError(t, mailerWithTLS(t, url+"required", tlsCfg).Send(t.Context(), message("required@example.com")))
	requireReceived(t, mp, "required@example.com")
	require.NoError(t, mailerWithTLS(t, url+"opportunistic", tlsCfg).Send(t.Context(), message("opportunistic@example.com")))
	requireReceived(t, mp, "opportunistic@example.com")

	err := newMailer(t, url+"required").Send(t.Context(), message("untrusted@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable, "the certificate is not trusted")

	plain := smtptest.StartMailpit(t)
	err = newMailer(t, "smtp://"+plain.SMTPAddr+"?from=no-reply@agentgigs.test&tls=required").Send(t.Context(), message("downgrade@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable, "required STARTTLS refuses a server without it")
	require.Empty(t, plain.Messages(t))

	err = newMailer(t, "smtp://agent:secret@"+plain.SMTPAddr+"?from=no-reply@agentgigs.test").Send(t.Context(), message("leak@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable, "no password in plain text without tls=none")
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, tlsCfg := selfSigned(t)
	mp := smtptest.StartMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-tls", "--smtp-auth-accept-any")
	m := mailerWithTLS(t, "smtps://agent:secret@"+mp.SMTPAddr+"?from=no-reply@agentgigs.test", tlsCfg)
	require.NoError(t, m.Send(t.Context(), message("implicit@example.com")))
	got := requireReceived(t, mp, "implicit@example.com")
	require.Equal(t, "text body", strings.TrimSpace(got.Text))
}

func TestPermanentRejectionIsNotRetryable(t *testing.T) {
	t.Parallel()
	mp := smtptest.StartMailpit(t, "--smtp-allowed-recipients", `^allowed@`)
	m := newMailer(t, mp.URL(""))
	err := m.Send(t.Context(), message("refused@example.com"))
	require.ErrorIs(t, err, smtp.ErrRejected)
	require.NotErrorIs(t, err, ports.ErrUnavailable)
	require.NoError(t, m.Send(t.Context(), message("allowed@example.com")))

	err = m.Send(t.Context(), ports.Message{To: "not an address", Subject: "x", Text: "x"})
	require.ErrorIs(t, err, smtp.ErrRejected)
}

func TestServerDownIsUnavailable(t *testing.T) {
	t.Parallel()
	addr := unusedAddr(t)
	m := newMailer(t, "smtp://"+addr+"?tls=none&from=no-reply@agentgigs.test")
	start := time.Now()
	err := m.Send(t.Context(), message("down@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.NotErrorIs(t, err, smtp.ErrRejected)
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestSlowServerTimesOut(t *testing.T) {
	t.Parallel()
	addr, _ := stallingServer(t)
	m := newMailer(t, "smtp://"+addr+"?tls=none&from=no-reply@agentgigs.test&timeout=300ms")
	start := time.Now()
	err := m.Send(t.Context(), message("slow@example.com"))
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.Less(t, time.Since(start), 2*time.Second, "bounded by the timeout")

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	m = newMailer(t, "smtp://"+addr+"?tls=none&from=no-reply@agentgigs.test")
	start = time.Now()
	require.ErrorIs(t, m.Send(ctx, message("slow@example.com")), ports.ErrUnavailable)
	require.Less(t, time.Since(start), 2*time.Second, "bounded by the context's deadline")
}

// unusedAddr returns a loopback address nobody listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// stallingServer accepts connections and never says anything, until stop (or the test's end)
// closes it and every connection it accepted.
func stallingServer(t *testing.T) (addr string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
			close(done)
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { _ = l.Close(); <-done }) }
	t.Cleanup(stop)
	return l.Addr().String(), stop
}
