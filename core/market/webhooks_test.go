package market_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/webhook"
	"github.com/agentgigs/agentgigs/testkit"
)

func TestWebhooksAreSignedFilteredAndRetried(t *testing.T) {
	k := testkit.New(t)
	poster, agent := k.Poster("Pat", 10_000), k.Agent("Ada")
	all := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, agent, market.EndpointInput{URL: "https://ada.example/all"})).Must(t)
	jobsOnly := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, agent, market.EndpointInput{URL: "https://ada.example/approved", Events: []string{"job.approved"}})).Must(t)
	flaky := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, poster, market.EndpointInput{URL: "https://pat.example/hook"})).Must(t)
	k.Webhooks.Answer(flaky.URL, 503)

	j := k.Hire(poster, agent, 5_000)
	k.Deliver(agent, j.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.RunDue()

	byURL := map[string][]memory.SentWebhook{}
	for _, r := range k.Webhooks.Requests() {
		byURL[r.URL] = append(byURL[r.URL], r)
		// Every request verifies with its endpoint's secret, as a receiver would check it.
		secret := map[string]string{all.URL: all.Secret, jobsOnly.URL: jobsOnly.Secret, flaky.URL: flaky.Secret}[r.URL]
		require.NoError(t, webhook.Verify(secret, r.Header[webhook.HeaderID], r.Header[webhook.HeaderTimestamp], r.Header[webhook.HeaderSignature], r.Body, k.Clock.Now()))
		require.ErrorIs(t, webhook.Verify(secret, r.Header[webhook.HeaderID], r.Header[webhook.HeaderTimestamp], r.Header[webhook.HeaderSignature], append(r.Body, ' '), k.Clock.Now()), webhook.ErrBadSignature)
	}
	require.Len(t, byURL[jobsOnly.URL], 1, "the filter lets only job.approved through")
	var body struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(byURL[jobsOnly.URL][0].Body, &body))
	require.Equal(t, "job.approved", body.Type)
	require.Equal(t, j.ID, body.Data["job_id"])
	require.Greater(t, len(byURL[all.URL]), 3, "the unfiltered endpoint gets the agent's whole lifecycle")

	// The poster's endpoint answered 503: each delivery waits for its retry.
	deliveries := testkit.Got(k.Service.WebhookDeliveries(k.Ctx, poster, flaky.ID, "", 100)).Must(t)
	require.NotEmpty(t, deliveries)
	for _, d := range deliveries {
		require.Equal(t, webhook.Pending, d.Status)
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, 503, d.LastStatus)
		require.Equal(t, k.Clock.Now().Add(webhook.Schedule[0]), d.NextAt)
	}
	sent := len(byURL[flaky.URL])
	k.Webhooks.Answer(flaky.URL, 200)
	k.Advance(10 * time.Second)
	for _, d := range testkit.Got(k.Service.WebhookDeliveries(k.Ctx, poster, flaky.ID, "", 100)).Must(t) {
		require.Equal(t, webhook.Succeeded, d.Status, d.EventType)
		require.Equal(t, 2, d.Attempts)
	}
	retried := 0
	for _, r := range k.Webhooks.Requests() {
		if r.URL == flaky.URL {
			retried++
		}
	}
	require.Equal(t, 2*sent, retried, "every delivery was retried exactly once")
	k.CheckInvariants()
}

func TestWebhookGivesUpAfterAboutThreeDaysAndDisablesOnGone(t *testing.T) {
	k := testkit.New(t)
	a := k.Account("Ann")
	down := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, a, market.EndpointInput{URL: "https://down.example/"})).Must(t)
	k.Webhooks.Answer(down.URL, 0)
	d := testkit.Got(k.Service.TestWebhook(k.Ctx, a, down.ID)).Must(t)
	k.Advance(71 * time.Hour)
	got := testkit.Got(k.Service.WebhookDeliveries(k.Ctx, a, down.ID, "", 1)).Must(t)[0]
	require.Equal(t, d.ID, got.ID)
	require.Equal(t, webhook.Pending, got.Status, "still retrying before three days")
	k.Advance(2 * time.Hour)
	got = testkit.Got(k.Service.WebhookDeliveries(k.Ctx, a, down.ID, "", 1)).Must(t)[0]
	require.Equal(t, webhook.Failed, got.Status)
	require.Equal(t, len(webhook.Schedule)+1, got.Attempts)
	require.NotEmpty(t, got.LastError)

	// Replay makes a new delivery of the same payload; a 410 answer disables the endpoint.
	k.Webhooks.Answer(down.URL, 410)
	replay := testkit.Got(k.Service.ReplayDelivery(k.Ctx, a, d.ID)).Must(t)
	require.NotEqual(t, d.ID, replay.ID)
	k.RunDue()
	reqs := k.Webhooks.Requests()
	require.Equal(t, reqs[0].Body, reqs[len(reqs)-1].Body)
	e := testkit.Got(k.Service.WebhookEndpoint(k.Ctx, a, down.ID)).Must(t)
	require.True(t, e.Disabled)
	require.Contains(t, e.DisabledReason, "410")
	got = testkit.Got(k.Service.WebhookDeliveries(k.Ctx, a, down.ID, "", 1)).Must(t)[0]
	require.Equal(t, webhook.Failed, got.Status)
	require.Equal(t, 410, got.LastStatus)

	// A 410 from a URL its owner has replaced meanwhile disables nothing.
	moved := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, a, market.EndpointInput{URL: "https://moving.example/old"})).Must(t)
	k.Webhooks.Answer(moved.URL, 410)
	k.Webhooks.During(func() {
		testkit.Got(k.Service.UpdateWebhookEndpoint(k.Ctx, a, moved.ID, market.EndpointInput{URL: "https://moving.example/new"}, true)).Must(t)
	})
	testkit.Got(k.Service.TestWebhook(k.Ctx, a, moved.ID)).Must(t)
	k.RunDue()
	e = testkit.Got(k.Service.WebhookEndpoint(k.Ctx, a, moved.ID)).Must(t)
	require.Equal(t, "https://moving.example/new", e.URL, "the owner's edit stays")
	require.False(t, e.Disabled)

	// A disabled endpoint gets nothing until its owner enables it again.
	before := len(k.Webhooks.Requests())
	testkit.Got(k.Service.TestWebhook(k.Ctx, a, down.ID)).Must(t)
	k.RunDue()
	require.Len(t, k.Webhooks.Requests(), before)
	k.Webhooks.Answer(down.URL, 204)
	testkit.Got(k.Service.UpdateWebhookEndpoint(k.Ctx, a, down.ID, market.EndpointInput{URL: down.URL}, true)).Must(t)
	testkit.Got(k.Service.TestWebhook(k.Ctx, a, down.ID)).Must(t)
	k.RunDue()
	require.Len(t, k.Webhooks.Requests(), before+1)
}

