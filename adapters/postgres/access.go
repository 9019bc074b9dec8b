package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// ---- API keys ----

type apiKeysRepo tx

const apiKeyCols = `id, account_id, name, prefix, hash, created_at, revoked_at`

func scanAPIKey(row pgx.Row) (*apikey.Key, error) {
	var (
		k       apikey.Key
		at, rev *time.Time
	)
	if err := row.Scan(&k.ID, &k.AccountID, &k.Name, &k.Prefix, &k.Hash, &at, &rev); err != nil {
		return nil, err
	}
	k.CreatedAt = fromTS(at)
	if rev != nil {
		r := fromTS(rev)
		k.RevokedAt = &r
	}
	return &k, nil
}

func revokedTS(k *apikey.Key) *time.Time {
	if k.RevokedAt == nil {
		return nil
	}
	return ts(*k.RevokedAt)
}

func (r *apiKeysRepo) Create(ctx context.Context, k *apikey.Key) error {
	tag, err := (*tx)(r).exec(ctx, "APIKeys.Create", `INSERT INTO api_keys (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`, k.ID, k.AccountID, k.Name, k.Prefix, k.Hash, ts(k.CreatedAt), revokedTS(k))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("API key %q exists", k.ID)
	}
	return nil
}

func (r *apiKeysRepo) Get(ctx context.Context, id string) (*apikey.Key, error) {
	t := (*tx)(r)
	k, err := scanAPIKey(t.row(ctx, "APIKeys.Get", `SELECT `+apiKeyCols+` FROM api_keys WHERE id = $1 FOR SHARE`, id))
	if errors.Is(err, ports.ErrNotFound) {
		return nil, notFound("API key", id)
	}
	if err != nil {
		return nil, t.fail("APIKeys.Get", err)
	}
	return k, nil
}

func (r *apiKeysRepo) Update(ctx context.Context, k *apikey.Key) error {
	tag, err := (*tx)(r).exec(ctx, "APIKeys.Update", `UPDATE api_keys SET account_id = $2, name = $3, prefix = $4, hash = $5,
		created_at = $6, revoked_at = $7 WHERE id = $1`, k.ID, k.AccountID, k.Name, k.Prefix, k.Hash, ts(k.CreatedAt), revokedTS(k))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("API key", k.ID)
	}
	return nil
}

func (r *apiKeysRepo) ListByAccount(ctx context.Context, accountID string) ([]*apikey.Key, error) {
	var keys []*apikey.Key
	err := (*tx)(r).query(ctx, "APIKeys.ListByAccount", `SELECT `+apiKeyCols+` FROM api_keys WHERE account_id = $1 ORDER BY seq`,
		[]any{accountID}, func(rows pgx.Rows) error {
			k, err := scanAPIKey(rows)
			keys = append(keys, k)
			return err
		})
	return keys, err
}

// ---- webhooks ----

type webhooksRepo tx

const endpointCols = `id, account_id, url, description, events, secret, disabled, disabled_reason, created_at`

func scanEndpoint(row pgx.Row) (*webhook.Endpoint, error) {
	var (
		e  webhook.Endpoint
		at *time.Time
	)
	if err := row.Scan(&e.ID, &e.AccountID, &e.URL, &e.Description, &e.Events, &e.Secret, &e.Disabled, &e.DisabledReason, &at); err != nil {
		return nil, err
	}
	e.CreatedAt = fromTS(at)
	if e.Events == nil {
		e.Events = []string{}
	}
	return &e, nil
}

func endpointArgs(e *webhook.Endpoint) []any {
	events := e.Events
	if events == nil {
		events = []string{}
	}
	return []any{e.ID, e.AccountID, e.URL, e.Description, events, e.Secret, e.Disabled, e.DisabledReason, ts(e.CreatedAt)}
}

