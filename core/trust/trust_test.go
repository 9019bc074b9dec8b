package trust

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func verified() Evidence { return Evidence{EmailVerified: true, PayoutsEnabled: true} }

// fiveStars returns n five-star reviews on $100 jobs, each from
// counterparty(i), spread over the last n days.
func fiveStars(n int, counterparty func(i int) string) []Review {
	rs := make([]Review, n)
	for i := range rs {
		rs[i] = Review{Stars: 5, From: counterparty(i), SettledMinor: 10_000, At: now.Add(-time.Duration(i) * day)}
	}
	return rs
}

// goodJobs returns n completed, on-time, undisputed $100 jobs.
func goodJobs(n int, counterparty func(i int) string) []JobOutcome {
	js := make([]JobOutcome, n)
	for i := range js {
		js[i] = JobOutcome{Counterparty: counterparty(i), SettledMinor: 10_000, At: now.Add(-time.Duration(i) * day), Completed: true, OnTime: true}
	}
	return js
}

func distinct(i int) string { return fmt.Sprintf("acct_%03d", i) }
func same(int) string       { return "acct_ring" }

func component(t *testing.T, s Score, name string) Component {
	t.Helper()
	for _, c := range s.Components {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "missing component", "%q not in %+v", name, s.Components)
	return Component{}
}

// requireInvariants checks what every Score must satisfy.
func requireInvariants(t *testing.T, s Score) {
	t.Helper()
	require.GreaterOrEqual(t, s.Value, 0)
	require.LessOrEqual(t, s.Value, 100)
	require.Len(t, s.Components, 6)
	var weights, points float64
	for _, c := range s.Components {
		require.False(t, math.IsNaN(c.Value), c.Name)
		require.GreaterOrEqual(t, c.Value, 0.0, c.Name)
		require.LessOrEqual(t, c.Value, 1.0, c.Name)
		require.InDelta(t, c.Value*c.Weight*100, c.Points, 1e-9, c.Name)
		require.NotEmpty(t, c.Detail, c.Name)
		weights += c.Weight
		points += c.Points
	}
	require.InDelta(t, 1.0, weights, 1e-9)
	require.InDelta(t, points, float64(s.Value), 0.5+1e-9)
}

func TestNewAccountLandsMidRange(t *testing.T) {
	t.Parallel()
	s := Compute(verified(), now)
	requireInvariants(t, s)
	require.Equal(t, 55, s.Value, "Formula promises 55 for a new verified account")
	for _, c := range s.Components[:5] {
		require.InDelta(t, 0.5, c.Value, 1e-12, c.Name)
	}

	s = Compute(Evidence{}, now)
	requireInvariants(t, s)
	require.Equal(t, 45, s.Value, "Formula promises 45 for a new unverified account")
}

func TestUnverifiedScoresLowerThanVerified(t *testing.T) {
	t.Parallel()
	history := Evidence{Reviews: fiveStars(3, distinct), Jobs: goodJobs(3, distinct)}
	score := func(email, payouts bool) int {
		ev := history
		ev.EmailVerified, ev.PayoutsEnabled = email, payouts
		s := Compute(ev, now)
		requireInvariants(t, s)
		return s.Value
	}
	none, email, payouts, both := score(false, false), score(true, false), score(false, true), score(true, true)
	require.Less(t, none, email)
	require.Less(t, none, payouts)
	require.Less(t, email, both)
	require.Less(t, payouts, both)
	require.Equal(t, 10, both-none, "identity is worth 10 points")
}

func TestOneFiveStarReviewIsNotPerfect(t *testing.T) {
	t.Parallel()
	one := verified()
	one.Reviews = fiveStars(1, distinct)
	many := verified()
	many.Reviews = fiveStars(20, distinct)

	s1, sMany := Compute(one, now), Compute(many, now)
	requireInvariants(t, s1)
	requireInvariants(t, sMany)
	r1, rMany := component(t, s1, NameRating), component(t, sMany, NameRating)
	require.Less(t, r1.Value, 0.8, "one review must not come close to a perfect rating")
	require.Greater(t, r1.Value, 0.5, "one good review still helps")
	require.Less(t, r1.Value, rMany.Value)
	require.Greater(t, rMany.Value, 0.9)
	require.Less(t, s1.Value, sMany.Value)
	require.Contains(t, r1.Detail, "from 1 review by 1 counterparty")
	require.Contains(t, rMany.Detail, "from 20 reviews by 20 counterparties")
}

