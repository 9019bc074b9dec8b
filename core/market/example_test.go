package market_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/adapters/memory"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// Example wires the service to the memory adapters and runs one job from posting to payout,
// doing the human steps (email verification, payout onboarding, funding) the way the processor
// and the inbox would.
func Example() {
	ctx := context.Background()
	clock := memory.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	store, mail := memory.NewStore(), memory.NewMailer(nil)
	svc, err := market.New(market.Config{
		Store: store, Payments: memory.NewPayments(), Mailer: mail, Blobs: memory.NewBlobs(), Webhooks: memory.NewWebhookSender(clock),
		Clock: clock, IDs: memory.NewIDs(1),
	})
	if err != nil {
		panic(err)
	}
	poster, agent := verified(ctx, svc, store, clock, mail, "poster@example.test"), verified(ctx, svc, store, clock, mail, "agent@example.test")
	_, _ = svc.StartPayoutOnboarding(ctx, agent)
	_ = svc.PayoutOnboardingCompleted(ctx, agent.AccountID) // the processor's KYC callback
	topUp, _ := svc.TopUp(ctx, poster, money.Money{Amount: 100_00, Currency: "USD"}, "first")
	_ = svc.TopUpSucceeded(ctx, topUp.ID) // the processor's settlement callback

	j, _ := svc.PostJob(ctx, poster, market.PostInput{Title: "Summarise a paper", Budget: money.Money{Amount: 50_00, Currency: "USD"}})
	id := j.Job.ID
	app, _ := svc.Apply(ctx, agent, id, market.ApplyInput{Message: "I can do this today"})
	_, _ = svc.Accept(ctx, poster, id, app.ID, job.FundWallet, false)
	_, _ = svc.Deliver(ctx, agent, id, market.DeliverInput{URL: "https://example.test/summary.md"})
	approved, _ := svc.Approve(ctx, poster, id, false)
	fmt.Println("approved:", approved.To, approved.Transfers[1].Amount)

	clock.Advance(24 * time.Hour)
	_ = market.RunDue(ctx, store, svc, clock.Now()) // the scheduler releases after the cooldown
	b, _ := svc.Balances(ctx, agent, "USD")
	v, _ := svc.GetJob(ctx, agent, id)
	fmt.Println("state:", v.Job.State, "payable:", b.Payable)
	// Output:
	// approved: approved 45.00 USD
	// state: completed payable: 4500
}

// ExampleService_Approve_dryRun shows a dry run: the fees, ledger movements, next state and
// events of an approval, with nothing changed.
func ExampleService_Approve_dryRun() {
	k := newExampleKit()
	out, _ := k.svc.Approve(k.ctx, k.poster, k.jobID, true)
	fmt.Println("dry run:", out.DryRun, "next state:", out.To, "events:", out.Events)
	for _, t := range out.Transfers {
		fmt.Println(t.From, "->", t.To, t.Amount)
	}
	v, _ := k.svc.GetJob(k.ctx, k.poster, k.jobID)
	fmt.Println("still:", v.Job.State)
	for _, a := range v.NextActions {
		fmt.Println("next:", a.Action)
	}
	// Output:
	// dry run: true next state: approved events: [job.approved]
	// escrow:job_000000000c38g6 -> platform:fees 5.00 USD
	// escrow:job_000000000c38g6 -> pending:acc_00000000057qep 45.00 USD
	// still: delivered
	// next: request_revision
	// next: approve
	// next: dispute
}

// verified registers an account and verifies it with the token from its email, as its human
// would. The email is sent by the scheduler, which runs the due timers.
func verified(ctx context.Context, svc *market.Service, store ports.Store, clock ports.Clock, mail *memory.Mailer, email string) market.Caller {
	a, err := svc.Register(ctx, market.RegisterInput{Email: email, Name: email})
	if err != nil {
		panic(err)
	}
	if err := market.RunDue(ctx, store, svc, clock.Now()); err != nil {
		panic(err)
	}
	msg, _ := mail.Last(email)
	_, token, _ := strings.Cut(msg.Text, "Token: ")
	token, _, _ = strings.Cut(token, "\n")
	if _, err := svc.VerifyEmail(ctx, token); err != nil {
		panic(err)
	}
	return market.User(a.ID)
}

type exampleKit struct {
	ctx    context.Context
	svc    *market.Service
	poster market.Caller
	jobID  string
}

// newExampleKit returns a delivered job, built as in Example.
func newExampleKit() exampleKit {
	ctx := context.Background()
	store, clock, mail := memory.NewStore(), memory.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)), memory.NewMailer(nil)
	svc, _ := market.New(market.Config{
		Store: store, Payments: memory.NewPayments(), Mailer: mail, Blobs: memory.NewBlobs(), Webhooks: memory.NewWebhookSender(clock),
		Clock: clock, IDs: memory.NewIDs(1),
	})
	poster, agent := verified(ctx, svc, store, clock, mail, "poster@example.test"), verified(ctx, svc, store, clock, mail, "agent@example.test")
	_, _ = svc.StartPayoutOnboarding(ctx, agent)
	_ = svc.PayoutOnboardingCompleted(ctx, agent.AccountID)
	topUp, _ := svc.TopUp(ctx, poster, money.Money{Amount: 100_00, Currency: "USD"}, "first")
	_ = svc.TopUpSucceeded(ctx, topUp.ID)
	v, _ := svc.PostJob(ctx, poster, market.PostInput{Title: "Summarise", Budget: money.Money{Amount: 50_00, Currency: "USD"}})
	j := v.Job
	app, _ := svc.Apply(ctx, agent, j.ID, market.ApplyInput{})
	_, _ = svc.Accept(ctx, poster, j.ID, app.ID, job.FundWallet, false)
	_, _ = svc.Deliver(ctx, agent, j.ID, market.DeliverInput{URL: "https://example.test/s.md"})
	return exampleKit{ctx: ctx, svc: svc, poster: poster, jobID: j.ID}
}
