package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/adapters/smtp"
	"github.com/agentgigs/agentgigs/adapters/sortid"
	"github.com/agentgigs/agentgigs/adapters/stripe"
	"github.com/agentgigs/agentgigs/adapters/webhookhttp"
	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/apps/agentgigs/mcp"
	"github.com/agentgigs/agentgigs/apps/agentgigs/web"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
)

// riverWorkers is how many timers one replica works at once on PostgreSQL.
const riverWorkers = 8

// stripeWebhookPath is where Stripe posts its events.
const stripeWebhookPath = "/api/stripe/webhook"

// app is the wired server: its handler, the service and what the timer loop needs.
type app struct {
	Handler http.Handler
	API     *api.Server
	Service *market.Service
	Store   ports.Store
	Clock   ports.Clock
	Notes   []string // what the banner says about the configuration
	Close   func()   // releases the database connections, if any
	// RunTimers works the due timers until ctx is done: an in-process loop over the memory
	// store, River on PostgreSQL.
	RunTimers func(ctx context.Context, log *slog.Logger) error
}

// build wires the adapters the configuration asks for to the marketplace service and the HTTP
// API. Without configuration everything is the sandbox: memory storage, a clock agents can
// advance, fake payments, the dev inbox, and webhooks allowed to reach loopback. DATABASE_URL
// switches to PostgreSQL, the wall clock, time-ordered IDs and webhooks refused on private
// networks; the dev endpoints then do not exist.
func build(ctx context.Context, cfg config, baseURL string, mailOut io.Writer, log *slog.Logger) (*app, error) {
	a := &app{Close: func() {}}
	var (
		blobs   ports.Blobs
		ids     ports.IDs
		devTime *memory.DevClock
		memDB   *memory.Store
	)
	if cfg.DatabaseURL == "" {
		memDB, devTime = memory.NewStore(), &memory.DevClock{}
		a.Store, a.Clock, blobs, ids = memDB, devTime, memory.NewBlobs(), memory.NewIDs(time.Now().UnixNano())
		a.Notes = append(a.Notes, "Storage: in memory. Data is NOT persisted; everything is lost when the server stops.",
			fmt.Sprintf("Timers: in process, every %s.", timerTick))
		a.RunTimers = func(ctx context.Context, log *slog.Logger) error {
			runTimers(ctx, a.Store, a.Service, a.Clock, timerTick, log)
			return nil
		}
	} else {
		pg, note, err := openDatabase(ctx, cfg)
		if err != nil {
			return nil, err
		}
		a.Store, a.Clock, blobs, ids, a.Close = pg, memory.SystemClock{}, pg.Blobs(), sortid.New(), pg.Close
		a.Notes = append(a.Notes, note, "Timers: through River; every replica works them, each runs once.")
		a.RunTimers = func(ctx context.Context, log *slog.Logger) error {
			runner, err := postgres.StartTimers(ctx, pg, a.Service, a.Clock, riverWorkers, log)
			if err != nil {
				return err
			}
			<-ctx.Done()
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
			defer cancel()
			return runner.Stop(stopCtx)
		}
	}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	mailer, note, err := mailerFor(cfg.SMTPURL, mailOut)
	if err != nil {
		return nil, err
	}
	a.Notes = append(a.Notes, note)
	payments, stripeAdapter, note, err := paymentsFor(cfg.Stripe, baseURL)
	if err != nil {
		return nil, err
	}
	a.Notes = append(a.Notes, note)

	svc, err := market.New(market.Config{
		Store:    a.Store,
		Payments: payments,
		Mailer:   mailer,
		Blobs:    blobs,
		Webhooks: webhookhttp.New(webhookhttp.Options{AllowPrivate: memDB != nil}),
		Clock:    a.Clock,
		IDs:      ids,
		BaseURL:  baseURL,
	})
	if err != nil {
		return nil, err
	}
	a.Service = svc
	if cfg.Plugins.Dir != "" {
		note, closePlugins, err := loadPlugins(cfg.Plugins, svc, log)
		if err != nil {
			return nil, err
		}
		closeStore := a.Close
		a.Close = func() { closePlugins(); closeStore() }
		a.Notes = append(a.Notes, note)
	}
	apiCfg := api.Config{Service: svc, BaseURL: baseURL, Log: log, ReadyCheck: readyCheck(a.Store)}
	if memDB != nil {
		inbox, _ := mailer.(*memory.Mailer)
		apiCfg.Sandbox = &api.Sandbox{Store: memDB, Clock: devTime, Inbox: inbox, FakePayments: stripeAdapter == nil}
	}
	a.API = api.New(apiCfg)
	mux := http.NewServeMux()
	mux.Handle("/", a.API)
	mux.Handle(mcp.Path, mcp.Handler(a.API, version, log))
	// The pages' sessions live in this process: on PostgreSQL a browser stays signed in on the
	// replica that signed it in, until a restart.
	mux.Handle(web.Prefix, web.New(web.Config{Service: svc, Sessions: &web.MemorySessions{}, Secure: memDB == nil, Log: log}))
	if stripeAdapter != nil {
		mux.Handle(stripeWebhookPath, stripe.NewWebhookHandler(cfg.Stripe.WebhookSecret, cfg.Stripe.ConnectWebhookSecret, svc, stripeAdapter))
	}
	a.Handler = mux
	ok = true
	return a, nil
}

