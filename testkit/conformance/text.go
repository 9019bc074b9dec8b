package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit"
)

// hostileText are values no text input accepts: NUL alone and inside text, an ANSI escape, DEL, a
// C1 control, invalid UTF-8 and a truncated sequence. PostgreSQL refuses NUL and invalid UTF-8
// in text, so a store that saw one would fail with an untyped error.
var hostileText = []string{"\x00", "a\x00b", "\x1b[2J", "x\x7f", "\u0085", "\xff\xfe", "é"[:1]}

// hostileLine adds what a single-line field refuses on top: a newline and a tab.
var hostileLine = append(append([]string(nil), hostileText...), "a\nb", "\tx")

// marketTextIsRefusedBeforeTheStore sends control characters and invalid UTF-8 to every text
// input and ID of the use cases and expects INVALID_TEXT (UNAUTHENTICATED for an API key) with
// nothing stored, sent or mailed.
func marketTextIsRefusedBeforeTheStore(t *testing.T, newKit NewKit) {
	k := newKit(t, 1)
	poster, agent, proofer, admin := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Pia"), k.Admin("Ola")
	newcomer := k.Account("Bo")

	// Multi-line text keeps its tabs and line breaks.
	open := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Summarise a paper", Description: "Three paragraphs:\r\n\t1. method\n\t2. results", Category: "writing",
		Tags: []string{"nlp", "über"}, Budget: usdOf(10_00), Criteria: "Accurate.\nUnder 300 words.",
	})).Must(t).Job
	testkit.Got(k.Service.Apply(k.Ctx, agent, open.ID, market.ApplyInput{Message: "Hi,\n\tI can do it."})).Must(t)

	paid := k.Hire(poster, agent, 20_00)
	k.Deliver(agent, paid.ID)
	testkit.Got(k.Service.Approve(k.Ctx, poster, paid.ID, false)).Must(t)
	k.Advance(24 * time.Hour)

	verified := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Translate", Budget: usdOf(30_00), Criteria: "faithful",
		Verification: &job.Verification{Proofers: 1, PassThreshold: 1, FeePerProofer: usdOf(1_00)},
	})).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, verified.ID, market.ApplyInput{})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, verified.ID, app.ID, job.FundWallet, false)).Must(t)
	k.Deliver(agent, verified.ID)
	task := testkit.Got(k.Service.ClaimTask(k.Ctx, proofer, k.FirstTask(proofer).ID)).Must(t)
	card := func(edit func(*proof.Scorecard)) proof.Scorecard {
		c := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "faithful", Score: 9, Passed: true}}, Pass: true, Summary: "good"}
		edit(&c)
		return c
	}

	endpoint := testkit.Got(k.Service.CreateWebhookEndpoint(k.Ctx, poster, market.EndpointInput{URL: "https://example.test/hook"})).Must(t)
	k.RunDue()
	post := func(edit func(*market.PostInput)) market.PostInput {
		in := market.PostInput{Title: "Title", Description: "d", Category: "writing", Budget: usdOf(10_00), Criteria: "c"}
		edit(&in)
		return in
	}
	pad := func(v string) string { return v + strings.Repeat("0", 12-len(v)) } // an API key ID is 12 bytes

	before := storedState(t, k, poster, admin, open.ID)
	cases := []struct {
		name  string
		block bool // a multi-line field, which accepts tabs and line breaks
		call  func(v string) error
	}{
		{"register name", false, func(v string) error {
			return errOf(k.Service.Register(k.Ctx, market.RegisterInput{Email: "new@example.test", Name: "N" + v}))
		}},
		{"register email", false, func(v string) error {
			return errOf(k.Service.Register(k.Ctx, market.RegisterInput{Email: "n" + v + "@example.test", Name: "New"}))
		}},
		{"sign-in email", false, func(v string) error { return k.Service.RequestSignIn(k.Ctx, "pat"+v+"@example.test") }},
		{"verification email", false, func(v string) error { return k.Service.RequestVerification(k.Ctx, "bo"+v+"@example.test") }},
		{"verification token", false, func(v string) error { return errOf(k.Service.VerifyEmail(k.Ctx, newcomer.AccountID+"."+v)) }},
		{"job title", false, func(v string) error {
			return errOf(k.Service.PostJob(k.Ctx, poster, post(func(in *market.PostInput) { in.Title = "T" + v })))
		}},
		{"job description", true, func(v string) error {
			return errOf(k.Service.PostJob(k.Ctx, poster, post(func(in *market.PostInput) { in.Description = v })))
		}},
		{"job category", false, func(v string) error {
			return errOf(k.Service.PostJob(k.Ctx, poster, post(func(in *market.PostInput) { in.Category = v })))
		}},
		{"job tag", false, func(v string) error {
			return errOf(k.Service.PostJob(k.Ctx, poster, post(func(in *market.PostInput) { in.Tags = []string{"ok", v} })))
		}},
		{"job criteria", true, func(v string) error {
			return errOf(k.Service.PostJob(k.Ctx, poster, post(func(in *market.PostInput) { in.Criteria = v })))
		}},
		{"search q", false, func(v string) error {
			return errOf3(k.Service.Browse(k.Ctx, agent, market.BrowseInput{Search: "paper " + v}))
		}},
		{"browse category", false, func(v string) error {
			return errOf3(k.Service.Browse(k.Ctx, agent, market.BrowseInput{Category: v}))
		}},
		{"browse cursor", false, func(v string) error { return errOf3(k.Service.Browse(k.Ctx, agent, market.BrowseInput{After: v})) }},
		{"my jobs cursor", false, func(v string) error {
			return errOf3(k.Service.MyJobs(k.Ctx, poster, market.JobsInput{Role: job.RolePoster, After: v}))
		}},
		{"my jobs state", false, func(v string) error {
			return errOf3(k.Service.MyJobs(k.Ctx, poster, market.JobsInput{Role: job.RolePoster, State: job.State(v)}))
		}},
		{"disputes cursor", false, func(v string) error { return errOf3(k.Service.Disputes(k.Ctx, admin, v, 10)) }},
		{"job ID", false, func(v string) error { return errOf(k.Service.GetJob(k.Ctx, poster, open.ID+v)) }},
		{"applications job ID", false, func(v string) error { return errOf(k.Service.Applications(k.Ctx, poster, open.ID+v)) }},
		{"payouts job ID", false, func(v string) error { return errOf(k.Service.Payouts(k.Ctx, poster, paid.ID+v)) }},
		{"proof report job ID", false, func(v string) error { return errOf(k.Service.ProofReport(k.Ctx, poster, verified.ID+v)) }},
		{"delivered file job ID", false, func(v string) error {
			_, _, err := k.Service.DeliveredFile(k.Ctx, poster, paid.ID+v)
			return err
		}},
		{"apply job ID", false, func(v string) error { return errOf(k.Service.Apply(k.Ctx, newcomer, open.ID+v, market.ApplyInput{})) }},
		{"apply message", true, func(v string) error {
			return errOf(k.Service.Apply(k.Ctx, newcomer, open.ID, market.ApplyInput{Message: "Hi " + v}))
		}},
		{"accept application ID", false, func(v string) error {
			return errOf(k.Service.Accept(k.Ctx, poster, open.ID, app.ID+v, job.FundWallet, false))
		}},
		{"delivery URL", false, func(v string) error {
			return errOf(k.Service.Deliver(k.Ctx, agent, open.ID, market.DeliverInput{URL: "https://example.test/" + v}))
		}},
		{"delivery note", true, func(v string) error {
			return errOf(k.Service.Deliver(k.Ctx, agent, open.ID, market.DeliverInput{URL: "https://example.test/", Note: v}))
		}},
		{"revision note", true, func(v string) error { return errOf(k.Service.RequestRevision(k.Ctx, poster, open.ID, v)) }},
		{"dispute reason", true, func(v string) error { return errOf(k.Service.Dispute(k.Ctx, poster, open.ID, v, nil)) }},
		{"dispute evidence", true, func(v string) error {
			return errOf(k.Service.Dispute(k.Ctx, poster, open.ID, "late", []string{"ok", v}))
		}},
		{"admin reason", true, func(v string) error { return errOf(k.Service.HoldPayout(k.Ctx, admin, paid.ID, v, false)) }},
		{"resolve reason", true, func(v string) error { return errOf(k.Service.Resolve(k.Ctx, admin, open.ID, 0, 0, v, false)) }},
		{"funding payment ref", false, func(v string) error { return errOf(k.Service.ConfirmFunding(k.Ctx, open.ID, "pi_"+v)) }},
		{"funding job ID", false, func(v string) error { return errOf(k.Service.FundingFailed(k.Ctx, open.ID+v, "pi_1")) }},
		{"claim task ID", false, func(v string) error { return errOf(k.Service.ClaimTask(k.Ctx, proofer, task.ID+v)) }},
		{"scorecard task ID", false, func(v string) error {
			return errOf(k.Service.SubmitScorecard(k.Ctx, proofer, task.ID+v, card(func(*proof.Scorecard) {})))
		}},
		{"scorecard summary", true, func(v string) error {
			return errOf(k.Service.SubmitScorecard(k.Ctx, proofer, task.ID, card(func(c *proof.Scorecard) { c.Summary = "ok " + v })))
		}},
		{"scorecard criterion", false, func(v string) error {
			return errOf(k.Service.SubmitScorecard(k.Ctx, proofer, task.ID, card(func(c *proof.Scorecard) { c.Criteria[0].Criterion = "c" + v })))
		}},
		{"scorecard note", true, func(v string) error {
			return errOf(k.Service.SubmitScorecard(k.Ctx, proofer, task.ID, card(func(c *proof.Scorecard) { c.Criteria[0].Note = v })))
		}},
		{"scorecard evidence", true, func(v string) error {
			return errOf(k.Service.SubmitScorecard(k.Ctx, proofer, task.ID, card(func(c *proof.Scorecard) { c.Evidence = []string{v} })))
		}},
		{"review text", true, func(v string) error { return errOf(k.Service.Review(k.Ctx, poster, paid.ID, 5, "great "+v)) }},
		{"review job ID", false, func(v string) error { return errOf(k.Service.Review(k.Ctx, poster, paid.ID+v, 5, "great")) }},
		{"trust account ID", false, func(v string) error { return errOf(k.Service.Trust(k.Ctx, agent.AccountID+v)) }},
		{"reviews account ID", false, func(v string) error { return errOf(k.Service.Reviews(k.Ctx, agent.AccountID+v)) }},
		{"webhook URL", false, func(v string) error {
			return errOf(k.Service.CreateWebhookEndpoint(k.Ctx, poster, market.EndpointInput{URL: "https://example.test/" + v}))
		}},
		{"webhook description", true, func(v string) error {
			return errOf(k.Service.CreateWebhookEndpoint(k.Ctx, poster, market.EndpointInput{URL: "https://example.test/h", Description: v}))
		}},
		{"webhook event filter", false, func(v string) error {
			return errOf(k.Service.CreateWebhookEndpoint(k.Ctx, poster, market.EndpointInput{URL: "https://example.test/h", Events: []string{"job." + v}}))
		}},
		{"webhook update description", true, func(v string) error {
			return errOf(k.Service.UpdateWebhookEndpoint(k.Ctx, poster, endpoint.ID, market.EndpointInput{URL: endpoint.URL, Description: v}, true))
		}},
		{"webhook endpoint ID", false, func(v string) error { return errOf(k.Service.WebhookEndpoint(k.Ctx, poster, endpoint.ID+v)) }},
		{"webhook delete ID", false, func(v string) error { return k.Service.DeleteWebhookEndpoint(k.Ctx, poster, endpoint.ID+v) }},
		{"webhook test ID", false, func(v string) error { return errOf(k.Service.TestWebhook(k.Ctx, poster, endpoint.ID+v)) }},
		{"webhook deliveries cursor", false, func(v string) error {
			return errOf(k.Service.WebhookDeliveries(k.Ctx, poster, endpoint.ID, v, 10))
		}},
		{"webhook replay ID", false, func(v string) error { return errOf(k.Service.ReplayDelivery(k.Ctx, poster, "wd_"+v)) }},
		{"API key name", false, func(v string) error {
			_, _, err := k.Service.CreateAPIKey(k.Ctx, poster, "ci "+v)
			return err
		}},
		{"API key ID", false, func(v string) error { return errOf(k.Service.RevokeAPIKey(k.Ctx, poster, "key"+v)) }},
		{"top-up idempotency key", false, func(v string) error {
			return errOf(k.Service.TopUp(k.Ctx, poster, money.Money{Amount: 5_00, Currency: usd}, "k"+v))
		}},
		{"top-up ID", false, func(v string) error { return k.Service.TopUpSucceeded(k.Ctx, "tu_"+v) }},
		{"returned top-up ID", false, func(v string) error { return k.Service.TopUpReturned(k.Ctx, "tu_"+v) }},
		{"payout ID", false, func(v string) error { return k.Service.PayoutSettled(k.Ctx, "po_"+v) }},
		{"payout failure reason", true, func(v string) error { return k.Service.PayoutFailed(k.Ctx, "po_1", v) }},
		{"onboarding account ID", false, func(v string) error { return k.Service.PayoutOnboardingCompleted(k.Ctx, agent.AccountID+v) }},
		{"grant admin account ID", false, func(v string) error { return k.Service.GrantAdmin(k.Ctx, market.System, agent.AccountID+v) }},
		{"set admin email", false, func(v string) error {
			return k.Service.SetAdmin(k.Ctx, market.System, "ada"+v+"@example.test", true, "ops")
		}},
		{"set admin reason", true, func(v string) error {
			return k.Service.SetAdmin(k.Ctx, market.System, "ada@example.test", true, "ops "+v)
		}},
		{"idempotency key", false, func(v string) error { return errOf(k.Service.BeginIdempotent(k.Ctx, poster, "k"+v, "hash")) }},
	}
	for _, tc := range cases {
		values := hostileLine
		if tc.block {
			values = hostileText
		}
		for _, v := range values {
			require.ErrorIs(t, tc.call(v), errs.ErrInvalidText, "%s with %q", tc.name, v)
		}
	}
	for _, v := range hostileLine {
		_, _, err := k.Service.Authenticate(k.Ctx, "agk_"+pad(v)+"_secret")
		require.Equal(t, errs.CodeUnauthenticated, errs.CodeOf(err), "API key with %q", v)
	}
	require.Equal(t, before, storedState(t, k, poster, admin, open.ID), "a refused input stored nothing")
}

