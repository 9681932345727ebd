package trace_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

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

// BenchmarkLabDomains traces every lab domain (the hostile ones included)
// from a cold cache, and reports for each the goroutines left running
// after the trace (0: nothing leaks) and the process's peak memory so far.
func BenchmarkLabDomains(b *testing.B) {
	w, err := lab.Default()
	if err != nil {
		b.Fatal(err)
	}
	r := labResolver(b)
	for _, d := range w.Domains() {
		qtype, ok := dns.StringToType[d.Type]
		if !ok {
			b.Fatalf("%s: unknown type %s", d.Name, d.Type)
		}
		b.Run(strings.TrimSuffix(d.Name, "."), func(b *testing.B) {
			runtime.GC()
			base := runtime.NumGoroutine()
			b.ReportAllocs()
			var queries int
			for b.Loop() {
				r.Cache = resolver.NewCache(resolver.SystemClock{})
				t := trace.Run(context.Background(), r, d.Name, qtype, trace.Options{Network: "lab"})
				queries = t.Queries
			}
			b.StopTimer()
			b.ReportMetric(float64(queries), "queries/op")
			b.ReportMetric(float64(runtime.NumGoroutine()-base), "goroutines-left")
			if hwm, ok := peakRSS(); ok {
				b.ReportMetric(hwm, "peak-RSS-MB")
			}
		})
	}
}

// peakRSS reads the process's peak resident set size (Linux: VmHWM).
func peakRSS() (float64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

// BenchmarkLabCheckWarmDelegations checks hostingprovider.com (in-bailiwick
// NS, glue in com) with the root and com delegations already cached, as
// most domains of an audit are: the per-domain cost of nstrace audit on the
// in-memory lab, the lab's own work included.
func BenchmarkLabCheckWarmDelegations(b *testing.B) {
	r := labResolver(b)
	b.ReportAllocs()
	var queries int
	for b.Loop() {
		b.StopTimer()
		r.Cache = resolver.NewCache(resolver.SystemClock{})
		trace.CheckZone(context.Background(), r, "shop.com.", trace.Options{})
		b.StartTimer()
		t := trace.CheckZone(context.Background(), r, "hostingprovider.com.", trace.Options{Network: "lab"})
		if t.Outcome.Status != "answer" || len(t.Findings) != 0 {
			b.Fatal(t.Outcome, t.Findings)
		}
		queries = t.Queries
	}
	b.ReportMetric(float64(queries), "queries/op")
}

// benchmarkSecure traces www.secure.com (root, com and secure.com all
// signed: three signed hops) on the in-memory lab from a cold cache, with
// or without DNSSEC validation; the difference is the cost of the chain of
// trust: the DS and DNSKEY fetches and every signature checked.
func benchmarkSecure(b *testing.B, dnssec bool) {
	r := labResolver(b)
	if dnssec {
		validating(b, r)
	}
	b.ReportAllocs()
	var queries int
	for b.Loop() {
		r.Cache = resolver.NewCache(resolver.NewManualClock(lab.Epoch))
		t := trace.Run(context.Background(), r, "www.secure.com.", dns.TypeA, trace.Options{Network: "lab"})
		if t.Outcome.Status != "answer" || (dnssec && (t.Outcome.DNSSEC == nil || t.Outcome.DNSSEC.State != "secure")) {
			b.Fatal(t.Outcome)
		}
		queries = t.Queries
	}
	b.ReportMetric(float64(queries), "queries/op")
}

func BenchmarkLabTraceSecureNoValidation(b *testing.B) { benchmarkSecure(b, false) }
func BenchmarkLabTraceSecureValidated(b *testing.B)    { benchmarkSecure(b, true) }

// BenchmarkAuditWorld checks every domain of a generated world of 2000
// domains (glueless, lame, CNAME and sub-zone ones among them) from 32
// goroutines with one shared cache, fresh at each iteration, as nstrace
// audit does: the per-domain cost of an audit on the in-memory lab, the
// lab's own work included.
func BenchmarkAuditWorld(b *testing.B) {
	dir := b.TempDir()
	if err := lab.Generate(dir, lab.GenerateOptions{Domains: 2000, Servers: 200, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	w, err := lab.Load(os.DirFS(dir))
	if err != nil {
		b.Fatal(err)
	}
	hints, err := resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
	if err != nil {
		b.Fatal(err)
	}
	list, err := os.ReadFile(filepath.Join(dir, "domains.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var domains []string
	for _, line := range strings.Split(string(list), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			domains = append(domains, line)
		}
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	base := resolver.Resolver{Transport: lab.NewNetwork(w), Config: cfg, Hints: hints}
	opts := trace.Options{Tool: "nstrace bench", Network: "lab"}
	const workers = 32
	b.ReportAllocs()
	var queries atomic.Int64
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, cpuOK := processCPU()
	for b.Loop() {
		r := base
		r.Cache = resolver.NewCache(resolver.NewManualClock(lab.Epoch))
		jobs := make(chan string)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for d := range jobs {
					t := trace.CheckZone(context.Background(), &r, d, opts)
					queries.Add(int64(t.Queries))
				}
			})
		}
		for _, d := range domains {
			jobs <- d
		}
		close(jobs)
		wg.Wait()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N * len(domains))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/domain")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/domain")
	if cpu1, ok := processCPU(); ok && cpuOK {
		// CPU time, GC included: steadier than wall time on a busy machine
		b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/domain")
	}
	b.ReportMetric(float64(queries.Load())/n, "queries/domain")
}
