// Package webhookhttp is the production ports.WebhookSender: an HTTP client that posts signed
// deliveries with a timeout, follows no redirects, and refuses at dial time every address that is
// not public (loopback, private, link-local, unspecified, multicast, CGNAT and the like), so a
// webhook URL cannot reach the server's own network even through DNS tricks.
package webhookhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 10 * time.Second

// ErrForbiddenTarget is returned for a URL whose address is not public.
var ErrForbiddenTarget = errors.New("webhookhttp: the target address is not public")

// Sender posts webhook deliveries.
type Sender struct {
	client *http.Client
}

// Options configure a Sender.
type Options struct {
	// AllowPrivate permits loopback, private and link-local targets: the sandbox only.
	AllowPrivate bool
	// Timeout bounds one attempt; DefaultTimeout when zero.
	Timeout time.Duration
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and bypass the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{client: &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, not a new target
		},
	}}
}

// refusePrivate runs after DNS resolution, on the address actually dialled.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, host)
	}
	if !Public(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ip)
	}
	return nil
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether ip is a public unicast address a webhook may target.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!cgnat.Contains(ip) && !(ip.Is4() && ip.As4()[0] == 0)
}

// Send signs the request with the current time, posts it and returns the response status. The response body is read (up to
// 64 KiB) and discarded so the connection can be reused.
func (s *Sender) Send(ctx context.Context, r ports.WebhookRequest) (int, error) {
	headers, err := webhook.Headers(r.Secret, r.ID, time.Now(), r.Body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return 0, fmt.Errorf("webhookhttp: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenTarget) {
			return 0, err
		}
		return 0, fmt.Errorf("webhookhttp: %w: %w", ports.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