func TestRingOfOneCounterpartyGainsLittle(t *testing.T) {
	t.Parallel()
	ring := verified()
	ring.Reviews = fiveStars(20, same)
	ring.Jobs = goodJobs(20, same)
	broad := verified()
	broad.Reviews = fiveStars(20, distinct)
	broad.Jobs = goodJobs(20, distinct)

	sRing, sBroad := Compute(ring, now), Compute(broad, now)
	requireInvariants(t, sRing)
	requireInvariants(t, sBroad)
	require.GreaterOrEqual(t, sBroad.Value-sRing.Value, 15, "ring %d vs broad %d", sRing.Value, sBroad.Value)
	for _, name := range []string{NameRating, NameCompletion, NameOnTime, NameDisputes} {
		require.Less(t, component(t, sRing, name).Value, component(t, sBroad, name).Value, name)
	}

	// Twenty reviews from one counterparty count for less than three from
	// three distinct ones.
	three := verified()
	three.Reviews = fiveStars(3, distinct)
	require.Less(t, component(t, Compute(ring, now), NameRating).Value,
		component(t, Compute(three, now), NameRating).Value+0.05)
	onlyRingReviews := verified()
	onlyRingReviews.Reviews = ring.Reviews
	require.Less(t, component(t, Compute(onlyRingReviews, now), NameRating).Value, 0.87)
}

func TestLostDisputeLowersScore(t *testing.T) {
	t.Parallel()
	clean := verified()
	clean.Jobs = goodJobs(5, distinct)
	lost := verified()
	lost.Jobs = goodJobs(5, distinct)
	lost.Jobs[0].DisputeLost = true

	sClean, sLost := Compute(clean, now), Compute(lost, now)
	requireInvariants(t, sClean)
	requireInvariants(t, sLost)
	require.Less(t, sLost.Value, sClean.Value)
	require.Less(t, component(t, sLost, NameDisputes).Value, component(t, sClean, NameDisputes).Value)
	require.Contains(t, component(t, sLost, NameDisputes).Detail, "1 dispute lost")
}

func TestOldBadEvidenceDecays(t *testing.T) {
	t.Parallel()
	base := verified()
	base.Reviews = fiveStars(5, distinct)
	base.Jobs = goodJobs(5, distinct)

	withBad := func(age time.Duration) Score {
		ev := base
		ev.Reviews = append(append([]Review(nil), base.Reviews...),
			Review{Stars: 1, From: "acct_angry", SettledMinor: 100_000, At: now.Add(-age)})
		ev.Jobs = append(append([]JobOutcome(nil), base.Jobs...),
			JobOutcome{Counterparty: "acct_angry", SettledMinor: 100_000, At: now.Add(-age), DisputeLost: true})
		s := Compute(ev, now)
		requireInvariants(t, s)
		return s
	}
	clean := Compute(base, now)
	yesterday, threeYearsAgo := withBad(day), withBad(3*365*day)

	require.Less(t, yesterday.Value, threeYearsAgo.Value)
	require.Less(t, component(t, yesterday, NameRating).Value, component(t, threeYearsAgo, NameRating).Value)
	require.Less(t, clean.Value-threeYearsAgo.Value, 2, "three-year-old evidence is almost forgotten")
	require.Greater(t, clean.Value-yesterday.Value, 5, "fresh bad evidence hurts")
}

