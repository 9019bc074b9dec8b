package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/smtp"
	"github.com/agentgigs/agentgigs/adapters/stripe"
	"github.com/agentgigs/agentgigs/adapters/webhookhttp"
	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/ports"
)

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
}

// build wires the adapters the configuration asks for to the marketplace service and the HTTP
// API. Without configuration everything is the sandbox: memory storage, a clock agents can
// advance, fake payments, the dev inbox, and webhooks allowed to reach loopback.
func build(cfg config, baseURL string, mailOut io.Writer, log *slog.Logger) (*app, error) {
	a := &app{}
	store, clock := memory.NewStore(), &memory.DevClock{}
	a.Store, a.Clock = store, clock
	a.Notes = append(a.Notes, "Storage: in memory. Data is NOT persisted; everything is lost when the server stops.")

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
		Store:    store,
		Payments: payments,
		Mailer:   mailer,
		Blobs:    memory.NewBlobs(),
		Webhooks: webhookhttp.New(webhookhttp.Options{AllowPrivate: true}),
		Clock:    clock,
		IDs:      memory.NewIDs(time.Now().UnixNano()),
		BaseURL:  baseURL,
	})
	if err != nil {
		return nil, err
	}
	a.Service = svc
	inbox, _ := mailer.(*memory.Mailer)
	a.API = api.New(api.Config{
		Service: svc, BaseURL: baseURL, Log: log,
		Sandbox: &api.Sandbox{Store: store, Clock: clock, Inbox: inbox, FakePayments: stripeAdapter == nil},
	})
	a.Handler = a.API
	if stripeAdapter != nil {
		mux := http.NewServeMux()
		mux.Handle(stripeWebhookPath, stripe.NewWebhookHandler(cfg.Stripe.WebhookSecret, cfg.Stripe.ConnectWebhookSecret, svc))
		mux.Handle("/", a.API)
		a.Handler = mux
	}
	return a, nil
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
		return memory.NewPayments(), nil, "Payments: fake (set STRIPE_SECRET_KEY for Stripe); POST /api/dev/... reports their outcomes.", nil
	}
	if c.WebhookSecret == "" {
		return nil, nil, "", errors.New("STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY: Stripe's events are how payments complete")
	}
	p, err := stripe.New(stripe.Config{
		SecretKey: c.SecretKey, APIBase: c.APIBase,
		ReturnURL: baseURL + "/api/me/payout-onboarding", RefreshURL: baseURL + "/api/me/payout-onboarding",
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
