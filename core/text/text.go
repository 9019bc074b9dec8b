// Package text holds the one rule for the text the core accepts: valid UTF-8 without control
// characters. Every use case checks each text input with Line or Block before it reaches a port,
// so no store ever receives a NUL byte, another control character or invalid UTF-8 (PostgreSQL
// refuses NUL and invalid UTF-8 in text, and neither has a place in a name, a title or an ID).
//
// A refusal is an *errs.Error with the code errs.CodeInvalidText whose message names the field and
// the offending byte's offset, never the value, so an answer does not echo what was sent.
package text

import (
	"fmt"
	"unicode/utf8"

	"github.com/agentgigs/agentgigs/core/errs"
)

// Line checks a single-line value (a name, title, tag, category, search term, key name, email,
// URL, ID or cursor): it must be valid UTF-8 without any control character (C0, DEL or C1, tab and
// newline included). The empty string is valid; whether a field is required is its own rule.
func Line(field, s string) error { return check(field, s, false) }

// Block checks a multi-line value (a description, message, note, reason, criteria, review or
// scorecard text): it must be valid UTF-8 whose only control characters are tab, line feed and carriage
// return.
func Block(field, s string) error { return check(field, s, true) }

// Lines checks each value of a list of single-line values (tags, event filters) with Line,
// naming the field with the value's index, e.g. "tags[2]".
func Lines(field string, ss []string) error { return list(field, ss, false) }

// Blocks checks each value of a list of multi-line values (a dispute's evidence) with Block,
// naming the field with the value's index, e.g. "evidence[0]".
func Blocks(field string, ss []string) error { return list(field, ss, true) }

// list checks each value of ss, naming the first refused one by its index.
func list(field string, ss []string, multiline bool) error {
	for i, s := range ss {
		if at, r, bad := find(s, multiline); bad {
			return refuse(fmt.Sprintf("%s[%d]", field, i), at, r)
		}
	}
	return nil
}

// check refuses s when find reports a character, naming field.
func check(field, s string, multiline bool) error {
	if at, r, bad := find(s, multiline); bad {
		return refuse(field, at, r)
	}
	return nil
}

// find returns the byte offset of the first invalid UTF-8 byte (r is utf8.RuneError) or control
// character r in s, allowing tab, LF and CR when multiline; bad is false when there is none.
func find(s string, multiline bool) (at int, r rune, bad bool) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i, r, true // an invalid byte, not an encoded U+FFFD
			}
		case multiline && (r == '\t' || r == '\n' || r == '\r'):
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return i, r, true
		}
	}
	return 0, 0, false
}

// refuse is the INVALID_TEXT error for the character find reported.
func refuse(field string, at int, r rune) error {
	if r == utf8.RuneError {
		return errs.New(errs.CodeInvalidText, "%s is not valid UTF-8 (byte %d)", field, at)
	}
	return errs.New(errs.CodeInvalidText, "%s contains the control character U+%04X (byte %d)", field, r, at)
}
