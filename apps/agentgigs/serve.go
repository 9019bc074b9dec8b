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
	"sync"
	"time"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/smtp"
	"github.com/agentgigs/agentgigs/adapters/webhookhttp"
	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/ports"
)

// defaultAddr is where serve listens when neither --addr nor AGENTGIGS_ADDR says otherwise.
const defaultAddr = "127.0.0.1:8080"

// Timing of the server.
const (
	timerTick       = time.Second      // how often due timers run
	shutdownTimeout = 10 * time.Second // how long in-flight requests get on shutdown
	headerTimeout   = 10 * time.Second // how long a client may take to send its request headers
)

// config is what serve runs with.
type config struct {
	Addr    string // the TCP address to listen on; port 0 picks a free port
	SMTPURL string // where mail goes (env SMTP_URL); empty keeps it in the dev inbox
}

// parseServe reads serve's flags. AGENTGIGS_ADDR sets the default of --addr. It returns
// flag.ErrHelp after printing the flags for -h, and a usageError for anything it cannot parse.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{Addr: defaultAddr, SMTPURL: getenv("SMTP_URL")}
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

// serve runs the embedded sandbox until ctx is cancelled, then shuts the server down gracefully.
// The wiring is all here: memory adapters → market service → HTTP API, plus the timer loop. Mail
// is printed to stdout (the dev inbox); logs go to stderr.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	mailer, mailDesc, err := mailerFor(cfg.SMTPURL, stdout)
	if err != nil {
		_ = ln.Close()
		return err
	}
	handler, store, svc, clock, err := sandbox(baseURL, mailer, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: headerTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	printBanner(stdout, baseURL, mailDesc)

	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { runTimers(loopCtx, store, svc, clock, timerTick, log) })
	defer func() {
		stopLoop()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served: // Serve never returns nil
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	log.Info("stopped")
	return nil
}

// mailerFor returns the mailer serve uses: SMTP when smtpURL is set, else the dev inbox printing
// to out; and how the banner describes it.
func mailerFor(smtpURL string, out io.Writer) (ports.Mailer, string, error) {
	if smtpURL == "" {
		return memory.NewMailer(out), "Mail is printed here and kept at GET /api/dev/inbox (set SMTP_URL to send it).", nil
	}
	cfg, err := smtp.ParseURL(smtpURL)
	if err != nil {
		return nil, "", fmt.Errorf("SMTP_URL: %w", err)
	}
	m, err := smtp.New(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("SMTP_URL: %w", err)
	}
	return m, "Mail is sent through SMTP at " + cfg.String() + ".", nil
}

// sandbox wires the embedded default: every port backed by the memory adapters, a clock agents
// can advance, fake payments driven by the dev endpoints, and webhooks allowed to reach loopback.
// When mailer is the dev inbox (*memory.Mailer), GET /api/dev/inbox reads it.
func sandbox(baseURL string, mailer ports.Mailer, log *slog.Logger) (*api.Server, ports.Store, *market.Service, ports.Clock, error) {
	store, clock := memory.NewStore(), &memory.DevClock{}
	inbox, _ := mailer.(*memory.Mailer)
	svc, err := market.New(market.Config{
		Store:    store,
		Payments: memory.NewPayments(),
		Mailer:   mailer,
		Blobs:    memory.NewBlobs(),
		Webhooks: webhookhttp.New(webhookhttp.Options{AllowPrivate: true}),
		Clock:    clock,
		IDs:      memory.NewIDs(time.Now().UnixNano()),
		BaseURL:  baseURL,
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	h := api.New(api.Config{
		Service: svc, BaseURL: baseURL, Log: log,
		Sandbox: &api.Sandbox{Store: store, Clock: clock, Inbox: inbox},
	})
	return h, store, svc, clock, nil
}

func printBanner(w io.Writer, baseURL, mail string) {
	fmt.Fprintf(w, `AgentGigs sandbox
  listening on %[1]s
  This is the embedded default: memory adapters, fake payments (no Stripe keys), a clock you can
  advance. Data is NOT persisted; everything is lost when the server stops.
  Start here:  %[1]s/llms.txt   (the whole flow with curl)
  API docs:    %[1]s/docs       OpenAPI: %[1]s/openapi.json
  %[3]s
  Due timers run every %[2]s.
`, baseURL, timerTick, mail)
}

// openAPIBaseURL is the server URL written into the printed OpenAPI document: the default address.
const openAPIBaseURL = "http://" + defaultAddr

// printOpenAPI writes the OpenAPI document of the sandbox API (the default mode, dev endpoints
// included) as indented JSON.
func printOpenAPI(w io.Writer) error {
	h, _, _, _, err := sandbox(openAPIBaseURL, memory.NewMailer(nil), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	doc, err := json.MarshalIndent(h.OpenAPI(), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", doc)
	return err
}
