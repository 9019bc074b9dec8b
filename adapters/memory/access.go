package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// table holds rarely written records (API keys, webhooks, idempotency records) by key, each with
// its creation number. Writes log a closure that undoes them. Records go in and out as copies,
// so that neither side shares memory with the other.
type table[T any] struct {
	rows map[string]rec[T]
	copy func(*T) *T // a deep copy
}

// newTable returns an empty table whose records are copied with copyRec.
func newTable[T any](copyRec func(*T) *T) table[T] {
	return table[T]{rows: map[string]rec[T]{}, copy: copyRec}
}

// copyValue copies a record that holds no pointer, slice or map.
func copyValue[T any](v *T) *T { c := *v; return &c }

// insert stores a copy of v under a new key; ErrConflict if the key exists.
func (t *table[T]) insert(s *Store, key string, v *T) error {
	if _, ok := t.rows[key]; ok {
		return ports.ErrConflict
	}
	s.seq++
	t.rows[key] = rec[T]{seq: s.seq, v: t.copy(v)}
	s.log(undoRec{kind: undoFunc, restore: func() { delete(t.rows, key) }})
	return nil
}

// replace stores a copy of v under an existing key; ErrNotFound.
func (t *table[T]) replace(s *Store, key string, v *T) error {
	old, ok := t.rows[key]
	if !ok {
		return ports.ErrNotFound
	}
	t.rows[key] = rec[T]{seq: old.seq, v: t.copy(v)}
	s.log(undoRec{kind: undoFunc, restore: func() { t.rows[key] = old }})
	return nil
}

// remove deletes the key, reporting whether it existed.
func (t *table[T]) remove(s *Store, key string) bool {
	old, ok := t.rows[key]
	if ok {
		delete(t.rows, key)
		s.log(undoRec{kind: undoFunc, restore: func() { t.rows[key] = old }})
	}
	return ok
}

// get returns a copy of the record under key; ErrNotFound.
func (t *table[T]) get(key string) (*T, error) {
	r, ok := t.rows[key]
	if !ok {
		return nil, ports.ErrNotFound
	}
	return t.copy(r.v), nil
}

// list returns copies of the records keep accepts, oldest first.
func (t *table[T]) list(keep func(*T) bool) []*T {
	var found []rec[T]
	for _, r := range t.rows {
		if keep(r.v) {
			found = append(found, r)
		}
	}
	slices.SortFunc(found, func(a, b rec[T]) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]*T, len(found))
	for i, r := range found {
		out[i] = t.copy(r.v)
	}
	return out
}

func copyAPIKey(k *apikey.Key) *apikey.Key {
	c := *k
	if k.RevokedAt != nil {
		at := *k.RevokedAt
		c.RevokedAt = &at
	}
	return &c
}

func copyEndpoint(e *webhook.Endpoint) *webhook.Endpoint {
	c := *e
	c.Events = slices.Clone(e.Events)
	return &c
}

func copyDelivery(d *webhook.Delivery) *webhook.Delivery {
	c := *d
	c.Payload = slices.Clone(d.Payload)
	return &c
}

func copyIdempotent(q *ports.IdempotentRequest) *ports.IdempotentRequest {
	c := *q
	c.Body = slices.Clone(q.Body)
	return &c
}

type apiKeysRepo tx

func (r *apiKeysRepo) Create(ctx context.Context, k *apikey.Key) error {
	s := (*tx)(r).store()
	return s.apiKeys.insert(s, k.ID, k)
}

func (r *apiKeysRepo) Get(ctx context.Context, id string) (*apikey.Key, error) {
	return (*tx)(r).store().apiKeys.get(id)
}

func (r *apiKeysRepo) Update(ctx context.Context, k *apikey.Key) error {
	s := (*tx)(r).store()
	return s.apiKeys.replace(s, k.ID, k)
}

func (r *apiKeysRepo) ListByAccount(ctx context.Context, accountID string) ([]*apikey.Key, error) {
	return (*tx)(r).store().apiKeys.list(func(k *apikey.Key) bool { return k.AccountID == accountID }), nil
}

type webhooksRepo tx

func (r *webhooksRepo) CreateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	s := (*tx)(r).store()
	return s.endpoints.insert(s, e.ID, e)
}

func (r *webhooksRepo) GetEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	return (*tx)(r).store().endpoints.get(id)
}

func (r *webhooksRepo) UpdateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	s := (*tx)(r).store()
	return s.endpoints.replace(s, e.ID, e)
}

func (r *webhooksRepo) DeleteEndpoint(ctx context.Context, id string) error {
	s := (*tx)(r).store()
	if !s.endpoints.remove(s, id) {
		return ports.ErrNotFound
	}
	return nil
}

func (r *webhooksRepo) ListEndpoints(ctx context.Context, accountIDs ...string) ([]*webhook.Endpoint, error) {
	return (*tx)(r).store().endpoints.list(func(e *webhook.Endpoint) bool { return slices.Contains(accountIDs, e.AccountID) }), nil
}

func (r *webhooksRepo) CreateDelivery(ctx context.Context, d *webhook.Delivery) error {
	s := (*tx)(r).store()
	return s.deliveries.insert(s, d.ID, d)
}

func (r *webhooksRepo) GetDelivery(ctx context.Context, id string) (*webhook.Delivery, error) {
	return (*tx)(r).store().deliveries.get(id)
}

func (r *webhooksRepo) UpdateDelivery(ctx context.Context, d *webhook.Delivery) error {
	s := (*tx)(r).store()
	return s.deliveries.replace(s, d.ID, d)
}

func (r *webhooksRepo) ListDeliveries(ctx context.Context, endpointID, before string, limit int) ([]*webhook.Delivery, error) {
	ds := (*tx)(r).store().deliveries.list(func(d *webhook.Delivery) bool {
		return d.EndpointID == endpointID && (before == "" || d.ID < before)
	})
	slices.SortFunc(ds, func(a, b *webhook.Delivery) int { return cmp.Compare(b.ID, a.ID) })
	if limit > 0 && len(ds) > limit {
		ds = ds[:limit]
	}
	return ds, nil
}

type idempotencyRepo tx

func idemKey(accountID, key string) string { return accountID + "\x00" + key }

func (r *idempotencyRepo) Begin(ctx context.Context, q ports.IdempotentRequest) error {
	s := (*tx)(r).store()
	return s.idempotency.insert(s, idemKey(q.AccountID, q.Key), &q)
}

func (r *idempotencyRepo) Get(ctx context.Context, accountID, key string) (ports.IdempotentRequest, error) {
	q, err := (*tx)(r).store().idempotency.get(idemKey(accountID, key))
	if err != nil {
		return ports.IdempotentRequest{}, err
	}
	return *q, nil
}

func (r *idempotencyRepo) Complete(ctx context.Context, q ports.IdempotentRequest) error {
	s := (*tx)(r).store()
	return s.idempotency.replace(s, idemKey(q.AccountID, q.Key), &q)
}

func (r *idempotencyRepo) Delete(ctx context.Context, accountID, key string) error {
	s := (*tx)(r).store()
	s.idempotency.remove(s, idemKey(accountID, key))
	return nil
}

type procEventsRepo tx

func (r *procEventsRepo) Record(ctx context.Context, id string, at time.Time) error {
	s := (*tx)(r).store()
	return s.procEvents.insert(s, id, &at)
}
