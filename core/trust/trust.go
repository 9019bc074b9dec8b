// Package trust computes an account's explainable trust score (0–100) from
// the evidence the marketplace holds about it: revealed reviews, finished
// jobs, proofer verdicts and verification status.
//
// The score is a weighted sum of six components, each a value in [0, 1]
// that starts at a neutral prior and moves towards what the evidence shows.
// Every piece of evidence is weighted by its age (exponential decay), by the
// money settled on it (log-scaled) and by how many distinct counterparties
// stand behind it, so old, tiny or self-dealt evidence moves the score
// little. [Formula] states the computation in plain text and [Compute]
// returns every component with a one-sentence explanation.
//
// The package is pure and deterministic: the caller passes the evidence and
// the current time, and the same input always yields the same [Score],
// whatever the order of the evidence slices.
package trust

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// HalfLife is the age at which a piece of evidence counts half as much as
// fresh evidence. Evidence dated after now counts as fresh.
const HalfLife = 180 * 24 * time.Hour

// Rating prior: the star average starts at PriorStars, worth PriorWeight
// units of evidence weight (a fresh review on a $100 job weighs about 2).
const (
	// PriorStars is the prior average rating, in stars.
	PriorStars = 3.0
	// PriorWeight is how much evidence weight the rating prior is worth.
	PriorWeight = 3.0
)

// Rate priors: completion, on-time, disputes and verification verdicts
// start at RatePrior, worth RatePriorWeight units of evidence weight.
const (
	// RatePrior is the neutral prior value of every rate component.
	RatePrior = 0.5
	// RatePriorWeight is how much evidence weight each rate prior is worth.
	RatePriorWeight = 2.0
)

// MinJobMoneyWeight is the money weight of a job that settled little or no
// money (a job cancelled before payment still counts, as much as a $1 job).
// Reviews have no floor: a review on a job that settled nothing weighs 0.
const MinJobMoneyWeight = 0.30

// Component weights. They sum to 1.
const (
	// WeightRating is the weight of the rating component.
	WeightRating = 0.35
	// WeightCompletion is the weight of the completion component.
	WeightCompletion = 0.20
	// WeightOnTime is the weight of the on_time component.
	WeightOnTime = 0.15
	// WeightDisputes is the weight of the disputes component.
	WeightDisputes = 0.15
	// WeightVerdicts is the weight of the verification_verdicts component.
	WeightVerdicts = 0.05
	// WeightIdentity is the weight of the identity component.
	WeightIdentity = 0.10
)

// Component names, stable and snake_case, in the order [Compute] returns
// them.
const (
	// NameRating names the Bayesian average rating component.
	NameRating = "rating"
	// NameCompletion names the completion rate component.
	NameCompletion = "completion"
	// NameOnTime names the on-time rate component.
	NameOnTime = "on_time"
	// NameDisputes names the disputes-not-lost component.
	NameDisputes = "disputes"
	// NameVerdicts names the proofer verdict pass rate component.
	NameVerdicts = "verification_verdicts"
	// NameIdentity names the verification status component.
	NameIdentity = "identity"
)

// Formula documents how [Compute] works, in plain text, for the API to
// return alongside a [Score].
const Formula = `Trust score (0-100) = round(sum over components of value x weight x 100), clamped to 0..100.

Evidence weight. Every review, job and proofer verdict has weight = decay x money x diversity.
- decay = 0.5^(age / 180 days); evidence dated in the future counts as now (decay 1).
- money = log10(1 + settled_minor / 100), so $1 weighs 0.30, $100 about 2 and $10,000 about 4.
  A review on a job that settled nothing weighs 0. A job weighs at least 0.30 (as a $1 job),
  so a job cancelled before payment still counts. Proofer verdicts have no money weight (1).
- diversity: the pieces from one counterparty are ranked by decay x money (highest first, ties
  broken by newest, then least favourable) and the k-th counts 1/k^2, so one counterparty is
  worth at most about 1.64 pieces however often it repeats: a ring of accounts reviewing each
  other gains little. Verdicts have no counterparty (1).

Components (value in 0..1, weight):
- rating (0.35): Bayesian average stars = (3.0 x 3 + sum(w x stars)) / (3 + sum(w)),
  stars clamped to 1..5; value = (average - 1) / 4. One 5-star review cannot reach 1.
- completion (0.20): (0.5 x 2 + sum(w over completed jobs)) / (2 + sum(w over all jobs)).
- on_time (0.15): the same over completed jobs only: on-time completed / completed.
- disputes (0.15): 1 - (0.5 x 2 + sum(w over jobs with a dispute lost)) / (2 + sum(w over all jobs)).
- verification_verdicts (0.05): (0.5 x 2 + sum(w over passed verdicts)) / (2 + sum(w over verdicts)).
- identity (0.10): 0.5 if the email is verified + 0.5 if payouts are enabled.

A brand-new account with both verifications scores 55 (every prior at its midpoint, identity 1);
without them it scores 45.`

