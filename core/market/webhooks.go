package market

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/text"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// actionWebhook is the timer action of a webhook delivery attempt; the timer's Ref is the
// delivery ID.
const actionWebhook = "deliver_webhook"

// maxEndpoints bounds an account's webhook endpoints.
const maxEndpoints = 20

// EndpointInput describes a webhook endpoint.
type EndpointInput struct {
	URL         string
	Description string
	Events      []string // exact event types or "prefix.*"; empty means every event
}

// validate checks the URL's shape; whether its host may be dialled is the sender's decision.
func (in *EndpointInput) validate() error {
	if err := cmp.Or(text.Line("url", in.URL), text.Block("description", in.Description), text.Lines("events", in.Events)); err != nil {
		return err
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(in.URL) > 2000 {
		return errs.New(errs.CodeInvalidInput, "the webhook URL must be an absolute http(s) URL without credentials")
	}
	if len(in.Description) > 500 || len(in.Events) > 100 {
		return errs.New(errs.CodeInvalidInput, "at most 500 characters of description and 100 event filters")
	}
	for _, e := range in.Events {
		if e == "" || strings.ContainsAny(e, " \t\n") || (strings.Contains(e, "*") && !strings.HasSuffix(e, ".*")) {
			return errs.New(errs.CodeInvalidInput, "event filter %q must be an event type or a prefix ending in .*", e)
		}
	}
	return nil
}

// CreateWebhookEndpoint registers an endpoint for the caller's events and returns it with its
// signing secret.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, c Caller, in EndpointInput) (*webhook.Endpoint, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	secret, err := webhook.NewSecret(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	var e *webhook.Endpoint
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		existing, err := tx.Webhooks().ListEndpoints(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(existing) >= maxEndpoints {
			return errs.New(errs.CodeConflict, "an account has at most %d webhook endpoints", maxEndpoints)
		}
		e = &webhook.Endpoint{
			ID: s.cfg.IDs.New("we"), AccountID: a.ID, URL: in.URL, Description: in.Description,
			Events: slices.Clone(in.Events), Secret: secret, CreatedAt: s.now(),
		}
		if e.Events == nil {
			e.Events = []string{}
		}
		return tx.Webhooks().CreateEndpoint(ctx, e)
	})
	return e, err
}

// WebhookEndpoints lists the caller's endpoints, oldest first.
func (s *Service) WebhookEndpoints(ctx context.Context, c Caller) ([]*webhook.Endpoint, error) {
	var es []*webhook.Endpoint
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		es, err = tx.Webhooks().ListEndpoints(ctx, a.ID)
		return err
	})
	return es, err
}

// WebhookEndpoint returns one of the caller's endpoints; another account's is NOT_FOUND.
func (s *Service) WebhookEndpoint(ctx context.Context, c Caller, id string) (*webhook.Endpoint, error) {
	var e *webhook.Endpoint
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		e, err = s.ownEndpoint(ctx, tx, c, id)
		return err
	})
	return e, err
}

// ownEndpoint loads an endpoint of the caller, NOT_FOUND for anyone else's.
func (s *Service) ownEndpoint(ctx context.Context, tx ports.Tx, c Caller, id string) (*webhook.Endpoint, error) {
	if err := text.Line("endpoint_id", id); err != nil {
		return nil, err
	}
	a, err := s.caller(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	e, err := tx.Webhooks().GetEndpoint(ctx, id)
	if errors.Is(err, ports.ErrNotFound) || (err == nil && e.AccountID != a.ID) {
		return nil, errs.New(errs.CodeNotFound, "no webhook endpoint %q", id)
	}
	return e, err
}

// UpdateWebhookEndpoint replaces an endpoint's URL, description and filter; enabled=true
// re-enables an endpoint that was disabled (by a 410 answer or by its owner).
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, c Caller, id string, in EndpointInput, enabled bool) (*webhook.Endpoint, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var e *webhook.Endpoint
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if e, err = s.ownEndpoint(ctx, tx, c, id); err != nil {
			return err
		}
		e.URL, e.Description, e.Events = in.URL, in.Description, slices.Clone(in.Events)
		if e.Events == nil {
			e.Events = []string{}
		}
		e.Disabled = !enabled
		e.DisabledReason = ""
		if !enabled {
			e.DisabledReason = "disabled by its owner"
		}
		return tx.Webhooks().UpdateEndpoint(ctx, e)
	})
	return e, err
}

