package market_test

import (
	"testing"
	"time"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/testkit"
)

// BenchmarkLifecycle measures one full job lifecycle in memory: post, apply, accept from the
// wallet, deliver a URL, approve, the cooldown release, the payout transfer and its settlement.
func BenchmarkLifecycle(b *testing.B) {
	k := testkit.New(b)
	poster, agent := k.Poster("Pat", 1<<50), k.Agent("Ada")
	ctx, svc := k.Ctx, k.Service
	b.ReportAllocs()
	for b.Loop() {
		j := testkit.Got(svc.PostJob(ctx, poster, market.PostInput{Title: "t", Budget: testkit.USDAmount(50_00)})).Must(b).Job
		app := testkit.Got(svc.Apply(ctx, agent, j.ID, market.ApplyInput{})).Must(b)
		testkit.Got(svc.Accept(ctx, poster, j.ID, app.ID, job.FundWallet, false)).Must(b)
		testkit.Got(svc.Deliver(ctx, agent, j.ID, market.DeliverInput{URL: "https://out.test/r"})).Must(b)
		out := testkit.Got(svc.Approve(ctx, poster, j.ID, false)).Must(b)
		k.Advance(24 * time.Hour)
		p := testkit.Got(svc.Payouts(ctx, agent, j.ID)).Must(b)
		if len(p) != 1 || out.To != job.Approved {
			b.Fatal("lifecycle did not complete")
		}
		if err := svc.PayoutSettled(ctx, p[0].ID); err != nil {
			b.Fatal(err)
		}
	}
}
