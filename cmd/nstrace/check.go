package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/trace"
)

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check the delegation of a zone: every parent server, every NS name, every zone server",
		ArgsUsage: "DOMAIN...",
		Description: "Traces each DOMAIN's SOA from the root, then asks every server of the parent zone for the " +
			"delegation, resolves every NS name's addresses from the root, and asks every server of the zone for " +
			"its SOA and NS records. Reports every finding with its code, in plain words, with the fix. " +
			"A name inside a zone (www.example.com) checks the zone that holds it. With --expect-ns, also checks that the " +
			"delegation and the zone's own NS records are the set you expect (after moving to a new DNS provider).\n\n" +
			"Exit status: 0 no error found, 1 errors found, 2 usage error, 130 interrupted.",
		Flags: append(append(resolverFlags(), outputFlags(traceFormats)...),
			&cli.StringSliceFlag{Name: "expect-ns", Usage: "the nameserver `NAME` the zone should be delegated to (repeat for each); a different live delegation is the finding DELEGATION_NOT_AS_EXPECTED"},
			&cli.StringFlag{Name: "expect-ns-file", Usage: "read the expected nameservers from `FILE`, one per line (# comments)"}),
		Action: func(c *cli.Context) error { return runCheck(c, e) },
	}
}

func runCheck(c *cli.Context, e *env) error {
	if err := checkFormat(c, traceFormats); err != nil {
		return err
	}
	format := c.String("format")
	if c.Args().Len() == 0 {
		return usageError("no domain given: nstrace check DOMAIN...")
	}
	var names []string
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return usageError("flag %s comes after a domain: put flags before the domains", a)
		}
		n, err := parseName(a)
		if err != nil {
			return err
		}
		names = append(names, n)
	}
	expect, err := expectedNS(c)
	if err != nil {
		return err
	}
	r, net, err := openResolver(c)
	if err != nil {
		return err
	}
	opts := trace.Options{Tool: "nstrace " + version, Network: net.label, ExpectNS: expect}
	table := trace.TableOptions{Color: e.colour(c, e.stdout), AllRows: c.Bool("all-rows"), Explain: c.Bool("explain")}
	return net.finish(emit(c, e, format, table, len(names), func(i int) *trace.Trace {
		return trace.CheckZone(c.Context, r, names[i], opts)
	}, func(t *trace.Trace) bool { return trace.HasErrors(t.Findings) }))
}

// emit runs the jobs in order (one per name, or per name and type), writes
// each result as it comes, and turns
// the results into the exit status: failed(t) true for any result means 1.
func emit(c *cli.Context, e *env, format string, table trace.TableOptions, jobs int, job func(int) *trace.Trace, failed func(*trace.Trace) bool) error {
	code := ExitOK
	for i := range jobs {
		t := job(i)
		if i > 0 && format != "json" {
			fmt.Fprintln(e.stdout)
		}
		err := write(e.stdout, format, t, table)
		if err != nil {
			return &exitError{code: ExitFailed, err: fmt.Errorf("writing output: %w", err)}
		}
		if c.Context.Err() != nil {
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: the results so far are above")}
		}
		if failed(t) {
			code = ExitFailed
		}
	}
	if code != ExitOK {
		return silentExit(code)
	}
	return nil
}

// write renders t in format: each renderer is a pure function of the trace.
func write(w io.Writer, format string, t *trace.Trace, table trace.TableOptions) error {
	switch format {
	case "json":
		return trace.WriteJSON(w, t)
	case "tree":
		return trace.WriteTree(w, t, trace.TreeOptions{Color: table.Color, Explain: table.Explain})
	case "markdown":
		return trace.WriteMarkdown(w, t)
	case "html":
		return trace.WriteHTML(w, t)
	case "dot":
		return trace.WriteDOT(w, t)
	}
	return trace.WriteTable(w, t, table)
}

// expectedNS reads --expect-ns and --expect-ns-file: host names, checked
// like any name, in lower case with a final dot.
func expectedNS(c *cli.Context) ([]string, error) {
	var raw []string
	for _, n := range c.StringSlice("expect-ns") {
		raw = append(raw, strings.Split(n, ",")...)
	}
	var out []string
	add := func(where, n string) error {
		name, err := parseName(strings.TrimSpace(n))
		if err != nil {
			return usageError("%s: %v", where, err)
		}
		if name == "." || !strings.Contains(strings.TrimSuffix(name, "."), ".") {
			return usageError("%s: %q is not a nameserver's host name", where, strings.TrimSpace(n))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
		return nil
	}
	for _, n := range raw {
		if err := add("--expect-ns", n); err != nil {
			return nil, err
		}
	}
	if path := c.String("expect-ns-file"); c.IsSet("expect-ns-file") {
		f, err := openList(path, "--expect-ns-file: ", "nameservers")
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var bad error
		err = readList(f, path, "nameservers", func(line int, text string) bool {
			bad = add(fmt.Sprintf("--expect-ns-file %s:%d", path, line), text)
			return bad == nil
		})
		if err != nil {
			return nil, usageError("--expect-ns-file %v", err)
		}
		if bad != nil {
			return nil, bad
		}
		if len(out) == 0 {
			return nil, usageError("--expect-ns-file %s: no nameserver in it", path)
		}
	}
	return out, nil
}