func TestBigMoneyWeighsMoreThanTinyMoney(t *testing.T) {
	t.Parallel()
	require.Zero(t, moneyWeight(0))
	require.Zero(t, moneyWeight(-500))
	require.InDelta(t, math.Log10(2), moneyWeight(100), 1e-12, "$1")
	require.InDelta(t, 4.0, moneyWeight(1_000_000), 1e-4, "$10,000")
	require.Less(t, moneyWeight(100), moneyWeight(1_000_000))
	require.Less(t, moneyWeight(1_000_000), 100*moneyWeight(10_000), "log, not linear")
	require.Equal(t, MinJobMoneyWeight, jobMoneyWeight(0), "a cancelled job still counts")

	// A 1-star review on a big job and a 5-star one on a tiny job rate lower
	// than the reverse.
	mixed := func(bigStars, tinyStars int) Score {
		ev := verified()
		ev.Reviews = []Review{
			{Stars: bigStars, From: "acct_big", SettledMinor: 1_000_000, At: now},
			{Stars: tinyStars, From: "acct_tiny", SettledMinor: 100, At: now},
		}
		ev.Jobs = []JobOutcome{
			{Counterparty: "acct_big", SettledMinor: 1_000_000, At: now, Completed: bigStars == 5, OnTime: bigStars == 5},
			{Counterparty: "acct_tiny", SettledMinor: 100, At: now, Completed: tinyStars == 5, OnTime: tinyStars == 5},
		}
		s := Compute(ev, now)
		requireInvariants(t, s)
		return s
	}
	bigGood, bigBad := mixed(5, 1), mixed(1, 5)
	require.Greater(t, bigGood.Value, bigBad.Value)
	require.Greater(t, component(t, bigGood, NameRating).Value, 0.5)
	require.Less(t, component(t, bigBad, NameRating).Value, 0.5)
	require.Greater(t, component(t, bigGood, NameCompletion).Value, component(t, bigBad, NameCompletion).Value)
}

func TestReviewWithoutMoneyCarriesNoWeight(t *testing.T) {
	t.Parallel()
	ev := verified()
	ev.Reviews = []Review{{Stars: 5, From: "acct_a", SettledMinor: 0, At: now}}
	require.Equal(t, Compute(verified(), now).Components[0].Value, Compute(ev, now).Components[0].Value)
}

func TestDecay(t *testing.T) {
	t.Parallel()
	require.InDelta(t, 1.0, decay(now, now), 1e-12)
	require.InDelta(t, 1.0, decay(now.Add(365*day), now), 1e-12, "future evidence counts as now")
	require.InDelta(t, 0.5, decay(now.Add(-HalfLife), now), 1e-12)
	require.InDelta(t, 0.25, decay(now.Add(-2*HalfLife), now), 1e-12)
	require.InDelta(t, 0.0, decay(time.Time{}, now), 1e-12)
}

func TestDiversityWeightsKthPieceByOneOverKSquared(t *testing.T) {
	t.Parallel()
	js := goodJobs(4, same)
	js = append(js, goodJobs(1, distinct)...)
	w := jobWeights(js, now)
	// Same money; newer jobs decay less and rank first.
	base := func(i int) float64 { return decay(js[i].At, now) * moneyWeight(10_000) }
	require.InDelta(t, base(0), w[0], 1e-12)
	require.InDelta(t, base(1)/4, w[1], 1e-12)
	require.InDelta(t, base(2)/9, w[2], 1e-12)
	require.InDelta(t, base(3)/16, w[3], 1e-12)
	require.InDelta(t, base(4), w[4], 1e-12, "another counterparty starts again at 1/1")
}

func TestWeightsAndOrder(t *testing.T) {
	t.Parallel()
	s := Compute(Evidence{}, now)
	names := make([]string, 0, len(s.Components))
	var sum float64
	for _, c := range s.Components {
		names = append(names, c.Name)
		sum += c.Weight
	}
	require.Equal(t, []string{"rating", "completion", "on_time", "disputes", "verification_verdicts", "identity"}, names)
	require.InDelta(t, 1.0, sum, 1e-12)
	require.InDelta(t, 1.0, WeightRating+WeightCompletion+WeightOnTime+WeightDisputes+WeightVerdicts+WeightIdentity, 1e-12)
	for _, n := range names {
		require.Contains(t, Formula, n)
	}
}

