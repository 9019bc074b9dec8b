package proof_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/proof"
)

func card(pass bool) proof.Scorecard {
	return proof.Scorecard{
		Criteria: []proof.CriterionScore{{Criterion: "works", Score: 7, Passed: pass}},
		Pass:     pass,
		Summary:  "checked it",
	}
}

func TestScorecardValidate(t *testing.T) {
	t.Parallel()

	crit := func(name string, score int) []proof.CriterionScore {
		return []proof.CriterionScore{{Criterion: "first", Score: 5}, {Criterion: name, Score: score}}
	}
	tests := []struct {
		name string
		card proof.Scorecard
		ok   bool
	}{
		{"valid", card(true), true},
		{"valid failing card", card(false), true},
		{"score 0", proof.Scorecard{Criteria: crit("c", 0), Summary: "s"}, true},
		{"score 10", proof.Scorecard{Criteria: crit("c", 10), Summary: "s"}, true},
		{"no criteria", proof.Scorecard{Summary: "s"}, false},
		{"empty criteria", proof.Scorecard{Criteria: []proof.CriterionScore{}, Summary: "s"}, false},
		{"no summary", proof.Scorecard{Criteria: crit("c", 5)}, false},
		{"blank summary", proof.Scorecard{Criteria: crit("c", 5), Summary: " \t\n"}, false},
		{"score -1", proof.Scorecard{Criteria: crit("c", -1), Summary: "s"}, false},
		{"score 11", proof.Scorecard{Criteria: crit("c", 11), Summary: "s"}, false},
		{"unnamed criterion", proof.Scorecard{Criteria: crit("", 5), Summary: "s"}, false},
		{"blank criterion", proof.Scorecard{Criteria: crit("  ", 5), Summary: "s"}, false},
		{"summary at the limit", proof.Scorecard{Criteria: crit("c", 5), Summary: strings.Repeat("s", proof.MaxSummary)}, true},
		{"summary too long", proof.Scorecard{Criteria: crit("c", 5), Summary: strings.Repeat("s", proof.MaxSummary+1)}, false},
		{"criterion name too long", proof.Scorecard{Criteria: crit(strings.Repeat("c", proof.MaxCriterionName+1), 5), Summary: "s"}, false},
		{"note too long", proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "c", Note: strings.Repeat("n", proof.MaxCriterionNote+1)}}, Summary: "s"}, false},
		{"too many criteria", proof.Scorecard{Criteria: slices.Repeat([]proof.CriterionScore{{Criterion: "c", Score: 5}}, proof.MaxCriteria+1), Summary: "s"}, false},
		{"too many evidence items", proof.Scorecard{Criteria: crit("c", 5), Summary: "s", Evidence: make([]string, proof.MaxEvidence+1)}, false},
		{"evidence item too long", proof.Scorecard{Criteria: crit("c", 5), Summary: "s", Evidence: []string{strings.Repeat("e", proof.MaxEvidenceItem+1)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.card.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(err))
			require.ErrorIs(t, err, errs.ErrInvalidInput)
		})
	}
}

// TestScorecardTextIsChecked: a control character or invalid UTF-8 anywhere in a scorecard's text
// is INVALID_TEXT naming the field; tabs and line breaks are allowed except in a criterion's name.
func TestScorecardTextIsChecked(t *testing.T) {
	t.Parallel()

	with := func(f func(*proof.Scorecard)) proof.Scorecard {
		c := proof.Scorecard{Criteria: []proof.CriterionScore{{Criterion: "c", Score: 5}, {Criterion: "d", Score: 5}}, Summary: "s"}
		f(&c)
		return c
	}
	for want, card := range map[string]proof.Scorecard{
		"summary contains the control character U+0000 (byte 1)":               with(func(c *proof.Scorecard) { c.Summary = "s\x00" }),
		"evidence[1] is not valid UTF-8 (byte 0)":                              with(func(c *proof.Scorecard) { c.Evidence = []string{"ok", "\xff"} }),
		"criteria[1].criterion contains the control character U+000A (byte 1)": with(func(c *proof.Scorecard) { c.Criteria[1].Criterion = "d\n" }),
		"criteria[0].note contains the control character U+001B (byte 0)":      with(func(c *proof.Scorecard) { c.Criteria[0].Note = "\x1b[2J" }),
	} {
		err := card.Validate()
		require.ErrorIs(t, err, errs.ErrInvalidText, want)
		require.EqualError(t, err, "INVALID_TEXT: "+want)
	}
	require.NoError(t, with(func(c *proof.Scorecard) {
		c.Summary, c.Criteria[0].Note, c.Evidence = "line 1\n\tline 2", "a\r\nb", []string{"x\ny"}
	}).Validate())
}