func (r *webhooksRepo) CreateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	tag, err := (*tx)(r).exec(ctx, "Webhooks.CreateEndpoint", `INSERT INTO webhook_endpoints (`+endpointCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`, endpointArgs(e)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("webhook endpoint %q exists", e.ID)
	}
	return nil
}

func (r *webhooksRepo) GetEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	t := (*tx)(r)
	e, err := scanEndpoint(t.row(ctx, "Webhooks.GetEndpoint", `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1 FOR SHARE`, id))
	if errors.Is(err, ports.ErrNotFound) {
		return nil, notFound("webhook endpoint", id)
	}
	if err != nil {
		return nil, t.fail("Webhooks.GetEndpoint", err)
	}
	return e, nil
}

func (r *webhooksRepo) UpdateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	tag, err := (*tx)(r).exec(ctx, "Webhooks.UpdateEndpoint", `UPDATE webhook_endpoints SET account_id = $2, url = $3,
		description = $4, events = $5, secret = $6, disabled = $7, disabled_reason = $8, created_at = $9 WHERE id = $1`, endpointArgs(e)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("webhook endpoint", e.ID)
	}
	return nil
}

func (r *webhooksRepo) DeleteEndpoint(ctx context.Context, id string) error {
	tag, err := (*tx)(r).exec(ctx, "Webhooks.DeleteEndpoint", `DELETE FROM webhook_endpoints WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("webhook endpoint", id)
	}
	return nil
}

func (r *webhooksRepo) ListEndpoints(ctx context.Context, accountIDs ...string) ([]*webhook.Endpoint, error) {
	var es []*webhook.Endpoint
	err := (*tx)(r).query(ctx, "Webhooks.ListEndpoints", `SELECT `+endpointCols+` FROM webhook_endpoints WHERE account_id = ANY($1) ORDER BY seq`,
		[]any{accountIDs}, func(rows pgx.Rows) error {
			e, err := scanEndpoint(rows)
			es = append(es, e)
			return err
		})
	return es, err
}

const deliveryCols = `id, endpoint_id, account_id, event_id, event_type, payload, status, attempts, last_status, last_error, next_at, created_at, updated_at`

func scanDelivery(row pgx.Row) (*webhook.Delivery, error) {
	var (
		d                 webhook.Delivery
		status            string
		next, at, updated *time.Time
		lastStatus        int64
		attempts          int64
	)
	if err := row.Scan(&d.ID, &d.EndpointID, &d.AccountID, &d.EventID, &d.EventType, &d.Payload, &status, &attempts, &lastStatus,
		&d.LastError, &next, &at, &updated); err != nil {
		return nil, err
	}
	d.Status, d.Attempts, d.LastStatus = webhook.Status(status), int(attempts), int(lastStatus)
	d.NextAt, d.CreatedAt, d.UpdatedAt = fromTS(next), fromTS(at), fromTS(updated)
	return &d, nil
}

func deliveryArgs(d *webhook.Delivery) []any {
	payload := d.Payload
	if payload == nil {
		payload = []byte{}
	}
	return []any{d.ID, d.EndpointID, d.AccountID, d.EventID, d.EventType, payload, string(d.Status), int64(d.Attempts), int64(d.LastStatus),
		d.LastError, ts(d.NextAt), ts(d.CreatedAt), ts(d.UpdatedAt)}
}

func (r *webhooksRepo) CreateDelivery(ctx context.Context, d *webhook.Delivery) error {
	tag, err := (*tx)(r).exec(ctx, "Webhooks.CreateDelivery", `INSERT INTO webhook_deliveries (`+deliveryCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`, deliveryArgs(d)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("webhook delivery %q exists", d.ID)
	}
	return nil
}

// GetDelivery locks the delivery: the runner that records an attempt holds it until commit.
func (r *webhooksRepo) GetDelivery(ctx context.Context, id string) (*webhook.Delivery, error) {
	t := (*tx)(r)
	d, err := scanDelivery(t.row(ctx, "Webhooks.GetDelivery", `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, ports.ErrNotFound) {
		return nil, notFound("webhook delivery", id)
	}
	if err != nil {
		return nil, t.fail("Webhooks.GetDelivery", err)
	}
	return d, nil
}

