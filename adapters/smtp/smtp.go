// Package smtp is the ports.Mailer that delivers email through an SMTP server (a provider's
// submission endpoint in production, mailpit in tests), built on github.com/wneessen/go-mail.
//
// Configure it with a Config, usually parsed from an SMTP_URL (ParseURL). Every Send opens one
// connection, delivers one message as multipart text and HTML, and closes it; the marketplace
// sends email from its timer loop, so connection reuse would buy little. A Send that could not
// deliver now (the server is down, slow, or answered with a temporary 4xx failure) returns an
// error wrapping ports.ErrUnavailable, and the marketplace retries it later; a message the server
// refused for good (a 5xx reply to its recipient or content) returns an error wrapping
// ErrRejected.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/agentgigs/agentgigs/core/ports"
)

// TLSMode says how a connection to the server is encrypted.
type TLSMode string

// The TLS modes.
const (
	// StartTLSOpportunistic upgrades the connection with STARTTLS when the server offers it and
	// otherwise talks in plain text; credentials are then only sent with a mechanism that does
	// not reveal them (no PLAIN or LOGIN). The default.
	StartTLSOpportunistic TLSMode = "opportunistic"
	// StartTLSRequired refuses a server that does not offer STARTTLS.
	StartTLSRequired TLSMode = "required"
	// ImplicitTLS speaks TLS from the first byte (smtps, usually port 465).
	ImplicitTLS TLSMode = "implicit"
	// NoTLS never encrypts and sends credentials in plain text: for a local test server only.
	NoTLS TLSMode = "none"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultPort         = 587 // submission with STARTTLS
	DefaultImplicitPort = 465 // submissions (implicit TLS)
	DefaultDialTimeout  = 10 * time.Second
	DefaultTimeout      = 30 * time.Second
)

// Config is where and how to send. Host and From are required; the zero value of every other
// field is a sensible default.
type Config struct {
	Host string
	// Port is the server's port; 0 means DefaultPort, or DefaultImplicitPort with ImplicitTLS.
	Port int
	// Username and Password authenticate; an empty Username sends without authentication.
	Username string
	Password string
	// From is the sender: an address, optionally with a display name
	// ("AgentGigs <no-reply@agentgigs.example>").
	From string
	// TLS is how the connection is encrypted; "" means StartTLSOpportunistic.
	TLS TLSMode
	// TLSConfig overrides the TLS settings (trusted roots, for example); nil uses the system
	// roots and verifies the certificate against Host.
	TLSConfig *tls.Config
	// DialTimeout bounds connecting (with the TLS handshake for ImplicitTLS); 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// Timeout bounds each exchange with the server after connecting (the greeting, each command
	// and its reply, the message data); 0 means DefaultTimeout.
	Timeout time.Duration
}

// ParseURL reads a Config from a URL, as given in SMTP_URL:
//
//	smtp://user:password@host:port?from=AgentGigs%20<no-reply@example.com>
//	smtps://user:password@host:465?from=no-reply@example.com
//
// The scheme smtp uses STARTTLS, opportunistically unless the query says tls=required; tls=none
// is plain text for a local test server. The scheme smtps uses implicit TLS. The user and
// password are optional and percent-decoded. The query must give from, and may give
// dial_timeout and timeout as Go durations ("5s"). Unknown query parameters are refused, so a
// typo cannot silently weaken the configuration.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("smtp: parsing URL: %w", err)
	}
	var cfg Config
	switch u.Scheme {
	case "smtp":
		cfg.TLS = StartTLSOpportunistic
	case "smtps":
		cfg.TLS = ImplicitTLS
	default:
		return Config{}, fmt.Errorf("smtp: URL scheme %q is neither smtp nor smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Config{}, errors.New("smtp: the URL must be scheme://[user:password@]host[:port][?query]")
	}
	cfg.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil {
			return Config{}, fmt.Errorf("smtp: port %q is not a number", p)
		}
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("smtp: parsing URL query: %w", err)
	}
	for key, vs := range q {
		v := vs[len(vs)-1]
		switch key {
		case "from":
			cfg.From = v
		case "tls":
			if u.Scheme == "smtps" {
				return Config{}, errors.New("smtp: smtps always uses implicit TLS; tls= applies to smtp://")
			}
			switch mode := TLSMode(v); mode {
			case StartTLSOpportunistic, StartTLSRequired, NoTLS:
				cfg.TLS = mode
			default:
				return Config{}, fmt.Errorf("smtp: tls=%q is none of opportunistic, required, none", v)
			}
		case "dial_timeout", "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return Config{}, fmt.Errorf("smtp: %s=%q is not a positive duration", key, v)
			}
			if key == "timeout" {
				cfg.Timeout = d
			} else {
				cfg.DialTimeout = d
			}
		default:
			return Config{}, fmt.Errorf("smtp: unknown URL parameter %q", key)
		}
	}
	return cfg, cfg.check()
}

