package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// storeAPIKeys checks create, get, update, listing per account and rollback.
func storeAPIKeys(t *testing.T, s ports.Store) {
	acc := "acc_" + nonce()
	k1 := &apikey.Key{ID: "k1" + nonce(), AccountID: acc, Name: "ci", Prefix: "agk_x", Hash: "h1", CreatedAt: at(0)}
	k2 := &apikey.Key{ID: "k2" + nonce(), AccountID: acc, Name: "bot", Prefix: "agk_y", Hash: "h2", CreatedAt: at(time.Minute)}
	other := &apikey.Key{ID: "k3" + nonce(), AccountID: "acc_other" + nonce(), Hash: "h3", CreatedAt: at(0)}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for _, k := range []*apikey.Key{k1, k2, other} {
			require.NoError(t, tx.APIKeys().Create(ctx, k))
		}
		require.ErrorIs(t, tx.APIKeys().Create(ctx, k1), ports.ErrConflict)
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, k1, must(tx.APIKeys().Get(ctx, k1.ID))(t))
		require.Equal(t, []*apikey.Key{k1, k2}, must(tx.APIKeys().ListByAccount(ctx, acc))(t))
		_, err := tx.APIKeys().Get(ctx, "missing")
		require.ErrorIs(t, err, ports.ErrNotFound)
		require.ErrorIs(t, tx.APIKeys().Update(ctx, &apikey.Key{ID: "missing"}), ports.ErrNotFound)
	})
	revoked := *k1
	when := at(time.Hour)
	revoked.RevokedAt = &when
	require.Error(t, txErr(t, s, func(ctx context.Context, tx ports.Tx) error {
		require.NoError(t, tx.APIKeys().Update(ctx, &revoked))
		return errors.New("roll back")
	}))
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.Equal(t, k1, must(tx.APIKeys().Get(ctx, k1.ID))(t), "a rolled-back update leaves the key")
		require.NoError(t, tx.APIKeys().Update(ctx, &revoked))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		got := must(tx.APIKeys().Get(ctx, k1.ID))(t)
		require.NotNil(t, got.RevokedAt)
		require.True(t, got.RevokedAt.Equal(when))
	})
}

// storeWebhooks checks endpoints and deliveries: CRUD, listing order, paging and rollback.
func storeWebhooks(t *testing.T, s ports.Store) {
	acc := "acc_" + nonce()
	e1 := &webhook.Endpoint{ID: "we_1" + nonce(), AccountID: acc, URL: "https://a.example/hook", Events: []string{"job.*"}, Secret: "whsec_AAAA", CreatedAt: at(0)}
	e2 := &webhook.Endpoint{ID: "we_2" + nonce(), AccountID: acc, URL: "https://b.example/hook", Events: []string{}, Secret: "whsec_BBBB", CreatedAt: at(time.Second)}
	other := &webhook.Endpoint{ID: "we_0" + nonce(), AccountID: "acc_" + nonce(), URL: "https://c.example/hook", Events: []string{}, Secret: "whsec_CCCC", CreatedAt: at(0)}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Webhooks().CreateEndpoint(ctx, e1))
		require.NoError(t, tx.Webhooks().CreateEndpoint(ctx, other))
		require.NoError(t, tx.Webhooks().CreateEndpoint(ctx, e2))
		require.ErrorIs(t, tx.Webhooks().CreateEndpoint(ctx, e1), ports.ErrConflict)
		// The store keeps copies: changing what went in or came out changes nothing stored.
		e1.Events[0] = "mutated"
		must(tx.Webhooks().GetEndpoint(ctx, e1.ID))(t).Events[0] = "mutated"
		must(tx.Webhooks().ListEndpoints(ctx, acc))(t)[0].Events[0] = "mutated"
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		got := must(tx.Webhooks().ListEndpoints(ctx, acc))(t)
		require.Len(t, got, 2)
		require.Equal(t, e1.ID, got[0].ID)
		require.Equal(t, []string{"job.*"}, got[0].Events)
		require.Equal(t, "whsec_AAAA", got[0].Secret)
		require.Empty(t, must(tx.Webhooks().ListEndpoints(ctx, "acc_nobody"))(t))
		require.Empty(t, must(tx.Webhooks().ListEndpoints(ctx))(t))
		both := must(tx.Webhooks().ListEndpoints(ctx, other.AccountID, "acc_nobody", acc))(t)
		require.Len(t, both, 3)
		require.Equal(t, []string{e1.ID, other.ID, e2.ID}, []string{both[0].ID, both[1].ID, both[2].ID}, "oldest first")
		e := must(tx.Webhooks().GetEndpoint(ctx, e2.ID))(t)
		e.Disabled, e.DisabledReason = true, "410 Gone"
		require.NoError(t, tx.Webhooks().UpdateEndpoint(ctx, e))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		e := must(tx.Webhooks().GetEndpoint(ctx, e2.ID))(t)
		require.True(t, e.Disabled)
		require.Equal(t, "410 Gone", e.DisabledReason)
		require.NoError(t, tx.Webhooks().DeleteEndpoint(ctx, e2.ID))
		require.ErrorIs(t, tx.Webhooks().DeleteEndpoint(ctx, e2.ID), ports.ErrNotFound)
		_, err := tx.Webhooks().GetEndpoint(ctx, e2.ID)
		require.ErrorIs(t, err, ports.ErrNotFound)
		require.ErrorIs(t, tx.Webhooks().UpdateEndpoint(ctx, e), ports.ErrNotFound)
	})

	var (
		ids   []string
		first *webhook.Delivery
	)
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		for i := range 5 {
			d := &webhook.Delivery{
				ID: "wd_" + string(rune('a'+i)) + nonce(), EndpointID: e1.ID, AccountID: acc, EventID: "evt_" + nonce(),
				EventType: "job.approved", Payload: []byte(`{"n":1}`), Status: webhook.Pending, CreatedAt: at(0), UpdatedAt: at(0), NextAt: at(time.Second),
			}
			require.NoError(t, tx.Webhooks().CreateDelivery(ctx, d))
			ids = append(ids, d.ID)
			if first == nil {
				first = d
			}
		}
		require.ErrorIs(t, tx.Webhooks().CreateDelivery(ctx, first), ports.ErrConflict)
		first.Payload[0] = 'X'
		must(tx.Webhooks().GetDelivery(ctx, first.ID))(t).Payload[0] = 'X'
		must(tx.Webhooks().ListDeliveries(ctx, e1.ID, "", 0))(t)[4].Payload[0] = 'X'
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		page := must(tx.Webhooks().ListDeliveries(ctx, e1.ID, "", 2))(t)
		require.Equal(t, []string{ids[4], ids[3]}, []string{page[0].ID, page[1].ID}, "newest first")
		page = must(tx.Webhooks().ListDeliveries(ctx, e1.ID, ids[3], 0))(t)
		require.Len(t, page, 3)
		require.Equal(t, ids[2], page[0].ID)
		require.Equal(t, []byte(`{"n":1}`), page[0].Payload)
		require.Empty(t, must(tx.Webhooks().ListDeliveries(ctx, "we_none", "", 0))(t))

		d := must(tx.Webhooks().GetDelivery(ctx, ids[0]))(t)
		require.Equal(t, []byte(`{"n":1}`), d.Payload)
		d.Status, d.Attempts, d.LastStatus, d.LastError = webhook.Failed, 10, 500, "boom"
		require.NoError(t, tx.Webhooks().UpdateDelivery(ctx, d))
		require.ErrorIs(t, tx.Webhooks().UpdateDelivery(ctx, &webhook.Delivery{ID: "missing"}), ports.ErrNotFound)
		_, err := tx.Webhooks().GetDelivery(ctx, "missing")
		require.ErrorIs(t, err, ports.ErrNotFound)
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		d := must(tx.Webhooks().GetDelivery(ctx, ids[0]))(t)
		require.Equal(t, webhook.Failed, d.Status)
		require.Equal(t, 10, d.Attempts)
		require.Equal(t, 500, d.LastStatus)
	})
}

