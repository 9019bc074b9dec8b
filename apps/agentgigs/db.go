package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/agentgigs/agentgigs/adapters/postgres"
)

// seedChunk is how many jobs one COPY of agentgigs seed loads; the progress bar moves per chunk.
// A COPY is one transaction, and while one runs, the event and ledger lists of every session
// wait for it to end (their entries are numbered by transaction, adapters/postgres/seq.go): a
// small chunk keeps that short on a live database.
const seedChunk = 1_000

// migrate runs `agentgigs migrate up|down [steps]|status` against DATABASE_URL.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: agentgigs migrate up | down [steps] | status   (DATABASE_URL names the database)\n"
	if len(args) == 0 || len(args) > 2 || (args[0] != "down" && len(args) > 1) {
		fmt.Fprint(stderr, usage)
		return usageError{"migrate needs up, down [steps] or status"}
	}
	store, err := connect(ctx, getenv, postgres.Connect)
	if err != nil {
		return err
	}
	defer store.Close()
	pool := store.Pool()
	switch args[0] {
	case "up":
		if err := postgres.Migrate(ctx, pool); err != nil {
			return err
		}
	case "down":
		steps := 1
		if len(args) == 2 {
			if steps, err = strconv.Atoi(args[1]); err != nil || steps < 1 {
				fmt.Fprint(stderr, usage)
				return usageError{"steps must be a positive number"}
			}
		}
		if err := postgres.MigrateDown(ctx, pool, steps); err != nil {
			return err
		}
	case "status":
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown migrate command %q", args[0])}
	}
	ms, err := postgres.MigrationStatus(ctx, pool)
	if err != nil {
		return err
	}
	for _, m := range ms {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(stdout, "%04d_%-20s %s\n", m.Version, m.Name, state)
	}
	return nil
}

// seed runs `agentgigs seed --jobs N`: it bulk-loads N browse jobs into DATABASE_URL (migrating
// it first) and draws a progress bar on stdout.
func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentgigs seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("jobs", 10_000, "how many jobs to load")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if *n < 1 || fs.NArg() > 0 {
		fs.Usage()
		return usageError{"seed takes --jobs N with N >= 1"}
	}
	store, err := connect(ctx, getenv, postgres.Open)
	if err != nil {
		return err
	}
	defer store.Close()
	for done := 0; done < *n; {
		chunk := min(seedChunk, *n-done)
		if _, err := postgres.Seed(ctx, store, chunk); err != nil {
			fmt.Fprintln(stdout)
			return err
		}
		done += chunk
		fmt.Fprintf(stdout, "\r%s", progressBar(done, *n, 40))
	}
	fmt.Fprintln(stdout)
	return nil
}

// progressBar draws done of total as "[#####     ]  50% 5000/10000 jobs", width characters wide.
func progressBar(done, total, width int) string {
	filled := done * width / total
	return fmt.Sprintf("[%s%s] %3d%% %d/%d jobs", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done*100/total, done, total)
}

// connect opens the store at DATABASE_URL with open (postgres.Connect, or postgres.Open to
// migrate it too).
func connect(ctx context.Context, getenv func(string) string, open func(context.Context, string) (*postgres.Store, error)) (*postgres.Store, error) {
	url := getenv("DATABASE_URL")
	if url == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	store, err := open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return store, nil
}
