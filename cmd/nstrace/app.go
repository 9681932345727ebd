package main

import (
	"context"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// version is the release; `go build -ldflags "-X main.version=..."` sets it.
var version = "0.1.0-dev"

// env is what the CLI reads from its surroundings, injected for tests.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
}

// Run runs the CLI with args (args[0] is the program name) and returns the
// exit status. It is what main calls, and what the tests call.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: os.Stdin, getenv: os.Getenv}
	return exitCode(newApp(e).RunContext(ctx, args), stderr)
}

func newApp(e *env) *cli.App {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return usageError("%v (see --help)", err) }
	app := &cli.App{
		Name:  "nstrace",
		Usage: "resolve a DNS name from the root, hop by hop, and show where a delegation breaks",
		Description: "nstrace asks the root servers, then the TLD servers, then the domain's own servers, " +
			"exactly as a recursive resolver does, and records every server's reply. " +
			"Use --lab to try it offline on the built-in lab network.",
		Version:         version,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		OnUsageError:    onUsage,
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		Commands: []*cli.Command{
			traceCommand(e),
			checkCommand(e),
			lookupCommand(e),
			compareCommand(e),
			diffCommand(e),
			auditCommand(e),
			labCommand(e),
		},
		CommandNotFound: func(c *cli.Context, name string) {},
	}
	for _, c := range app.Commands {
		setUsage(c, onUsage)
	}
	app.Action = func(c *cli.Context) error {
		if c.Args().Len() > 0 {
			return usageError("unknown command %q: try 'nstrace trace NAME' or 'nstrace --help'", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

func setUsage(c *cli.Command, f cli.OnUsageErrorFunc) {
	c.OnUsageError = f
	for _, s := range c.Subcommands {
		setUsage(s, f)
	}
}

// colour reports whether output to w may use ANSI colours: only on a
// terminal, never with --no-color or NO_COLOR set.
func (e *env) colour(c *cli.Context, w io.Writer) bool {
	if c.Bool("no-color") || e.getenv("NO_COLOR") != "" {
		return false
	}
	return isTerminal(w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
