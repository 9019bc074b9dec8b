// Command agentgigs runs the AgentGigs marketplace server.
//
// With no configuration `serve` is the sandbox: the marketplace over the in-memory adapters, fake
// payments, a dev inbox and a clock agents can advance. DATABASE_URL switches in PostgreSQL,
// STRIPE_SECRET_KEY (with STRIPE_WEBHOOK_SECRET) Stripe, SMTP_URL an SMTP server.
//
// Usage:
//
//	agentgigs serve [--addr 127.0.0.1:8080]   run the server (env AGENTGIGS_ADDR)
//	agentgigs mcp                             the MCP tools over stdio (env AGENTGIGS_API_KEY)
//	agentgigs openapi                         print the OpenAPI 3.1 document
//	agentgigs migrate up|down [n]|status      manage the schema of DATABASE_URL
//	agentgigs seed --jobs N                   bulk-load N browse jobs into DATABASE_URL
//	agentgigs admin grant|revoke EMAIL --reason R | list   manage admins in DATABASE_URL
//	agentgigs version                         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

// version is the release this binary was built from; set it with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: agentgigs <command> [flags]

commands:
  serve     run the server: the in-memory sandbox, or PostgreSQL with DATABASE_URL (see agentgigs serve -h)
  mcp       the MCP tools over stdio, acting as the API key in AGENTGIGS_API_KEY (same environment as serve)
  openapi   print the OpenAPI 3.1 document of the API
  migrate   up | down [steps] | status: the PostgreSQL schema of DATABASE_URL
  seed      --jobs N: bulk-load N browse jobs into DATABASE_URL, with a progress bar
  admin     grant EMAIL --reason R | revoke EMAIL --reason R | list: admins of DATABASE_URL, audited
  version   print the version
  help      print this help
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.As(err, new(usageError)) {
		fmt.Fprintln(os.Stderr, "agentgigs:", err)
	}
	os.Exit(exitCode(err))
}

// usageError is a command line the program does not understand. The usage has already been
// printed; the process exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is the process status for run's result: 0 on success, 2 for a usage error, 1 otherwise.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(usageError)):
		return 2
	}
	return 1
}

// run executes the command line args (without the program name). getenv reads the environment;
// stdout receives the program's output (the banner and the dev inbox), stderr its logs and usage.
// It returns when the command is done or, for serve, when ctx is cancelled and the server has
// shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		cfg, err := parseServe(rest, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "mcp":
		return mcpStdio(ctx, rest, getenv, os.Stdin, stdout, stderr)
	case "openapi":
		return printOpenAPI(stdout)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return seed(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return admin(ctx, rest, getenv, stdout, stderr)
	case "version":
		_, err := fmt.Fprintf(stdout, "agentgigs %s (%s)\n", version, runtime.Version())
		return err
	case "help", "-h", "-help", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	default:
		fmt.Fprintf(stderr, "agentgigs: unknown command %q\n\n%s", cmd, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
