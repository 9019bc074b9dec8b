package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/adapters/postgres"
	"github.com/agentgigs/agentgigs/adapters/sortid"
	"github.com/agentgigs/agentgigs/core/market"
)

// admin runs `agentgigs admin grant|revoke EMAIL --reason R` and `agentgigs admin list` against
// DATABASE_URL. A grant or revoke goes through the marketplace service as the operator, so the
// reason lands in the admin audit log.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: agentgigs admin grant EMAIL --reason R | revoke EMAIL --reason R | list   (DATABASE_URL names the database)\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"admin needs grant, revoke or list"}
	}
	cmd, rest := args[0], args[1:]
	var email, reason string
	switch cmd {
	case "list":
		if len(rest) > 0 {
			fmt.Fprint(stderr, usage)
			return usageError{"admin list takes no arguments"}
		}
	case "grant", "revoke":
		fs := flag.NewFlagSet("agentgigs admin "+cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		r := fs.String("reason", "", "why, for the admin audit log (required)")
		if len(rest) > 0 {
			email, rest = rest[0], rest[1:]
		}
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return usageError{err.Error()}
		}
		if email == "" || *r == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, usage)
			return usageError{"admin " + cmd + " takes EMAIL --reason R"}
		}
		reason = *r
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown admin command %q", cmd)}
	}
	store, err := connect(ctx, getenv, postgres.Connect)
	if err != nil {
		return err
	}
	defer store.Close()
	if cmd == "list" {
		admins, err := store.Admins(ctx)
		if err != nil {
			return err
		}
		for _, a := range admins {
			fmt.Fprintf(stdout, "%s %s\n", a.ID, a.Email)
		}
		return nil
	}
	// Granting and revoking read and write only the store and the clock; the other ports are
	// required by the service but never called, so inert in-memory ones stand in.
	svc, err := market.New(market.Config{
		Store:    store,
		Payments: memory.NewPayments(),
		Mailer:   memory.NewMailer(io.Discard),
		Blobs:    memory.NewBlobs(),
		Webhooks: memory.NewWebhookSender(memory.SystemClock{}),
		Clock:    memory.SystemClock{},
		IDs:      sortid.New(),
	})
	if err != nil {
		return err
	}
	if err := svc.SetAdmin(ctx, market.System, email, cmd == "grant", reason); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%sed admin: %s\n", cmd, email)
	return err
}