func TestWebhookEndpointsBelongToTheirAccount(t *testing.T) {
	k := testkit.New(t)
	a, b := k.Account("Ann"), k.Account("Bob")
	e := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, a, market.EndpointInput{URL: "https://ann.example/"})).Must(t)
	d := testkit.Got(k.Service.TestWebhook(k.Ctx, a, e.ID)).Must(t)
	_, err := k.Service.WebhookEndpoint(k.Ctx, b, e.ID)
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(err))
	_, err = k.Service.ReplayDelivery(k.Ctx, b, d.ID)
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(err))
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(k.Service.DeleteWebhookEndpoint(k.Ctx, b, e.ID)))
	_, err = k.Service.TestWebhook(k.Ctx, b, e.ID)
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(err))
	require.Empty(t, testkit.Got(k.Service.WebhookEndpoints(k.Ctx, b)).Must(t))
	require.NoError(t, k.Service.DeleteWebhookEndpoint(k.Ctx, a, e.ID))
	k.RunDue()
	require.Empty(t, k.Webhooks.Requests(), "a deleted endpoint's pending delivery is not sent")

	for _, bad := range []market.EndpointInput{{URL: "ftp://x"}, {URL: "/relative"}, {URL: "https://u:p@x.example/"}, {URL: "https://x.example", Events: []string{"job*"}}} {
		_, err := k.Service.CreateWebhookEndpoint(k.Ctx, a, bad)
		require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(err), bad.URL)
	}
}

func TestAPIKeys(t *testing.T) {
	k := testkit.New(t)
	a, b := k.Account("Ann"), k.Account("Bob")
	key, secret, err := k.Service.CreateAPIKey(k.Ctx, a, "ci")
	require.NoError(t, err)
	require.Contains(t, secret, key.Prefix)
	c, got, err := k.Service.Authenticate(k.Ctx, secret)
	require.NoError(t, err)
	require.Equal(t, a, c)
	require.Equal(t, key.ID, got.ID)
	for _, bad := range []string{"", "agk_nope", secret + "x", secret[:len(secret)-1] + strconv.Itoa(int(secret[len(secret)-1]+1)%10)} {
		_, _, err := k.Service.Authenticate(k.Ctx, bad)
		require.Equal(t, errs.CodeUnauthenticated, errs.CodeOf(err), bad)
	}
	_, err = k.Service.RevokeAPIKey(k.Ctx, b, key.ID)
	require.Equal(t, errs.CodeNotFound, errs.CodeOf(err), "another account's key")
	testkit.Got(k.Service.RevokeAPIKey(k.Ctx, a, key.ID)).Must(t)
	_, _, err = k.Service.Authenticate(k.Ctx, secret)
	require.Equal(t, errs.CodeUnauthenticated, errs.CodeOf(err), "revoked")
	// Each account also has the first key its email verification created, oldest first.
	keys := testkit.Got(k.Service.APIKeys(k.Ctx, a)).Must(t)
	require.Len(t, keys, 2)
	require.Equal(t, "first key", keys[0].Name)
	require.Nil(t, keys[0].RevokedAt)
	require.Equal(t, key.ID, keys[1].ID)
	require.NotNil(t, keys[1].RevokedAt)
	require.Len(t, testkit.Got(k.Service.APIKeys(k.Ctx, b)).Must(t), 1)
}

func TestProcessorEventTakesEffectOnce(t *testing.T) {
	k := testkit.New(t)
	a := k.Account("Ann")
	top := testkit.Got(k.Service.TopUp(k.Ctx, a, testkit.USDAmount(5_000), "key-1")).Must(t)
	ev := market.ProcessorEvent(k.Ctx, "evt_1")

	// An effect that fails records nothing: the processor's retry of the same event runs.
	require.Error(t, k.Service.TopUpSucceeded(ev, "tu_missing"))
	require.NoError(t, k.Service.TopUpSucceeded(ev, top.ID))
	require.Equal(t, int64(5_000), k.Balance(ledger.Wallet(a.AccountID)))

	// A replay of the event that took effect is refused, and changes nothing.
	require.ErrorIs(t, k.Service.TopUpSucceeded(ev, top.ID), market.ErrEventHandled)
	require.ErrorIs(t, k.Service.TopUpReturned(ev, top.ID), market.ErrEventHandled)
	require.Equal(t, int64(5_000), k.Balance(ledger.Wallet(a.AccountID)))
	k.CheckInvariants()
}
