// Package smtptest runs a real SMTP server for tests: mailpit (github.com/axllent/mailpit), which
// accepts every message and shows it through an HTTP API. Start one per test with StartMailpit;
// read what it received with Messages, as ports.Messages, the way a human (or an agent with
// inbox access) would read it.
package smtptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentgigs/agentgigs/core/ports"
)

// Install is the command that installs the mailpit version the tests are written against.
const Install = "go install github.com/axllent/mailpit@v1.33.1"

// Mailpit is a running mailpit on free loopback ports, its database in a temporary directory.
// Stop and Start it to simulate an outage; it is killed when the test ends.
type Mailpit struct {
	// SMTPAddr is where it accepts SMTP ("127.0.0.1:port"); APIURL is its HTTP API's base URL.
	SMTPAddr string
	APIURL   string

	t      testing.TB
	bin    string
	args   []string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the running process has exited
}

// StartMailpit starts mailpit and waits until it answers; extra are further mailpit flags (for
// example "--smtp-auth-accept-any"). The test fails, with the install command in the message,
// when the mailpit binary is neither on PATH nor in $(go env GOPATH)/bin.
func StartMailpit(t testing.TB, extra ...string) *Mailpit {
	t.Helper()
	return StartMailpitOn(t, "", extra...)
}

// StartMailpitOn is StartMailpit with the SMTP server on smtpAddr ("127.0.0.1:port"), for a test
// that replaces another server on that address; "" picks a free port.
func StartMailpitOn(t testing.TB, smtpAddr string, extra ...string) *Mailpit {
	t.Helper()
	bin, err := findMailpit()
	if err != nil {
		t.Fatalf("smtptest: %v; install it with `%s` and put $(go env GOPATH)/bin on PATH", err, Install)
	}
	if smtpAddr == "" {
		smtpAddr = freeAddr(t)
	}
	apiAddr := freeAddr(t)
	m := &Mailpit{SMTPAddr: smtpAddr, APIURL: "http://" + apiAddr, t: t, bin: bin}
	m.args = append([]string{
		"--smtp", smtpAddr, "--listen", apiAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet",
	}, extra...)
	t.Cleanup(m.Stop)
	m.Start()
	return m
}

// findMailpit returns the path of the mailpit binary.
func findMailpit() (string, error) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", fmt.Errorf("mailpit is not on PATH and go env GOPATH failed: %w", err)
		}
		gopath = string(out[:len(out)-1])
	}
	p := filepath.Join(filepath.SplitList(gopath)[0], "bin", "mailpit")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("mailpit is neither on PATH nor in $(go env GOPATH)/bin")
	}
	return p, nil
}

// freeAddr returns a loopback TCP address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts the stopped mailpit again on the same ports and database and waits until both its
// SMTP server and its API answer.
func (m *Mailpit) Start() {
	m.t.Helper()
	if m.cmd != nil {
		return
	}
	cmd := exec.Command(m.bin, m.args...)
	out, err := os.Create(filepath.Join(m.t.TempDir(), "mailpit.log"))
	if err != nil {
		m.t.Fatalf("smtptest: %v", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("smtptest: starting mailpit: %v", err)
	}
	exited := make(chan struct{})
	m.cmd, m.exited = cmd, exited
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m.answers() {
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(out.Name())
			m.cmd = nil
			m.t.Fatalf("smtptest: mailpit %v exited:\n%s", m.args, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.Stop()
			m.t.Fatalf("smtptest: mailpit did not answer within 15 s")
		}
	}
}

// answers reports whether the SMTP port accepts connections and the API answers.
func (m *Mailpit) answers() bool {
	c, err := net.DialTimeout("tcp", m.SMTPAddr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	resp, err := http.Get(m.APIURL + "/api/v1/info")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop kills mailpit; nothing listens on its ports until Start. Stopping a stopped mailpit does
// nothing.
func (m *Mailpit) Stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// URL returns an SMTP_URL for this mailpit: plain text (tls=none), with query appended (e.g.
// "&timeout=2s").
func (m *Mailpit) URL(query string) string {
	return "smtp://" + m.SMTPAddr + "?tls=none&from=" + url.QueryEscape("AgentGigs <no-reply@agentgigs.test>") + query
}

// message is mailpit's view of one message.
type message struct {
	ID      string
	To      []struct{ Name, Address string }
	Subject string
	Text    string
	HTML    string
}

// Messages returns every message mailpit received, oldest first, read through its API.
func (m *Mailpit) Messages(t testing.TB) []ports.Message {
	t.Helper()
	var list struct{ Messages []message }
	m.get(t, "/api/v1/messages?limit=1000", &list)
	out := make([]ports.Message, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		var full message
		m.get(t, "/api/v1/message/"+url.PathEscape(list.Messages[i].ID), &full)
		pm := ports.Message{Subject: full.Subject, Text: full.Text, HTML: full.HTML}
		if len(full.To) > 0 {
			pm.To, pm.ToName = full.To[0].Address, full.To[0].Name
		}
		out = append(out, pm)
	}
	return out
}

// get decodes the JSON at the API path into v.
func (m *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("smtptest: mailpit API: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("smtptest: mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("smtptest: decoding mailpit's %s: %v", path, err)
	}
}
