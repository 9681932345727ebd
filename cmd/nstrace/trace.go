package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

func traceCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "trace",
		Usage:     "resolve names from the root and show every hop",
		ArgsUsage: "NAME... [TYPE...]",
		Description: "Resolves each NAME iteratively from the root servers, asking every server of every zone cut, " +
			"and prints one table (or JSON object) per name and type. Several names share one cache, so later traces show " +
			"cache hits. TYPE is any record type (A, AAAA, MX, TXT, NS, TYPE65, ...; default A); give several to trace each name " +
			"for each: nstrace trace example.com A AAAA MX.\n\n" +
			"Exit status: 0 every name resolved (answer, NXDOMAIN or NODATA) with no error finding, 1 a resolution failed or an error was found on the way, 2 usage error, 130 interrupted.",
		Flags:  append(resolverFlags(), outputFlags(traceFormats)...),
		Action: func(c *cli.Context) error { return runTrace(c, e) },
	}
}

// question is what the command line asks: names and their types (one or
// more, in the order given).
type question struct {
	names  []string
	qtypes []uint16
}

// parseQuestion splits NAME... [TYPE...]: the first argument is a name;
// of the others, those at the end that name record types are the types
// (A when there is none). Each name is asked each type.
func parseQuestion(args []string) (question, error) {
	var q question
	if len(args) == 0 {
		return q, usageError("no name given: nstrace trace NAME... [TYPE...]")
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return q, usageError("flag %s comes after a name: put flags before the names", a)
		}
	}
	k := len(args) // the types are args[k:]
	for k > 1 {
		if _, ok := parseType(args[k-1]); !ok {
			break
		}
		k--
	}
	for _, a := range args[k:] {
		if t, _ := parseType(a); !slices.Contains(q.qtypes, t) {
			q.qtypes = append(q.qtypes, t)
		}
	}
	args = args[:k]
	if len(q.qtypes) == 0 {
		q.qtypes = []uint16{dns.TypeA}
	}
	for _, a := range args[1:] {
		switch _, known := parseType(a); {
		case known && looksLikeType(a):
			return q, usageError("record type %s comes before a name: put the types after the names", a)
		case looksLikeType(a):
			return q, usageError("unknown record type %q", a)
		}
	}
	for _, a := range args {
		n, err := parseName(a)
		if err != nil {
			return q, err
		}
		q.names = append(q.names, n)
	}
	return q, nil
}

