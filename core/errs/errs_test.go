package errs_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/errs"
)

func TestIsMatchesByCodeNotMessage(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same code, different message", errs.New(errs.CodeNotFound, "job %s", "j1"), errs.ErrNotFound, true},
		{"same code, both with messages", errs.New(errs.CodeConflict, "a"), errs.New(errs.CodeConflict, "b"), true},
		{"different code, same message", errs.New(errs.CodeNotFound, "x"), errs.New(errs.CodeConflict, "x"), false},
		{"different code against sentinel", errs.New(errs.CodeForbidden, "no"), errs.ErrNotFound, false},
		{"plain error with the code as text", errors.New("NOT_FOUND"), errs.ErrNotFound, false},
		{"domain error against a plain target", errs.ErrNotFound, errors.New("NOT_FOUND"), false},
		{"wrapped once with %w", fmt.Errorf("load: %w", errs.New(errs.CodeInsufficientFunds, "short")), errs.ErrInsufficientFunds, true},
		{"wrapped twice with %w", fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", errs.ErrAmountOverflow)), errs.ErrAmountOverflow, true},
		{"wrapped with %v loses the chain", fmt.Errorf("load: %v", errs.ErrNotFound), errs.ErrNotFound, false},
		{"cause of Wrap is reachable", errs.Wrap(errs.CodeConflict, io.EOF, "read"), io.EOF, true},
		{"domain cause of Wrap is reachable", errs.Wrap(errs.CodeConflict, errs.ErrNotFound, "read"), errs.ErrNotFound, true},
		{"Wrap matches its own code", errs.Wrap(errs.CodeConflict, io.EOF, "read"), errs.ErrConflict, true},
		{"Wrap does not match an unrelated code", errs.Wrap(errs.CodeConflict, io.EOF, "read"), errs.ErrForbidden, false},
		{"nil error", nil, errs.ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, errors.Is(tt.err, tt.target))
		})
	}
}

func TestSentinelsAreDistinct(t *testing.T) {
	t.Parallel()

	sentinels := []*errs.Error{
		errs.ErrInvalidInput, errs.ErrNotFound, errs.ErrForbidden, errs.ErrConflict,
		errs.ErrInvalidTransition, errs.ErrInsufficientFunds, errs.ErrCurrencyMismatch,
		errs.ErrAmountOverflow, errs.ErrEmailNotVerified, errs.ErrOnboardingRequired,
		errs.ErrRevisionLimit, errs.ErrDeadlineNotReached, errs.ErrSplitMismatch,
		errs.ErrProoferIneligible, errs.ErrAlreadyExists, errs.ErrReasonRequired, errs.ErrInvalidToken, errs.ErrRateLimited,
	}
	for i, a := range sentinels {
		require.NotEmpty(t, a.Code)
		for j, b := range sentinels {
			require.Equal(t, i == j, errors.Is(a, b), "%s vs %s", a.Code, b.Code)
		}
	}
}

func TestAsExtractsTheError(t *testing.T) {
	t.Parallel()

	err := fmt.Errorf("ctx: %w", errs.New(errs.CodeRevisionLimit, "no revisions left"))
	var e *errs.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, errs.CodeRevisionLimit, e.Code)
	require.Equal(t, "no revisions left", e.Message)
}

func TestCodeOf(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		err  error
		want errs.Code
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("boom"), ""},
		{"plain wrapper of a plain error", fmt.Errorf("x: %w", io.EOF), ""},
		{"sentinel", errs.ErrForbidden, errs.CodeForbidden},
		{"New", errs.New(errs.CodeSplitMismatch, "sum %d", 3), errs.CodeSplitMismatch},
		{"wrapped with %w", fmt.Errorf("a: %w", errs.ErrInvalidToken), errs.CodeInvalidToken},
		{"outermost *Error wins", errs.Wrap(errs.CodeNotFound, errs.ErrConflict, "lookup"), errs.CodeNotFound},
		{"first *Error under a plain wrapper", fmt.Errorf("a: %w", errs.Wrap(errs.CodeForbidden, errs.ErrConflict, "m")), errs.CodeForbidden},
		{"joined errors", errors.Join(io.EOF, errs.ErrReasonRequired), errs.CodeReasonRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, errs.CodeOf(tt.err))
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"code only", errs.ErrNotFound, "NOT_FOUND"},
		{"code and message", errs.New(errs.CodeConflict, "job %s changed", "j1"), "CONFLICT: job j1 changed"},
		{"message without args is not a format problem", errs.New(errs.CodeInvalidInput, "plain"), "INVALID_INPUT: plain"},
		{"wrap with message", errs.Wrap(errs.CodeConflict, io.EOF, "read"), "CONFLICT: read: EOF"},
		// An empty message must not leave an empty segment ("CONFLICT: : EOF").
		{"wrap without message", errs.Wrap(errs.CodeConflict, io.EOF, ""), "CONFLICT: EOF"},
		{"struct with cause only", &errs.Error{Code: errs.CodeForbidden, Err: io.EOF}, "FORBIDDEN: EOF"},
		{"wrapped by fmt", fmt.Errorf("outer: %w", errs.New(errs.CodeNotFound, "no job")), "outer: NOT_FOUND: no job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.EqualError(t, tt.err, tt.want)
		})
	}
}

func TestUnwrap(t *testing.T) {
	t.Parallel()

	require.NoError(t, errs.New(errs.CodeConflict, "x").Unwrap())
	require.Same(t, io.EOF, errs.Wrap(errs.CodeConflict, io.EOF, "x").Unwrap())
	require.Same(t, io.EOF, errors.Unwrap(errs.Wrap(errs.CodeConflict, io.EOF, "x")))
}