// Review is one revealed review an account received from a counterparty.
// Stars outside 1..5 are clamped; a review with SettledMinor <= 0 carries
// no weight.
type Review struct {
	Stars        int    // 1..5
	From         string // reviewer account ID
	SettledMinor int64  // money settled on the job the review is about, in minor units
	At           time.Time
}

// JobOutcome is one finished job the account took part in (as poster or
// agent). Jobs are grouped by Counterparty for the diversity weighting; an
// empty Counterparty is one group like any other.
type JobOutcome struct {
	Counterparty string
	SettledMinor int64 // money settled (0 for a job cancelled before payment)
	At           time.Time
	Completed    bool // finished paid (completed or resolved with payment) rather than cancelled/expired through this party
	OnTime       bool // delivered (or, for posters, reviewed) before its deadline
	DisputeLost  bool // a dispute on this job was resolved against this account
}

// Verdict is a proofer verdict on one of the account's deliveries.
type Verdict struct {
	Passed bool
	At     time.Time
}

// Evidence is everything the score is computed from. The zero value is a
// brand-new, unverified account.
type Evidence struct {
	EmailVerified  bool
	PayoutsEnabled bool
	Reviews        []Review
	Jobs           []JobOutcome
	Verdicts       []Verdict
}

// Component is one explainable part of the score.
type Component struct {
	Name   string  `json:"name"`   // stable snake_case: "rating", "completion", "on_time", "disputes", "verification_verdicts", "identity"
	Value  float64 `json:"value"`  // 0..1 after priors and decay
	Weight float64 `json:"weight"` // weights sum to 1
	Points float64 `json:"points"` // Value*Weight*100
	Detail string  `json:"detail"` // one human sentence, e.g. "Bayesian average 4.2/5 from 3 reviews by 2 counterparties"
}

// Score is the explainable trust score.
type Score struct {
	Value      int         `json:"value"` // 0..100, rounded sum of Points
	Components []Component `json:"components"`
}

// Compute returns the trust score for ev as of now, as described by
// [Formula]. It always returns the six components in the order rating,
// completion, on_time, disputes, verification_verdicts, identity; every
// Value lies in [0, 1], the weights sum to 1, and Score.Value is the sum of
// the Points rounded to the nearest integer and clamped to 0..100. Compute
// does not modify ev and is deterministic: the order of the evidence slices
// does not matter.
func Compute(ev Evidence, now time.Time) Score {
	jw := jobWeights(ev.Jobs, now)
	comps := []Component{
		rating(ev.Reviews, now),
		completion(ev.Jobs, jw),
		onTime(ev.Jobs, jw),
		disputes(ev.Jobs, jw),
		verdicts(ev.Verdicts, now),
		identity(ev.EmailVerified, ev.PayoutsEnabled),
	}
	var total float64
	for i := range comps {
		c := &comps[i]
		c.Value = clamp01(c.Value)
		c.Points = c.Value * c.Weight * 100
		total += c.Points
	}
	return Score{Value: int(min(100, max(0, math.Round(total)))), Components: comps}
}

// decay is 0.5^(age/HalfLife), with future evidence counting as now.
func decay(at, now time.Time) float64 {
	age := now.Sub(at)
	if age <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(HalfLife))
}

// moneyWeight is log10(1 + settled/100), and 0 for settled <= 0.
func moneyWeight(settledMinor int64) float64 {
	if settledMinor <= 0 {
		return 0
	}
	return math.Log10(1 + float64(settledMinor)/100)
}

// jobMoneyWeight is moneyWeight floored at MinJobMoneyWeight.
func jobMoneyWeight(settledMinor int64) float64 {
	return max(MinJobMoneyWeight, moneyWeight(settledMinor))
}

// diversify returns the final weight of each item: its base weight times
// 1/k², where k is its rank among the items sharing its group, ranked by
// less (which must order by base weight, highest first, and be total on
// the items' content so the result does not depend on input order).
func diversify(n int, group func(i int) string, base []float64, less func(a, b int) int) []float64 {
	byGroup := make(map[string][]int)
	for i := range n {
		g := group(i)
		byGroup[g] = append(byGroup[g], i)
	}
	w := make([]float64, n)
	for _, idx := range byGroup {
		slices.SortStableFunc(idx, less)
		for k, i := range idx {
			w[i] = base[i] / float64((k+1)*(k+1))
		}
	}
	return w
}

func clampStars(s int) int { return min(5, max(1, s)) }

func rating(rs []Review, now time.Time) Component {
	base := make([]float64, len(rs))
	for i, r := range rs {
		base[i] = decay(r.At, now) * moneyWeight(r.SettledMinor)
	}
	w := diversify(len(rs), func(i int) string { return rs[i].From }, base, func(a, b int) int {
		return cmp.Or(
			cmp.Compare(base[b], base[a]),
			rs[b].At.Compare(rs[a].At),
			cmp.Compare(clampStars(rs[a].Stars), clampStars(rs[b].Stars)),
			cmp.Compare(rs[a].SettledMinor, rs[b].SettledMinor),
		)
	})
	num, den := PriorStars*PriorWeight, PriorWeight
	from := make(map[string]struct{})
	for i, r := range rs {
		num += w[i] * float64(clampStars(r.Stars))
		den += w[i]
		from[r.From] = struct{}{}
	}
	avg := num / den
	return Component{
		Name:   NameRating,
		Value:  (avg - 1) / 4,
		Weight: WeightRating,
		Detail: fmt.Sprintf("Bayesian average %.1f/5 from %s by %s (prior %.1f stars worth %g).",
			avg, plural(len(rs), "review"), plural(len(from), "counterparty"), PriorStars, PriorWeight),
	}
}

