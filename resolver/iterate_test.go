package resolver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func newTestResolver(f *fakeNet, hints *Hints, clock Clock) (*Resolver, *eventLog) {
	log := &eventLog{}
	return &Resolver{Transport: f, Config: testConfig(), Hints: hints, Cache: NewCache(clock), Observer: log}, log
}

func TestResolveOutcomes(t *testing.T) {
	tests := []struct {
		name, qname string
		qtype       uint16
		status      Status
		records     []string // data of the outcome records
		queries     int
	}{
		{"answer", "www.example.com.", dns.TypeA, StatusAnswer, []string{"127.10.0.1"}, 3},
		{"cname in zone", "alias.example.com.", dns.TypeA, StatusAnswer, []string{"www.example.com.", "127.10.0.1"}, 4},
		{"nxdomain", "nope.example.com.", dns.TypeA, StatusNXDomain, nil, 3},
		{"nodata", "txt.example.com.", dns.TypeA, StatusNoData, nil, 3},
		{"upper case name", "WWW.Example.COM", dns.TypeA, StatusAnswer, []string{"127.10.0.1"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, hints := world(t)
			r, _ := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
			res := r.Resolve(context.Background(), tc.qname, tc.qtype)
			if res.Status != tc.status {
				t.Fatalf("status %v (%s), want %v", res.Status, res.Detail, tc.status)
			}
			var got []string
			for _, rr := range res.Records {
				got = append(got, strings.TrimPrefix(rr.String(), rr.Header().String()))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.records) && !(len(got) == 0 && len(tc.records) == 0) {
				t.Errorf("records %q, want %q", got, tc.records)
			}
			if res.Queries != tc.queries {
				t.Errorf("%d queries, want %d: %v", res.Queries, tc.queries, f.log)
			}
		})
	}
}

func TestSecondNameUsesCachedDelegations(t *testing.T) {
	f, hints := world(t)
	clock := NewManualClock(time.Unix(0, 0))
	r, log := newTestResolver(f, hints, clock)
	r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	log.events = nil
	clock.Advance(10 * time.Second)
	res := r.Resolve(context.Background(), "txt.example.com.", dns.TypeTXT)
	if res.Status != StatusAnswer || res.Queries != 1 {
		t.Fatalf("status %v with %d queries, want an answer with 1 query", res.Status, res.Queries)
	}
	steps := log.steps()
	if len(steps) != 3 {
		t.Fatalf("%d steps, want 3 (root hit, com hit, asked)", len(steps))
	}
	for i, want := range []struct {
		cache CacheState
		ttl   uint32
	}{{CacheHit, 172790}, {CacheHit, 3590}, {CacheMiss, 0}} {
		if steps[i].Cache != want.cache || steps[i].TTL != want.ttl {
			t.Errorf("step %d: cache %v ttl %d, want %v ttl %d", i+1, steps[i].Cache, steps[i].TTL, want.cache, want.ttl)
		}
	}
	// The same answer again is a single cache hit.
	log.events = nil
	res = r.Resolve(context.Background(), "txt.example.com.", dns.TypeTXT)
	if res.Queries != 0 || len(log.steps()) != 1 || log.steps()[0].Cache != CacheHit {
		t.Fatalf("repeat: %d queries, steps %+v; want one cache hit", res.Queries, log.steps())
	}
}

func TestExpiredDelegationIsAskedAgain(t *testing.T) {
	f, hints := world(t)
	clock := NewManualClock(time.Unix(0, 0))
	r, log := newTestResolver(f, hints, clock)
	r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	clock.Advance(3601 * time.Second) // example.com's delegation (3600 s) expires; com's (172800 s) does not
	log.events = nil
	res := r.Resolve(context.Background(), "txt.example.com.", dns.TypeTXT)
	steps := log.steps()
	if res.Status != StatusAnswer || len(steps) != 3 {
		t.Fatalf("status %v, %d steps; want answer in 3 steps", res.Status, len(steps))
	}
	// root: com still cached; com: asked again because example.com's
	// delegation had expired; example.com: asked (the answer was never cached).
	if steps[0].Cache != CacheHit || steps[1].Cache != CacheExpired || steps[2].Cache != CacheMiss {
		t.Errorf("cache states %v, %v, %v; want hit, expired, miss", steps[0].Cache, steps[1].Cache, steps[2].Cache)
	}
}

