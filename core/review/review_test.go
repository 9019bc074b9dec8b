package review_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/review"
)

func TestValidate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		stars int
		text  string
		want  errs.Code // "" when valid
	}{
		{"1 star", 1, "meh", ""},
		{"5 stars", 5, "great", ""},
		{"no text", 3, "", ""},
		{"text at the limit", 4, strings.Repeat("a", review.MaxText), ""},
		{"multi-byte text at the byte limit", 4, strings.Repeat("é", review.MaxText/2), ""},
		{"0 stars", 0, "", errs.CodeInvalidInput},
		{"-1 stars", -1, "", errs.CodeInvalidInput},
		{"6 stars", 6, "", errs.CodeInvalidInput},
		{"text one byte over", 4, strings.Repeat("a", review.MaxText+1), errs.CodeInvalidInput},
		{"multi-byte text one byte over", 4, strings.Repeat("é", review.MaxText/2) + "a", errs.CodeInvalidInput},
		{"NUL in text", 4, "fine\x00print", errs.CodeInvalidText},
		{"escape in text", 4, "\x1b[2J", errs.CodeInvalidText},
		{"newlines and tabs in text", 4, "good\n\tfast", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := review.Review{JobID: "j", AuthorID: "a", SubjectID: "b", Stars: tt.stars, Text: tt.text}.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.want, errs.CodeOf(err))
		})
	}
}

func TestRevealed(t *testing.T) {
	t.Parallel()

	require.Equal(t, 14*24*time.Hour, review.RevealAfter)
	ended := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	boundary := ended.Add(14 * 24 * time.Hour)
	tests := []struct {
		name  string
		count int
		now   time.Time
		want  bool
	}{
		{"both reviewed at once", 2, ended, true},
		{"both reviewed, clock before the end", 2, ended.Add(-time.Hour), true},
		{"one review just after the end", 1, ended.Add(time.Second), false},
		{"one review 1ns before 14 days", 1, boundary.Add(-time.Nanosecond), false},
		{"one review exactly at 14 days", 1, boundary, true},
		{"one review after 14 days", 1, boundary.Add(time.Nanosecond), true},
		{"no review before 14 days", 0, boundary.Add(-time.Nanosecond), false},
		{"no review at 14 days", 0, boundary, true},
		{"boundary in another zone is the same instant", 1, boundary.In(time.FixedZone("X", 5*3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, review.Revealed(tt.count, ended, tt.now))
		})
	}
}
