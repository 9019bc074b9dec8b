package proofhost_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/proofhost"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/testkit"
)

// criteria has a block for each example plugin: a JSON file under 1 kB with a title and a word
// count of at most 300.
const criteria = "A JSON summary of the paper.\n\n" +
	"```agentgigs-checks\n{\"content_type\": \"application/json\", \"max_bytes\": 1000}\n```\n\n" +
	"```agentgigs-jsonschema\n" +
	`{"type": "object", "required": ["title", "words"], "properties": {"title": {"type": "string"}, "words": {"type": "integer", "maximum": 300}}}` +
	"\n```\n"

// postVerified posts a job with fee-paying proofers and hires agent; the job is in progress.
func postVerified(t *testing.T, k *testkit.Kit, poster, agent market.Caller, proofers, threshold int) *job.Job {
	t.Helper()
	j := testkit.Got(k.Service.PostJob(k.Ctx, poster, market.PostInput{
		Title: "Summarise a paper as JSON", Budget: testkit.USDAmount(60_00), Criteria: criteria,
		Verification: &job.Verification{Proofers: proofers, PassThreshold: threshold, FeePerProofer: testkit.USDAmount(2_00)},
	})).Must(t).Job
	app := testkit.Got(k.Service.Apply(k.Ctx, agent, j.ID, market.ApplyInput{Message: "On it"})).Must(t)
	testkit.Got(k.Service.Accept(k.Ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(t)
	return j
}

func deliver(t *testing.T, k *testkit.Kit, agent market.Caller, jobID, content, note string) {
	t.Helper()
	testkit.Got(k.Service.Deliver(k.Ctx, agent, jobID, market.DeliverInput{File: strings.NewReader(content), Note: note})).Must(t)
}

// TestPluginsAndARemoteProoferVerifyAJob runs verification end to end: both example plugins, as
// real executables through the host, and a remote proofer score a delivered JSON file; the
// poster reads the proof report, approves, and the earnings and the three proofer fees are paid,
// each exactly once.
func TestPluginsAndARemoteProoferVerifyAJob(t *testing.T) {
	t.Parallel()
	k := testkit.New(t)
	poster, agent, remote := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Rita")
	bots := map[string]market.Caller{"urlcheck": k.Agent("UrlBot"), "jsonschema": k.Agent("SchemaBot")}
	for _, p := range load(t, install(t, "urlcheck", "jsonschema"), proofhost.Options{ReviewTimeout: 30 * time.Second}) {
		k.Service.AddAutoProofer(bots[p.Name()].AccountID, p)
	}
	j := postVerified(t, k, poster, agent, 3, 2)
	deliver(t, k, agent, j.ID, `{"title": "Attention", "words": 240}`, "here it is")
	k.RunDue() // the plugins review the delivery and submit their scorecards

	r := testkit.Got(k.Service.ProofReport(k.Ctx, poster, j.ID)).Must(t)
	require.Equal(t, 2, r.Submitted, "both plugins scored the delivery")
	require.Equal(t, 2, r.Passed)
	require.Empty(t, r.Verdict, "the remote proofer's scorecard is still due")
	require.NotContains(t, k.EventTypes(), "verification.auto_proofer_failed")

	tasks := testkit.Got(k.Service.AvailableTasks(k.Ctx, remote)).Must(t)
	require.Len(t, tasks, 1, "one task is left for the remote proofer")
	testkit.Got(k.Service.ClaimTask(k.Ctx, remote, tasks[0].ID)).Must(t)
	testkit.Got(k.Service.SubmitScorecard(k.Ctx, remote, tasks[0].ID, proof.Scorecard{
		Criteria: []proof.CriterionScore{{Criterion: "faithful summary", Score: 6, Passed: false, Note: "misses section 4"}},
		Summary:  "accurate but incomplete",
	})).Must(t)

	r = testkit.Got(k.Service.ProofReport(k.Ctx, poster, j.ID)).Must(t)
	require.Equal(t, job.Delivered, r.State, "verification completed; the poster reviews")
	require.Equal(t, "pass", r.Verdict, "two passing scorecards meet the threshold of two")
	require.Equal(t, 3, r.Submitted)
	require.Equal(t, 2, r.Passed)
	byProofer := map[string]*proof.Scorecard{}
	for _, task := range r.Tasks {
		byProofer[task.ProoferID] = task.Scorecard
	}
	url, schema := byProofer[bots["urlcheck"].AccountID], byProofer[bots["jsonschema"].AccountID]
	require.NotNil(t, url)
	require.NotNil(t, schema)
	require.Equal(t, []string{"integrity", "content_type", "max_bytes"}, criteriaOf(url))
	require.Equal(t, []string{"valid_json", "schema"}, criteriaOf(schema))
	require.False(t, byProofer[remote.AccountID].Pass)

	testkit.Got(k.Service.Approve(k.Ctx, poster, j.ID, false)).Must(t)
	k.Advance(job.Cooldown + time.Minute)
	k.SettlePayouts()
	k.Advance(time.Hour)
	k.SettlePayouts()
	require.Equal(t, job.Completed, k.Job(j.ID).State)
	require.Equal(t, int64(6_00), k.Job(j.ID).ProoferFees.Amount)

	paid := map[string]int64{}
	transfers := map[string]int{}
	for _, tr := range k.Payments.Transfers() {
		paid[tr.Destination] += tr.Amount.Amount
		transfers[tr.Destination]++
	}
	for _, p := range []market.Caller{bots["urlcheck"], bots["jsonschema"], remote} {
		require.Zero(t, k.Balance(ledger.Payable(p.AccountID)), "nothing left to pay")
		dest := connected(t, k, p)
		require.Equal(t, int64(2_00), paid[dest], "the proofer fee")
		require.Equal(t, 1, transfers[dest], "paid exactly once")
	}
	require.Equal(t, int64(60_00-6_00-6_00), paid[connected(t, k, agent)], "the price less the platform fee and the proofer fees")
	require.Zero(t, k.Balance(ledger.Escrow(j.ID)))
	k.CheckInvariants()
}

// TestMisbehavingPluginsLeaveTheTaskOpen delivers three times to a job proved by the flaky
// plugin: a hang, a crash and garbage each fail the automatic review with a clear event, take no
// task and no fee, and leave the task to a remote proofer, who completes verification.
func TestMisbehavingPluginsLeaveTheTaskOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ note, err string }{
		{"hang", "timed out"},
		{"crash", "restarted on next use"},
		{"garbage", "invalid scorecard"},
	} {
		t.Run(tc.note, func(t *testing.T) {
			t.Parallel()
			k := testkit.New(t)
			poster, agent, remote, bot := k.Poster("Pat", 100_00), k.Agent("Ada"), k.Agent("Rita"), k.Agent("Bot")
			p := flaky(t, proofhost.Options{ReviewTimeout: 300 * time.Millisecond})
			k.Service.AddAutoProofer(bot.AccountID, p)
			j := postVerified(t, k, poster, agent, 1, 1)
			deliver(t, k, agent, j.ID, `{}`, tc.note)
			k.RunDue()

			failed := eventsOf(t, k, "verification.auto_proofer_failed")
			require.Len(t, failed, 1)
			require.Equal(t, j.ID, failed[0].JobID)
			require.Equal(t, "flaky", failed[0].Data["proofer"])
			require.Contains(t, failed[0].Data["error"], tc.err)
			require.ElementsMatch(t, []string{poster.AccountID, bot.AccountID}, failed[0].Accounts)
			require.Equal(t, job.InVerification, k.Job(j.ID).State)
			require.Zero(t, k.Balance(ledger.Payable(bot.AccountID)), "no fee without a scorecard")

			tasks := testkit.Got(k.Service.AvailableTasks(k.Ctx, remote)).Must(t)
			require.Len(t, tasks, 1, "the task is still open for remote proofers")
			testkit.Got(k.Service.ClaimTask(k.Ctx, remote, tasks[0].ID)).Must(t)
			testkit.Got(k.Service.SubmitScorecard(k.Ctx, remote, tasks[0].ID, proof.Scorecard{
				Criteria: []proof.CriterionScore{{Criterion: "complete", Score: 9, Passed: true}}, Pass: true, Summary: "fine",
			})).Must(t)
			require.Equal(t, "pass", k.Job(j.ID).Verdict)
			require.Equal(t, int64(2_00), k.Balance(ledger.Payable(remote.AccountID)))

			_, err := p.Review(t.Context(), noted("ok"))
			require.NoError(t, err, "the plugin works again on its next review")
			k.CheckInvariants()
		})
	}
}

func criteriaOf(c *proof.Scorecard) []string {
	var out []string
	for _, s := range c.Criteria {
		out = append(out, s.Criterion)
	}
	return out
}

// connected returns the payout account reference of an onboarded account.
func connected(t *testing.T, k *testkit.Kit, c market.Caller) string {
	t.Helper()
	var ref string
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, c.AccountID)
		if err == nil {
			ref = a.ConnectRef
		}
		return err
	}))
	require.NotEmpty(t, ref)
	return ref
}

func eventsOf(t *testing.T, k *testkit.Kit, typ string) []event.Event {
	t.Helper()
	var out []event.Event
	require.NoError(t, k.Store.WithinTx(k.Ctx, func(ctx context.Context, tx ports.Tx) error {
		es, err := tx.Events().List(ctx, "", 0, 0)
		for _, e := range es {
			if e.Type == typ {
				out = append(out, e)
			}
		}
		return err
	}))
	return out
}
