package resolver

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// benchNet is an in-memory network for the audit benchmark: every reply is
// built once, at setup, and each exchange returns a deep copy of it (a
// fresh *dns.Msg, as a real transport returns), so that what is measured
// is the resolver's own work.
type benchNet struct {
	servers map[netip.Addr]*benchServer
	queries atomic.Int64
}

// benchServer serves one zone: a referral server (the root, a TLD) answers
// every name below its zone with the delegation of the child zone on the
// way; an authoritative server answers the questions it has replies for.
type benchServer struct {
	labels    int                   // labels of the server's zone
	referrals map[string]*dns.Msg   // child zone -> referral
	answers   map[question]*dns.Msg // question -> authoritative reply
	refused   *dns.Msg
}

func (n *benchNet) Exchange(_ context.Context, _ string, server netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	n.queries.Add(1)
	s := n.servers[server.Addr()]
	qq := q.Question[0]
	var tmpl *dns.Msg
	if s.referrals != nil {
		// The ancestor of the name one label below the server's zone.
		name, labels := qq.Name, 0
		for i := len(name) - 2; i >= 0; i-- {
			if name[i] == '.' {
				if labels++; labels == s.labels+1 {
					name = name[i+1:]
					break
				}
			}
		}
		tmpl = s.referrals[name]
	} else {
		tmpl = s.answers[question{qq.Name, qq.Qtype}]
	}
	if tmpl == nil {
		tmpl = s.refused
	}
	reply := tmpl.Copy()
	reply.Id = q.Id
	reply.Question[0] = qq
	return reply, time.Millisecond, nil
}

// ExchangeTimeout is Exchange: like NetTransport over UDP, no context is
// made for the timeout.
func (n *benchNet) ExchangeTimeout(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg, _ time.Duration) (*dns.Msg, time.Duration, error) {
	return n.Exchange(ctx, proto, server, q)
}

type benchZone struct {
	apex  string
	ns    []string
	addrs []netip.Addr
}

// benchWorld builds a root with two servers, three TLDs with two servers
// each, and zones second-level zones with two NS each (glue in the TLD).
func benchWorld(b testing.TB, zones int) (*benchNet, *Hints, []benchZone) {
	n := &benchNet{servers: map[netip.Addr]*benchServer{}}
	mk := func(rcode int, aa bool, answer, ns, extra []dns.RR) *dns.Msg {
		m := new(dns.Msg)
		m.Response, m.Authoritative, m.Rcode = true, aa, rcode
		m.Question = []dns.Question{{Name: ".", Qtype: dns.TypeA, Qclass: dns.ClassINET}}
		m.Answer, m.Ns, m.Extra = answer, ns, extra
		m.SetEdns0(1232, false)
		return m
	}
	refused := mk(dns.RcodeRefused, false, nil, nil, nil)
	delegation := func(z benchZone, ttl int) (nsRRs, glue []dns.RR) {
		for i, name := range z.ns {
			nsRRs = append(nsRRs, rr(b, fmt.Sprintf("%s %d IN NS %s", z.apex, ttl, name)))
			glue = append(glue, rr(b, fmt.Sprintf("%s %d IN A %s", name, ttl, z.addrs[i])))
		}
		return nsRRs, glue
	}
	referralServer := func(z benchZone, children []benchZone) {
		s := &benchServer{labels: dns.CountLabel(z.apex), referrals: map[string]*dns.Msg{}, refused: refused}
		for _, c := range children {
			nsRRs, glue := delegation(c, 172800)
			s.referrals[c.apex] = mk(dns.RcodeSuccess, false, nil, nsRRs, glue)
		}
		for _, a := range z.addrs {
			n.servers[a] = s
		}
	}

	root := benchZone{".", []string{"a.root.", "b.root."}, []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}}
	var tlds []benchZone
	for i, t := range []string{"com.", "net.", "org."} {
		tlds = append(tlds, benchZone{t, []string{"a.nic." + t, "b.nic." + t},
			[]netip.Addr{netip.AddrFrom4([4]byte{10, 0, 1, byte(2*i + 1)}), netip.AddrFrom4([4]byte{10, 0, 1, byte(2*i + 2)})}})
	}
	referralServer(root, tlds)
	children := make([][]benchZone, len(tlds))
	var all []benchZone
	for i := range zones {
		t := tlds[i%len(tlds)]
		apex := fmt.Sprintf("d%d.%s", i, t.apex)
		z := benchZone{apex, []string{"ns1." + apex, "ns2." + apex},
			[]netip.Addr{netip.AddrFrom4([4]byte{10, 1 + byte(i>>8), byte(i), 1}), netip.AddrFrom4([4]byte{10, 1 + byte(i>>8), byte(i), 2})}}
		children[i%len(tlds)] = append(children[i%len(tlds)], z)
		all = append(all, z)

		nsRRs, glue := delegation(z, 3600)
		soa := rr(b, apex+" 3600 IN SOA ns1."+apex+" hostmaster."+apex+" 1 7200 3600 1209600 300")
		s := &benchServer{labels: dns.CountLabel(apex), answers: map[question]*dns.Msg{}, refused: refused}
		s.answers[question{apex, dns.TypeSOA}] = mk(dns.RcodeSuccess, true, []dns.RR{soa}, nsRRs, glue)
		s.answers[question{apex, dns.TypeNS}] = mk(dns.RcodeSuccess, true, nsRRs, nil, glue)
		for j, name := range z.ns {
			s.answers[question{name, dns.TypeA}] = mk(dns.RcodeSuccess, true, []dns.RR{glue[j]}, nsRRs, nil)
			s.answers[question{name, dns.TypeAAAA}] = mk(dns.RcodeSuccess, true, nil, []dns.RR{soa}, nil)
		}
		for _, a := range z.addrs {
			n.servers[a] = s
		}
	}
	for i, t := range tlds {
		referralServer(t, children[i])
	}
	var hints strings.Builder
	for i, name := range root.ns {
		fmt.Fprintf(&hints, ". 3600000 NS %s\n%s 3600000 A %s\n", name, name, root.addrs[i])
	}
	h, err := ParseHints(strings.NewReader(hints.String()), "bench")
	if err != nil {
		b.Fatal(err)
	}
	return n, h, all
}