func TestNegativeAnswerIsCachedForNegativeTTL(t *testing.T) {
	f, hints := world(t)
	clock := NewManualClock(time.Unix(0, 0))
	r, _ := newTestResolver(f, hints, clock)
	r.Resolve(context.Background(), "nope.example.com.", dns.TypeA)
	// The SOA says TTL 300, MINIMUM 60: negative TTL is 60 (RFC 2308 §5).
	e, state := r.Cache.Lookup("nope.example.com.", typeNXDomain, RankAnswer)
	if state != CacheHit || e.TTL != 60 {
		t.Fatalf("negative entry %v ttl %d, want hit with 60", state, e.TTL)
	}
	// NXDOMAIN covers every type of the name.
	res := r.Resolve(context.Background(), "nope.example.com.", dns.TypeMX)
	if res.Status != StatusNXDomain || res.Queries != 0 {
		t.Errorf("MX after NXDOMAIN: %v with %d queries, want cached NXDOMAIN", res.Status, res.Queries)
	}
	clock.Advance(61 * time.Second)
	res = r.Resolve(context.Background(), "nope.example.com.", dns.TypeA)
	if res.Queries == 0 {
		t.Errorf("after the negative TTL the network must be asked again")
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		records []string // the example.com zone
		qname   string
		config  func(*Config)
		reason  Reason
	}{
		{
			name:    "cname loop",
			records: []string{"a.example.com. 300 IN CNAME b.example.com.", "b.example.com. 300 IN CNAME a.example.com."},
			qname:   "a.example.com.", reason: ReasonCNAMELoop,
		},
		{
			name:    "cname to itself",
			records: []string{"a.example.com. 300 IN CNAME a.example.com."},
			qname:   "a.example.com.", reason: ReasonCNAMELoop,
		},
		{
			name:    "cname chain too long",
			records: chain(20),
			qname:   "c0.example.com.", reason: ReasonCNAMEChainTooLong,
		},
		{
			name:    "query budget",
			records: []string{"www.example.com. 300 IN A 127.10.0.1"},
			qname:   "www.example.com.", config: func(c *Config) { c.MaxQueries = 2 }, reason: ReasonQueryBudget,
		},
		{
			name:    "too many referrals",
			records: []string{"www.example.com. 300 IN A 127.10.0.1"},
			qname:   "www.example.com.", config: func(c *Config) { c.MaxReferrals = 2 }, reason: ReasonTooManyReferrals,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, hints := world(t)
			f.handle("127.0.0.3", zoneServer(t, "example.com.", append(tc.records, "example.com. 3600 IN NS ns1.example.com.")...))
			r, _ := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
			if tc.config != nil {
				tc.config(&r.Config)
			}
			res := r.Resolve(context.Background(), tc.qname, dns.TypeA)
			if res.Status != StatusServFail || res.Reason != tc.reason {
				t.Fatalf("got %v/%v (%s), want servfail/%v", res.Status, res.Reason, res.Detail, tc.reason)
			}
			if res.Queries > r.Config.MaxQueries {
				t.Errorf("%d queries, over the budget of %d", res.Queries, r.Config.MaxQueries)
			}
			if res.Detail == "" {
				t.Errorf("no detail for %v", res.Reason)
			}
		})
	}
}

func chain(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("c%d.example.com. 300 IN CNAME c%d.example.com.", i, i+1))
	}
	return append(out, fmt.Sprintf("c%d.example.com. 300 IN A 127.10.0.1", n))
}

func TestReferralLoop(t *testing.T) {
	f, hints := world(t)
	// example.com's server refers back up to com instead of answering.
	f.handle("127.0.0.3", func(_ string, q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Ns = rrs(t, "com. 172800 IN NS a.gtld.com.")
		m.Extra = rrs(t, "a.gtld.com. 172800 IN A 127.0.0.2")
		return m
	})
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusServFail || res.Reason != ReasonReferralLoop {
		t.Fatalf("got %v/%v, want servfail/referral-loop", res.Status, res.Reason)
	}
	last := log.steps()[len(log.steps())-1]
	if last.Failure != ReasonReferralLoop {
		t.Errorf("last step failure %v", last.Failure)
	}
}

func TestGluelessNamesAreCapped(t *testing.T) {
	f, hints := world(t)
	var recs []string
	for i := 0; i < 50; i++ {
		recs = append(recs, fmt.Sprintf("victim.com. 3600 IN NS ns%d.nowhere.com.", i))
	}
	recs = append(recs, "example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3", "a.gtld.com. 172800 IN A 127.0.0.2")
	f.handle("127.0.0.2", zoneServer(t, "com.", recs...))
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.victim.com.", dns.TypeA)
	if res.Status != StatusServFail {
		t.Fatalf("status %v, want servfail", res.Status)
	}
	var skipped int
	for _, s := range log.steps() {
		skipped += len(s.GluelessSkipped)
	}
	if skipped != 50-r.Config.MaxGluelessPerReferral {
		t.Errorf("%d glueless names skipped, want %d", skipped, 50-r.Config.MaxGluelessPerReferral)
	}
	if res.Queries > 3*r.Config.MaxGluelessPerReferral+2 {
		t.Errorf("%d queries for a glueless flood; the cap should keep it small", res.Queries)
	}
}