// check validates cfg.
func (cfg Config) check() error {
	if cfg.Host == "" {
		return errors.New("smtp: a host is required")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return fmt.Errorf("smtp: port %d is out of range", cfg.Port)
	}
	switch cfg.TLS {
	case "", StartTLSOpportunistic, StartTLSRequired, ImplicitTLS, NoTLS:
	default:
		return fmt.Errorf("smtp: unknown TLS mode %q", cfg.TLS)
	}
	if cfg.DialTimeout < 0 || cfg.Timeout < 0 {
		return errors.New("smtp: timeouts must not be negative")
	}
	if cfg.From == "" {
		return errors.New("smtp: a sender (from) is required")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return fmt.Errorf("smtp: sender %q: %w", cfg.From, err)
	}
	return nil
}

// ErrRejected is wrapped by the error of a Send that the server refused for good: a permanent
// (5xx) reply to the message's recipient or content, or a message that cannot be sent at all (an
// invalid recipient address). Retrying such a message is pointless.
var ErrRejected = errors.New("smtp: message rejected")

// Mailer sends email through an SMTP server. Make one with New; it is safe for concurrent use.
type Mailer struct {
	cfg  Config
	from *mail.Address
}

// New checks cfg, fills in its defaults and returns a Mailer. It does not connect.
func New(cfg Config) (*Mailer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	from, _ := mail.ParseAddress(cfg.From) // checked above
	if cfg.TLS == "" {
		cfg.TLS = StartTLSOpportunistic
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
		if cfg.TLS == ImplicitTLS {
			cfg.Port = DefaultImplicitPort
		}
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	return &Mailer{cfg: cfg, from: from}, nil
}

// Send delivers m as one message, multipart/alternative when it has HTML. It returns an error
// wrapping ports.ErrUnavailable when the server could not be reached, did not answer within the
// timeouts, refused the connection, TLS or authentication, or answered with a temporary (4xx)
// failure; an error wrapping ErrRejected when the server refused the message for good; nil once
// the server accepted it. ctx bounds connecting; each later exchange is bounded by the Timeout
// and by ctx's deadline, whichever is sooner.
func (s *Mailer) Send(ctx context.Context, m ports.Message) error {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return fmt.Errorf("smtp: recipient %q: %w: %w", m.To, ErrRejected, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	timeout := s.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return fmt.Errorf("smtp: sending to %q: %w: %w", m.To, ports.ErrUnavailable, context.DeadlineExceeded)
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options(timeout)...)
	if err != nil {
		return fmt.Errorf("smtp: configuring the client: %w", err)
	}
	dialCtx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	return classify(m.To, client.DialAndSendWithContext(dialCtx, msg))
}

// options are the go-mail client options of one Send.
func (s *Mailer) options(timeout time.Duration) []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(s.cfg.TLSConfig)}
	switch s.cfg.TLS {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case StartTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover // the strongest the server offers; no PLAIN or LOGIN without TLS
		if s.cfg.TLS == NoTLS {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// classify maps a go-mail error to the port's outcomes: a permanent reply to the recipient or the
// content is ErrRejected; anything else is ports.ErrUnavailable: connecting, TLS, authentication,
// timeouts, temporary replies, and a refused sender (MAIL FROM), which is the configuration's
// fault (missing authentication, a sender the account may not use) rather than the message's, so
// the email waits for the operator to fix it.
func classify(to string, err error) error {
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		switch se.Reason {
		case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return fmt.Errorf("smtp: sending to %q: %w: %w", to, ErrRejected, err)
		}
	}
	return fmt.Errorf("smtp: sending to %q: %w: %w", to, ports.ErrUnavailable, err)
}

// String describes the configuration without the password, for logs.
func (cfg Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp %s:%d tls=%s from=%q", cfg.Host, cfg.Port, cfg.TLS, cfg.From)
	if cfg.Username != "" {
		fmt.Fprintf(&b, " user=%q", cfg.Username)
	}
	return b.String()
}
