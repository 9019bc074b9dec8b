package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// defaultAddr is where serve listens when neither --addr nor AGENTGIGS_ADDR says otherwise.
const defaultAddr = "127.0.0.1:8080"

// Timing of the server.
const (
	timerTick       = time.Second      // how often due timers run
	shutdownTimeout = 10 * time.Second // how long in-flight requests get on shutdown
)

// timeouts bound how long a client may hold a connection of the HTTP server.
type timeouts struct {
	Header time.Duration // to send the request headers (slowloris)
	Read   time.Duration // to send the whole request, body included
	Write  time.Duration // from the end of the headers to the end of the answer
	Idle   time.Duration // between two requests of a kept-alive connection
}

// serverTimeouts are serve's. Read allows the largest delivery (26 MiB) at about 220 KB/s; Write
// counts from the end of the headers, so it covers reading that body, the handler and the
// 30 s long poll of GET /api/events with a margin.
var serverTimeouts = timeouts{
	Header: 10 * time.Second,
	Read:   2 * time.Minute,
	Write:  3 * time.Minute,
	Idle:   time.Minute,
}

// newHTTPServer is the HTTP server of h with the timeouts t, logging its errors to log.
func newHTTPServer(h http.Handler, t timeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.Header,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// config is what serve runs with.
type config struct {
	Addr    string // the TCP address to listen on; port 0 picks a free port
	SMTPURL string // where mail goes (env SMTP_URL); empty keeps it in the dev inbox
	Stripe  stripeConfig
	// DatabaseURL switches storage to PostgreSQL (env DATABASE_URL); Migrate (env
	// AGENTGIGS_MIGRATE, default true) migrates its schema on start.
	DatabaseURL string
	Migrate     bool
	Plugins     pluginsConfig
	// PublicURL is the server's URL as humans and Stripe reach it (env AGENTGIGS_PUBLIC_URL,
	// e.g. https://gigs.example.com): the base of the links in emails, onboarding and Checkout
	// returns. Empty means the listen address.
	PublicURL string
}

// pluginsConfig loads proofer plugins (env AGENTGIGS_PLUGINS_DIR, AGENTGIGS_PLUGIN_ACCOUNT).
type pluginsConfig struct {
	Dir     string // the directory of plugin executables (and optionally SHA256SUMS)
	Account string // the account the plugins act through
}

// stripeConfig holds the Stripe settings (env STRIPE_*); without a secret key payments are fake.
type stripeConfig struct {
	SecretKey            string // STRIPE_SECRET_KEY
	WebhookSecret        string // STRIPE_WEBHOOK_SECRET: the platform endpoint's signing secret
	ConnectWebhookSecret string // STRIPE_CONNECT_WEBHOOK_SECRET: the Connect endpoint's
	APIBase              string // STRIPE_API_BASE: another API URL, e.g. stripe-mock's
}

// parseServe reads serve's flags. AGENTGIGS_ADDR sets the default of --addr. It returns
// flag.ErrHelp after printing the flags for -h, and a usageError for anything it cannot parse.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := configFromEnv(getenv)
	if v := getenv("AGENTGIGS_ADDR"); v != "" {
		cfg.Addr = v
	}
	fs := flag.NewFlagSet("agentgigs serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "`host:port` to listen on (env AGENTGIGS_ADDR)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "agentgigs serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return cfg, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return cfg, nil
}

// configFromEnv is the configuration the environment gives serve and mcp: storage, mail,
// payments and plugins, and the default address.
func configFromEnv(getenv func(string) string) config {
	return config{Addr: defaultAddr, SMTPURL: getenv("SMTP_URL"), DatabaseURL: getenv("DATABASE_URL"),
		Migrate: getenv("AGENTGIGS_MIGRATE") != "false", PublicURL: strings.TrimRight(getenv("AGENTGIGS_PUBLIC_URL"), "/"),
		Plugins: pluginsConfig{Dir: getenv("AGENTGIGS_PLUGINS_DIR"), Account: getenv("AGENTGIGS_PLUGIN_ACCOUNT")}, Stripe: stripeConfig{
			SecretKey: getenv("STRIPE_SECRET_KEY"), WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
			ConnectWebhookSecret: getenv("STRIPE_CONNECT_WEBHOOK_SECRET"), APIBase: getenv("STRIPE_API_BASE"),
		}}
}

// serve runs the server wired by build (wire.go) until ctx is cancelled, then shuts it down
// gracefully; it also stops, with an error, if the timers cannot run. The banner goes to stdout,
// logs to stderr.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	public := cfg.PublicURL
	if public == "" {
		public = baseURL
	}
	a, err := build(ctx, cfg, public, stdout, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer a.Close()
	srv := newHTTPServer(a.Handler, serverTimeouts, log)
	printBanner(stdout, baseURL, a.Notes)

	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	timersFailed := make(chan error, 1)
	wg.Go(func() {
		if err := a.RunTimers(loopCtx, log); err != nil && loopCtx.Err() == nil {
			// Without timers no deadline, payout, email or webhook would run: stop serving.
			timersFailed <- err
		} else if err != nil {
			log.Error("stopping timers", "err", err)
		}
	})
	defer func() {
		stopLoop()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var failed error
	select {
	case err := <-served: // Serve never returns nil
		return fmt.Errorf("serving: %w", err)
	case err := <-timersFailed:
		failed = fmt.Errorf("running timers: %w", err)
		log.Error("running timers failed: shutting down", "err", err)
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return errors.Join(failed, fmt.Errorf("shutting down: %w", err))
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(failed, fmt.Errorf("serving: %w", err))
	}
	log.Info("stopped")
	return failed
}

func printBanner(w io.Writer, baseURL string, notes []string) {
	fmt.Fprintf(w, `AgentGigs
  listening on %[1]s
  Start here:  %[1]s/llms.txt   (the whole flow with curl)
  API docs:    %[1]s/docs       OpenAPI: %[1]s/openapi.json
`, baseURL)
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
}

// openAPIBaseURL is the server URL written into the printed OpenAPI document: the default address.
const openAPIBaseURL = "http://" + defaultAddr

// printOpenAPI writes the OpenAPI document of the sandbox API (the default mode, dev endpoints
// included) as indented JSON.
func printOpenAPI(w io.Writer) error {
	a, err := build(context.Background(), config{}, openAPIBaseURL, io.Discard, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	doc, err := json.MarshalIndent(a.API.OpenAPI(), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", doc)
	return err
}
