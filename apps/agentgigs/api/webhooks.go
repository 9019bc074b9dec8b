package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// maxFeedWait bounds how long GET /api/events holds a request open.
const maxFeedWait = 30 * time.Second

// feedPoll is how often a waiting feed request looks for new events.
const feedPoll = 100 * time.Millisecond

type (
	endpointBody struct {
		URL         string   `json:"url" format:"uri" maxLength:"2000" doc:"https URL receiving POSTed events"`
		Description string   `json:"description,omitempty" maxLength:"500"`
		Events      []string `json:"events,omitempty" maxItems:"100" doc:"event types or prefixes like job.*; empty means every event"`
	}
	endpointIn     struct{ Body endpointBody }
	endpointUpdate struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			URL         string   `json:"url" format:"uri" maxLength:"2000"`
			Description string   `json:"description,omitempty" maxLength:"500"`
			Events      []string `json:"events,omitempty" maxItems:"100"`
			Enabled     *bool    `json:"enabled,omitempty" doc:"false disables the endpoint, true re-enables it; default true"`
		}
	}
	endpointIDIn struct {
		ID string `path:"id" maxLength:"64" doc:"webhook endpoint ID"`
	}
	createdEndpoint struct {
		*webhook.Endpoint
		Secret string `json:"secret" doc:"whsec_ signing secret: verify webhook-signature with it"`
	}
	endpointCreatedOut struct{ Body createdEndpoint }
	endpointOut        struct{ Body *webhook.Endpoint }
	endpointsOut       struct{ Body []*webhook.Endpoint }
	deliveriesIn       struct {
		ID     string `path:"id" maxLength:"64"`
		Before string `query:"before" maxLength:"64" doc:"the id of the oldest delivery you have, for the next page"`
		Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	}
	deliveriesOut struct{ Body []*webhook.Delivery }
	deliveryIDIn  struct {
		ID string `path:"id" maxLength:"64" doc:"webhook delivery ID (its webhook-id header)"`
	}
	deliveryOut struct{ Body *webhook.Delivery }
	eventsIn    struct {
		After int64 `query:"after" minimum:"0" doc:"the seq of the last event you have; 0 from the start"`
		Limit int   `query:"limit" minimum:"1" maximum:"500" default:"100"`
		Wait  int   `query:"wait" minimum:"0" maximum:"30" doc:"seconds to wait for an event when there is none yet (long poll)"`
	}
	eventsOut struct {
		Body struct {
			Events []event.Event `json:"events"`
			Next   int64         `json:"next" doc:"pass as after for the next call"`
		}
	}
	secretOut struct {
		Body struct {
			Secret string `json:"secret"`
		}
	}
)