func TestDeterministicAndOrderIndependent(t *testing.T) {
	t.Parallel()
	ev := verified()
	ev.Reviews = []Review{
		{Stars: 5, From: "a", SettledMinor: 5000, At: now},
		{Stars: 1, From: "a", SettledMinor: 5000, At: now},
		{Stars: 3, From: "b", SettledMinor: 20000, At: now.Add(-30 * day)},
		{Stars: 4, From: "a", SettledMinor: 900, At: now.Add(-2 * day)},
	}
	ev.Jobs = []JobOutcome{
		{Counterparty: "a", SettledMinor: 5000, At: now, Completed: true, OnTime: true},
		{Counterparty: "a", SettledMinor: 5000, At: now, Completed: false},
		{Counterparty: "a", SettledMinor: 0, At: now, DisputeLost: true},
		{Counterparty: "b", SettledMinor: 70000, At: now.Add(-40 * day), Completed: true},
	}
	ev.Verdicts = []Verdict{{Passed: true, At: now}, {Passed: false, At: now.Add(-day)}}
	want := Compute(ev, now)
	requireInvariants(t, want)
	require.Equal(t, want, Compute(ev, now))

	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		sh := ev
		sh.Reviews = append([]Review(nil), ev.Reviews...)
		sh.Jobs = append([]JobOutcome(nil), ev.Jobs...)
		sh.Verdicts = append([]Verdict(nil), ev.Verdicts...)
		rng.Shuffle(len(sh.Reviews), func(i, j int) { sh.Reviews[i], sh.Reviews[j] = sh.Reviews[j], sh.Reviews[i] })
		rng.Shuffle(len(sh.Jobs), func(i, j int) { sh.Jobs[i], sh.Jobs[j] = sh.Jobs[j], sh.Jobs[i] })
		rng.Shuffle(len(sh.Verdicts), func(i, j int) { sh.Verdicts[i], sh.Verdicts[j] = sh.Verdicts[j], sh.Verdicts[i] })
		got := Compute(sh, now)
		require.Equal(t, want.Value, got.Value)
		for i := range want.Components {
			require.InDelta(t, want.Components[i].Value, got.Components[i].Value, 1e-12, want.Components[i].Name)
			require.Equal(t, want.Components[i].Detail, got.Components[i].Detail)
		}
	}
}

