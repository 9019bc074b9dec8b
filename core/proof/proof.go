// Package proof holds the verification rules of DESIGN §5: who may prove a job (eligibility and
// conflicts of interest), what a scorecard must contain, and how scorecards make a verdict.
package proof

import (
	"fmt"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/text"
)

// CriterionScore is a proofer's score for one acceptance criterion.
type CriterionScore struct {
	Criterion string `json:"criterion" maxLength:"200"`
	Score     int    `json:"score"` // 0..10
	Passed    bool   `json:"passed"`
	Note      string `json:"note,omitempty" maxLength:"2000"`
}

// Scorecard is a proofer's structured review of a delivery. The maxLength and maxItems tags
// document the limits Validate enforces (the Max constants) in the API schema.
type Scorecard struct {
	Criteria []CriterionScore `json:"criteria" maxItems:"50"`
	Pass     bool             `json:"pass"`
	Summary  string           `json:"summary" maxLength:"5000"`
	Evidence []string         `json:"evidence,omitempty" maxItems:"20" doc:"links or notes, each at most 2000 bytes"`
}

// Scorecard size limits, in bytes for text, so that a proofer cannot store unbounded text.
const (
	MaxCriteria      = 50   // criteria scored on one scorecard
	MaxCriterionName = 200  // bytes of a criterion's name
	MaxCriterionNote = 2000 // bytes of a criterion's note
	MaxSummary       = 5000 // bytes of the summary
	MaxEvidence      = 20   // evidence items
	MaxEvidenceItem  = 2000 // bytes of one evidence item
)

// Validate refuses a scorecard without criteria or summary, with a score outside 0..10, or over
// the size limits above, all with INVALID_INPUT, and text with a control character or invalid
// UTF-8 (package text) with INVALID_TEXT.
func (s Scorecard) Validate() error {
	if err := text.Block("summary", s.Summary); err != nil {
		return err
	}
	if err := text.Blocks("evidence", s.Evidence); err != nil {
		return err
	}
	switch {
	case len(s.Criteria) == 0:
		return errs.New(errs.CodeInvalidInput, "a scorecard scores at least one criterion")
	case strings.TrimSpace(s.Summary) == "":
		return errs.New(errs.CodeInvalidInput, "a scorecard needs a summary")
	case len(s.Criteria) > MaxCriteria || len(s.Summary) > MaxSummary || len(s.Evidence) > MaxEvidence:
		return errs.New(errs.CodeInvalidInput, "a scorecard has at most %d criteria, %d bytes of summary and %d evidence items", MaxCriteria, MaxSummary, MaxEvidence)
	}
	for i, c := range s.Criteria {
		if err := text.Line(fmt.Sprintf("criteria[%d].criterion", i), c.Criterion); err != nil {
			return err
		}
		if err := text.Block(fmt.Sprintf("criteria[%d].note", i), c.Note); err != nil {
			return err
		}
		if strings.TrimSpace(c.Criterion) == "" || c.Score < 0 || c.Score > 10 {
			return errs.New(errs.CodeInvalidInput, "criterion %q: name required and score within 0..10", c.Criterion)
		}
		if len(c.Criterion) > MaxCriterionName || len(c.Note) > MaxCriterionNote {
			return errs.New(errs.CodeInvalidInput, "a criterion's name is at most %d bytes and its note at most %d", MaxCriterionName, MaxCriterionNote)
		}
	}
	for _, e := range s.Evidence {
		if len(e) > MaxEvidenceItem {
			return errs.New(errs.CodeInvalidInput, "an evidence item is at most %d bytes", MaxEvidenceItem)
		}
	}
	return nil
}

// TaskStatus is where a verification task stands.
type TaskStatus string

// The task statuses.
const (
	TaskOpen      TaskStatus = "open"
	TaskClaimed   TaskStatus = "claimed"
	TaskSubmitted TaskStatus = "submitted"
	TaskClosed    TaskStatus = "closed" // the verification window closed without its scorecard
)

// Task is one proofer slot on a delivered job.
type Task struct {
	ID          string     `json:"id"`
	JobID       string     `json:"job_id"`
	Status      TaskStatus `json:"status"`
	ProoferID   string     `json:"proofer_id,omitempty"`
	Scorecard   *Scorecard `json:"scorecard,omitempty"`
	ClaimedAt   time.Time  `json:"claimed_at,omitzero"`
	SubmittedAt time.Time  `json:"submitted_at,omitzero"`
}

// Candidate is what eligibility needs to know about a would-be proofer.
type Candidate struct {
	AccountID      string
	EmailVerified  bool
	PayoutsEnabled bool
	Trust          int
}

// Eligible refuses with PROOFER_INELIGIBLE a candidate who is unverified, not onboarded for
// payouts, the poster or the agent of the job, or below the job's trust floor.
func Eligible(c Candidate, j *job.Job) error {
	switch {
	case !c.EmailVerified || !c.PayoutsEnabled:
		return errs.New(errs.CodeProoferIneligible, "proofers need a verified email and payout onboarding")
	case c.AccountID == j.PosterID || c.AccountID == j.AgentID:
		return errs.New(errs.CodeProoferIneligible, "the poster and the agent cannot prove their own job")
	case j.Verification != nil && c.Trust < j.Verification.MinTrust:
		return errs.New(errs.CodeProoferIneligible, "trust %d is below the job's floor of %d", c.Trust, j.Verification.MinTrust)
	}
	return nil
}

// Verdict returns whether the submitted scorecards pass: at least threshold of them pass.
func Verdict(cards []Scorecard, threshold int) bool {
	n := 0
	for _, c := range cards {
		if c.Pass {
			n++
		}
	}
	return n >= threshold
}

// ValidateConfig refuses a verification setup that cannot work: proofers within 1..10, a threshold
// within 1..proofers, a non-negative fee and a trust floor within 0..100.
func ValidateConfig(v job.Verification) error {
	switch {
	case v.Proofers < 1 || v.Proofers > 10:
		return errs.New(errs.CodeInvalidInput, "verification needs 1 to 10 proofers, got %d", v.Proofers)
	case v.PassThreshold < 1 || v.PassThreshold > v.Proofers:
		return errs.New(errs.CodeInvalidInput, "pass threshold must be within 1..%d", v.Proofers)
	case v.FeePerProofer.IsNegative():
		return errs.New(errs.CodeInvalidInput, "proofer fee cannot be negative")
	case v.MinTrust < 0 || v.MinTrust > 100:
		return errs.New(errs.CodeInvalidInput, "trust floor must be within 0..100")
	}
	return nil
}
