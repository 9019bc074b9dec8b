// Package stripetest runs the Stripe adapter's tests against stripe-mock, Stripe's official API
// mock: StartMock starts the stripe-mock binary on free loopback ports, and Proxy sits in front of
// it to record every request (with its Idempotency-Key), to inject faults (a slow answer that
// makes the client time out after the request took effect, a canned error), and to replay answers
// per idempotency key as Stripe does. stripe-mock validates requests against Stripe's OpenAPI
// description and answers with fixtures, but it is stateless: it keeps no idempotency keys, so
// the proxy emulates Stripe's server-side rule (the same key with the same parameters gets the
// first answer again; with other parameters, a 400 idempotency_error).
package stripetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the stripe-mock release the tests are written against.
const Version = "v0.203.0"

// InstallCommand installs the stripe-mock binary the tests need into $(go env GOPATH)/bin.
const InstallCommand = "go install github.com/stripe/stripe-mock@" + Version

// Binary returns the path of the stripe-mock executable: on PATH, else in $(go env GOBIN) or
// $(go env GOPATH)/bin.
func Binary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n") // GOBIN may be empty
		if len(lines) == 2 {
			if gobin := strings.TrimSpace(lines[0]); gobin != "" {
				dirs = append(dirs, gobin)
			}
			for _, gp := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
	}
	if d := filepath.Join(build.Default.GOPATH, "bin"); !slices.Contains(dirs, d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("stripe-mock not found on PATH nor in %s; install it with: %s", strings.Join(dirs, ", "), InstallCommand)
}

// Mock is a running stripe-mock process.
type Mock struct {
	// URL is the base URL of its HTTP listener, e.g. "http://127.0.0.1:41839".
	URL string
}

// StartMock starts stripe-mock on free loopback ports (HTTP and HTTPS), waits until it answers,
// and kills it when the test ends. The test fails, with the command to install it, when the binary
// is missing.
func StartMock(t testing.TB) *Mock {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// stripe-mock prints "Listening for HTTP at address: 127.0.0.1:PORT" once it listens.
	addr := make(chan string, 1)
	var (
		mu  sync.Mutex
		log []string
	)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			log = append(log, line)
			mu.Unlock()
			if a, ok := strings.CutPrefix(line, "Listening for HTTP at address: "); ok {
				addr <- strings.TrimSpace(a)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(log, "\n")
	}
	var m *Mock
	select {
	case a := <-addr:
		m = &Mock{URL: "http://" + a}
	case <-exited:
		t.Fatalf("stripe-mock exited before listening:\n%s", output())
	case <-time.After(30 * time.Second):
		t.Fatalf("stripe-mock did not listen within 30 s:\n%s", output())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, m.URL+"/v1/balance", nil)
		req.SetBasicAuth("sk_test_stripetest", "")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock at %s does not answer: %v\n%s", m.URL, err, output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Request is a request the proxy received.
type Request struct {
	Method         string
	Path           string
	IdempotencyKey string     // the Idempotency-Key header; empty when absent
	Form           url.Values // the form-encoded body
	Replayed       bool       // answered from the idempotency cache, not by stripe-mock
	Fault          bool       // answered (or delayed) by an injected Fault
}

// Fault changes how the proxy answers the next request with Method and Path.
type Fault struct {
	Method, Path string
	// Delay holds the answer back: the request is forwarded (and takes effect) at once, and its
	// answer is written after Delay, or never if the client gave up first. With a client timeout
	// shorter than Delay this is a call that succeeded on Stripe but timed out for the caller.
	Delay time.Duration
	// Status and Body, when Status is not zero, are answered instead of forwarding the request
	// (Body is a Stripe JSON error, e.g. {"error": {...}}).
	Status int
	Body   string
}

// Proxy is a recording, fault-injecting, idempotency-replaying HTTP proxy in front of a Stripe
// API (stripe-mock). Point the adapter's Config.APIBase at URL.
type Proxy struct {
	// URL is the proxy's base URL.
	URL string

	upstream string
	client   *http.Client

	mu       sync.Mutex
	requests []Request
	faults   []Fault
	keys     map[string]*answer // idempotency key -> first answer
}

// answer is the first answer given under an idempotency key.
type answer struct {
	mu     sync.Mutex // held while the first request is in flight
	done   bool
	path   string
	form   url.Values
	status int
	header http.Header
	body   []byte
}

// Start starts stripe-mock (StartMock) and a Proxy in front of it.
func Start(t testing.TB) *Proxy {
	t.Helper()
	return NewProxy(t, StartMock(t).URL)
}

// NewProxy returns a proxy in front of the Stripe API at upstream, closed when the test ends.
func NewProxy(t testing.TB, upstream string) *Proxy {
	p := &Proxy{upstream: strings.TrimRight(upstream, "/"), client: &http.Client{}, keys: map[string]*answer{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Inject queues a fault for the next matching request.
func (p *Proxy) Inject(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
}

// Requests returns the requests received so far, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// RequestsTo returns the requests received so far with method and path.
func (p *Proxy) RequestsTo(method, path string) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	rec := Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form}

	p.mu.Lock()
	var fault *Fault
	if i := slices.IndexFunc(p.faults, func(f Fault) bool { return f.Method == r.Method && f.Path == r.URL.Path }); i >= 0 {
		f := p.faults[i]
		fault = &f
		p.faults = slices.Delete(p.faults, i, i+1)
		rec.Fault = true
	}
	var a *answer
	if rec.IdempotencyKey != "" && r.Method == http.MethodPost {
		if a = p.keys[rec.IdempotencyKey]; a == nil {
			a = &answer{}
			p.keys[rec.IdempotencyKey] = a
		}
	}
	p.mu.Unlock()

	if fault != nil && fault.Status != 0 {
		p.record(rec)
		writeJSON(w, fault.Status, nil, []byte(fault.Body))
		return
	}

	status, header, out, replayed, err := p.answer(r, body, form, a)
	if err != nil {
		p.record(rec)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	rec.Replayed = replayed
	p.record(rec)
	if fault != nil && fault.Delay > 0 {
		select {
		case <-time.After(fault.Delay):
		case <-r.Context().Done():
			return // the client gave up: the request took effect, the caller never learns it
		}
	}
	writeJSON(w, status, header, out)
}

// answer forwards the request, or replays the first answer given under its idempotency key (a is
// nil without one).
func (p *Proxy) answer(r *http.Request, body []byte, form url.Values, a *answer) (int, http.Header, []byte, bool, error) {
	if a == nil {
		status, header, out, err := p.forward(r.Context(), r, body)
		return status, header, out, false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		if a.path != r.URL.Path || !equalForms(a.form, form) {
			msg := fmt.Sprintf(`{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request."}}`, r.Header.Get("Idempotency-Key"))
			return http.StatusBadRequest, nil, []byte(msg), false, nil
		}
		h := a.header.Clone()
		h.Set("Idempotent-Replayed", "true")
		return a.status, h, a.body, true, nil
	}
	// The first request under the key runs to completion even if its client gives up, as on
	// Stripe.
	status, header, out, err := p.forward(context.WithoutCancel(r.Context()), r, body)
	if err != nil {
		return 0, nil, nil, false, err
	}
	if status < 400 { // Stripe keeps no result for requests that failed validation
		a.done, a.path, a.form, a.status, a.header, a.body = true, r.URL.Path, form, status, header, out
	}
	return status, header, out, false, nil
}

func (p *Proxy) forward(ctx context.Context, r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out, err
}

func (p *Proxy) record(r Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r)
}

func writeJSON(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for k, vs := range header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func equalForms(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