// looksLikeType reports whether s reads as a record type rather than a
// name: upper case letters and digits only, no dot.
func looksLikeType(s string) bool {
	if s == "" || strings.Contains(s, ".") {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// openResolver reads the resolver flags, opens the network they name, and
// returns a resolver over it with an empty cache.
func openResolver(c *cli.Context) (*resolver.Resolver, network, error) {
	cfg, err := resolverConfig(c)
	if err != nil {
		return nil, network{}, err
	}
	net, err := openNetwork(c, &cfg)
	if err != nil {
		return nil, network{}, err
	}
	return newResolver(net, cfg), net, nil
}

// newResolver returns a resolver over net with the limits of cfg and an
// empty cache that reads net's clock.
func newResolver(net network, cfg resolver.Config) *resolver.Resolver {
	return &resolver.Resolver{Transport: net.transport, Config: cfg, Hints: net.hints, Cache: resolver.NewCache(net.clock)}
}

// network is what a command resolves over: a transport and the root hints.
type network struct {
	transport resolver.Transport
	hints     *resolver.Hints
	label     string          // for the output header: "lab", "internet", "hints FILE", "replay FILE"
	clock     resolver.Clock  // the cache's clock
	close     func() error    // writes out a recording (--record); nil otherwise
	missed    func() []string // questions a replay could not answer (--replay); nil otherwise
}

// openNetwork returns what the command resolves over: the lab, a replay,
// or the real network; with --record, wrapped in a recorder.
func openNetwork(c *cli.Context, cfg *resolver.Config) (network, error) {
	n, err := openTransport(c, cfg)
	if err != nil || !c.IsSet("record") {
		return n, err
	}
	path := c.String("record")
	f, err := os.Create(path)
	if err != nil {
		return n, usageError("--record: %v", err)
	}
	w := bufio.NewWriter(f)
	rec := resolver.NewRecorder(n.transport, w, n.clock)
	rec.Note = strings.Join(os.Args, " ")
	rec.Hints = n.hints
	rec.Options = recordOptions(*cfg)
	n.transport = rec
	n.close = func() error {
		err := rec.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return n, nil
}

func openTransport(c *cli.Context, cfg *resolver.Config) (network, error) {
	if c.IsSet("replay") {
		if c.Bool("lab") || c.IsSet("hints") || c.IsSet("record") {
			return network{}, usageError("--replay answers from its recording: it excludes --lab, --hints and --record")
		}
		path := c.String("replay")
		f, err := os.Open(path)
		if err != nil {
			return network{}, usageError("--replay: %v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return network{}, usageError("--replay: %s is a directory", path)
		}
		rec, err := resolver.LoadRecording(f, path)
		if err != nil {
			return network{}, usageError("%v", err)
		}
		hints := rec.Hints
		if hints == nil {
			hints = resolver.DefaultHints()
		}
		applyOptions(cfg, rec.Options)
		// The recording's own clock: the same trace at every run.
		rt := rec.Transport()
		return network{transport: rt, hints: hints, label: "replay " + path, clock: resolver.NewManualClock(rec.Created), missed: rt.Missed}, nil
	}
	if c.Bool("lab") || c.IsSet("lab-world") {
		if c.IsSet("hints") {
			return network{}, usageError("--lab and --hints exclude each other: the lab has its own root servers")
		}
		if c.IsSet("port") {
			return network{}, usageError("--port is for real sockets; --lab runs in memory (see 'nstrace lab serve')")
		}
		if c.Bool("6") {
			return network{}, usageError("the lab network has IPv4 addresses only: drop -6")
		}
		w, err := lab.Default()
		if dir := c.String("lab-world"); dir != "" {
			if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
				return network{}, usageError("--lab-world %s: not a directory holding world.conf", dir)
			}
			if w, err = lab.Load(os.DirFS(dir)); err != nil {
				return network{}, usageError("--lab-world %s: %v", dir, err)
			}
		}
		if err != nil {
			return network{}, fmt.Errorf("lab: %w", err)
		}
		hints, err := labHints(w)
		if err != nil {
			return network{}, fmt.Errorf("lab: %w", err)
		}
		cfg.IPv6 = false // the lab is IPv4-only: no AAAA lookups for NS names
		if cfg.DNSSEC && cfg.TrustAnchor == nil {
			cfg.TrustAnchor = labAnchor(w)
		}
		// The lab runs on simulated time: its replies are instant, and its
		// clock moves only when a lab story moves it, so a lab trace reads
		// the same at every run.
		return network{transport: lab.NewNetwork(w), hints: hints, label: "lab", clock: resolver.NewManualClock(lab.Epoch)}, nil
	}
	n := network{transport: &resolver.NetTransport{}, hints: resolver.DefaultHints(), label: "internet", clock: resolver.SystemClock{}}
	if path := c.String("hints"); c.IsSet("hints") {
		h, err := resolver.LoadHints(path)
		if err != nil {
			return n, usageError("%v", err)
		}
		n.hints, n.label = h, "hints "+path
	}
	return n, nil
}

func runTrace(c *cli.Context, e *env) error {
	if err := checkFormat(c, traceFormats); err != nil {
		return err
	}
	format := c.String("format")
	q, err := parseQuestion(c.Args().Slice())
	if err != nil {
		return err
	}
	r, net, err := openResolver(c)
	if err != nil {
		return err
	}
	opts := trace.Options{Tool: "nstrace " + version, Network: net.label}
	table := trace.TableOptions{Color: e.colour(c, e.stdout), AllRows: c.Bool("all-rows"), Explain: c.Bool("explain")}
	n := len(q.qtypes)
	return net.finish(emit(c, e, format, table, len(q.names)*n, func(i int) *trace.Trace {
		return trace.Run(c.Context, r, q.names[i/n], q.qtypes[i%n], opts)
	}, func(t *trace.Trace) bool { return t.Outcome.Status == "servfail" || trace.HasErrors(t.Findings) }))
}

// finish writes out a recording, if there is one, whatever happened, and
// says so when a replay was asked questions its recording cannot answer:
// those never reach the network, and the trace above shows them as errors.
func (n network) finish(err error) error {
	if n.close != nil {
		if cerr := n.close(); cerr != nil && err == nil {
			return &exitError{code: ExitFailed, err: fmt.Errorf("--record: %w", cerr)}
		}
	}
	if n.missed != nil {
		if m := n.missed(); len(m) > 0 {
			return &exitError{code: ExitFailed, err: fmt.Errorf("the recording cannot answer %d queries (the first: %s): replay the names and type it was recorded with", len(m), m[0])}
		}
	}
	return err
}

// recordOptions are the settings that shape the questions asked, written
// into a recording so that --replay asks the same ones.
func recordOptions(cfg resolver.Config) []string {
	opts := []string{"port=" + strconv.Itoa(int(cfg.Port))}
	if !cfg.IPv6 {
		opts = append(opts, "ipv4-only")
	}
	if !cfg.IPv4 {
		opts = append(opts, "ipv6-only")
	}
	if cfg.TCP {
		opts = append(opts, "tcp")
	}
	if cfg.QMin {
		opts = append(opts, "qmin")
	}
	if cfg.DNSSEC {
		opts = append(opts, "dnssec")
		if ta := cfg.TrustAnchor; ta != nil {
			for _, rr := range ta.DS {
				opts = append(opts, "trust-anchor="+rrLine(rr))
			}
			for _, rr := range ta.Keys {
				opts = append(opts, "trust-anchor="+rrLine(rr))
			}
		}
	}
	return opts
}

// rrLine is a record in zone-file form on one line, tabs as spaces.
func rrLine(rr dns.RR) string { return strings.ReplaceAll(rr.String(), "\t", " ") }

// labHints are the root hints of a lab world: its root servers.
func labHints(w *lab.World) (*resolver.Hints, error) {
	return resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
}

// labAnchor is the trust anchor of a lab world: the DS of its root key.
func labAnchor(w *lab.World) *resolver.TrustAnchor {
	ta := &resolver.TrustAnchor{Zone: "."}
	for _, rr := range w.TrustAnchor() {
		switch v := rr.(type) {
		case *dns.DS:
			ta.DS = append(ta.DS, v)
		case *dns.DNSKEY:
			ta.Keys = append(ta.Keys, v)
		}
	}
	return ta
}

// applyOptions sets what recordOptions wrote; unknown words are ignored.
func applyOptions(cfg *resolver.Config, opts []string) {
	recorded := false // cfg.TrustAnchor holds the recording's anchor
	for _, o := range opts {
		switch k, v, _ := strings.Cut(o, "="); k {
		case "port":
			if p, err := strconv.ParseUint(v, 10, 16); err == nil && p > 0 {
				cfg.Port = uint16(p)
			}
		case "ipv4-only":
			cfg.IPv4, cfg.IPv6 = true, false
		case "ipv6-only":
			cfg.IPv4, cfg.IPv6 = false, true
		case "tcp":
			cfg.TCP = true
		case "qmin":
			cfg.QMin = true
		case "dnssec":
			cfg.DNSSEC = true
		case "trust-anchor":
			// The anchor the recording was made with: the same trace again.
			ta, err := resolver.ParseTrustAnchor(strings.NewReader(v), "recording")
			if err != nil {
				continue
			}
			if !recorded {
				cfg.TrustAnchor, recorded = ta, true
				continue
			}
			cfg.TrustAnchor.DS = append(cfg.TrustAnchor.DS, ta.DS...)
			cfg.TrustAnchor.Keys = append(cfg.TrustAnchor.Keys, ta.Keys...)
		}
	}
}
