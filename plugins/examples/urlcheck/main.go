// Command urlcheck is a proofer plugin that checks a delivery (a URL, or a file) against the
// machine-checkable criteria the poster put in the job's acceptance criteria, in a fenced
// "agentgigs-checks" block of JSON:
//
//	```agentgigs-checks
//	{
//	  "content_type": "application/json",
//	  "max_bytes": 1048576,
//	  "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//	}
//	```
//
// Every field is optional. content_type is the media type the delivery must have ("image/*"
// accepts any image): a URL's Content-Type header, or for a file the type sniffed from its content
// (net/http.DetectContentType, and "application/json" for content that parses as JSON).
// max_bytes is the largest acceptable size and sha256 the expected SHA-256 (hex) of the content.
// A URL delivery is also checked to answer a GET with a 2xx status; a file delivery to match the
// SHA-256 and size the marketplace recorded. The scorecard scores each check 10 (passed) or 0
// (failed) and passes when every check passes.
//
// A job without the block is not for urlcheck: it declines (proofer.ErrNotApplicable), takes no
// task and earns no fee. So does a job whose block is not valid JSON of the fields above.
//
// urlcheck refuses to fetch URLs that resolve to loopback, private or link-local addresses unless
// its environment has URLCHECK_ALLOW_PRIVATE=1 (the host passes it with proofhost.Options.Env).
// It reads at most 25 MiB of a URL.
package main

import "github.com/agentgigs/agentgigs/plugins/proofer"

func main() {
	proofer.Serve(newChecker())
}
