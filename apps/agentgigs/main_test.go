package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

func noEnv(string) string { return "" }

// startServer runs `agentgigs serve --addr 127.0.0.1:0` as main would, reads the address from the
// banner, and stops the server (requiring a clean shutdown) when the test ends.
func startServer(t *testing.T) string { return startServerEnv(t, noEnv) }

// startServerEnv is startServer with an environment.
func startServerEnv(t *testing.T, getenv func(string) string) string {
	base, _ := startServerOutput(t, getenv)
	return base
}

// startServerOutput is startServerEnv that also returns a function reading everything the server
// printed so far (the banner and the dev inbox), and a function stopping the server early (the
// cleanup then does nothing more).
func startServerOutput(t *testing.T, getenv func(string) string) (string, *serverOutput) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, getenv, stdout, io.Discard)
		_ = stdout.Close()
	}()

	lines := bufio.NewScanner(out)
	var base string
	printed := &serverOutput{}
	for base == "" && lines.Scan() {
		printed.add(lines.Text())
		if addr, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "listening on "); ok {
			base = addr
		}
	}
	require.NotEmpty(t, base, "no address in the banner")
	go func() { // keep the dev inbox flowing
		for lines.Scan() {
			printed.add(lines.Text())
		}
	}()

	var once sync.Once
	printed.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(15 * time.Second):
				t.Fatal("the server did not shut down")
			}
		})
	}
	t.Cleanup(printed.stop)
	return base, printed
}

// serverOutput collects what a started server prints.
type serverOutput struct {
	mu    sync.Mutex
	lines []string
	stop  func()
}

func (o *serverOutput) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, line)
}

// String returns everything printed so far.
func (o *serverOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.lines, "\n")
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "application/json", res.Header.Get("Content-Type"))
	require.NoError(t, json.NewDecoder(res.Body).Decode(into))
}

// callJSON sends a request with body (nil for none) as JSON, and the API key if not empty, and
// returns the status and the answer decoded as an object (nil if it is not one).
func callJSON(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestServeHealthz(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	var body map[string]any
	getJSON(t, base+"/healthz", &body)
	require.Equal(t, map[string]any{"status": "ok"}, body)
}

func TestServeStateMachine(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	var body struct {
		States []struct {
			State         string `json:"state"`
			Terminal      bool   `json:"terminal"`
			DefaultAction string `json:"default_action"`
		} `json:"states"`
		Transitions []struct {
			Action string   `json:"action"`
			Roles  []string `json:"roles"`
			From   []string `json:"from"`
			To     string   `json:"to"`
		} `json:"transitions"`
	}
	getJSON(t, base+"/api/state-machine", &body)

	var states []string
	for _, s := range body.States {
		states = append(states, s.State)
	}
	for _, s := range job.States() {
		require.Contains(t, states, string(s.State))
	}
	require.Len(t, body.Transitions, len(job.Transitions()))

	approve := false
	for _, tr := range body.Transitions {
		if tr.Action == string(job.ActApprove) {
			approve = true
			require.Equal(t, string(job.Approved), tr.To)
			require.Equal(t, []string{string(job.Delivered)}, tr.From)
			require.Equal(t, []string{string(job.RolePoster)}, tr.Roles)
		}
	}
	require.True(t, approve, "approve is missing from the transitions")
}

func TestServeUnknownRoutes(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	res, err := http.Post(base+"/healthz", "application/json", nil)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	res2, err := http.Get(base + "/nope")
	require.NoError(t, err)
	defer res2.Body.Close()
	require.Equal(t, http.StatusNotFound, res2.StatusCode)
}

func TestServeFailsOnABadAddress(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"serve", "--addr", "not-an-address"}, noEnv, io.Discard, io.Discard)
	require.Error(t, err)
	require.Equal(t, 1, exitCode(err))
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"bogus"}, {"serve", "--nope"}, {"serve", "extra"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), args, noEnv, &stdout, &stderr)
			require.ErrorAs(t, err, new(usageError))
			require.Equal(t, 2, exitCode(err))
			require.Contains(t, strings.ToLower(stderr.String()), "usage")
			require.Empty(t, stdout.String())
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"version"}, noEnv, &out, io.Discard))
	require.True(t, strings.HasPrefix(out.String(), "agentgigs "+version+" "), out.String())

	out.Reset()
	require.NoError(t, run(t.Context(), []string{"help"}, noEnv, &out, io.Discard))
	require.Contains(t, out.String(), "serve")
	require.Equal(t, 0, exitCode(nil))
}

func TestAddrFromFlagOrEnvironment(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "AGENTGIGS_ADDR" {
				return v
			}
			return ""
		}
	}
	cfg, err := parseServe(nil, noEnv, io.Discard)
	require.NoError(t, err)
	require.Equal(t, defaultAddr, cfg.Addr)

	cfg, err = parseServe(nil, env("127.0.0.1:9999"), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cfg.Addr)

	cfg, err = parseServe([]string{"--addr", ":7000"}, env("127.0.0.1:9999"), io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":7000", cfg.Addr, "the flag wins over the environment")
}

