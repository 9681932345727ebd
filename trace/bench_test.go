package trace_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

func labResolver(b *testing.B) *resolver.Resolver {
	w, err := lab.Default()
	if err != nil {
		b.Fatal(err)
	}
	hints, err := resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
	if err != nil {
		b.Fatal(err)
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	return &resolver.Resolver{Transport: lab.NewNetwork(w), Config: cfg, Hints: hints}
}

// BenchmarkLabTraceCold traces mydomain.com on the in-memory lab with an
// empty cache each time: 3 zone cuts, 7 queries, recorded and rendered as
// JSON.
func BenchmarkLabTraceCold(b *testing.B) {
	r := labResolver(b)
	b.ReportAllocs()
	for b.Loop() {
		r.Cache = resolver.NewCache(resolver.SystemClock{})
		t := trace.Run(context.Background(), r, "mydomain.com.", dns.TypeA, trace.Options{Network: "lab"})
		if t.Outcome.Status != "answer" {
			b.Fatal(t.Outcome)
		}
		trace.WriteJSON(io.Discard, t)
	}
}

// BenchmarkLabTraceWarm traces a name whose answer (here a NODATA) is
// already cached: one cache-hit step, no query.
func BenchmarkLabTraceWarm(b *testing.B) {
	r := labResolver(b)
	clock := resolver.NewManualClock(time.Unix(0, 0))
	r.Cache = resolver.NewCache(clock)
	trace.Run(context.Background(), r, "mydomain.com.", dns.TypeA, trace.Options{})
	b.ReportAllocs()
	for b.Loop() {
		t := trace.Run(context.Background(), r, "www.mydomain.com.", dns.TypeTXT, trace.Options{Network: "lab"})
		if t.Outcome.Status == "servfail" {
			b.Fatal(t.Outcome)
		}
		trace.WriteJSON(io.Discard, t)
	}
}

// BenchmarkLabTraceWarmDelegations traces www.mydomain.com with the root
// and com delegations cached but not the answer: two cache-hit steps and
// one asked (2 queries).
func BenchmarkLabTraceWarmDelegations(b *testing.B) {
	r := labResolver(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r.Cache = resolver.NewCache(resolver.SystemClock{})
		trace.Run(context.Background(), r, "mydomain.com.", dns.TypeA, trace.Options{})
		b.StartTimer()
		t := trace.Run(context.Background(), r, "www.mydomain.com.", dns.TypeA, trace.Options{Network: "lab"})
		if t.Queries != 2 {
			b.Fatal(t.Queries)
		}
		trace.WriteJSON(io.Discard, t)
	}
}
