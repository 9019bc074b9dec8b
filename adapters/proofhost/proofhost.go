// Package proofhost runs proofer plugins: executables built with the plugins/proofer SDK (or any
// program speaking its gRPC contract), started with hashicorp/go-plugin. Each Plugin implements
// ports.Proofer, so the marketplace runs it on every delivery into verification like any
// automatic proofer:
//
//	plugins, err := proofhost.Load("/etc/agentgigs/proofers", proofhost.Options{})
//	...
//	for _, p := range plugins {
//		svc.AddAutoProofer(botAccountID, p)
//		defer p.Close()
//	}
//
// A plugin's SHA-256 is recorded when it is loaded (or checked against the directory's SHA256SUMS
// file) and verified again by go-plugin every time the executable starts, so a replaced binary is
// refused. A plugin that crashes or hangs costs one review: the review returns an error, the
// process is killed, and the next review starts it again. Plugins run with an empty environment
// plus Options.Env: they never see the server's secrets.
package proofhost

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"

	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// SumsFile is the optional file of a plugin directory pinning its plugins' SHA-256, in the format
// of sha256sum(1): one "<hex digest>  <file name>" line per plugin.
const SumsFile = "SHA256SUMS"

// DefaultStartTimeout is the start timeout when none is configured.
const DefaultStartTimeout = 30 * time.Second

// Options configure how plugins run. The zero value is usable.
type Options struct {
	// ReviewTimeout bounds each review; DefaultReviewTimeout when zero.
	ReviewTimeout time.Duration
	// StartTimeout bounds starting a plugin and describing it; DefaultStartTimeout when zero.
	StartTimeout time.Duration
	// Env is the environment of every plugin process ("KEY=value"), which otherwise starts empty.
	Env []string
	// Log receives the host's log lines about plugins and the plugins' stderr; nil discards them.
	Log io.Writer
}

func (o Options) withDefaults() Options {
	if o.ReviewTimeout <= 0 {
		o.ReviewTimeout = DefaultReviewTimeout
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Load starts every executable regular file of dir (hidden files and SumsFile aside) as a proofer
// plugin and describes it, in name order. When dir holds SumsFile, every plugin must be listed
// there with its SHA-256; otherwise the SHA-256 found at load is recorded. It refuses a plugin
// that fails the checksum, the handshake or Describe, and two plugins with the same name; on
// error, the plugins already started are closed. An empty directory loads no plugin.
func Load(dir string, opts Options) ([]*Plugin, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("proofhost: %w", err)
	}
	sums, err := readSums(filepath.Join(dir, SumsFile))
	if err != nil {
		return nil, err
	}
	var out []*Plugin
	fail := func(err error) ([]*Plugin, error) {
		for _, p := range out {
			p.Close()
		}
		return nil, err
	}
	names := map[string]string{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return fail(fmt.Errorf("proofhost: %w", err))
		}
		if strings.HasPrefix(e.Name(), ".") || e.Name() == SumsFile || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		sum, err := fileSHA256(path)
		if err != nil {
			return fail(err)
		}
		if sums != nil {
			want, ok := sums[e.Name()]
			if !ok {
				return fail(fmt.Errorf("proofhost: %s is not listed in %s", path, SumsFile))
			}
			if want != sum {
				return fail(fmt.Errorf("proofhost: %s: SHA-256 %s does not match %s in %s", path, sum, want, SumsFile))
			}
		}
		p, err := start(path, sum, opts)
		if err != nil {
			return fail(err)
		}
		out = append(out, p)
		if other, dup := names[p.Name()]; dup {
			return fail(fmt.Errorf("proofhost: %s and %s are both named %q", other, path, p.Name()))
		}
		names[p.Name()] = path
	}
	return out, nil
}

// Open starts the plugin executable at path, which must have the SHA-256 sum (hex), and
// describes it.
func Open(path, sum string, opts Options) (*Plugin, error) {
	return start(path, strings.ToLower(sum), opts)
}

func start(path, sum string, opts Options) (*Plugin, error) {
	raw, err := hex.DecodeString(sum)
	if err != nil || len(raw) != sha256.Size {
		return nil, fmt.Errorf("proofhost: %s: %q is not a SHA-256 in hex", path, sum)
	}
	p := &Plugin{path: path, sum: sum, raw: raw, opts: opts.withDefaults()}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.StartTimeout)
	defer cancel()
	impl, _, err := p.conn()
	if err == nil {
		p.caps, err = describe(ctx, impl)
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("proofhost: %s: %w", path, err)
	}
	return p, nil
}