func TestScoreIsBoundedUnderExtremeInputs(t *testing.T) {
	t.Parallel()
	many := func(n int, r Review) []Review {
		rs := make([]Review, n)
		for i := range rs {
			rs[i] = r
			rs[i].From = distinct(i)
		}
		return rs
	}
	manyJobs := func(n int, j JobOutcome) []JobOutcome {
		js := make([]JobOutcome, n)
		for i := range js {
			js[i] = j
			js[i].Counterparty = distinct(i)
		}
		return js
	}
	verdicts := func(n int, passed bool, at time.Time) []Verdict {
		vs := make([]Verdict, n)
		for i := range vs {
			vs[i] = Verdict{Passed: passed, At: at}
		}
		return vs
	}
	tests := []struct {
		name     string
		ev       Evidence
		min, max int
	}{
		{"empty", Evidence{}, 45, 45},
		{"perfect at max money", Evidence{
			EmailVerified: true, PayoutsEnabled: true,
			Reviews:  many(5000, Review{Stars: 5, SettledMinor: math.MaxInt64, At: now}),
			Jobs:     manyJobs(5000, JobOutcome{SettledMinor: math.MaxInt64, At: now, Completed: true, OnTime: true}),
			Verdicts: verdicts(5000, true, now),
		}, 99, 100},
		{"worst at max money", Evidence{
			Reviews:  many(5000, Review{Stars: 1, SettledMinor: math.MaxInt64, At: now}),
			Jobs:     manyJobs(5000, JobOutcome{SettledMinor: math.MaxInt64, At: now, DisputeLost: true}),
			Verdicts: verdicts(5000, false, now),
		}, 7, 8}, // on_time only counts completed jobs, so it keeps its prior: 7.5 points
		{"out of range stars and negative money", Evidence{
			Reviews: []Review{
				{Stars: 100, From: "a", SettledMinor: 10_000, At: now},
				{Stars: -7, From: "b", SettledMinor: 10_000, At: now},
				{Stars: 0, From: "c", SettledMinor: math.MinInt64, At: now},
			},
			Jobs: []JobOutcome{{SettledMinor: math.MinInt64, At: now, Completed: true}},
		}, 0, 100},
		{"far future", Evidence{
			Reviews: many(10, Review{Stars: 5, SettledMinor: 10_000, At: now.AddDate(500, 0, 0)}),
			Jobs:    manyJobs(10, JobOutcome{SettledMinor: 10_000, At: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Completed: true, OnTime: true}),
		}, 46, 100},
		{"zero times", Evidence{
			Reviews:  many(10, Review{Stars: 1, SettledMinor: 10_000}),
			Jobs:     manyJobs(10, JobOutcome{SettledMinor: 10_000, DisputeLost: true}),
			Verdicts: verdicts(10, false, time.Time{}),
		}, 45, 45},
		{"one ring of thousands", Evidence{
			Reviews: fiveStars(5000, same),
			Jobs:    goodJobs(5000, same),
		}, 45, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Compute(tt.ev, now)
			requireInvariants(t, s)
			require.GreaterOrEqual(t, s.Value, tt.min)
			require.LessOrEqual(t, s.Value, tt.max)
		})
	}
}

// TestRandomEvidenceKeepsInvariants checks the invariants on seeded random
// evidence; the seed is printed on failure so a run can be replayed.
func TestRandomEvidenceKeepsInvariants(t *testing.T) {
	t.Parallel()
	seed := uint64(20260301)
	rng := rand.New(rand.NewPCG(seed, seed))
	at := func() time.Time { return now.Add(time.Duration(rng.Int64N(int64(6*365*day))) - 5*365*day) }
	money := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return rng.Int64()
		default:
			return rng.Int64N(10_000_000)
		}
	}
	for iter := range 300 {
		var ev Evidence
		ev.EmailVerified, ev.PayoutsEnabled = rng.IntN(2) == 0, rng.IntN(2) == 0
		for range rng.IntN(30) {
			ev.Reviews = append(ev.Reviews, Review{Stars: rng.IntN(9) - 2, From: distinct(rng.IntN(5)), SettledMinor: money(), At: at()})
		}
		for range rng.IntN(30) {
			ev.Jobs = append(ev.Jobs, JobOutcome{
				Counterparty: distinct(rng.IntN(5)), SettledMinor: money(), At: at(),
				Completed: rng.IntN(2) == 0, OnTime: rng.IntN(2) == 0, DisputeLost: rng.IntN(5) == 0,
			})
		}
		for range rng.IntN(10) {
			ev.Verdicts = append(ev.Verdicts, Verdict{Passed: rng.IntN(2) == 0, At: at()})
		}
		s := Compute(ev, now)
		ok := t.Run(fmt.Sprintf("seed=%d/iter=%d", seed, iter), func(t *testing.T) {
			requireInvariants(t, s)
			require.Equal(t, s, Compute(ev, now))
		})
		if !ok {
			t.Fatalf("invariant broken; replay with seed %d, iteration %d", seed, iter)
		}
	}
}

func TestDetailPluralisation(t *testing.T) {
	t.Parallel()
	require.Equal(t, "0 reviews", plural(0, "review"))
	require.Equal(t, "1 counterparty", plural(1, "counterparty"))
	require.Equal(t, "3 counterparties", plural(3, "counterparty"))
	require.True(t, strings.HasPrefix(Compute(Evidence{}, now).Components[0].Detail, "Bayesian average 3.0/5 from 0 reviews by 0 counterparties"))
}