// loadPlugins starts the proofer plugins of c.Dir and registers them as automatic proofers acting
// through the account c.Account (an account the operator verified and onboarded, paid the fees).
func loadPlugins(c pluginsConfig, svc *market.Service, log *slog.Logger) (string, func(), error) {
	if c.Account == "" {
		return "", nil, errors.New("AGENTGIGS_PLUGIN_ACCOUNT is required with AGENTGIGS_PLUGINS_DIR: the account the plugins review and are paid as")
	}
	plugins, err := proofhost.Load(c.Dir, proofhost.Options{Log: slogWriter{log}})
	if err != nil {
		return "", nil, fmt.Errorf("AGENTGIGS_PLUGINS_DIR: %w", err)
	}
	names := make([]string, len(plugins))
	for i, p := range plugins {
		svc.AddAutoProofer(c.Account, p)
		names[i] = p.Name()
	}
	closeAll := func() {
		for _, p := range plugins {
			p.Close()
		}
	}
	return fmt.Sprintf("Proofer plugins: %d from %s (%s), acting as %s.", len(plugins), c.Dir, strings.Join(names, ", "), c.Account), closeAll, nil
}

// slogWriter writes each line it is given to the log, for the plugins' output.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Info("plugin", "line", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// openDatabase connects to DATABASE_URL and, unless AGENTGIGS_MIGRATE=false, migrates the schema
// up first (safe when several replicas start at once).
func openDatabase(ctx context.Context, cfg config) (*postgres.Store, string, error) {
	if !cfg.Migrate {
		pg, err := postgres.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		return pg, "Storage: PostgreSQL (not migrated on start: AGENTGIGS_MIGRATE=false).", nil
	}
	pg, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	return pg, "Storage: PostgreSQL, schema migrated.", nil
}

// readyCheck reports whether the store answers: a trivial transaction.
func readyCheck(s ports.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		return s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			_, err := tx.Ledger().Balance(ctx, "platform:fees", "USD")
			return err
		})
	}
}

// mailerFor returns SMTP when smtpURL is set, else the dev inbox printing to out.
func mailerFor(smtpURL string, out io.Writer) (ports.Mailer, string, error) {
	if smtpURL == "" {
		return memory.NewMailer(out), "Mail: printed here and kept at GET /api/dev/inbox (set SMTP_URL to send it).", nil
	}
	cfg, err := smtp.ParseURL(smtpURL)
	if err != nil {
		return nil, "", fmt.Errorf("SMTP_URL: %w", err)
	}
	m, err := smtp.New(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("SMTP_URL: %w", err)
	}
	return m, "Mail: sent through SMTP at " + cfg.String() + ".", nil
}

// paymentsFor returns the Stripe adapter when a secret key is set, else the fake processor the
// dev endpoints drive.
func paymentsFor(c stripeConfig, baseURL string) (ports.Payments, *stripe.Payments, string, error) {
	if c.SecretKey == "" {
		return memory.NewSandboxPayments(baseURL), nil, "Payments: fake (set STRIPE_SECRET_KEY for Stripe); its checkout URLs are the POST /api/dev/... endpoints that report their outcomes.", nil
	}
	if c.WebhookSecret == "" {
		return nil, nil, "", errors.New("STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY: Stripe's events are how payments complete")
	}
	p, err := stripe.New(stripe.Config{
		SecretKey: c.SecretKey, APIBase: c.APIBase,
		ReturnURL: baseURL + "/api/me/payout-onboarding", RefreshURL: baseURL + "/api/me/payout-onboarding",
		// The human returns to the dashboard, which shows the wallet and the jobs; the outcome
		// itself arrives as a webhook.
		CheckoutSuccessURL: baseURL + web.Prefix + "?checkout=done", CheckoutCancelURL: baseURL + web.Prefix + "?checkout=cancelled",
	})
	if err != nil {
		return nil, nil, "", fmt.Errorf("stripe: %w", err)
	}
	where := "Stripe"
	if c.APIBase != "" {
		where = "the Stripe API at " + c.APIBase
	}
	mode := "test"
	if strings.HasPrefix(c.SecretKey, "sk_live_") {
		mode = "live"
	}
	return p, p, fmt.Sprintf("Payments: %s (%s key); its webhooks go to POST %s.", where, mode, stripeWebhookPath), nil
}