// Plugin is one proofer plugin executable. It implements ports.Proofer and is safe for
// concurrent use; concurrent reviews share one plugin process.
type Plugin struct {
	path string
	sum  string // hex
	raw  []byte
	opts Options
	caps proofer.Capabilities

	mu     sync.Mutex
	client *plugin.Client // nil when no process runs
	impl   proofer.Proofer
	closed bool
	kills  sync.WaitGroup // processes being killed
}

// Name implements ports.Proofer: the name the plugin described itself with.
func (p *Plugin) Name() string { return p.caps.Name }

// Capabilities returns what the plugin described itself as at load.
func (p *Plugin) Capabilities() proofer.Capabilities { return p.caps }

// Path returns the plugin's executable.
func (p *Plugin) Path() string { return p.path }

// SHA256 returns the executable's SHA-256 (hex) recorded at load, which every start verifies.
func (p *Plugin) SHA256() string { return p.sum }

// Review implements ports.Proofer: it starts the plugin if no process runs and asks it to review
// the delivery within the review timeout. Besides the plugin's own errors (proofer.ErrNotApplicable
// among them) it returns, wrapped with the plugin's name: ctx's error when ctx ends first;
// ErrTimeout when the plugin did not answer in time; an error wrapping ports.ErrUnavailable when
// the plugin could not start or crashed; ErrInvalidScorecard; ErrClosed. After a timeout or a
// crash the process is killed, and the next review starts a new one.
func (p *Plugin) Review(ctx context.Context, req ports.ProofRequest) (proof.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w", p.Name(), err)
	}
	impl, c, err := p.conn()
	if err != nil {
		return proof.Scorecard{}, fmt.Errorf("proofer %s: %w", p.Name(), err)
	}
	card, err := review(ctx, p.Name(), impl, p.opts.ReviewTimeout, req)
	switch {
	case errors.Is(err, ErrTimeout):
		p.kill(c)
	case err != nil && (c.Exited() || hasCode(err, codes.Unavailable)):
		p.kill(c)
		return proof.Scorecard{}, fmt.Errorf("proofer %s crashed and will be restarted on next use: %w: %v", p.Name(), ports.ErrUnavailable, err)
	}
	return card, err
}

// Close kills the plugin's process, if one runs, and waits for it to exit. Later reviews return
// ErrClosed. Closing twice is harmless.
func (p *Plugin) Close() {
	p.mu.Lock()
	p.closed = true
	c := p.client
	p.client, p.impl = nil, nil
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
	p.kills.Wait()
}

// conn returns the running plugin process's proofer, starting a process when none runs.
func (p *Plugin) conn() (proofer.Proofer, *plugin.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, ErrClosed
	}
	if p.client != nil && !p.client.Exited() {
		return p.impl, p.client, nil
	}
	cmd := exec.Command(p.path)
	cmd.Env = append([]string(nil), p.opts.Env...)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  proofer.Handshake,
		Plugins:          proofer.Plugins(),
		Cmd:              cmd,
		SkipHostEnv:      true,
		SecureConfig:     &plugin.SecureConfig{Checksum: p.raw, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     p.opts.StartTimeout,
		GRPCDialOptions:  proofer.DialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "proofer." + filepath.Base(p.path), Output: p.opts.Log, Level: hclog.Debug}),
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, nil, fmt.Errorf("could not start %s: %w: %v", p.path, ports.ErrUnavailable, err)
	}
	raw, err := rpc.Dispense(proofer.PluginName)
	if err != nil {
		c.Kill()
		return nil, nil, fmt.Errorf("could not start %s: %w: %v", p.path, ports.ErrUnavailable, err)
	}
	impl, ok := raw.(proofer.Proofer)
	if !ok {
		c.Kill()
		return nil, nil, fmt.Errorf("could not start %s: dispensed %T, not a proofer", p.path, raw)
	}
	p.client, p.impl = c, impl
	return impl, c, nil
}

// kill kills the process c in the background, unless another review already replaced it; the
// next review starts a new one.
func (p *Plugin) kill(c *plugin.Client) {
	p.mu.Lock()
	if p.client == c {
		p.client, p.impl = nil, nil
	}
	p.mu.Unlock()
	p.kills.Go(c.Kill)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("proofhost: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("proofhost: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readSums reads a sha256sum(1) file: nil when there is none.
func readSums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("proofhost: %w", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimSpace(name), "*")
		if !ok || len(sum) != 2*sha256.Size || name == "" {
			return nil, fmt.Errorf("proofhost: %s:%d: want \"<sha256>  <file name>\"", path, n)
		}
		sums[filepath.Base(name)] = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("proofhost: %s: %w", path, err)
	}
	return sums, nil
}
