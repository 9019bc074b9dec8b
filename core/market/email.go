package market

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Emails are composed here from the embedded templates and queued as timers in the transaction
// of the change that caused them; HandleTimer sends them through the Mailer. A request therefore
// never waits for the mail server, and an email survives a mail server outage: it is retried with
// backoff for about a day (emailBackoff, maxEmailAttempts), then given up with an email.failed
// event. Delivery is at least once: an email whose timer could not be deleted after the server
// accepted it (a crash in between) is sent again.

// actionSendEmail is the timer action that sends the email in the timer's payload.
const actionSendEmail job.Action = "send_email"

// maxEmailAttempts is how many times an email is tried before it is given up: with emailBackoff
// the last try is about a day after the first.
const maxEmailAttempts = 19

// emailBackoff is the wait before retry number attempt (from 1): a minute, doubling, at most two
// hours.
func emailBackoff(attempt int) time.Duration {
	if attempt > 7 {
		return 2 * time.Hour
	}
	return time.Minute << (attempt - 1)
}

//go:embed emails
var emailFS embed.FS

// The templates: for each kind, "<kind>.subject" and "<kind>.text" in emails/<kind>.txt.tmpl and
// "<kind>.html" in emails/<kind>.html.tmpl, which uses "header" and "footer" of
// emails/layout.html.tmpl.
var (
	textEmails = texttemplate.Must(texttemplate.New("").ParseFS(emailFS, "emails/*.txt.tmpl"))
	htmlEmails = htmltemplate.Must(htmltemplate.New("").ParseFS(emailFS, "emails/*.html.tmpl"))
)

// The kinds of email.
const (
	emailVerify     = "verify"     // a verification link and token
	emailRegistered = "registered" // someone tried to register a verified account's address
	emailHired      = "hired"      // to the agent: the poster accepted the application
	emailDelivered  = "delivered"  // to the poster: the agent delivered
	emailDisputed   = "disputed"   // to the other party: a dispute was opened
)

// emailData is what the templates read; each kind uses some of the fields.
type emailData struct {
	Subject      string // set from the subject template, for the HTML title
	Name         string
	Notification bool // a notification the recipient may turn off

	Link      string // the page the email is about
	Token     string // verify
	ExpiresAt string // verify
	Again     bool   // verify: sent because the address was registered again

	JobID        string
	JobTitle     string
	Price        string // hired
	Funding      bool   // hired: waiting for the card payment
	Verification bool   // delivered: proofers review first
	Due          string // the deadline of the job's current state, if any
	By           string // disputed: "poster" or "agent"
	Reason       string // disputed
}

// composeEmail renders the email of the kind to the account.
func composeEmail(kind string, to *account.Account, d emailData) (ports.Message, error) {
	d.Name = to.Name
	var subject, text, html strings.Builder
	if err := textEmails.ExecuteTemplate(&subject, kind+".subject", d); err != nil {
		return ports.Message{}, err
	}
	// A subject is one header line: job titles and names must not break it.
	d.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := textEmails.ExecuteTemplate(&text, kind+".text", d); err != nil {
		return ports.Message{}, err
	}
	if err := htmlEmails.ExecuteTemplate(&html, kind+".html", d); err != nil {
		return ports.Message{}, err
	}
	return ports.Message{To: to.Email, ToName: to.Name, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}

// formatTime is how emails show a time: in UTC, to the minute.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Mon, 02 Jan 2006 15:04 MST")
}

// queueEmail schedules the email of the kind to the account as a timer due now, in tx. The timer's
// ID must be unique to this email.
func (s *Service) queueEmail(ctx context.Context, tx ports.Tx, id, kind string, to *account.Account, d emailData) error {
	m, err := composeEmail(kind, to, d)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Timers().Schedule(ctx, ports.Timer{ID: "email:" + id, Action: actionSendEmail, JobID: d.JobID, Payload: payload, DueAt: s.now()})
}

// sendEmail runs a send_email timer: it sends the email and deletes the timer, or, when the mail
// server is unavailable, schedules the next attempt with backoff. An email the server refuses for
// good, or that is still unsent after maxEmailAttempts, is given up with an email.failed event.
func (s *Service) sendEmail(ctx context.Context, t ports.Timer) error {
	var m ports.Message
	err := json.Unmarshal(t.Payload, &m)
	if err == nil {
		err = s.cfg.Mailer.Send(ctx, m)
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		switch {
		case err == nil:
			return tx.Timers().Delete(ctx, t.ID)
		case errors.Is(err, ports.ErrUnavailable) && t.Attempt+1 < maxEmailAttempts:
			t.Attempt++
			t.DueAt = s.now().Add(emailBackoff(t.Attempt))
			return tx.Timers().Schedule(ctx, t)
		}
		if err := tx.Timers().Delete(ctx, t.ID); err != nil {
			return err
		}
		data := map[string]string{"email_id": t.ID, "to": m.To, "subject": m.Subject, "attempts": strconv.Itoa(t.Attempt + 1), "error": err.Error()}
		return s.appendEvents(ctx, tx, s.event("email.failed", t.JobID, nil, data))
	})
}

// notify queues the notification emails of a job's events, in the transaction that appends them:
// to the agent when hired, to the poster on a delivery, to the other party when a dispute opens.
// Accounts that opted out get none.
func (s *Service) notify(ctx context.Context, tx ports.Tx, j *job.Job, es []event.Event) error {
	for _, e := range es {
		var kind, to string
		d := emailData{Notification: true, JobID: j.ID, JobTitle: j.Title, Link: s.cfg.BaseURL + "/api/jobs/" + j.ID, Due: formatTime(j.DeadlineAt)}
		switch e.Type {
		case "job.accepted":
			kind, to = emailHired, j.AgentID
			d.Price, d.Funding, d.Due = j.Price.String(), j.State == job.AwaitingFunding, formatTime(j.DeliveryDueAt)
		case "job.delivered":
			kind, to = emailDelivered, j.PosterID
			d.Verification = j.State == job.InVerification
		case "job.disputed":
			if j.Dispute == nil {
				continue
			}
			kind, to, d.By, d.Reason = emailDisputed, j.AgentID, "poster", j.Dispute.Reason
			if j.Dispute.OpenedBy == j.AgentID {
				to, d.By = j.PosterID, "agent"
			}
		default:
			continue
		}
		a, err := tx.Accounts().Get(ctx, to)
		if err != nil {
			return err
		}
		if a.EmailOptOut {
			continue
		}
		if err := s.queueEmail(ctx, tx, e.ID+":"+a.ID, kind, a, d); err != nil {
			return err
		}
	}
	return nil
}
