package text_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/text"
)

func TestLineAndBlock(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		in          string
		line, block string // the refusal's message, "" when valid
	}{
		{"empty", "", "", ""},
		{"plain", "Build a CSV parser", "", ""},
		{"non-ASCII", "Übersetzung 日本語 🚀", "", ""},
		{"an encoded U+FFFD", "a\uFFFDb", "", ""},
		{"NUL", "ab\x00c", "f contains the control character U+0000 (byte 2)", "f contains the control character U+0000 (byte 2)"},
		{"escape", "\x1b[31m", "f contains the control character U+001B (byte 0)", "f contains the control character U+001B (byte 0)"},
		{"DEL", "a\x7f", "f contains the control character U+007F (byte 1)", "f contains the control character U+007F (byte 1)"},
		{"C1 NEL", "a\u0085", "f contains the control character U+0085 (byte 1)", "f contains the control character U+0085 (byte 1)"},
		{"C1 end", "\u009f", "f contains the control character U+009F (byte 0)", "f contains the control character U+009F (byte 0)"},
		{"tab", "a\tb", "f contains the control character U+0009 (byte 1)", ""},
		{"newline", "a\nb", "f contains the control character U+000A (byte 1)", ""},
		{"CRLF", "a\r\nb", "f contains the control character U+000D (byte 1)", ""},
		{"invalid byte", "ab\xffc", "f is not valid UTF-8 (byte 2)", "f is not valid UTF-8 (byte 2)"},
		{"truncated sequence", "é"[:1], "f is not valid UTF-8 (byte 0)", "f is not valid UTF-8 (byte 0)"},
		{"overlong NUL", "\xc0\x80", "f is not valid UTF-8 (byte 0)", "f is not valid UTF-8 (byte 0)"},
		{"surrogate", "\xed\xa0\x80", "f is not valid UTF-8 (byte 0)", "f is not valid UTF-8 (byte 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				check func(string, string) error
				want  string
			}{{text.Line, tt.line}, {text.Block, tt.block}} {
				err := c.check("f", tt.in)
				if c.want == "" {
					require.NoError(t, err)
					continue
				}
				require.ErrorIs(t, err, errs.ErrInvalidText)
				var e *errs.Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, c.want, e.Message)
			}
		})
	}
}

func TestListsNameTheIndex(t *testing.T) {
	t.Parallel()

	require.NoError(t, text.Lines("tags", nil))
	require.NoError(t, text.Lines("tags", []string{"go", "csv"}))
	err := text.Lines("tags", []string{"go", "c\x00sv", "\xff"})
	require.ErrorIs(t, err, errs.ErrInvalidText)
	require.EqualError(t, err, "INVALID_TEXT: tags[1] contains the control character U+0000 (byte 1)")
	require.Error(t, text.Lines("tags", []string{"a\nb"}))

	require.NoError(t, text.Blocks("evidence", []string{"line 1\nline 2"}))
	require.EqualError(t, text.Blocks("evidence", []string{"ok", "\xff"}), "INVALID_TEXT: evidence[1] is not valid UTF-8 (byte 0)")
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00", "\xff", "\u0085", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := text.Line("f", s)
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				require.ErrorIs(t, err, errs.ErrInvalidText)
				return
			}
		}
		if !utf8.ValidString(s) {
			require.ErrorIs(t, err, errs.ErrInvalidText)
			return
		}
		require.NoError(t, err)
	})
}
