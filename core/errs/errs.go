// Package errs holds the domain's typed errors. Every refusal the core makes is an *Error with a
// stable machine-readable Code; callers match them with errors.Is against the sentinels below (the
// code is compared, not the message) or read the code with CodeOf. HTTP meaning is added once, by
// the app, by mapping codes to problem details.
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code such as "INSUFFICIENT_FUNDS".
type Code string

// The stable codes. They never change meaning once published.
const (
	CodeInvalidInput       Code = "INVALID_INPUT"
	CodeInvalidText        Code = "INVALID_TEXT" // a control character or invalid UTF-8 in text
	CodeNotFound           Code = "NOT_FOUND"
	CodeForbidden          Code = "FORBIDDEN"
	CodeConflict           Code = "CONFLICT"
	CodeInvalidTransition  Code = "INVALID_TRANSITION"
	CodeInsufficientFunds  Code = "INSUFFICIENT_FUNDS"
	CodeCurrencyMismatch   Code = "CURRENCY_MISMATCH"
	CodeAmountOverflow     Code = "AMOUNT_OVERFLOW"
	CodeAmountTooLarge     Code = "AMOUNT_TOO_LARGE"
	CodeEmailNotVerified   Code = "EMAIL_NOT_VERIFIED"
	CodeOnboardingRequired Code = "PAYOUT_ONBOARDING_REQUIRED"
	CodeRevisionLimit      Code = "REVISION_LIMIT_REACHED"
	CodeDeadlineNotReached Code = "DEADLINE_NOT_REACHED"
	CodeSplitMismatch      Code = "SPLIT_MISMATCH"
	CodeProoferIneligible  Code = "PROOFER_INELIGIBLE"
	CodeAlreadyExists      Code = "ALREADY_EXISTS"
	CodeReasonRequired     Code = "REASON_REQUIRED"
	CodeInvalidToken       Code = "INVALID_TOKEN"
	CodeUnauthenticated    Code = "UNAUTHENTICATED"
	CodeRateLimited        Code = "RATE_LIMITED"
	CodeOutstandingDebt    Code = "OUTSTANDING_DEBT"
)

// Sentinels for errors.Is. An *Error matches a sentinel when their codes are equal.
var (
	ErrInvalidInput       = &Error{Code: CodeInvalidInput}
	ErrInvalidText        = &Error{Code: CodeInvalidText}
	ErrNotFound           = &Error{Code: CodeNotFound}
	ErrForbidden          = &Error{Code: CodeForbidden}
	ErrConflict           = &Error{Code: CodeConflict}
	ErrInvalidTransition  = &Error{Code: CodeInvalidTransition}
	ErrInsufficientFunds  = &Error{Code: CodeInsufficientFunds}
	ErrCurrencyMismatch   = &Error{Code: CodeCurrencyMismatch}
	ErrAmountOverflow     = &Error{Code: CodeAmountOverflow}
	ErrAmountTooLarge     = &Error{Code: CodeAmountTooLarge}
	ErrEmailNotVerified   = &Error{Code: CodeEmailNotVerified}
	ErrOnboardingRequired = &Error{Code: CodeOnboardingRequired}
	ErrRevisionLimit      = &Error{Code: CodeRevisionLimit}
	ErrDeadlineNotReached = &Error{Code: CodeDeadlineNotReached}
	ErrSplitMismatch      = &Error{Code: CodeSplitMismatch}
	ErrProoferIneligible  = &Error{Code: CodeProoferIneligible}
	ErrAlreadyExists      = &Error{Code: CodeAlreadyExists}
	ErrReasonRequired     = &Error{Code: CodeReasonRequired}
	ErrInvalidToken       = &Error{Code: CodeInvalidToken}
	ErrRateLimited        = &Error{Code: CodeRateLimited}
	ErrOutstandingDebt    = &Error{Code: CodeOutstandingDebt}
)

// Error is a domain refusal: a stable Code, a human Message, and an optional wrapped cause.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// New returns an *Error with the code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and message that wraps cause.
func Wrap(code Code, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Message == "" && e.Err == nil:
		return string(e.Code)
	case e.Err == nil:
		return string(e.Code) + ": " + e.Message
	case e.Message == "":
		return string(e.Code) + ": " + e.Err.Error()
	default:
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
}

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code
}

// CodeOf returns the code of the first *Error in err's chain, or "" when there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
