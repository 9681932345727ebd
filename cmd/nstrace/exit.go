package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit statuses, documented in README.
const (
	ExitOK          = 0   // every name resolved: an answer, NXDOMAIN or NODATA
	ExitFailed      = 1   // a resolution failed (SERVFAIL: lame, timeouts, loops, limits)
	ExitUsage       = 2   // bad command line or input file; nothing was asked
	ExitInterrupted = 130 // stopped by Ctrl-C; the trace so far was printed
)

// exitError carries an exit status and the one line to print for it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// silentExit ends with a status and prints nothing more: the output already
// said what happened.
func silentExit(code int) error { return &exitError{code: code} }

// exitCode maps an error from the CLI to the exit status, printing its one
// line to stderr. It is the only place that decides exit statuses.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "nstrace: %s\n", oneLine(ee.err.Error()))
		}
		return ee.code
	}
	// Anything else from the CLI library is about the command line.
	fmt.Fprintf(stderr, "nstrace: %s\n", oneLine(err.Error()))
	return ExitUsage
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
