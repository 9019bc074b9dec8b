package proofhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/plugins/proofer"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// install puts the named built plugins in a new plugin directory and returns it.
func install(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		_, err := proofhosttest.Install(bins[n], dir)
		require.NoError(t, err)
	}
	return dir
}

// load loads dir and closes its plugins when the test ends.
func load(t *testing.T, dir string, opts proofhost.Options) []*proofhost.Plugin {
	t.Helper()
	ps, err := proofhost.Load(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, p := range ps {
			p.Close()
		}
	})
	return ps
}

// flaky loads the misbehaving test plugin alone.
func flaky(t *testing.T, opts proofhost.Options) *proofhost.Plugin {
	t.Helper()
	ps := load(t, install(t, "flaky"), opts)
	require.Len(t, ps, 1)
	return ps[0]
}

// noted is the conformance request with the delivery's note, which drives the flaky plugin.
func noted(note string) ports.ProofRequest {
	r := conformance.ProofRequest()
	r.Delivery.Note = note
	return r
}

func sum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPluginExecutableConformance(t *testing.T) {
	t.Parallel()
	conformance.Proofer(t, func(t *testing.T) ports.Proofer { return flaky(t, proofhost.Options{}) })
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("EmptyDirectory", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, load(t, t.TempDir(), proofhost.Options{}))
	})

	t.Run("MissingDirectory", func(t *testing.T) {
		t.Parallel()
		_, err := proofhost.Load(filepath.Join(t.TempDir(), "nope"), proofhost.Options{})
		require.ErrorIs(t, err, os.ErrNotExist)
	})

	t.Run("LoadsExecutablesInNameOrderAndRecordsTheirSHA256", func(t *testing.T) {
		t.Parallel()
		dir := install(t, "urlcheck", "flaky", "jsonschema")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a plugin"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden"), []byte("#!/bin/sh\nexit 1\n"), 0o755))
		require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
		ps := load(t, dir, proofhost.Options{})
		var names []string
		for _, p := range ps {
			names = append(names, p.Name())
			require.Equal(t, sum(t, p.Path()), p.SHA256())
			require.NotEmpty(t, p.Capabilities().Version)
			require.NotEmpty(t, p.Capabilities().Checks)
		}
		require.Equal(t, []string{"flaky", "jsonschema", "urlcheck"}, names)
	})

	t.Run("SumsFilePinsEveryPlugin", func(t *testing.T) {
		t.Parallel()
		dir := install(t, "flaky")
		sums := filepath.Join(dir, proofhost.SumsFile)
		require.NoError(t, os.WriteFile(sums, []byte(sum(t, bins["flaky"])+"  flaky\n"), 0o644))
		require.Len(t, load(t, dir, proofhost.Options{}), 1)

		require.NoError(t, os.WriteFile(sums, []byte(strings.Repeat("0", 64)+"  flaky\n"), 0o644))
		_, err := proofhost.Load(dir, proofhost.Options{})
		require.ErrorContains(t, err, "does not match")

		require.NoError(t, os.WriteFile(sums, []byte(sum(t, bins["flaky"])+"  other\n"), 0o644))
		_, err = proofhost.Load(dir, proofhost.Options{})
		require.ErrorContains(t, err, "not listed in SHA256SUMS")

		require.NoError(t, os.WriteFile(sums, []byte("garbage\n"), 0o644))
		_, err = proofhost.Load(dir, proofhost.Options{})
		require.ErrorContains(t, err, "SHA256SUMS:1")
	})

	t.Run("RefusesAProgramThatIsNotAPlugin", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "script"), []byte("#!/bin/sh\necho hello\n"), 0o755))
		_, err := proofhost.Load(dir, proofhost.Options{StartTimeout: 5 * time.Second})
		require.ErrorIs(t, err, ports.ErrUnavailable)
	})

	t.Run("RefusesTwoPluginsWithOneName", func(t *testing.T) {
		t.Parallel()
		dir := install(t, "flaky")
		require.NoError(t, os.Link(bins["flaky"], filepath.Join(dir, "flaky-copy")))
		_, err := proofhost.Load(dir, proofhost.Options{})
		require.ErrorContains(t, err, `both named "flaky"`)
	})

	t.Run("OpenChecksTheSum", func(t *testing.T) {
		t.Parallel()
		_, err := proofhost.Open(bins["flaky"], strings.Repeat("ab", 32), proofhost.Options{})
		require.ErrorIs(t, err, ports.ErrUnavailable, "go-plugin's SecureConfig refuses the executable")
		_, err = proofhost.Open(bins["flaky"], "not hex", proofhost.Options{})
		require.ErrorContains(t, err, "not a SHA-256")
		p, err := proofhost.Open(bins["flaky"], strings.ToUpper(sum(t, bins["flaky"])), proofhost.Options{})
		require.NoError(t, err)
		p.Close()
	})
}