func (s *Server) registerWebhooks() {
	op(s, huma.Operation{
		OperationID: "create-webhook-endpoint", Method: http.MethodPost, Path: "/api/webhooks", Tags: []string{"Webhooks"},
		DefaultStatus: http.StatusCreated, Summary: "Register a webhook endpoint (Standard Webhooks signatures)",
	}, func(ctx context.Context, in *endpointIn) (*endpointCreatedOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		e, err := s.cfg.Service.CreateWebhookEndpoint(ctx, c, market.EndpointInput(in.Body))
		if err != nil {
			return nil, err
		}
		return &endpointCreatedOut{Body: createdEndpoint{Endpoint: e, Secret: e.Secret}}, nil
	})
	op(s, huma.Operation{
		OperationID: "list-webhook-endpoints", Method: http.MethodGet, Path: "/api/webhooks", Tags: []string{"Webhooks"},
		Summary: "The caller's webhook endpoints",
	}, func(ctx context.Context, in *emptyIn) (*endpointsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		es, err := s.cfg.Service.WebhookEndpoints(ctx, c)
		if es == nil {
			es = []*webhook.Endpoint{}
		}
		return &endpointsOut{Body: es}, err
	})
	op(s, huma.Operation{
		OperationID: "get-webhook-endpoint", Method: http.MethodGet, Path: "/api/webhooks/{id}", Tags: []string{"Webhooks"},
		Summary: "One webhook endpoint",
	}, func(ctx context.Context, in *endpointIDIn) (*endpointOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		e, err := s.cfg.Service.WebhookEndpoint(ctx, c, in.ID)
		return &endpointOut{Body: e}, err
	})
	op(s, huma.Operation{
		OperationID: "get-webhook-secret", Method: http.MethodGet, Path: "/api/webhooks/{id}/secret", Tags: []string{"Webhooks"},
		Summary: "The endpoint's signing secret",
	}, func(ctx context.Context, in *endpointIDIn) (*secretOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		e, err := s.cfg.Service.WebhookEndpoint(ctx, c, in.ID)
		if err != nil {
			return nil, err
		}
		out := &secretOut{}
		out.Body.Secret = e.Secret
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "update-webhook-endpoint", Method: http.MethodPut, Path: "/api/webhooks/{id}", Tags: []string{"Webhooks"},
		Summary: "Replace an endpoint's URL, description and filter; enable or disable it",
	}, func(ctx context.Context, in *endpointUpdate) (*endpointOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		enabled := in.Body.Enabled == nil || *in.Body.Enabled
		b := in.Body
		e, err := s.cfg.Service.UpdateWebhookEndpoint(ctx, c, in.ID, market.EndpointInput{URL: b.URL, Description: b.Description, Events: b.Events}, enabled)
		return &endpointOut{Body: e}, err
	})
	op(s, huma.Operation{
		OperationID: "delete-webhook-endpoint", Method: http.MethodDelete, Path: "/api/webhooks/{id}", Tags: []string{"Webhooks"},
		DefaultStatus: http.StatusNoContent, Summary: "Delete an endpoint; its pending deliveries stop",
	}, func(ctx context.Context, in *endpointIDIn) (*struct{}, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		return nil, s.cfg.Service.DeleteWebhookEndpoint(ctx, c, in.ID)
	})
	op(s, huma.Operation{
		OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/api/webhooks/{id}/deliveries", Tags: []string{"Webhooks"},
		Summary: "The endpoint's delivery log, newest first",
	}, func(ctx context.Context, in *deliveriesIn) (*deliveriesOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		ds, err := s.cfg.Service.WebhookDeliveries(ctx, c, in.ID, in.Before, in.Limit)
		if ds == nil {
			ds = []*webhook.Delivery{}
		}
		return &deliveriesOut{Body: ds}, err
	})
	op(s, huma.Operation{
		OperationID: "test-webhook-endpoint", Method: http.MethodPost, Path: "/api/webhooks/{id}/test", Tags: []string{"Webhooks"},
		DefaultStatus: http.StatusAccepted, Summary: "Send a webhook.test event to the endpoint",
	}, func(ctx context.Context, in *endpointIDIn) (*deliveryOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		d, err := s.cfg.Service.TestWebhook(ctx, c, in.ID)
		return &deliveryOut{Body: d}, err
	})
	op(s, huma.Operation{
		OperationID: "replay-webhook-delivery", Method: http.MethodPost, Path: "/api/webhooks/deliveries/{id}/replay", Tags: []string{"Webhooks"},
		DefaultStatus: http.StatusAccepted, Summary: "Send a delivery's payload again, as a new delivery",
	}, func(ctx context.Context, in *deliveryIDIn) (*deliveryOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		d, err := s.cfg.Service.ReplayDelivery(ctx, c, in.ID)
		return &deliveryOut{Body: d}, err
	})
	op(s, huma.Operation{
		OperationID: "list-events", Method: http.MethodGet, Path: "/api/events", Tags: []string{"Events"},
		Summary:     "The caller's events in order, cursor-paged, with long poll",
		Description: "The same events webhooks deliver, for agents without a public URL. Pass the last next as after; with wait=N the request waits up to N seconds for a new event.",
	}, func(ctx context.Context, in *eventsIn) (*eventsOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		deadline := time.Now().Add(min(time.Duration(in.Wait)*time.Second, maxFeedWait))
		for {
			es, err := s.cfg.Service.Events(ctx, c, in.After, in.Limit)
			if err != nil {
				return nil, err
			}
			if len(es) > 0 || !time.Now().Before(deadline) {
				out := &eventsOut{}
				out.Body.Events, out.Body.Next = es, in.After
				if es == nil {
					out.Body.Events = []event.Event{}
				}
				if n := len(es); n > 0 {
					out.Body.Next = es[n-1].Seq
				}
				return out, nil
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(feedPoll):
			}
		}
	})
}
