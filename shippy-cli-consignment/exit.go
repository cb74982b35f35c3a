package main

import (
	"errors"
	"fmt"
)

// Exit codes of the command. The usage text lists them; keep the two in step.
const (
	exitOK          = 0 // the command did what it was asked
	exitFailure     = 1 // any failure without a code of its own
	exitUsage       = 2 // bad flags, arguments or environment
	exitBadInput    = 3 // the file or the account details are bad, no consignment to cancel, or the service rejected them
	exitNoRoom      = 4 // no vessel has room for the consignment
	exitUnreachable = 5 // a service cannot be reached
	exitTimeout     = 6 // a service did not answer in time
	exitAuth        = 7 // not signed in, the token was refused, or the account may not do that
)

// exitError is a failure with an exit code of its own. Its message is the
// one line the user sees.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode gives err the exit code code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// errorf is fmt.Errorf for an error with the exit code code.
func errorf(code int, format string, args ...any) error {
	return withCode(code, fmt.Errorf(format, args...))
}

// exitCode returns the exit code for err, an error returned by run:
// exitOK for nil, the code of an *exitError in its chain, or exitFailure.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	return exitFailure
}