func TestCyclicDependency(t *testing.T) {
	f, hints := world(t)
	// com delegates example.com to an in-domain NS but gives no glue.
	f.handle("127.0.0.2", zoneServer(t, "com.", "example.com. 3600 IN NS ns1.example.com."))
	r, _ := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusServFail || res.Reason != ReasonCyclicDependency {
		t.Fatalf("got %v/%v (%s), want servfail/cyclic-dependency", res.Status, res.Reason, res.Detail)
	}
}

func TestTruncatedRetriesOverTCP(t *testing.T) {
	f, hints := world(t)
	inner := zoneServer(t, "example.com.", "example.com. 3600 IN NS ns1.example.com.", "www.example.com. 300 IN A 127.10.0.1")
	f.handle("127.0.0.3", func(proto string, q *dns.Msg) *dns.Msg {
		m := inner(proto, q)
		if proto == UDP {
			m.Truncated, m.Answer = true, nil
		}
		return m
	})
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusAnswer {
		t.Fatalf("status %v (%s)", res.Status, res.Detail)
	}
	var protos []string
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok && x.Addr.Addr().String() == "127.0.0.3" {
			protos = append(protos, fmt.Sprintf("%s:%v", x.Proto, x.Response.Kind))
		}
	}
	if fmt.Sprint(protos) != "[udp:truncated tcp:answer]" {
		t.Errorf("attempts %v, want a truncated UDP reply then a TCP answer", protos)
	}
}

func TestTimeoutsAreRetriedAndRecorded(t *testing.T) {
	f, hints := world(t)
	f.handle("127.0.0.3", func(string, *dns.Msg) *dns.Msg { return nil }) // never answers
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	r.Config.Retries = 2
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusServFail || res.Reason != ReasonAllServersFailed {
		t.Fatalf("got %v/%v, want servfail/all-servers-failed", res.Status, res.Reason)
	}
	attempts := 0
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok && x.Addr.Addr().String() == "127.0.0.3" {
			attempts++
			if x.Response.Kind != KindTimeout || x.RTT != r.Config.Timeout {
				t.Errorf("attempt %d: %v after %v", x.Attempt, x.Response.Kind, x.RTT)
			}
		}
	}
	if attempts != 3 {
		t.Errorf("%d attempts, want 1 + 2 retries", attempts)
	}
}

func TestUnknownAddressIsUnreachable(t *testing.T) {
	f, hints := world(t)
	f.handle("127.0.0.2", zoneServer(t, "com.", "example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.99"))
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusServFail {
		t.Fatalf("status %v", res.Status)
	}
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok && x.Addr.Addr().String() == "127.0.0.99" && x.Response.Kind != KindUnreachable {
			t.Errorf("unknown address classified %v, want unreachable", x.Response.Kind)
		}
	}
}

func TestOutOfBailiwickRecordsAreNotCached(t *testing.T) {
	f, hints := world(t)
	// example.com's server adds an A record for a name in another zone.
	inner := zoneServer(t, "example.com.", "example.com. 3600 IN NS ns1.example.com.", "www.example.com. 300 IN A 127.10.0.1")
	f.handle("127.0.0.3", func(proto string, q *dns.Msg) *dns.Msg {
		m := inner(proto, q)
		m.Extra = append(m.Extra, rr(t, "www.victim.com. 86400 IN A 127.66.6.6"), rr(t, "com. 86400 IN NS evil.example.com."))
		return m
	})
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	ignored := 0
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok {
			ignored += len(x.Response.Ignored)
		}
	}
	if ignored != 2 {
		t.Errorf("%d ignored records recorded, want 2", ignored)
	}
	for _, k := range []struct {
		name  string
		qtype uint16
	}{{"www.victim.com.", dns.TypeA}, {"com.", dns.TypeNS}} {
		if e, state := r.Cache.Lookup(k.name, k.qtype, RankGlue); state == CacheHit {
			for _, rr := range e.RRs {
				if strings.Contains(rr.String(), "127.66.6.6") || strings.Contains(rr.String(), "evil") {
					t.Errorf("poison cached: %v", rr)
				}
			}
		}
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	f, hints := world(t)
	r, _ := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := r.Resolve(ctx, "www.example.com.", dns.TypeA)
	if res.Reason != ReasonCancelled || res.Queries != 0 {
		t.Errorf("got %v with %d queries, want cancelled with none", res.Reason, res.Queries)
	}
}