// DeleteWebhookEndpoint removes an endpoint; its pending deliveries stop.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, c Caller, id string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if _, err := s.ownEndpoint(ctx, tx, c, id); err != nil {
			return err
		}
		return tx.Webhooks().DeleteEndpoint(ctx, id)
	})
}

// WebhookDeliveries lists an endpoint's deliveries newest first, at most limit (1..100), those
// older than the delivery before when it is not "".
func (s *Service) WebhookDeliveries(ctx context.Context, c Caller, endpointID, before string, limit int) ([]*webhook.Delivery, error) {
	if limit < 1 || limit > 100 {
		return nil, errs.New(errs.CodeInvalidInput, "limit within 1..100")
	}
	if err := text.Line("before", before); err != nil {
		return nil, err
	}
	var ds []*webhook.Delivery
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if _, err := s.ownEndpoint(ctx, tx, c, endpointID); err != nil {
			return err
		}
		var err error
		ds, err = tx.Webhooks().ListDeliveries(ctx, endpointID, before, limit)
		return err
	})
	return ds, err
}

// ReplayDelivery sends a delivery's payload again, as a new delivery with its own attempts.
func (s *Service) ReplayDelivery(ctx context.Context, c Caller, deliveryID string) (*webhook.Delivery, error) {
	if err := text.Line("delivery_id", deliveryID); err != nil {
		return nil, err
	}
	var d *webhook.Delivery
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		old, err := tx.Webhooks().GetDelivery(ctx, deliveryID)
		if errors.Is(err, ports.ErrNotFound) {
			return errs.New(errs.CodeNotFound, "no webhook delivery %q", deliveryID)
		}
		if err != nil {
			return err
		}
		e, err := s.ownEndpoint(ctx, tx, c, old.EndpointID)
		if err != nil {
			return errs.New(errs.CodeNotFound, "no webhook delivery %q", deliveryID)
		}
		d, err = s.enqueueDelivery(ctx, tx, e, old.EventID, old.EventType, old.Payload)
		return err
	})
	return d, err
}

// TestWebhook sends a webhook.test event to the endpoint, even when its filter would not select
// it, and returns the delivery, whose status shows the outcome once its attempt ran.
func (s *Service) TestWebhook(ctx context.Context, c Caller, endpointID string) (*webhook.Delivery, error) {
	var d *webhook.Delivery
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		e, err := s.ownEndpoint(ctx, tx, c, endpointID)
		if err != nil {
			return err
		}
		ev := s.event("webhook.test", "", []string{e.AccountID}, map[string]string{"endpoint_id": e.ID})
		payload, err := webhookPayload(ev)
		if err != nil {
			return err
		}
		d, err = s.enqueueDelivery(ctx, tx, e, ev.ID, ev.Type, payload)
		return err
	})
	return d, err
}

