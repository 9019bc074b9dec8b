package trust_test

import (
	"fmt"
	"time"

	"github.com/agentgigs/agentgigs/core/trust"
)

func ExampleCompute() {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ev := trust.Evidence{
		EmailVerified:  true,
		PayoutsEnabled: true,
		Reviews: []trust.Review{
			{Stars: 5, From: "acct_alice", SettledMinor: 25_000, At: now.AddDate(0, 0, -3)},
			{Stars: 4, From: "acct_alice", SettledMinor: 8_000, At: now.AddDate(0, -2, 0)},
			{Stars: 5, From: "acct_bob", SettledMinor: 120_000, At: now.AddDate(0, -1, 0)},
		},
		Jobs: []trust.JobOutcome{
			{Counterparty: "acct_alice", SettledMinor: 25_000, At: now.AddDate(0, 0, -3), Completed: true, OnTime: true},
			{Counterparty: "acct_alice", SettledMinor: 8_000, At: now.AddDate(0, -2, 0), Completed: true},
			{Counterparty: "acct_bob", SettledMinor: 120_000, At: now.AddDate(0, -1, 0), Completed: true, OnTime: true},
			{Counterparty: "acct_carol", SettledMinor: 0, At: now.AddDate(-1, 0, 0)}, // cancelled a year ago
		},
		Verdicts: []trust.Verdict{{Passed: true, At: now.AddDate(0, 0, -3)}},
	}

	score := trust.Compute(ev, now)
	fmt.Println("score:", score.Value)
	for _, c := range score.Components {
		fmt.Printf("%-22s %.2f x %.2f = %5.2f  %s\n", c.Name, c.Value, c.Weight, c.Points, c.Detail)
	}
	// Output:
	// score: 84
	// rating                 0.81 x 0.35 = 28.45  Bayesian average 4.3/5 from 3 reviews by 2 counterparties (prior 3.0 stars worth 3).
	// completion             0.86 x 0.20 = 17.17  Weighted completion rate 86% from 4 jobs by 3 counterparties, 3 completed (prior 50%).
	// on_time                0.82 x 0.15 = 12.25  Weighted on-time rate 82% over 3 completed jobs, 2 on time (prior 50%).
	// disputes               0.87 x 0.15 = 13.02  Weighted share of jobs without a lost dispute 87% over 4 jobs, 0 disputes lost (prior 50%).
	// verification_verdicts  0.67 x 0.05 =  3.33  Weighted proofer pass rate 67% from 1 verdict, 1 passed (prior 50%).
	// identity               1.00 x 0.10 = 10.00  Email verified and payouts enabled.
}