// pid is the process ID the flaky plugin names in a passing scorecard.
func pid(t *testing.T, p *proofhost.Plugin) string {
	t.Helper()
	card, err := p.Review(t.Context(), noted("ok"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(card.Summary, "reviewed by pid "), card.Summary)
	return card.Summary
}

func TestACrashCostsOneReview(t *testing.T) {
	t.Parallel()
	p := flaky(t, proofhost.Options{})
	before := pid(t, p)
	card, err := p.Review(t.Context(), noted("crash"))
	require.ErrorIs(t, err, ports.ErrUnavailable)
	require.ErrorContains(t, err, "restarted on next use")
	require.Empty(t, card.Criteria)
	require.NotEqual(t, before, pid(t, p), "the next review runs in a new process")
}

func TestAHangTimesOutAndTheNextReviewRestarts(t *testing.T) {
	t.Parallel()
	p := flaky(t, proofhost.Options{ReviewTimeout: 300 * time.Millisecond})
	before := pid(t, p)
	start := time.Now()
	_, err := p.Review(t.Context(), noted("hang"))
	require.ErrorIs(t, err, proofhost.ErrTimeout)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end")
	require.Less(t, time.Since(start), 5*time.Second)
	require.NotEqual(t, before, pid(t, p), "the hung process was replaced")
}

func TestGarbageIsRefused(t *testing.T) {
	t.Parallel()
	p := flaky(t, proofhost.Options{})
	before := pid(t, p)
	card, err := p.Review(t.Context(), noted("garbage"))
	require.ErrorIs(t, err, proofhost.ErrInvalidScorecard)
	require.ErrorContains(t, err, "proofer flaky")
	require.Empty(t, card.Criteria)
	require.Equal(t, before, pid(t, p), "a plugin answering garbage keeps running")
}

func TestAPanicIsAnErrorNotACrash(t *testing.T) {
	t.Parallel()
	p := flaky(t, proofhost.Options{})
	before := pid(t, p)
	_, err := p.Review(t.Context(), noted("panic"))
	require.ErrorContains(t, err, "proofer panicked: flaky was asked to panic")
	require.NotErrorIs(t, err, ports.ErrUnavailable)
	require.Equal(t, before, pid(t, p), "the SDK recovered the panic")
}

func TestAReplacedExecutableIsRefused(t *testing.T) {
	t.Parallel()
	dir := install(t, "flaky")
	p := load(t, dir, proofhost.Options{})[0]
	path := filepath.Join(dir, "flaky")
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Link(bins["urlcheck"], path)) // a different plugin under the old name
	_, err := p.Review(t.Context(), noted("crash"))
	require.ErrorIs(t, err, ports.ErrUnavailable)
	_, err = p.Review(t.Context(), noted("ok"))
	require.ErrorIs(t, err, ports.ErrUnavailable, "the restart checks the SHA-256 recorded at load")
	require.ErrorContains(t, err, "checksum")
}

func TestClose(t *testing.T) {
	t.Parallel()
	p := flaky(t, proofhost.Options{})
	pid(t, p)
	p.Close()
	p.Close()
	_, err := p.Review(t.Context(), noted("ok"))
	require.ErrorIs(t, err, proofhost.ErrClosed)
}

func TestNotApplicableCrossesTheBoundary(t *testing.T) {
	t.Parallel()
	ps := load(t, install(t, "urlcheck"), proofhost.Options{})
	_, err := ps[0].Review(t.Context(), conformance.ProofRequest())
	require.ErrorIs(t, err, proofer.ErrNotApplicable)
	require.ErrorContains(t, err, "no agentgigs-checks block")
}

func TestRequest(t *testing.T) {
	t.Parallel()
	r := proofhost.Request(ports.ProofRequest{
		Job:      &job.Job{ID: "job_1", Title: "T", Criteria: "Text.\n```agentgigs-checks\n{\"max_bytes\": 3}\n```\n", CriteriaHash: "abc"},
		Delivery: job.Delivery{URL: "https://example.test", SHA256: "s", Size: 3, Note: "n"},
		Content:  []byte("abc"),
	})
	require.Equal(t, proofer.Request{
		Job:      proofer.Job{ID: "job_1", Title: "T", Criteria: "Text.\n```agentgigs-checks\n{\"max_bytes\": 3}\n```\n", CriteriaHash: "abc", Blocks: []proofer.Block{{Kind: "checks", Body: `{"max_bytes": 3}`}}},
		Delivery: proofer.Delivery{URL: "https://example.test", Content: []byte("abc"), SHA256: "s", Size: 3, Note: "n"},
	}, r)
}
