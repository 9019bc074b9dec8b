package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/errs"
)

// Problem is an RFC 9457 problem detail with a stable, machine-readable code. Its type URI names
// the code, so a client may branch on either.
type Problem struct {
	Type     string              `json:"type" doc:"URI naming the error code; GET it for a description"`
	Title    string              `json:"title" doc:"short human summary of the code"`
	Status   int                 `json:"status" doc:"HTTP status"`
	Code     string              `json:"code" doc:"stable machine-readable error code, e.g. INSUFFICIENT_FUNDS" example:"INVALID_INPUT"`
	Detail   string              `json:"detail,omitempty" doc:"what went wrong in this request"`
	Instance string              `json:"instance,omitempty" doc:"the request path"`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty" doc:"per-field validation errors"`

	retryAfter string // seconds for the Retry-After header, when the client should wait
}

// Error returns the detail.
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus returns the HTTP status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes problems application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// Codes the HTTP layer adds to the core's.
const (
	codeIdempotencyBusy errs.Code = "IDEMPOTENCY_KEY_IN_USE"
	codeIdempotencyUsed errs.Code = "IDEMPOTENCY_KEY_REUSED"
	codeTooLarge        errs.Code = "TOO_LARGE"
	codeAuthRateLimited errs.Code = "AUTH_RATE_LIMITED"
	codeUnsupportedType errs.Code = "UNSUPPORTED_MEDIA_TYPE"
	codeMethodNotAllow  errs.Code = "METHOD_NOT_ALLOWED"
	codeInternal        errs.Code = "INTERNAL"
	codeUnavailable     errs.Code = "UNAVAILABLE"
)

// codeInfo is what the API says about one error code.
type codeInfo struct {
	Status int
	Title  string
}

// codes is every code the API answers with: its status and title. GET /errors lists it.
var codes = map[errs.Code]codeInfo{
	errs.CodeInvalidInput:       {http.StatusUnprocessableEntity, "The request is not valid"},
	errs.CodeInvalidText:        {http.StatusUnprocessableEntity, "Text with a control character or invalid UTF-8"},
	errs.CodeNotFound:           {http.StatusNotFound, "Not found"},
	errs.CodeForbidden:          {http.StatusForbidden, "Not allowed for this account"},
	errs.CodeConflict:           {http.StatusConflict, "Conflicts with the current state"},
	errs.CodeInvalidTransition:  {http.StatusConflict, "Not possible in the job's state"},
	errs.CodeInsufficientFunds:  {http.StatusPaymentRequired, "Insufficient funds"},
	errs.CodeCurrencyMismatch:   {http.StatusUnprocessableEntity, "Currencies do not match"},
	errs.CodeAmountOverflow:     {http.StatusUnprocessableEntity, "Amount out of range"},
	errs.CodeAmountTooLarge:     {http.StatusUnprocessableEntity, "Amount above the currency's maximum per operation"},
	errs.CodeEmailNotVerified:   {http.StatusForbidden, "Verify your email first"},
	errs.CodeOnboardingRequired: {http.StatusForbidden, "Complete payout onboarding first"},
	errs.CodeRevisionLimit:      {http.StatusConflict, "Revision limit reached"},
	errs.CodeDeadlineNotReached: {http.StatusConflict, "The deadline has not passed yet"},
	errs.CodeSplitMismatch:      {http.StatusUnprocessableEntity, "The split does not add up to the escrow"},
	errs.CodeProoferIneligible:  {http.StatusForbidden, "Not eligible to verify this job"},
	errs.CodeAlreadyExists:      {http.StatusConflict, "Already exists"},
	errs.CodeReasonRequired:     {http.StatusUnprocessableEntity, "A reason is required"},
	errs.CodeInvalidToken:       {http.StatusBadRequest, "The token is not valid"},
	errs.CodeUnauthenticated:    {http.StatusUnauthorized, "Missing or invalid API key"},
	errs.CodeRateLimited:        {http.StatusTooManyRequests, "Rate limit exceeded"},
	errs.CodeOutstandingDebt:    {http.StatusPaymentRequired, "The account owes a debt; a top-up settles it first"},
	codeIdempotencyBusy:         {http.StatusConflict, "A request with this Idempotency-Key is still running"},
	codeIdempotencyUsed:         {http.StatusUnprocessableEntity, "The Idempotency-Key was used with another request"},
	codeAuthRateLimited:         {http.StatusTooManyRequests, "Too many invalid API keys from this address"},
	codeTooLarge:                {http.StatusRequestEntityTooLarge, "The request body is too large"},
	codeUnsupportedType:         {http.StatusUnsupportedMediaType, "Unsupported content type"},
	codeMethodNotAllow:          {http.StatusMethodNotAllowed, "Method not allowed"},
	codeInternal:                {http.StatusInternalServerError, "Internal error"},
	codeUnavailable:             {http.StatusServiceUnavailable, "Temporarily unavailable; retry"},
}