// TestRunDueExpiresAJob drives a real deadline through the runner: an open job nobody is hired
// for expires when its timer falls due.
func TestRunDueExpiresAJob(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, clock, mail := memory.NewStore(), memory.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)), memory.NewMailer(nil)
	svc, err := market.New(market.Config{
		Store: store, Payments: memory.NewPayments(), Mailer: mail, Blobs: memory.NewBlobs(), Webhooks: memory.NewWebhookSender(clock),
		Clock: clock, IDs: memory.NewIDs(1),
	})
	require.NoError(t, err)

	a, err := svc.Register(ctx, market.RegisterInput{Email: "pat@example.test", Name: "Pat"})
	require.NoError(t, err)
	require.NoError(t, market.RunDue(ctx, store, svc, clock.Now())) // sends the verification email
	msg, ok := mail.Last(a.Email)
	require.True(t, ok)
	_, rest, _ := strings.Cut(msg.Text, "Token: ")
	token, _, _ := strings.Cut(rest, "\n")
	_, err = svc.VerifyEmail(ctx, strings.TrimSpace(token))
	require.NoError(t, err)
	poster := market.User(a.ID)
	v, err := svc.PostJob(ctx, poster, market.PostInput{Title: "Summarise", Budget: money.Money{Amount: 10_00, Currency: "USD"}})
	require.NoError(t, err)
	j := v.Job

	require.NoError(t, market.RunDue(ctx, store, svc, clock.Now()))
	require.Equal(t, job.Open, jobState(t, svc, poster, j.ID), "nothing is due yet")

	clock.Advance(job.DefaultOpenFor)
	require.NoError(t, market.RunDue(ctx, store, svc, clock.Now()))
	require.Equal(t, job.Expired, jobState(t, svc, poster, j.ID))
	require.Empty(t, dueTimers(t, store, clock.Now().Add(365*24*time.Hour)))
}

func jobState(t *testing.T, svc *market.Service, c market.Caller, id string) job.State {
	t.Helper()
	v, err := svc.GetJob(t.Context(), c, id)
	require.NoError(t, err)
	return v.Job.State
}

func dueTimers(t *testing.T, store ports.Store, now time.Time) []ports.Timer {
	t.Helper()
	var due []ports.Timer
	require.NoError(t, store.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
		var err error
		due, err = tx.Timers().Due(ctx, now, 0)
		return err
	}))
	return due
}

// failing fails every timer of one job and deletes the others, as HandleTimer does on success.
type failing struct {
	store ports.Store
	jobID string
	calls map[string]int
}

func (f *failing) HandleTimer(ctx context.Context, t ports.Timer) error {
	f.calls[t.ID]++
	if t.JobID == f.jobID {
		return errors.New("processor down")
	}
	return f.store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.Timers().Delete(ctx, t.ID) })
}

// TestRunDueDoesNotSpinOnAFailingTimer checks that a failing timer is reported, does not stop the
// rest of its batch, stays scheduled, and is not retried in the same call.
func TestRunDueDoesNotSpinOnAFailingTimer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, now := memory.NewStore(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		for _, tm := range []ports.Timer{
			{ID: "a", Action: job.ActExpire, JobID: "job_bad", DueAt: now.Add(-time.Minute)},
			{ID: "b", Action: job.ActExpire, JobID: "job_ok", DueAt: now},
			{ID: "c", Action: job.ActExpire, JobID: "job_later", DueAt: now.Add(time.Hour)},
		} {
			if err := tx.Timers().Schedule(ctx, tm); err != nil {
				return err
			}
		}
		return nil
	}))
	h := &failing{store: store, jobID: "job_bad", calls: map[string]int{}}

	err := market.RunDue(ctx, store, h, now)
	require.ErrorContains(t, err, "processor down")
	require.Equal(t, map[string]int{"a": 1, "b": 1}, h.calls)

	var ids []string
	for _, tm := range dueTimers(t, store, now.Add(2*time.Hour)) {
		ids = append(ids, tm.ID)
	}
	require.Equal(t, []string{"a", "c"}, ids)
}

// TestRunTimersStopsWithTheContext checks the loop runs due work on its ticks and returns when
// cancelled.
func TestRunTimersStopsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	store, clock := memory.NewStore(), memory.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.Timers().Schedule(ctx, ports.Timer{ID: "x", Action: job.ActExpire, JobID: "job_x", DueAt: clock.Now()})
	}))
	h := &failing{store: store, calls: map[string]int{}}
	stopped := make(chan struct{})
	go func() {
		runTimers(ctx, store, h, clock, time.Millisecond, slog.New(slog.DiscardHandler))
		close(stopped)
	}()
	require.Eventually(t, func() bool { return len(dueTimers(t, store, clock.Now())) == 0 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("runTimers did not return after cancel")
	}
}