func TestProbeAsksEveryServerAndWaits(t *testing.T) {
	f, hints := world(t)
	f.handle("127.0.0.4", func(string, *dns.Msg) *dns.Msg { return nil }) // never answers
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	targets := r.Servers("example.com.")
	if len(targets) != 1 || targets[0].Name != "ns1.example.com." {
		t.Fatalf("Servers(example.com.) = %v", targets)
	}
	targets = append(targets, Target{"ns2.example.com.", mustAddrPort("127.0.0.4:53")})
	log.events = nil
	replies := r.Probe(context.Background(), "example.com.", "example.com.", dns.TypeSOA, targets)
	if len(replies) != 2 || replies[0].Response.Kind != KindNoData && replies[0].Response.Kind != KindAnswer || replies[1].Response.Kind != KindTimeout {
		t.Fatalf("replies %+v", replies)
	}
	if steps := log.steps(); len(steps) != 1 {
		t.Errorf("%d steps, want 1", len(steps))
	}
	if roots := r.Servers("."); len(roots) != 1 || roots[0].Addr != mustAddrPort("127.0.0.1:53") {
		t.Errorf("Servers(.) = %v", roots)
	}
}

func TestCyclicDependencyAcrossZones(t *testing.T) {
	f := newFakeNet()
	f.handle("127.0.0.1", zoneServer(t, ".",
		"com. 172800 IN NS a.gtld.com.", "a.gtld.com. 172800 IN A 127.0.0.2",
		"net. 172800 IN NS a.gtld.com."))
	f.handle("127.0.0.2", zoneServer(t, ".",
		"a.com. 3600 IN NS ns1.b.net.", "a.com. 3600 IN NS ns2.b.net.",
		"b.net. 3600 IN NS ns1.a.com.", "b.net. 3600 IN NS ns2.a.com.", "a.gtld.com. 172800 IN A 127.0.0.2"))
	hints, _ := ParseHints(strings.NewReader(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n"), "test")
	r, _ := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.a.com.", dns.TypeA)
	if res.Status != StatusServFail || res.Reason != ReasonCyclicDependency {
		t.Fatalf("got %v/%v (%s), want servfail/cyclic-dependency", res.Status, res.Reason, res.Detail)
	}
	if res.Queries > 12 {
		t.Errorf("%d queries: the cycle should be seen as soon as a zone is needed again", res.Queries)
	}
}

// TestManyServersAreAskedInWaves: a referral to 500 servers with glue, of
// which only two answer. Every address is asked at most once, never more
// than MaxInFlight at a time, and the answer still comes.
func TestManyServersAreAskedInWaves(t *testing.T) {
	f, hints := world(t)
	f.hold = time.Millisecond
	recs := []string{"a.gtld.com. 172800 IN A 127.0.0.2"}
	for i := 1; i <= 500; i++ {
		addr := fmt.Sprintf("127.0.%d.%d", 5+i/250, i%250+1)
		if i == 17 || i == 342 {
			addr = fmt.Sprintf("127.0.0.%d", 100+i%100)
			f.handle(addr, zoneServer(t, "many.com.", "www.many.com. 300 IN A 127.10.0.7"))
		}
		recs = append(recs, fmt.Sprintf("many.com. 3600 IN NS ns%03d.many.com.", i), fmt.Sprintf("ns%03d.many.com. 3600 IN A %s", i, addr))
	}
	f.handle("127.0.0.2", zoneServer(t, "com.", recs...))
	r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
	res := r.Resolve(context.Background(), "www.many.com.", dns.TypeA)
	if res.Status != StatusAnswer {
		t.Fatalf("status %v (%s), want an answer", res.Status, res.Detail)
	}
	seen := map[string]int{}
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok {
			seen[x.Addr.String()]++
			if seen[x.Addr.String()] > 1+r.Config.Retries {
				t.Fatalf("%s asked %d times", x.Addr, seen[x.Addr.String()])
			}
		}
	}
	if m := f.maxSeen.Load(); m > int64(r.Config.MaxInFlight) {
		t.Errorf("%d queries in flight at once, over MaxInFlight %d", m, r.Config.MaxInFlight)
	}
	last := log.steps()[len(log.steps())-1]
	if last.NotAsked != 500-r.Config.MaxInFlight {
		t.Errorf("%d addresses not asked, want %d (the first wave answered)", last.NotAsked, 500-r.Config.MaxInFlight)
	}
}

func TestQNAMEMinimisation(t *testing.T) {
	tests := []struct {
		name   string
		broken bool // example.com's server says NXDOMAIN for the empty non-terminal
		sent   string
	}{
		{"minimised", false, ". com. A|com. example.com. A|example.com. b.example.com. A|example.com. a.b.example.com. A"},
		{"broken server: fall back to the full name", true, ". com. A|com. example.com. A|example.com. b.example.com. A|example.com. a.b.example.com. A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, hints := world(t)
			inner := zoneServer(t, "example.com.", "example.com. 3600 IN NS ns1.example.com.", "a.b.example.com. 300 IN A 127.10.0.9")
			f.handle("127.0.0.3", func(proto string, q *dns.Msg) *dns.Msg {
				m := inner(proto, q)
				if tc.broken && q.Question[0].Name == "b.example.com." {
					m.Rcode = dns.RcodeNameError
				}
				return m
			})
			r, log := newTestResolver(f, hints, NewManualClock(time.Unix(0, 0)))
			r.Config.QMin = true
			res := r.Resolve(context.Background(), "a.b.example.com.", dns.TypeA)
			if res.Status != StatusAnswer {
				t.Fatalf("status %v (%s)", res.Status, res.Detail)
			}
			var sent []string
			var kinds []string
			for _, e := range log.events {
				switch e := e.(type) {
				case StepStarted:
					sent = append(sent, e.Zone+" "+e.Name+" "+dns.TypeToString[e.Type])
					if e.Name != "a.b.example.com." && e.FullName != "a.b.example.com." {
						t.Errorf("minimised step %s without the full name", e.Name)
					}
				case StepFinished:
					kinds = append(kinds, e.Response.Kind.String())
				}
			}
			if got := strings.Join(sent, "|"); got != tc.sent {
				t.Errorf("sent %s\nwant %s", got, tc.sent)
			}
			want := "referral referral nodata answer"
			if tc.broken {
				want = "referral referral nxdomain answer"
			}
			if got := strings.Join(kinds, " "); got != want {
				t.Errorf("kinds %q, want %q", got, want)
			}
		})
	}
}

