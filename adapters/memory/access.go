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
// its creation number. Writes log a closure that undoes them.
type table[T any] struct {
	rows map[string]rec[T]
}

// insert stores a copy of v under a new key; ErrConflict if the key exists.
func (t *table[T]) insert(s *Store, key string, v *T) error {
	if _, ok := t.rows[key]; ok {
		return ports.ErrConflict
	}
	s.seq++
	c := *v
	t.rows[key] = rec[T]{seq: s.seq, v: &c}
	s.log(undoRec{kind: undoFunc, restore: func() { delete(t.rows, key) }})
	return nil
}

// replace stores a copy of v under an existing key; ErrNotFound.
func (t *table[T]) replace(s *Store, key string, v *T) error {
	old, ok := t.rows[key]
	if !ok {
		return ports.ErrNotFound
	}
	c := *v
	t.rows[key] = rec[T]{seq: old.seq, v: &c}
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
	c := *r.v
	return &c, nil
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
		c := *r.v
		out[i] = &c
	}
	return out
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
	e2 := *e
	e2.Events = slices.Clone(e.Events)
	return s.endpoints.insert(s, e.ID, &e2)
}

func (r *webhooksRepo) GetEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	e, err := (*tx)(r).store().endpoints.get(id)
	if err == nil {
		e.Events = slices.Clone(e.Events)
	}
	return e, err
}

func (r *webhooksRepo) UpdateEndpoint(ctx context.Context, e *webhook.Endpoint) error {
	s := (*tx)(r).store()
	e2 := *e
	e2.Events = slices.Clone(e.Events)
	return s.endpoints.replace(s, e.ID, &e2)
}

func (r *webhooksRepo) DeleteEndpoint(ctx context.Context, id string) error {
	s := (*tx)(r).store()
	if !s.endpoints.remove(s, id) {
		return ports.ErrNotFound
	}
	return nil
}

func (r *webhooksRepo) ListEndpoints(ctx context.Context, accountID string) ([]*webhook.Endpoint, error) {
	es := (*tx)(r).store().endpoints.list(func(e *webhook.Endpoint) bool { return e.AccountID == accountID })
	for _, e := range es {
		e.Events = slices.Clone(e.Events)
	}
	return es, nil
}

func (r *webhooksRepo) CreateDelivery(ctx context.Context, d *webhook.Delivery) error {
	s := (*tx)(r).store()
	d2 := *d
	d2.Payload = slices.Clone(d.Payload)
	return s.deliveries.insert(s, d.ID, &d2)
}

func (r *webhooksRepo) GetDelivery(ctx context.Context, id string) (*webhook.Delivery, error) {
	d, err := (*tx)(r).store().deliveries.get(id)
	if err == nil {
		d.Payload = slices.Clone(d.Payload)
	}
	return d, err
}

func (r *webhooksRepo) UpdateDelivery(ctx context.Context, d *webhook.Delivery) error {
	s := (*tx)(r).store()
	d2 := *d
	d2.Payload = slices.Clone(d.Payload)
	return s.deliveries.replace(s, d.ID, &d2)
}

func (r *webhooksRepo) ListDeliveries(ctx context.Context, endpointID, before string, limit int) ([]*webhook.Delivery, error) {
	ds := (*tx)(r).store().deliveries.list(func(d *webhook.Delivery) bool {
		return d.EndpointID == endpointID && (before == "" || d.ID < before)
	})
	slices.SortFunc(ds, func(a, b *webhook.Delivery) int { return cmp.Compare(b.ID, a.ID) })
	if limit > 0 && len(ds) > limit {
		ds = ds[:limit]
	}
	for _, d := range ds {
		d.Payload = slices.Clone(d.Payload)
	}
	return ds, nil
}

type idempotencyRepo tx

func idemKey(accountID, key string) string { return accountID + "\x00" + key }

func (r *idempotencyRepo) Begin(ctx context.Context, q ports.IdempotentRequest) error {
	s := (*tx)(r).store()
	q.Body = slices.Clone(q.Body)
	return s.idempotency.insert(s, idemKey(q.AccountID, q.Key), &q)
}

func (r *idempotencyRepo) Get(ctx context.Context, accountID, key string) (ports.IdempotentRequest, error) {
	q, err := (*tx)(r).store().idempotency.get(idemKey(accountID, key))
	if err != nil {
		return ports.IdempotentRequest{}, err
	}
	q.Body = slices.Clone(q.Body)
	return *q, nil
}

func (r *idempotencyRepo) Complete(ctx context.Context, q ports.IdempotentRequest) error {
	s := (*tx)(r).store()
	q.Body = slices.Clone(q.Body)
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
