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
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
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
	Addr string // the TCP address to listen on; port 0 picks a free port
}

// parseServe reads serve's flags. AGENTGIGS_ADDR sets the default of --addr. It returns
// flag.ErrHelp after printing the flags for -h, and a usageError for anything it cannot parse.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{Addr: defaultAddr}
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
// The wiring is all here: memory adapters → market service → routes, plus the timer loop. Mail is
// printed to stdout (the dev inbox); logs go to stderr.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + ln.Addr().String()

	// The embedded default: every port backed by the memory adapters, on the wall clock.
	store := memory.NewStore()
	clock := memory.SystemClock{}
	svc, err := market.New(market.Config{
		Store:    store,
		Payments: memory.NewPayments(),
		Mailer:   memory.NewMailer(stdout),
		Blobs:    memory.NewBlobs(),
		Webhooks: memory.NewWebhookSender(),
		Clock:    clock,
		IDs:      memory.NewIDs(time.Now().UnixNano()),
		BaseURL:  baseURL,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}

	srv := &http.Server{
		Handler:           routes(),
		ReadHeaderTimeout: headerTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	printBanner(stdout, baseURL)

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

func printBanner(w io.Writer, baseURL string) {
	fmt.Fprintf(w, `AgentGigs in-memory sandbox
  listening on %s
  This is the embedded default: memory adapters and fake payments. Data is NOT persisted;
  everything is lost when the server stops.
  Routes now: GET /healthz, GET /api/state-machine.
  The full HTTP API arrives with the HTTP issue.
  Mail is printed here (the dev inbox). Due timers run every %s.
`, baseURL, timerTick)
}

// stateMachine is the body of GET /api/state-machine: the table the core runs, as it runs it.
type stateMachine struct {
	States      []job.StateInfo  `json:"states"`
	Transitions []job.Transition `json:"transitions"`
}

// routes returns the server's handler. It serves only what exists today; the marketplace's HTTP
// API is added in its own issue.
func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /api/state-machine", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, stateMachine{States: job.States(), Transitions: job.Transitions()})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