func TestRateLimiterPacesEachServer(t *testing.T) {
	f, _ := world(t)
	l := RateLimited(f, 100) // one query per 10 ms per address
	q := newQuery("www.example.com.", dns.TypeA)
	start := time.Now()
	for i := 0; i < 5; i++ {
		l.Exchange(context.Background(), UDP, mustAddrPort("127.0.0.1:53"), q)
	}
	if elapsed := time.Since(start); elapsed < 35*time.Millisecond {
		t.Errorf("5 queries to one server in %v: not paced at 100 qps", elapsed)
	}
	start = time.Now()
	for i := 1; i <= 3; i++ {
		l.Exchange(context.Background(), UDP, mustAddrPort(fmt.Sprintf("127.0.0.%d:53", 10+i)), q)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Millisecond {
		t.Errorf("3 queries to 3 servers took %v: servers must not wait for each other", elapsed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 3; i++ {
		if _, _, err := l.Exchange(ctx, UDP, mustAddrPort("127.0.0.1:53"), q); err == nil && i > 0 {
			t.Errorf("a cancelled wait must not send")
		}
	}
}

// TestConcurrentResolutionsAskOnce: many resolutions sharing one cache,
// started at once, ask the root for the com delegation once, not once
// each: the others wait and take it from the cache.
func TestConcurrentResolutionsAskOnce(t *testing.T) {
	f, hints := world(t)
	f.hold = 5 * time.Millisecond // long enough for the others to arrive while the first asks
	cache := NewCache(NewManualClock(time.Unix(0, 0)))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &Resolver{Transport: f, Config: testConfig(), Hints: hints, Cache: cache}
			if res := r.Resolve(context.Background(), fmt.Sprintf("h%d.example.com.", i), dns.TypeA); res.Status == StatusServFail {
				t.Errorf("h%d: %v", i, res.Detail)
			}
		}()
	}
	wg.Wait()
	root := 0
	for _, l := range f.log {
		if strings.HasPrefix(l, "127.0.0.1 ") {
			root++
		}
	}
	if root != 1 {
		t.Errorf("the root was asked %d times by 20 concurrent resolutions, want once", root)
	}
}