// storeIdempotency checks that a key is begun once per account, completed and deleted.
func storeIdempotency(t *testing.T, s ports.Store) {
	acc := "acc_" + nonce()
	r := ports.IdempotentRequest{AccountID: acc, Key: "key-1", RequestHash: "POST /x abc", CreatedAt: at(0)}
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Idempotency().Begin(ctx, r))
		require.ErrorIs(t, tx.Idempotency().Begin(ctx, r), ports.ErrConflict)
		other := r
		other.AccountID = "acc_other" + nonce()
		require.NoError(t, tx.Idempotency().Begin(ctx, other), "keys are per account")
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		got := must(tx.Idempotency().Get(ctx, acc, "key-1"))(t)
		require.Equal(t, 0, got.Status)
		require.Equal(t, "POST /x abc", got.RequestHash)
		r.Status, r.Body = 201, []byte(`{"ok":true}`)
		require.NoError(t, tx.Idempotency().Complete(ctx, r))
		r.Body[0] = 'X'
		must(tx.Idempotency().Get(ctx, acc, "key-1"))(t).Body[0] = 'X'
		require.ErrorIs(t, tx.Idempotency().Complete(ctx, ports.IdempotentRequest{AccountID: acc, Key: "nope"}), ports.ErrNotFound)
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		got := must(tx.Idempotency().Get(ctx, acc, "key-1"))(t)
		require.Equal(t, 201, got.Status)
		require.Equal(t, []byte(`{"ok":true}`), got.Body)
		require.True(t, got.CreatedAt.Equal(at(0)))
		require.NoError(t, tx.Idempotency().Delete(ctx, acc, "key-1"))
		require.NoError(t, tx.Idempotency().Delete(ctx, acc, "key-1"))
		_, err := tx.Idempotency().Get(ctx, acc, "key-1")
		require.ErrorIs(t, err, ports.ErrNotFound)
	})
}

// storeProcessorEvents checks that an event is recorded once, and that a rolled-back record is
// forgotten.
func storeProcessorEvents(t *testing.T, s ports.Store) {
	id := "evt_" + nonce()
	require.Error(t, txErr(t, s, func(ctx context.Context, tx ports.Tx) error {
		require.NoError(t, tx.ProcessorEvents().Record(ctx, id, at(0)))
		return errors.New("roll back")
	}))
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.ProcessorEvents().Record(ctx, id, at(0)), "a rolled-back record is forgotten")
		require.NoError(t, tx.ProcessorEvents().Record(ctx, "evt_other"+nonce(), at(0)))
	})
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.ErrorIs(t, tx.ProcessorEvents().Record(ctx, id, at(time.Hour)), ports.ErrConflict)
	})
}
