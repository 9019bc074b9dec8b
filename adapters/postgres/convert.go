package postgres

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ts is how a time is stored: NULL for the zero time, otherwise UTC truncated to the
// microsecond, PostgreSQL's precision.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// fromTS is the time read from a nullable timestamptz.
func fromTS(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

// jsonTime is how a time is stored inside a jsonb document: as in a column.
func jsonTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// toJSON encodes v for a jsonb column; a nil pointer is NULL.
func toJSON[T any](v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// fromJSON decodes a jsonb column into a new T; NULL is nil.
func fromJSON[T any](b []byte) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// nilIfEmpty returns nil for an empty slice, as the ports' records have it.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// emailKey is the form emails are compared in (as the memory adapter does).
func emailKey(email string) string { return strings.ToLower(email) }

// fold maps s to a canonical case: every rune becomes the smallest rune of its simple
// case-folding orbit (so ASCII letters become upper case), and invalid bytes become U+FFFD. Two strings are equal under simple case
// folding exactly when their folds are equal, and since fold maps rune to rune, substr occurs in
// s case-insensitively exactly when fold(substr) is a substring of fold(s): the rule the memory
// adapter's term search applies, which SQL LIKE over folded text can then apply in the database
// whatever its collation.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // ranging decodes invalid bytes as utf8.RuneError
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A' // the smallest of {A, a} (and of {K, k, U+212A}, {S, s, U+017F})
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(canonRune(r))
	}
	return b.String()
}

// canonRune returns the smallest rune of r's simple case-folding orbit.
func canonRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// likePattern returns a LIKE pattern matching any text that contains the folded term.
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, searchSeparator, "")
	return "%" + r.Replace(fold(term)) + "%"
}