// auditDomain does what the delegation check (trace.CheckZone) does with
// the resolver for one zone: its SOA from the root, the addresses of its NS
// names, then the SOA and the NS records at every server.
func auditDomain(ctx context.Context, r *Resolver, z benchZone) error {
	with := func() *Resolver {
		rr := *r
		rr.Observer = &eventLog{}
		return &rr
	}
	if res := with().Resolve(ctx, z.apex, dns.TypeSOA); res.Status != StatusAnswer {
		return fmt.Errorf("%s SOA: %v %s", z.apex, res.Status, res.Detail)
	}
	var targets []Target
	for _, name := range z.ns {
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			res := with().Resolve(ctx, name, t)
			if (t == dns.TypeA && res.Status != StatusAnswer) || (t == dns.TypeAAAA && res.Status != StatusNoData) {
				return fmt.Errorf("%s %s: %v %s", name, dns.TypeToString[t], res.Status, res.Detail)
			}
			for _, rec := range res.Records {
				if a := rrAddr(rec); a.IsValid() {
					targets = append(targets, Target{name, netip.AddrPortFrom(a, 53)})
				}
			}
		}
	}
	for _, t := range []uint16{dns.TypeSOA, dns.TypeNS} {
		for _, p := range with().Probe(ctx, z.apex, z.apex, t, targets) {
			if p.Response.Kind != KindAnswer {
				return fmt.Errorf("probe %s %s at %s: %v %s", z.apex, dns.TypeToString[t], p.Addr, p.Response.Kind, p.Response.Detail)
			}
		}
	}
	return nil
}

// BenchmarkAudit is the resolver's share of nstrace audit, without
// sockets: 1000 zones checked by 32 goroutines sharing one cache (fresh at
// every iteration), behind a rate limiter that never makes anyone wait.
// It reports the CPU time and the allocations per upstream query.
func BenchmarkAudit(b *testing.B) {
	const zones, workers = 1000, 32
	fake, hints, all := benchWorld(b, zones)
	transport := RateLimited(fake, 1e6)
	ctx := context.Background()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs, queries, start, cpu := ms.Mallocs, fake.queries.Load(), time.Now(), cpuTime()
	for b.Loop() {
		r := &Resolver{Transport: transport, Config: DefaultConfig(), Hints: hints, Cache: NewCache(SystemClock{})}
		var next atomic.Int64
		var mu sync.Mutex
		var failed error
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(all)); i = next.Add(1) - 1 {
					if err := auditDomain(ctx, r, all[i]); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		if failed != nil {
			b.Fatal(failed)
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu
	runtime.ReadMemStats(&ms)
	n := float64(fake.queries.Load() - queries)
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/query")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/query")
	}
	b.ReportMetric(float64(ms.Mallocs-mallocs)/n, "allocs/query")
	b.ReportMetric(n/float64(b.N), "queries/op")
}