// jobWeights returns the final weight of every job.
func jobWeights(js []JobOutcome, now time.Time) []float64 {
	base := make([]float64, len(js))
	for i, j := range js {
		base[i] = decay(j.At, now) * jobMoneyWeight(j.SettledMinor)
	}
	// Ties rank the least favourable outcome first, so it gets the larger share.
	return diversify(len(js), func(i int) string { return js[i].Counterparty }, base, func(a, b int) int {
		ja, jb := js[a], js[b]
		return cmp.Or(
			cmp.Compare(base[b], base[a]),
			jb.At.Compare(ja.At),
			cmpBool(ja.Completed, jb.Completed),
			cmpBool(ja.OnTime, jb.OnTime),
			cmpBool(jb.DisputeLost, ja.DisputeLost),
			cmp.Compare(ja.SettledMinor, jb.SettledMinor),
		)
	})
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}

// rate is the Bayesian share (RatePrior*RatePriorWeight + hit) / (RatePriorWeight + all).
func rate(hit, all float64) float64 {
	return (RatePrior*RatePriorWeight + hit) / (RatePriorWeight + all)
}

func completion(js []JobOutcome, w []float64) Component {
	var hit, all float64
	var n int
	for i, j := range js {
		all += w[i]
		if j.Completed {
			hit += w[i]
			n++
		}
	}
	v := rate(hit, all)
	return Component{
		Name:   NameCompletion,
		Value:  v,
		Weight: WeightCompletion,
		Detail: fmt.Sprintf("Weighted completion rate %.0f%% from %s by %s, %d completed (prior %.0f%%).",
			v*100, plural(len(js), "job"), plural(countCounterparties(js), "counterparty"), n, RatePrior*100),
	}
}

func onTime(js []JobOutcome, w []float64) Component {
	var hit, all float64
	var done, n int
	for i, j := range js {
		if !j.Completed {
			continue
		}
		done++
		all += w[i]
		if j.OnTime {
			hit += w[i]
			n++
		}
	}
	v := rate(hit, all)
	return Component{
		Name:   NameOnTime,
		Value:  v,
		Weight: WeightOnTime,
		Detail: fmt.Sprintf("Weighted on-time rate %.0f%% over %s, %d on time (prior %.0f%%).",
			v*100, plural(done, "completed job"), n, RatePrior*100),
	}
}

func disputes(js []JobOutcome, w []float64) Component {
	var lost, all float64
	var n int
	for i, j := range js {
		all += w[i]
		if j.DisputeLost {
			lost += w[i]
			n++
		}
	}
	v := 1 - rate(lost, all)
	return Component{
		Name:   NameDisputes,
		Value:  v,
		Weight: WeightDisputes,
		Detail: fmt.Sprintf("Weighted share of jobs without a lost dispute %.0f%% over %s, %s lost (prior %.0f%%).",
			v*100, plural(len(js), "job"), plural(n, "dispute"), (1-RatePrior)*100),
	}
}

func verdicts(vs []Verdict, now time.Time) Component {
	var hit, all float64
	var n int
	for _, vd := range vs {
		d := decay(vd.At, now)
		all += d
		if vd.Passed {
			hit += d
			n++
		}
	}
	v := rate(hit, all)
	return Component{
		Name:   NameVerdicts,
		Value:  v,
		Weight: WeightVerdicts,
		Detail: fmt.Sprintf("Weighted proofer pass rate %.0f%% from %s, %d passed (prior %.0f%%).",
			v*100, plural(len(vs), "verdict"), n, RatePrior*100),
	}
}

func identity(email, payouts bool) Component {
	var v float64
	e, p := "not verified", "not enabled"
	if email {
		v += 0.5
		e = "verified"
	}
	if payouts {
		v += 0.5
		p = "enabled"
	}
	return Component{
		Name:   NameIdentity,
		Value:  v,
		Weight: WeightIdentity,
		Detail: fmt.Sprintf("Email %s and payouts %s.", e, p),
	}
}

func countCounterparties(js []JobOutcome) int {
	seen := make(map[string]struct{}, len(js))
	for _, j := range js {
		seen[j.Counterparty] = struct{}{}
	}
	return len(seen)
}

// plural formats n with word, pluralised in English ("1 review", "2 counterparties").
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	if w, ok := strings.CutSuffix(word, "y"); ok {
		return fmt.Sprintf("%d %sies", n, w)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(1, max(0, v))
}
