package proofer

import "strings"

// BlockPrefix starts the info string of a fenced block of machine-checkable criteria.
const BlockPrefix = "agentgigs-"

// Block is a fenced block of machine-checkable criteria in a job's acceptance criteria.
type Block struct {
	Kind string // the info string after BlockPrefix, e.g. "checks" for "```agentgigs-checks"
	Body string // the lines between the fences, joined with "\n"
}

// ParseBlocks returns the fenced blocks of criteria whose info string starts with BlockPrefix,
// in order. A fence is a line of three or more backticks or tildes, indented by at most three
// spaces, as in CommonMark; the block ends at a line of at least as many of the same character
// and nothing else, or at the end of the text. Other fenced blocks and text are ignored, so the
// poster writes the criteria for humans and machines in one place:
//
//	The page must load and be under 1 MB.
//
//	```agentgigs-checks
//	{"content_type": "text/html", "max_bytes": 1000000}
//	```
func ParseBlocks(criteria string) []Block {
	var (
		out   []Block
		in    bool   // inside a fenced block
		fence string // the opening fence
		keep  bool   // the block is one of ours
		kind  string
		body  []string
	)
	for _, line := range strings.Split(strings.ReplaceAll(criteria, "\r\n", "\n"), "\n") {
		if !in {
			f, info, ok := openFence(line)
			if ok {
				in, fence, body = true, f, nil
				kind, keep = strings.CutPrefix(firstWord(info), BlockPrefix)
				keep = keep && kind != ""
			}
			continue
		}
		if closesFence(line, fence) {
			if keep {
				out = append(out, Block{Kind: kind, Body: strings.Join(body, "\n")})
			}
			in = false
			continue
		}
		body = append(body, line)
	}
	if in && keep {
		out = append(out, Block{Kind: kind, Body: strings.Join(body, "\n")})
	}
	return out
}

// openFence reports whether line opens a fenced block, with its fence and info string.
func openFence(line string) (fence, info string, ok bool) {
	rest, ok := unindent(line)
	if !ok || len(rest) < 3 || (rest[0] != '`' && rest[0] != '~') {
		return "", "", false
	}
	n := 0
	for n < len(rest) && rest[n] == rest[0] {
		n++
	}
	if n < 3 || (rest[0] == '`' && strings.Contains(rest[n:], "`")) {
		return "", "", false
	}
	return rest[:n], strings.TrimSpace(rest[n:]), true
}

// closesFence reports whether line closes a block opened by fence.
func closesFence(line, fence string) bool {
	rest, ok := unindent(line)
	rest = strings.TrimRight(rest, " \t")
	return ok && len(rest) >= len(fence) && strings.Trim(rest, fence[:1]) == ""
}

// unindent strips up to three leading spaces; a line indented by more is not a fence.
func unindent(line string) (string, bool) {
	trimmed := strings.TrimLeft(line, " ")
	return trimmed, len(line)-len(trimmed) <= 3
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