// cpuTime is the CPU time (user and system) the process has used so far,
// from /proc/self/stat, or 0 where that cannot be read: on a machine
// shared with other work it says more than the wall clock. It counts in
// clock ticks (USER_HZ, 100 a second on Linux).
func cpuTime() time.Duration {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, which may hold
	// spaces) start with the state, field 3; utime and stime are 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}

// The allocation-free name helpers must agree with the dns package
// functions they stand for, whatever the name.
var helperNames = []string{"", ".", "com.", "com", "Example.COM.", "www.example.com.", "www.example.com", "a..b.", "..", "a.",
	".a.", `a\.b.c.`, `a\\.b.`, `a\\\.b.`, `x.y\.`, `x.y\\.`, "xn--bcher-kva.example.", "b\xc3\xbccher.example.", "bad\xff.example.",
	"a.b.c.d.e.f.g.", `\065.com.`, "-.com.", "a . b.", "*.example.com.", "a.\\", "\\.", "\\"}

// nameHelpersDisagree says how canonical, ancestors and ancestor differ
// on name from the dns functions they replace; "" when they agree.
func nameHelpersDisagree(name string) string {
	if got, want := canonical(name), dns.CanonicalName(name); got != want {
		return fmt.Sprintf("canonical(%q) = %q, dns.CanonicalName says %q", name, got, want)
	}
	labels := dns.SplitDomainName(name)
	var want []string
	for i := len(labels) - 1; i >= 0; i-- {
		want = append(want, dns.Fqdn(strings.Join(labels[i:], ".")))
	}
	if got := ancestors(name, nil); !slices.Equal(got, want) {
		return fmt.Sprintf("ancestors(%q) = %q, want %q", name, got, want)
	}
	for n := 1; n <= len(labels)+1; n++ {
		got, ok := ancestor(name, n)
		want, wantOK := "", false
		if n < len(labels) {
			want, wantOK = dns.Fqdn(strings.Join(labels[len(labels)-n:], ".")), true
		}
		if got != want || ok != wantOK {
			return fmt.Sprintf("ancestor(%q, %d) = %q, %v; want %q, %v", name, n, got, ok, want, wantOK)
		}
	}
	return ""
}

func TestNameHelpersAgree(t *testing.T) {
	for _, name := range helperNames {
		if why := nameHelpersDisagree(name); why != "" {
			t.Error(why)
		}
	}
}

func FuzzNameHelpers(f *testing.F) {
	for _, name := range helperNames {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if why := nameHelpersDisagree(name); why != "" {
			t.Fatal(why)
		}
	})
}

// BenchmarkRateLimiterNoWait is the rate limiter's cost when nobody has to
// wait (audit --max-qps-per-server 1000000): goroutines asking 2000
// addresses at once.
func BenchmarkRateLimiterNoWait(b *testing.B) {
	l := RateLimited(nil, 1e6)
	addrs := make([]netip.AddrPort, 2000)
	for i := range addrs {
		addrs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1 + byte(i>>8), byte(i), 1}), 53)
	}
	var next atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i++
			if err := l.wait(ctx, addrs[i%len(addrs)]); err != nil {
				b.Error(err)
			}
		}
	})
}

// copyRRs copies as dns.Copy does, record by record, sharing nothing with
// the records copied.
func TestCopyRRsIsDnsCopy(t *testing.T) {
	sets := [][]dns.RR{
		nil,
		rrs(t, "a. 60 IN NS ns1.a."),
		rrs(t, "a. 60 IN NS ns1.a.", "a. 60 IN NS ns2.a.", "ns1.a. 60 IN A 192.0.2.1", "ns1.a. 60 IN A 192.0.2.2",
			"ns1.a. 60 IN AAAA 2001:db8::1", "ns2.a. 60 IN AAAA 2001:db8::2", "a. 60 IN TXT hello", "ns3.a. 60 IN A 192.0.2.3"),
		rrs(t, "ns1.a. 60 IN A 192.0.2.1", "ns1.a. 60 IN AAAA 2001:db8::1"),
		{&dns.A{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeA, Class: dns.ClassINET}}, &dns.A{Hdr: dns.RR_Header{Name: "y.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: []byte{}},
			&dns.AAAA{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeAAAA, Class: dns.ClassINET}}, &dns.AAAA{Hdr: dns.RR_Header{Name: "y.", Rrtype: dns.TypeAAAA, Class: dns.ClassINET}}},
	}
	for _, set := range sets {
		got := copyRRs(set)
		if len(got) != len(set) {
			t.Fatalf("%d records copied, want %d", len(got), len(set))
		}
		for i, rr := range set {
			want, before := dns.Copy(rr), rr.String()
			if got[i] == rr || !reflect.DeepEqual(got[i], want) || got[i].String() != want.String() {
				t.Errorf("copy of %v is %#v, dns.Copy makes %#v", rr, got[i], want)
			}
			got[i].Header().Ttl = 7
			switch v := got[i].(type) {
			case *dns.A:
				if len(v.A) > 0 {
					v.A[len(v.A)-1]++
				}
			case *dns.AAAA:
				if len(v.AAAA) > 0 {
					v.AAAA[len(v.AAAA)-1]++
				}
			case *dns.NS:
				v.Ns = "changed."
			}
			if rr.String() != before {
				t.Errorf("changing the copy changed %v", before)
			}
		}
	}
}

