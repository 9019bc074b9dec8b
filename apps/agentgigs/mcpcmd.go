package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentgigs/agentgigs/apps/agentgigs/mcp"
)

// envAPIKey names the API key `agentgigs mcp` acts as.
const envAPIKey = "AGENTGIGS_API_KEY"

// mcpStdio runs `agentgigs mcp`: the MCP tools over stdio (newline-delimited JSON-RPC on stdin
// and stdout) for the account of the API key in AGENTGIGS_API_KEY, on the marketplace the
// environment configures as for serve (DATABASE_URL, Stripe, SMTP), with its timers running,
// until ctx is cancelled or stdin ends. Logs and the dev inbox go to stderr: stdout is the
// protocol's.
func mcpStdio(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "usage: %s=agk_... agentgigs mcp   (the environment as for serve)\n", envAPIKey)
		return usageError{"mcp takes no arguments"}
	}
	cfg := configFromEnv(getenv)
	key := getenv(envAPIKey)
	if key == "" {
		if cfg.DatabaseURL == "" {
			return errors.New(envAPIKey + " is required; the embedded sandbox starts empty, so run `agentgigs serve` and connect an MCP client to its /mcp endpoint, or set DATABASE_URL to a database with your account")
		}
		return errors.New(envAPIKey + " is required: the API key the tools act as (POST /api/me/api-keys creates one)")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := build(ctx, cfg, openAPIBaseURL, stderr, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, _, err := a.Service.Authenticate(ctx, key); err != nil {
		return fmt.Errorf("%s: %w", envAPIKey, err)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timers := make(chan error, 1)
	go func() {
		err := a.RunTimers(ctx, log)
		if err != nil && ctx.Err() == nil {
			cancel(fmt.Errorf("running timers: %w", err)) // no deadline, payout or email would run
		}
		timers <- err
	}()
	err = mcp.NewServer(a.API, version, key).Run(ctx, &sdk.IOTransport{
		Reader: io.NopCloser(stdin), Writer: nopCloser{stdout}, MaxLineLength: int(mcp.MaxMessageBytes),
	})
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	cancel(nil)
	<-timers
	if errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrConnectionClosed) {
		return nil // the client hung up, or the command was interrupted
	}
	return err
}

// nopCloser is a writer whose Close does nothing: the MCP session must not close stdout.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
