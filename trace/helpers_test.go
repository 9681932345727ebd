package trace_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// labResolver is a resolver over the in-memory default lab, IPv4 only,
// with no cache of its own (each Resolve starts empty unless the caller
// sets one).
func labResolver(tb testing.TB) *resolver.Resolver {
	tb.Helper()
	w, err := lab.Default()
	if err != nil {
		tb.Fatal(err)
	}
	hints, err := resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	return &resolver.Resolver{Transport: lab.NewNetwork(w), Config: cfg, Hints: hints}
}

// validating makes r validate DNSSEC from the lab's trust anchor (the DS
// records of its root key).
func validating(tb testing.TB, r *resolver.Resolver) {
	tb.Helper()
	w, err := lab.Default()
	if err != nil {
		tb.Fatal(err)
	}
	r.Config.DNSSEC = true
	r.Config.TrustAnchor = &resolver.TrustAnchor{Zone: "."}
	for _, rr := range w.TrustAnchor() {
		if ds, ok := rr.(*dns.DS); ok {
			r.Config.TrustAnchor.DS = append(r.Config.TrustAnchor.DS, ds)
		}
	}
}

// findingCodes are the codes of fs, sorted.
func findingCodes(fs []trace.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return out
}
