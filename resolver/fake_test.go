package resolver

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeNet is an in-memory network for one test: each address has a handler
// that builds the reply. It is made per test; nothing is shared.
type fakeNet struct {
	mu       sync.Mutex
	handlers map[netip.Addr]func(proto string, q *dns.Msg) *dns.Msg
	queries  atomic.Int64
	log      []string // "addr proto qname qtype"
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	hold     time.Duration // how long each exchange takes (real time), to make overlap visible
}

func newFakeNet() *fakeNet {
	return &fakeNet{handlers: map[netip.Addr]func(string, *dns.Msg) *dns.Msg{}}
}

func (f *fakeNet) Simulated() bool { return true }

func (f *fakeNet) handle(addr string, h func(proto string, q *dns.Msg) *dns.Msg) {
	f.handlers[netip.MustParseAddr(addr)] = h
}

func (f *fakeNet) Exchange(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	f.queries.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxSeen.Load(); n > m && !f.maxSeen.CompareAndSwap(m, n); m = f.maxSeen.Load() {
	}
	time.Sleep(f.hold)
	f.mu.Lock()
	f.log = append(f.log, server.Addr().String()+" "+proto+" "+q.Question[0].Name+" "+dns.TypeToString[q.Question[0].Qtype])
	h, ok := f.handlers[server.Addr()]
	f.mu.Unlock()
	if !ok {
		return nil, 0, syscall.EHOSTUNREACH
	}
	// Round-trip through the wire format, as a real network would.
	wire, err := q.Pack()
	if err != nil {
		return nil, 0, err
	}
	in := new(dns.Msg)
	if err := in.Unpack(wire); err != nil {
		return nil, 0, err
	}
	reply := h(proto, in)
	if reply == nil {
		return nil, 0, os.ErrDeadlineExceeded
	}
	wire, err = reply.Pack()
	if err != nil {
		return nil, 0, err
	}
	out := new(dns.Msg)
	if err := out.Unpack(wire); err != nil {
		return nil, 0, err
	}
	return out, time.Millisecond, nil
}

func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return r
}

func rrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		out = append(out, rr(t, l))
	}
	return out
}

// zoneServer answers from a tiny zone description: records by owner, and
// delegations (NS records below the apex) with their glue. It is
// authoritative for apex.
func zoneServer(t testing.TB, apex string, records ...string) func(string, *dns.Msg) *dns.Msg {
	data := rrs(t, records...)
	return func(_ string, q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		qn := dns.CanonicalName(q.Question[0].Name)
		qt := q.Question[0].Qtype
		if !dns.IsSubDomain(apex, qn) {
			m.Rcode = dns.RcodeRefused
			return m
		}
		// Delegation: NS records at a name below the apex that contains qname.
		for _, r := range data {
			owner := dns.CanonicalName(r.Header().Name)
			if r.Header().Rrtype == dns.TypeNS && owner != apex && dns.IsSubDomain(owner, qn) {
				for _, r2 := range data {
					if r2.Header().Rrtype == dns.TypeNS && dns.CanonicalName(r2.Header().Name) == owner {
						m.Ns = append(m.Ns, r2)
						for _, g := range data {
							if (g.Header().Rrtype == dns.TypeA || g.Header().Rrtype == dns.TypeAAAA) && dns.CanonicalName(g.Header().Name) == dns.CanonicalName(r2.(*dns.NS).Ns) {
								m.Extra = append(m.Extra, g)
							}
						}
					}
				}
				return m
			}
		}
		m.Authoritative = true
		exists := false
		for _, r := range data {
			owner := dns.CanonicalName(r.Header().Name)
			if dns.IsSubDomain(qn, owner) {
				exists = true // the name, or an empty non-terminal above a name
			}
			if owner == qn {
				if r.Header().Rrtype == qt || (r.Header().Rrtype == dns.TypeCNAME && qt != dns.TypeCNAME) {
					m.Answer = append(m.Answer, r)
				}
			}
		}
		if len(m.Answer) == 0 {
			if !exists {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = rrs(t, apex+" 300 IN SOA ns."+strings.TrimPrefix(apex, ".")+" host. 1 3600 600 86400 60")
		}
		return m
	}
}

// world builds a small hierarchy: root at 127.0.0.1 delegating com. to
// 127.0.0.2, which delegates example.com. to 127.0.0.3.
func world(t testing.TB) (*fakeNet, *Hints) {
	f := newFakeNet()
	f.handle("127.0.0.1", zoneServer(t, ".",
		"com. 172800 IN NS a.gtld.com.", "a.gtld.com. 172800 IN A 127.0.0.2"))
	f.handle("127.0.0.2", zoneServer(t, "com.",
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"a.gtld.com. 172800 IN A 127.0.0.2"))
	f.handle("127.0.0.3", zoneServer(t, "example.com.",
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"www.example.com. 300 IN A 127.10.0.1", "alias.example.com. 300 IN CNAME www.example.com.",
		"txt.example.com. 300 IN TXT \"hello\""))
	hints, err := ParseHints(strings.NewReader(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return f, hints
}

func testConfig() Config {
	c := DefaultConfig()
	c.IPv6 = false
	c.Timeout = 200 * time.Millisecond
	return c
}

// eventLog collects events for assertions.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) Observe(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// steps returns the finished steps in order.
func (l *eventLog) steps() []StepFinished {
	var out []StepFinished
	for _, e := range l.events {
		if s, ok := e.(StepFinished); ok {
			out = append(out, s)
		}
	}
	return out
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func newQuery(name string, t uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, t)
	return m
}