func (r *webhooksRepo) UpdateDelivery(ctx context.Context, d *webhook.Delivery) error {
	tag, err := (*tx)(r).exec(ctx, "Webhooks.UpdateDelivery", `UPDATE webhook_deliveries SET endpoint_id = $2, account_id = $3,
		event_id = $4, event_type = $5, payload = $6, status = $7, attempts = $8, last_status = $9, last_error = $10,
		next_at = $11, created_at = $12, updated_at = $13 WHERE id = $1`, deliveryArgs(d)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("webhook delivery", d.ID)
	}
	return nil
}

func (r *webhooksRepo) ListDeliveries(ctx context.Context, endpointID, before string, limit int) ([]*webhook.Delivery, error) {
	sql := `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC`
	args := []any{endpointID, before}
	if limit > 0 {
		sql += ` LIMIT $3`
		args = append(args, limit)
	}
	var ds []*webhook.Delivery
	err := (*tx)(r).query(ctx, "Webhooks.ListDeliveries", sql, args, func(rows pgx.Rows) error {
		d, err := scanDelivery(rows)
		ds = append(ds, d)
		return err
	})
	return ds, err
}

// ---- idempotency ----

type idempotencyRepo tx

func (r *idempotencyRepo) Begin(ctx context.Context, q ports.IdempotentRequest) error {
	tag, err := (*tx)(r).exec(ctx, "Idempotency.Begin", `INSERT INTO idempotency_requests
		(account_id, key, request_hash, status, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`, q.AccountID, q.Key, q.RequestHash, int64(q.Status), q.ContentType, q.Body, ts(q.CreatedAt))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("idempotency key %q of %q is in use", q.Key, q.AccountID)
	}
	return nil
}

func (r *idempotencyRepo) Get(ctx context.Context, accountID, key string) (ports.IdempotentRequest, error) {
	t := (*tx)(r)
	q := ports.IdempotentRequest{AccountID: accountID, Key: key}
	var (
		status int64
		at     *time.Time
	)
	err := t.row(ctx, "Idempotency.Get", `SELECT request_hash, status, content_type, body, created_at FROM idempotency_requests
		WHERE account_id = $1 AND key = $2 FOR UPDATE`, accountID, key).Scan(&q.RequestHash, &status, &q.ContentType, &q.Body, &at)
	if errors.Is(err, ports.ErrNotFound) {
		return ports.IdempotentRequest{}, notFound("idempotency key", key)
	}
	if err != nil {
		return ports.IdempotentRequest{}, t.fail("Idempotency.Get", err)
	}
	q.Status, q.CreatedAt = int(status), fromTS(at)
	return q, nil
}

func (r *idempotencyRepo) Complete(ctx context.Context, q ports.IdempotentRequest) error {
	tag, err := (*tx)(r).exec(ctx, "Idempotency.Complete", `UPDATE idempotency_requests SET request_hash = $3, status = $4,
		content_type = $5, body = $6, created_at = $7 WHERE account_id = $1 AND key = $2`,
		q.AccountID, q.Key, q.RequestHash, int64(q.Status), q.ContentType, q.Body, ts(q.CreatedAt))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("idempotency key", q.Key)
	}
	return nil
}

func (r *idempotencyRepo) Delete(ctx context.Context, accountID, key string) error {
	_, err := (*tx)(r).exec(ctx, "Idempotency.Delete", `DELETE FROM idempotency_requests WHERE account_id = $1 AND key = $2`, accountID, key)
	return err
}

// ---- processor events ----

type procEventsRepo tx

func (r *procEventsRepo) Record(ctx context.Context, id string, at time.Time) error {
	tag, err := (*tx)(r).exec(ctx, "ProcessorEvents.Record", `INSERT INTO processor_events (id, at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		id, ts(at))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("processor event %q was recorded before", id)
	}
	return nil
}
