package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/adapters/proofhost/proofhosttest"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/plugins/proofer"
	"github.com/agentgigs/agentgigs/testkit/conformance"
)

// fileRequest is the conformance request with an agentgigs-checks block its file meets.
func fileRequest() ports.ProofRequest {
	r := conformance.ProofRequest()
	r.Job.Criteria += "\n```agentgigs-checks\n{\"content_type\": \"text/plain\", \"max_bytes\": 100}\n```\n"
	return r
}

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("InProcess", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, func(t *testing.T) ports.Proofer { return proofhosttest.InProcess(t, newChecker()) }, fileRequest())
	})
	t.Run("OverGRPC", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, func(t *testing.T) ports.Proofer { return proofhosttest.OverGRPC(t, newChecker()) }, fileRequest())
	})
	t.Run("Executable", func(t *testing.T) {
		t.Parallel()
		conformance.ProoferWithRequest(t, proofhosttest.Executable(t, ".", proofhost.Options{}), fileRequest())
	})
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// request is a request for a job with the checks block, delivering a file or a URL.
func request(checks string, d proofer.Delivery) proofer.Request {
	return proofer.Request{
		Job:      proofer.Job{ID: "job_1", Blocks: proofer.ParseBlocks("```agentgigs-checks\n" + checks + "\n```")},
		Delivery: d,
	}
}

func file(content string) proofer.Delivery {
	return proofer.Delivery{Content: []byte(content), SHA256: sum([]byte(content)), Size: int64(len(content))}
}

// scores returns each criterion's verdict by name.
func scores(c proofer.Scorecard) map[string]bool {
	out := map[string]bool{}
	for _, s := range c.Criteria {
		out[s.Criterion] = s.Passed
	}
	return out
}

func TestFiles(t *testing.T) {
	t.Parallel()
	json := `{"ok": true}`
	tests := []struct {
		name   string
		checks string
		d      proofer.Delivery
		want   map[string]bool
	}{
		{"integrity only", `{}`, file("hello"), map[string]bool{"integrity": true}},
		{"everything passes", `{"content_type": "application/json", "max_bytes": 12, "sha256": "` + strings.ToUpper(sum([]byte(json))) + `"}`, file(json),
			map[string]bool{"integrity": true, "content_type": true, "max_bytes": true, "sha256": true}},
		{"too large", `{"max_bytes": 11}`, file(json), map[string]bool{"integrity": true, "max_bytes": false}},
		{"wrong type", `{"content_type": "image/png"}`, file(json), map[string]bool{"integrity": true, "content_type": false}},
		{"type family", `{"content_type": "text/*"}`, file("plain words"), map[string]bool{"integrity": true, "content_type": true}},
		{"wrong digest", `{"sha256": "` + sum([]byte("other")) + `"}`, file(json), map[string]bool{"integrity": true, "sha256": false}},
		{"tampered file", `{}`, proofer.Delivery{Content: []byte("changed"), SHA256: sum([]byte("orig")), Size: 7}, map[string]bool{"integrity": false}},
		{"zero max_bytes is a limit", `{"max_bytes": 0}`, file("x"), map[string]bool{"integrity": true, "max_bytes": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card, err := newChecker().Review(t.Context(), request(tt.checks, tt.d))
			require.NoError(t, err)
			require.NoError(t, card.Validate())
			require.Equal(t, tt.want, scores(card))
			pass := true
			for _, ok := range tt.want {
				pass = pass && ok
			}
			require.Equal(t, pass, card.Pass)
			require.Len(t, card.Evidence, len(tt.want))
		})
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	page := []byte("<html><body>hello</body></html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		case "/moved":
			http.Redirect(w, r, "/page", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c := &checker{client: httpClient(true)}
	tests := []struct {
		name, checks, url string
		want              map[string]bool
	}{
		{"answers", `{}`, srv.URL + "/page", map[string]bool{"reachable": true}},
		{"every check", `{"content_type": "text/html", "max_bytes": 100, "sha256": "` + sum(page) + `"}`, srv.URL + "/page",
			map[string]bool{"reachable": true, "content_type": true, "max_bytes": true, "sha256": true}},
		{"follows redirects", `{"content_type": "text/html"}`, srv.URL + "/moved", map[string]bool{"reachable": true, "content_type": true}},
		{"wrong type and too large", `{"content_type": "application/pdf", "max_bytes": 10}`, srv.URL + "/page",
			map[string]bool{"reachable": true, "content_type": false, "max_bytes": false}},
		{"404", `{"max_bytes": 10}`, srv.URL + "/missing", map[string]bool{"reachable": false}},
		{"nothing listens", `{}`, "http://127.0.0.1:1/", map[string]bool{"reachable": false}},
		{"not http", `{}`, "ftp://example.test/file", map[string]bool{"reachable": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card, err := c.Review(t.Context(), request(tt.checks, proofer.Delivery{URL: tt.url}))
			require.NoError(t, err)
			require.NoError(t, card.Validate())
			require.Equal(t, tt.want, scores(card), card.Evidence)
		})
	}
}

func TestRefusesPrivateAddressesByDefault(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	card, err := (&checker{client: httpClient(false)}).Review(t.Context(), request(`{}`, proofer.Delivery{URL: srv.URL}))
	require.NoError(t, err)
	require.False(t, card.Pass)
	require.Contains(t, card.Criteria[0].Note, "not a public address")
}

func TestTheExecutableReadsItsEnvironment(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	req := conformance.ProofRequest()
	req.Job.Criteria = "```agentgigs-checks\n{}\n```"
	req.Delivery = job.Delivery{URL: srv.URL}
	newProofer := proofhosttest.Executable(t, ".", proofhost.Options{Env: []string{"URLCHECK_ALLOW_PRIVATE=1"}})
	card, err := newProofer(t).Review(t.Context(), req)
	require.NoError(t, err)
	require.True(t, card.Pass, card.Evidence)
}

func TestDeclines(t *testing.T) {
	t.Parallel()
	for name, criteria := range map[string]string{
		"no block":      "Just text.",
		"invalid JSON":  "```agentgigs-checks\n{nope\n```",
		"unknown field": "```agentgigs-checks\n{\"max_size\": 3}\n```",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := newChecker().Review(t.Context(), proofer.Request{Job: proofer.Job{Blocks: proofer.ParseBlocks(criteria)}, Delivery: file("x")})
			require.ErrorIs(t, err, proofer.ErrNotApplicable)
		})
	}
}
