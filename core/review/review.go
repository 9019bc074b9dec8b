// Package review holds the rules of mutual reviews (DESIGN §7): after a paid job each side may
// review the other once, 1 to 5 stars; reviews are revealed when both have reviewed or after
// RevealAfter.
package review

import (
	"time"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/text"
)

// RevealAfter is how long after a job ends a lone review stays hidden.
const RevealAfter = 14 * 24 * time.Hour

// MaxText is the longest review text accepted, in bytes.
const MaxText = 4000

// Review is one party's review of the other on one job.
type Review struct {
	JobID     string    `json:"job_id"`
	AuthorID  string    `json:"author_id"`
	SubjectID string    `json:"subject_id"`
	Stars     int       `json:"stars"`
	Text      string    `json:"text"`
	At        time.Time `json:"at"`
}

// Validate refuses stars outside 1..5 and over-long text (INVALID_INPUT), and text with a control
// character or invalid UTF-8 (INVALID_TEXT, see package text).
func (r Review) Validate() error {
	if r.Stars < 1 || r.Stars > 5 {
		return errs.New(errs.CodeInvalidInput, "stars must be within 1..5, got %d", r.Stars)
	}
	if err := text.Block("text", r.Text); err != nil {
		return err
	}
	if len(r.Text) > MaxText {
		return errs.New(errs.CodeInvalidInput, "review text must be at most %d bytes", MaxText)
	}
	return nil
}

// Revealed reports whether the job's reviews may be shown: both sides reviewed, or RevealAfter
// passed since the job ended.
func Revealed(count int, endedAt, now time.Time) bool {
	return count >= 2 || !now.Before(endedAt.Add(RevealAfter))
}
