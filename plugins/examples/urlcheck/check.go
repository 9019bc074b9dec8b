package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/agentgigs/agentgigs/adapters/webhookhttp"
	"github.com/agentgigs/agentgigs/plugins/proofer"
)

// version is urlcheck's version.
const version = "1.0.0"

// blockKind is the kind of criteria block urlcheck reads: "```agentgigs-checks".
const blockKind = "checks"

// maxBody is how much of a URL urlcheck reads.
const maxBody = 25 << 20

// checks are the criteria of an agentgigs-checks block.
type checks struct {
	ContentType string `json:"content_type"`
	MaxBytes    *int64 `json:"max_bytes"`
	SHA256      string `json:"sha256"`
}

// checker is the urlcheck proofer.
type checker struct {
	client *http.Client
}

// newChecker returns the proofer, fetching private addresses only when the environment allows.
func newChecker() *checker {
	return &checker{client: httpClient(os.Getenv("URLCHECK_ALLOW_PRIVATE") == "1")}
}

// httpClient returns the client urlcheck fetches with: no proxy, at most 5 redirects, and no
// connection to an address that is not public (webhookhttp.Public: loopback, private,
// link-local, CGNAT, 0.0.0.0/8, multicast) unless allowPrivate.
func httpClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !webhookhttp.Public(ip) {
				return fmt.Errorf("urlcheck does not fetch %s: not a public address", host)
			}
			return nil
		}
	}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 30 * time.Second},
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return nil
		},
	}
}

// Describe implements proofer.Proofer.
func (c *checker) Describe(context.Context) (proofer.Capabilities, error) {
	return proofer.Capabilities{Name: "urlcheck", Version: version, Checks: []string{
		"a delivered URL answers GET with a 2xx status",
		"a delivered file matches the SHA-256 and size the marketplace recorded",
		"content_type: the delivery has the media type given in the job's agentgigs-checks block",
		"max_bytes: the delivery is no larger than given",
		"sha256: the delivery's SHA-256 is the one given",
	}}, nil
}

// Review implements proofer.Proofer.
func (c *checker) Review(ctx context.Context, req proofer.Request) (proofer.Scorecard, error) {
	body, ok := req.Job.Block(blockKind)
	if !ok {
		return proofer.Scorecard{}, fmt.Errorf("%w: the criteria have no agentgigs-%s block", proofer.ErrNotApplicable, blockKind)
	}
	var want checks
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&want); err != nil {
		return proofer.Scorecard{}, fmt.Errorf("%w: the agentgigs-%s block is not valid: %v", proofer.ErrNotApplicable, blockKind, err)
	}
	var r review
	content, contentType, ok := c.fetch(ctx, req.Delivery, &r)
	if err := ctx.Err(); err != nil {
		return proofer.Scorecard{}, err
	}
	if ok {
		r.checkContent(want, content, contentType)
	}
	return r.scorecard(), nil
}

// fetch returns the delivery's content and media type, recording the checks of its origin: the
// URL answered 2xx, or the file matches its record.
func (c *checker) fetch(ctx context.Context, d proofer.Delivery, r *review) (content []byte, contentType string, ok bool) {
	if d.URL == "" {
		sum := sha256.Sum256(d.Content)
		got := hex.EncodeToString(sum[:])
		r.add("integrity", got == strings.ToLower(d.SHA256) && int64(len(d.Content)) == d.Size,
			fmt.Sprintf("content has SHA-256 %s and %d bytes; recorded %s and %d bytes", got, len(d.Content), d.SHA256, d.Size))
		return d.Content, sniff(d.Content), true
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err == nil && hr.URL.Scheme != "http" && hr.URL.Scheme != "https" {
		err = fmt.Errorf("scheme %q is not http or https", hr.URL.Scheme)
	}
	if err != nil {
		r.add("reachable", false, err.Error())
		return nil, "", false
	}
	hr.Header.Set("User-Agent", "agentgigs-urlcheck/"+version)
	resp, err := c.client.Do(hr)
	if err != nil {
		r.add("reachable", false, err.Error())
		return nil, "", false
	}
	defer resp.Body.Close()
	content, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		r.add("reachable", false, "reading the body: "+err.Error())
		return nil, "", false
	}
	ok = resp.StatusCode >= 200 && resp.StatusCode < 300
	r.add("reachable", ok, fmt.Sprintf("GET %s answered %s", d.URL, resp.Status))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return content, mt, ok
}

// sniff returns the media type of a file's content.
func sniff(content []byte) string {
	if json.Valid(content) && len(bytes.TrimSpace(content)) > 0 {
		return "application/json"
	}
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(content))
	return mt
}

// review collects the scored checks.
type review struct{ criteria []proofer.CriterionScore }

func (r *review) add(name string, passed bool, note string) {
	score := 0
	if passed {
		score = 10
	}
	r.criteria = append(r.criteria, proofer.CriterionScore{Criterion: name, Score: score, Passed: passed, Note: note})
}

// checkContent records the checks of the block against the content.
func (r *review) checkContent(want checks, content []byte, contentType string) {
	if want.ContentType != "" {
		r.add("content_type", mediaTypeMatches(want.ContentType, contentType), fmt.Sprintf("want %s, got %q", want.ContentType, contentType))
	}
	if want.MaxBytes != nil {
		note := fmt.Sprintf("%d bytes, at most %d allowed", len(content), *want.MaxBytes)
		if len(content) > maxBody {
			note = fmt.Sprintf("more than the %d bytes urlcheck reads", maxBody)
		}
		r.add("max_bytes", int64(len(content)) <= *want.MaxBytes, note)
	}
	if want.SHA256 != "" {
		sum := sha256.Sum256(content)
		got := hex.EncodeToString(sum[:])
		r.add("sha256", got == strings.ToLower(want.SHA256), fmt.Sprintf("want %s, got %s", strings.ToLower(want.SHA256), got))
	}
}

// mediaTypeMatches reports whether got is the media type want, or of its family for "type/*".
func mediaTypeMatches(want, got string) bool {
	want, got = strings.ToLower(strings.TrimSpace(want)), strings.ToLower(got)
	if family, ok := strings.CutSuffix(want, "/*"); ok {
		return strings.HasPrefix(got, family+"/")
	}
	return got == want
}

func (r *review) scorecard() proofer.Scorecard {
	var failed []string
	card := proofer.Scorecard{Criteria: r.criteria, Pass: true}
	for _, c := range r.criteria {
		card.Evidence = append(card.Evidence, c.Criterion+": "+c.Note)
		if !c.Passed {
			card.Pass = false
			failed = append(failed, c.Criterion)
		}
	}
	card.Summary = fmt.Sprintf("%d of %d checks passed", len(r.criteria)-len(failed), len(r.criteria))
	if len(failed) > 0 {
		card.Summary += "; failed: " + strings.Join(failed, ", ")
	}
	return card
}