// statusCodes maps statuses huma answers by itself (validation, limits) to codes.
var statusCodes = map[int]errs.Code{
	http.StatusBadRequest:            errs.CodeInvalidInput,
	http.StatusUnprocessableEntity:   errs.CodeInvalidInput,
	http.StatusNotFound:              errs.CodeNotFound,
	http.StatusRequestEntityTooLarge: codeTooLarge,
	http.StatusUnsupportedMediaType:  codeUnsupportedType,
	http.StatusMethodNotAllowed:      codeMethodNotAllow,
	http.StatusRequestTimeout:        errs.CodeInvalidInput,
	http.StatusUnauthorized:          errs.CodeUnauthenticated,
	http.StatusForbidden:             errs.CodeForbidden,
	http.StatusConflict:              errs.CodeConflict,
	http.StatusTooManyRequests:       errs.CodeRateLimited,
	http.StatusServiceUnavailable:    codeUnavailable,
}

// typeURI is the problem type of a code, relative to the server.
func typeURI(code errs.Code) string { return "/errors/" + string(code) }

// newProblem makes the problem of a code.
func newProblem(code errs.Code, detail string) *Problem {
	info, ok := codes[code]
	if !ok {
		info = codes[codeInternal]
	}
	return &Problem{Type: typeURI(code), Title: info.Title, Status: info.Status, Code: string(code), Detail: detail}
}

// humaError replaces huma's own errors (validation, body limits, content types) with problems
// that carry a code.
func humaError(status int, msg string, errList ...error) huma.StatusError {
	code, ok := statusCodes[status]
	if !ok {
		code = codeInternal
		if status < 500 {
			code = errs.CodeInvalidInput
		}
	}
	p := newProblem(code, truncateEcho(msg))
	p.Status = status
	for _, e := range errList {
		if e == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(e, &d) {
			p.Errors = append(p.Errors, echoDetail(d.ErrorDetail()))
		} else {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Message: truncateEcho(e.Error())})
		}
	}
	if len(p.Errors) > 0 && strings.HasPrefix(msg, "validation failed") {
		var parts []string
		for _, d := range p.Errors {
			parts = append(parts, d.Location+": "+d.Message)
		}
		p.Detail = msg + ": " + strings.Join(parts, "; ")
	}
	return p
}

// maxEcho is how many bytes of a request's own text (a value, a property name) a validation
// error repeats; the rest is cut and marked, so a 1 MB field does not come back in the answer.
const maxEcho = 256

// truncateEcho cuts s to maxEcho bytes (on a character boundary) and marks the cut with an
// ellipsis and the original length.
func truncateEcho(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// echoDetail is d with its message, location and value truncated (see truncateEcho). A value
// that is not a string but whose JSON is longer than maxEcho (an object, an array) becomes its
// truncated JSON text.
func echoDetail(d *huma.ErrorDetail) *huma.ErrorDetail {
	out := &huma.ErrorDetail{Message: truncateEcho(d.Message), Location: truncateEcho(d.Location), Value: d.Value}
	switch v := d.Value.(type) {
	case nil, bool, int, int64, float64:
	case string:
		out.Value = truncateEcho(v)
	default:
		if raw, err := json.Marshal(v); err != nil {
			out.Value = nil
		} else if len(raw) > maxEcho {
			out.Value = truncateEcho(string(raw))
		}
	}
	return out
}

// problemOf turns a use case's error into a problem. Domain errors keep their code; anything
// else is an internal error whose detail does not leak.
func problemOf(err error) error {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	if code := errs.CodeOf(err); code != "" {
		var e *errs.Error
		errors.As(err, &e)
		return newProblem(code, e.Message)
	}
	return newProblem(codeInternal, "an internal error occurred; it was logged")
}

// StatusOf is the HTTP status the API answers a use case's error with (500 for an error without
// a domain code), so other front ends over the same service (the web pages) answer alike.
func StatusOf(err error) int {
	if info, ok := codes[errs.CodeOf(err)]; ok {
		return info.Status
	}
	return http.StatusInternalServerError
}