// countingNet counts the questions each server address gets.
type countingNet struct {
	*benchNet
	mu    sync.Mutex
	asked map[string]int // "address question type"
}

func (n *countingNet) Exchange(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	n.mu.Lock()
	n.asked[server.Addr().String()+" "+q.Question[0].Name+" "+dns.TypeToString[q.Question[0].Qtype]]++
	n.mu.Unlock()
	return n.benchNet.Exchange(ctx, proto, server, q)
}

func (n *countingNet) ExchangeTimeout(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg, _ time.Duration) (*dns.Msg, time.Duration, error) {
	return n.Exchange(ctx, proto, server, q)
}

// TestClaimAfterAnotherStored: a resolution that looked in the cache
// before another stored a TLD's delegation, and claims the cut only after
// that other's claim is over, takes the delegation from the cache instead
// of asking the root again (seen on the benchmark world: 42 root queries
// for 40 questions in one run of seven).
func TestClaimAfterAnotherStored(t *testing.T) {
	fake, hints, zones := benchWorld(t, 6)
	cfg := DefaultConfig()
	cfg.IPv6 = false
	n := &countingNet{benchNet: fake, asked: map[string]int{}}
	r := &Resolver{Transport: n, Config: cfg, Hints: hints, Cache: NewCache(NewManualClock(time.Unix(1_700_000_000, 0)))}
	late, first := zones[0].apex, zones[3].apex // both in com.
	atRoot, goOn := make(chan struct{}), make(chan struct{})
	testHookBeforeClaim = func(zone, name string) {
		if zone == "." && name == late {
			close(atRoot)
			<-goOn
		}
	}
	defer func() { testHookBeforeClaim = nil }()
	done := make(chan Result)
	go func() { done <- r.Resolve(context.Background(), late, dns.TypeSOA) }()
	<-atRoot // late found no delegation of com. in the cache, and waits
	if res := r.Resolve(context.Background(), first, dns.TypeSOA); res.Status != StatusAnswer {
		t.Fatalf("%s: %+v", first, res)
	}
	close(goOn)
	if res := <-done; res.Status != StatusAnswer {
		t.Fatalf("%s: %+v", late, res)
	}
	root := 0
	for k, c := range n.asked {
		if strings.HasPrefix(k, "10.0.0.") {
			root += c
		}
	}
	if root != 2 {
		t.Errorf("the root servers were asked %d questions, want 2 (each once about com.): %v", root, n.asked)
	}
}

// TestSharedCacheAsksEachCutOnce: resolutions sharing a cache, started
// together, ask each root server about each TLD once. One that looked in
// the cache before another stored the TLD's delegation, and claimed the
// cut after that other's claim was over, asked again (seen on the
// benchmark world: 42 root queries for 40 questions in one run of seven).
// It is a race, so the test runs many rounds.
func TestSharedCacheAsksEachCutOnce(t *testing.T) {
	fake, hints, zones := benchWorld(t, 300)
	cfg := DefaultConfig()
	cfg.IPv6 = false
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for round := range rounds {
		n := &countingNet{benchNet: fake, asked: map[string]int{}}
		r := &Resolver{Transport: n, Config: cfg, Hints: hints, Cache: NewCache(NewManualClock(time.Unix(1_700_000_000, 0)))}
		var wg sync.WaitGroup
		for _, z := range zones[:60] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.Resolve(context.Background(), z.apex, dns.TypeSOA)
			}()
		}
		wg.Wait()
		// Each root server is asked once about each of the 3 TLDs (with
		// the full name of the first resolution that needs it).
		perServer := map[string][]string{}
		for k, c := range n.asked {
			if addr, q, _ := strings.Cut(k, " "); strings.HasPrefix(addr, "10.0.0.") {
				for range c {
					perServer[addr] = append(perServer[addr], q)
				}
			}
		}
		for addr, qs := range perServer {
			if len(qs) > 3 {
				t.Fatalf("round %d: root server %s asked %d questions for 3 TLDs: %v", round, addr, len(qs), qs)
			}
		}
	}
}