// appendEvents stores events in the outbox and, in the same transaction, a delivery with its
// first attempt due now for every endpoint of the events' accounts that wants them.
func (s *Service) appendEvents(ctx context.Context, tx ports.Tx, es ...event.Event) error {
	if err := tx.Events().Append(ctx, es...); err != nil {
		return err
	}
	var accounts []string
	for _, ev := range es {
		for _, acc := range ev.Accounts {
			if !slices.Contains(accounts, acc) {
				accounts = append(accounts, acc)
			}
		}
	}
	if len(accounts) == 0 {
		return nil
	}
	all, err := tx.Webhooks().ListEndpoints(ctx, accounts...)
	if err != nil {
		return err
	}
	endpoints := map[string][]*webhook.Endpoint{} // by account
	for _, e := range all {
		endpoints[e.AccountID] = append(endpoints[e.AccountID], e)
	}
	for _, ev := range es {
		var payload []byte
		for _, acc := range ev.Accounts {
			for _, e := range endpoints[acc] {
				if !e.Wants(ev.Type) {
					continue
				}
				if payload == nil {
					var err error
					if payload, err = webhookPayload(ev); err != nil {
						return err
					}
				}
				if _, err := s.enqueueDelivery(ctx, tx, e, ev.ID, ev.Type, payload); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// webhookPayload is the body of an event's deliveries.
func webhookPayload(ev event.Event) ([]byte, error) {
	data := map[string]string{}
	for k, v := range ev.Data {
		data[k] = v
	}
	if ev.JobID != "" {
		data["job_id"] = ev.JobID
	}
	return json.Marshal(struct {
		ID        string            `json:"id"`
		Type      string            `json:"type"`
		Timestamp time.Time         `json:"timestamp"`
		Data      map[string]string `json:"data"`
	}{ev.ID, ev.Type, ev.At.UTC(), data})
}

func (s *Service) enqueueDelivery(ctx context.Context, tx ports.Tx, e *webhook.Endpoint, eventID, eventType string, payload []byte) (*webhook.Delivery, error) {
	now := s.now()
	d := &webhook.Delivery{
		ID: s.cfg.IDs.New("msg"), EndpointID: e.ID, AccountID: e.AccountID, EventID: eventID, EventType: eventType,
		Payload: payload, Status: webhook.Pending, NextAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.Webhooks().CreateDelivery(ctx, d); err != nil {
		return nil, err
	}
	return d, tx.Timers().Schedule(ctx, ports.Timer{ID: "webhook:" + d.ID, Action: actionWebhook, Ref: d.ID, DueAt: now})
}

// deliverWebhook makes one attempt of a delivery outside any transaction, then records its
// outcome: success, a retry per webhook.Schedule, or failure. A 410 Gone answer disables the
// endpoint. Receivers may see an attempt twice (a crash after sending), and dedupe by webhook-id.
func (s *Service) deliverWebhook(ctx context.Context, t ports.Timer) error {
	var (
		d *webhook.Delivery
		e *webhook.Endpoint
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if d, err = tx.Webhooks().GetDelivery(ctx, t.Ref); err != nil {
			return err
		}
		if d.Status != webhook.Pending {
			return errStale
		}
		e, err = tx.Webhooks().GetEndpoint(ctx, d.EndpointID)
		if errors.Is(err, ports.ErrNotFound) {
			e, err = nil, nil
		}
		return err
	})
	if errors.Is(err, errStale) || errs.CodeOf(err) == errs.CodeNotFound {
		return s.deleteTimer(ctx, t.ID)
	}
	if err != nil {
		return err
	}
	status, sendErr := 0, error(nil)
	switch {
	case e == nil:
		sendErr = errors.New("the endpoint was deleted")
	case e.Disabled:
		sendErr = errors.New("the endpoint is disabled")
	default:
		status, sendErr = s.cfg.Webhooks.Send(ctx, ports.WebhookRequest{URL: e.URL, ID: d.ID, Secret: e.Secret, Body: d.Payload})
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		cur, err := tx.Webhooks().GetDelivery(ctx, d.ID)
		if err != nil {
			return err
		}
		if cur.Status != webhook.Pending || cur.Attempts != d.Attempts {
			return nil // another runner recorded this attempt
		}
		now := s.now()
		cur.Attempts++
		cur.UpdatedAt, cur.LastStatus, cur.LastError, cur.NextAt = now, status, "", time.Time{}
		if sendErr != nil {
			cur.LastError = sendErr.Error()
		}
		gone := e == nil || e.Disabled || status == 410
		switch wait, retry := webhook.NextRetry(cur.Attempts); {
		case sendErr == nil && status >= 200 && status < 300:
			cur.Status = webhook.Succeeded
		case gone || !retry:
			cur.Status = webhook.Failed
		default:
			cur.NextAt = now.Add(wait)
		}
		if status == 410 {
			// The endpoint as it is now: its owner may have edited it since the attempt began.
			ep, err := tx.Webhooks().GetEndpoint(ctx, e.ID)
			switch {
			case errors.Is(err, ports.ErrNotFound): // deleted meanwhile
			case err != nil:
				return err
			case ep.URL == e.URL: // the URL that answered 410 (a new one may work)
				ep.Disabled, ep.DisabledReason = true, "the endpoint answered 410 Gone"
				if err := tx.Webhooks().UpdateEndpoint(ctx, ep); err != nil {
					return err
				}
			}
		}
		if err := tx.Webhooks().UpdateDelivery(ctx, cur); err != nil {
			return err
		}
		if cur.Status != webhook.Pending {
			return tx.Timers().Delete(ctx, t.ID)
		}
		return tx.Timers().Schedule(ctx, ports.Timer{ID: t.ID, Action: actionWebhook, Ref: d.ID, DueAt: cur.NextAt})
	})
}