// storedState is what the text scenario's refusals must leave unchanged: every event, every job
// with its version, the poster's API keys and webhook endpoints, the open job's applications, the
// audit log and the mail sent once the due timers ran.
func storedState(t *testing.T, k *testkit.Kit, poster, admin market.Caller, openID string) []string {
	k.RunDue()
	state := k.EventTypes()
	inTx(t, k.Store, func(ctx context.Context, tx ports.Tx) {
		jobs, _, err := tx.Jobs().List(ctx, ports.JobFilter{Limit: 1 << 30})
		require.NoError(t, err)
		for _, j := range jobs {
			state = append(state, fmt.Sprintf("job %s v%d", j.ID, j.Version))
		}
	})
	keys := testkit.Got(k.Service.APIKeys(k.Ctx, poster)).Must(t)
	endpoints := testkit.Got(k.Service.WebhookEndpoints(k.Ctx, poster)).Must(t)
	apps := testkit.Got(k.Service.Applications(k.Ctx, poster, openID)).Must(t)
	audit := testkit.Got(k.Service.AuditLog(k.Ctx, admin, 0, 500)).Must(t)
	return append(state, fmt.Sprintf("%d keys, %d endpoints, %d applications, %d audit entries, %d mails",
		len(keys), len(endpoints), len(apps), len(audit), len(k.Mail.Messages())))
}

// errOf keeps the error of a call that returns one value besides it.
func errOf[T any](_ T, err error) error { return err }

// errOf3 keeps the error of a call that returns two values besides it.
func errOf3[T, U any](_ T, _ U, err error) error { return err }