func TestEligible(t *testing.T) {
	t.Parallel()

	j := &job.Job{ID: "job_1", PosterID: "poster", AgentID: "agent", Verification: &job.Verification{Proofers: 2, PassThreshold: 1, MinTrust: 40}}
	noFloor := &job.Job{ID: "job_2", PosterID: "poster", AgentID: "agent"}
	ok := proof.Candidate{AccountID: "proofer", EmailVerified: true, PayoutsEnabled: true, Trust: 40}
	with := func(f func(*proof.Candidate)) proof.Candidate { c := ok; f(&c); return c }

	tests := []struct {
		name string
		c    proof.Candidate
		j    *job.Job
		ok   bool
	}{
		{"eligible exactly at the floor", ok, j, true},
		{"eligible above the floor", with(func(c *proof.Candidate) { c.Trust = 100 }), j, true},
		{"no floor without verification config", with(func(c *proof.Candidate) { c.Trust = 0 }), noFloor, true},
		{"unverified email", with(func(c *proof.Candidate) { c.EmailVerified = false }), j, false},
		{"not onboarded", with(func(c *proof.Candidate) { c.PayoutsEnabled = false }), j, false},
		{"neither", with(func(c *proof.Candidate) { c.EmailVerified, c.PayoutsEnabled = false, false }), j, false},
		{"the poster", with(func(c *proof.Candidate) { c.AccountID = "poster" }), j, false},
		{"the agent", with(func(c *proof.Candidate) { c.AccountID = "agent" }), j, false},
		{"the poster without a floor", with(func(c *proof.Candidate) { c.AccountID = "poster" }), noFloor, false},
		{"below the floor", with(func(c *proof.Candidate) { c.Trust = 39 }), j, false},
		{"negative trust", with(func(c *proof.Candidate) { c.Trust = -1 }), j, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := proof.Eligible(tt.c, tt.j)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.CodeProoferIneligible, errs.CodeOf(err))
			require.ErrorIs(t, err, errs.ErrProoferIneligible)
		})
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()

	pass, fail := card(true), card(false)
	tests := []struct {
		name      string
		cards     []proof.Scorecard
		threshold int
		want      bool
	}{
		{"2 of 3 meet threshold 2", []proof.Scorecard{pass, fail, pass}, 2, true},
		{"2 of 3 miss threshold 3", []proof.Scorecard{pass, fail, pass}, 3, false},
		{"1 of 1", []proof.Scorecard{pass}, 1, true},
		{"0 of 1", []proof.Scorecard{fail}, 1, false},
		{"all fail", []proof.Scorecard{fail, fail, fail}, 1, false},
		{"more passes than needed", []proof.Scorecard{pass, pass, pass}, 2, true},
		{"none submitted", nil, 1, false},
		{"passing criteria do not make a passing card", []proof.Scorecard{{Criteria: []proof.CriterionScore{{Criterion: "c", Score: 10, Passed: true}}, Summary: "s"}}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, proof.Verdict(tt.cards, tt.threshold))
		})
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()

	ok := job.Verification{Proofers: 3, PassThreshold: 2, FeePerProofer: money.Money{Amount: 500, Currency: "USD"}, MinTrust: 50}
	with := func(f func(*job.Verification)) job.Verification { v := ok; f(&v); return v }
	tests := []struct {
		name string
		v    job.Verification
		ok   bool
	}{
		{"valid", ok, true},
		{"1 proofer", with(func(v *job.Verification) { v.Proofers, v.PassThreshold = 1, 1 }), true},
		{"10 proofers", with(func(v *job.Verification) { v.Proofers, v.PassThreshold = 10, 10 }), true},
		{"threshold equals proofers", with(func(v *job.Verification) { v.PassThreshold = 3 }), true},
		{"threshold 1", with(func(v *job.Verification) { v.PassThreshold = 1 }), true},
		{"free proofing", with(func(v *job.Verification) { v.FeePerProofer = money.Money{} }), true},
		{"trust floor 0", with(func(v *job.Verification) { v.MinTrust = 0 }), true},
		{"trust floor 100", with(func(v *job.Verification) { v.MinTrust = 100 }), true},
		{"0 proofers", with(func(v *job.Verification) { v.Proofers, v.PassThreshold = 0, 0 }), false},
		{"-1 proofers", with(func(v *job.Verification) { v.Proofers = -1 }), false},
		{"11 proofers", with(func(v *job.Verification) { v.Proofers, v.PassThreshold = 11, 1 }), false},
		{"threshold 0", with(func(v *job.Verification) { v.PassThreshold = 0 }), false},
		{"threshold above proofers", with(func(v *job.Verification) { v.PassThreshold = 4 }), false},
		{"negative fee", with(func(v *job.Verification) { v.FeePerProofer = money.Money{Amount: -1, Currency: "USD"} }), false},
		{"trust floor -1", with(func(v *job.Verification) { v.MinTrust = -1 }), false},
		{"trust floor 101", with(func(v *job.Verification) { v.MinTrust = 101 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := proof.ValidateConfig(tt.v)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.CodeInvalidInput, errs.CodeOf(err))
		})
	}
}
