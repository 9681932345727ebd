package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// recursorTransport is the lab's network with its recursive resolvers
// (lab.World.Recursors) added: a query to a recursor's address is answered
// by that recursor, which resolves the name from the lab's root with its
// own resolver and its own cache; every other address goes to the lab's
// network as it is. Like the lab's network it answers in memory, at once,
// with a simulated round-trip time, and an address the lab does not know
// fails at once as unreachable. It is what compare asks in lab mode.
type recursorTransport struct {
	next      resolver.Transport // the lab's in-memory network
	recursors map[netip.Addr]*labRecursor
}

// labRecursor is one running recursor: its world.conf description and the
// resolver it answers with.
type labRecursor struct {
	lab.Recursor
	// resolver resolves over the lab's network with the recursor's own
	// cache, shared by every query the recursor gets.
	resolver *resolver.Resolver
}

// newRecursorTransport starts every recursor of w over next: each gets a
// resolver with the limits of cfg, the root hints and a cache of its own
// reading clock, holding the recursor's seeds as if stored their age
// before clock's time.
func newRecursorTransport(next resolver.Transport, w *lab.World, cfg resolver.Config, hints *resolver.Hints, clock resolver.Clock) *recursorTransport {
	t := &recursorTransport{next: next, recursors: map[netip.Addr]*labRecursor{}}
	zones := w.ZoneNames()
	for _, rc := range w.Recursors() {
		bd := &backdatedClock{clock: clock}
		cache := resolver.NewCache(bd)
		for _, set := range seedRRsets(rc.Seeds) {
			bd.by = set.age
			cache.Store(set.rrs, resolver.RankAnswer, seedZone(zones, set.rrs[0].Header().Name))
		}
		bd.by = 0
		t.recursors[rc.Addr] = &labRecursor{Recursor: rc,
			resolver: &resolver.Resolver{Transport: next, Config: cfg, Hints: hints, Cache: cache}}
	}
	return t
}

// backdatedClock reads clock, set back by "by": the seeds of a recursor's
// cache are stored through it, so that the cache records the time they
// were fetched. "by" is changed only before the recursor answers anything.
type backdatedClock struct {
	clock resolver.Clock
	by    time.Duration
}

func (c *backdatedClock) Now() time.Time { return c.clock.Now().Add(-c.by) }

// seedRRset is the seeds of one owner and type: one RRset, fetched together.
type seedRRset struct {
	rrs []dns.RR
	age time.Duration
}

// seedRRsets groups seeds into RRsets, in the order each first appears.
// lab.Load has checked that the seeds of one RRset share their age.
func seedRRsets(seeds []lab.Seed) []seedRRset {
	var sets []seedRRset
	for _, s := range seeds {
		h := s.RR.Header()
		i := slices.IndexFunc(sets, func(set seedRRset) bool {
			sh := set.rrs[0].Header()
			return sh.Name == h.Name && sh.Rrtype == h.Rrtype
		})
		if i < 0 {
			sets = append(sets, seedRRset{age: s.Age})
			i = len(sets) - 1
		}
		sets[i].rrs = append(sets[i].rrs, s.RR)
	}
	return sets
}

// seedZone returns the closest of zones that holds name, or "." .
func seedZone(zones []string, name string) string {
	best := "."
	for _, z := range zones {
		if dns.IsSubDomain(z, name) && dns.CountLabel(z) > dns.CountLabel(best) {
			best = z
		}
	}
	return best
}

// Exchange answers a query sent to a recursor, and passes any other on to
// the lab's network. The query and the reply travel as wire bytes, so that
// the caller never shares memory with a recursor.
func (t *recursorTransport) Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (*dns.Msg, time.Duration, error) {
	rc := t.recursors[server.Addr().Unmap()]
	if rc == nil {
		return t.next.Exchange(ctx, proto, server, query)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if proto != resolver.UDP && proto != resolver.TCP {
		return nil, 0, fmt.Errorf("recursor %s: unsupported protocol %q (want udp or tcp)", rc.Name, proto)
	}
	q, err := recursorWireCopy(query)
	if err != nil {
		return nil, 0, fmt.Errorf("recursor %s: query: %w", rc.Name, err)
	}
	if rc.Behaviour == lab.RecursorDrop {
		// It never answers: the query times out, at once in simulated time.
		return nil, 0, &net.OpError{Op: "read", Net: proto, Addr: net.UDPAddrFromAddrPort(server), Err: os.ErrDeadlineExceeded}
	}
	reply, spent := rc.answer(ctx, q)
	rtt := rc.RTT + spent
	if proto == resolver.TCP {
		rtt += rc.RTT // the handshake
	} else {
		size := uint16(dns.MinMsgSize)
		if opt := q.IsEdns0(); opt != nil {
			size = max(size, opt.UDPSize())
		}
		reply.Truncate(int(size)) // sets TC=1 when it does not fit
	}
	if reply, err = recursorWireCopy(reply); err != nil {
		return nil, 0, fmt.Errorf("recursor %s: reply: %w", rc.Name, err)
	}
	return reply, rtt, nil
}

// recursorWireCopy returns m packed and unpacked again.
func recursorWireCopy(m *dns.Msg) (*dns.Msg, error) {
	wire, err := m.Pack()
	if err != nil {
		return nil, err
	}
	out := new(dns.Msg)
	if err := out.Unpack(wire); err != nil {
		return nil, err
	}
	return out, nil
}

// answer builds the recursor's reply to q (RD=1, RA=1), and says how long
// its own resolution took in simulated time.
func (rc *labRecursor) answer(ctx context.Context, q *dns.Msg) (*dns.Msg, time.Duration) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	if q.IsEdns0() != nil {
		m.SetEdns0(resolver.DefaultConfig().EDNSSize, false)
	}
	switch {
	case rc.Behaviour == lab.RecursorServFail:
		m.Rcode = dns.RcodeServerFailure
		return m, 0
	case rc.Behaviour == lab.RecursorRefused:
		m.Rcode = dns.RcodeRefused
		return m, 0
	case q.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
		return m, 0
	case len(q.Question) != 1:
		m.Rcode = dns.RcodeFormatError
		return m, 0
	case !q.RecursionDesired || q.Question[0].Qclass != dns.ClassINET:
		// A recursor of the lab serves recursive queries of class IN only.
		m.Rcode = dns.RcodeRefused
		return m, 0
	}
	timer := &pathTimer{sent: map[int]map[netip.AddrPort]time.Duration{}}
	r := *rc.resolver
	r.Observer = timer
	out := r.Resolve(ctx, q.Question[0].Name, q.Question[0].Qtype)
	switch out.Status {
	case resolver.StatusAnswer:
		m.Answer = out.Records
	case resolver.StatusNXDomain, resolver.StatusNoData:
		if out.Status == resolver.StatusNXDomain {
			m.Rcode = dns.RcodeNameError
		}
		m.Answer = out.Records // the CNAMEs followed, if any
		if out.SOA != nil {
			// The SOA of a negative answer carries the negative TTL
			// (RFC 2308 §3): the lower of its TTL and its MINIMUM.
			soa := dns.Copy(out.SOA).(*dns.SOA)
			soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
			m.Ns = []dns.RR{soa}
		}
	default:
		m.Rcode = dns.RcodeServerFailure
		if opt := m.IsEdns0(); opt != nil {
			// RFC 8914: say why, in an Extended DNS Error.
			code := dns.ExtendedErrorCodeOther
			if out.Reason == resolver.ReasonAllServersFailed || out.Reason == resolver.ReasonNoAddress {
				code = dns.ExtendedErrorCodeNoReachableAuthority
			}
			opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: code, ExtraText: out.Detail})
		}
	}
	return m, timer.total()
}

// pathTimer adds up, in simulated time, how long a recursor's resolution
// took: for every step, the round trip of the reply it used (or, when no
// reply was usable, the longest wait of the step). Steps taken from the
// cache cost nothing.
type pathTimer struct {
	mu    sync.Mutex
	sent  map[int]map[netip.AddrPort]time.Duration // step → address → time spent on it
	spent time.Duration
}

func (p *pathTimer) Observe(e resolver.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := e.(type) {
	case resolver.Exchanged:
		if p.sent[e.Step] == nil {
			p.sent[e.Step] = map[netip.AddrPort]time.Duration{}
		}
		p.sent[e.Step][e.Addr] += e.RTT // retries and the TCP retry add up
	case resolver.StepFinished:
		if e.Cache == resolver.CacheHit {
			return
		}
		if d, ok := p.sent[e.Step][e.Addr]; ok && e.Addr.IsValid() {
			p.spent += d
			return
		}
		var longest time.Duration
		for _, d := range p.sent[e.Step] {
			longest = max(longest, d)
		}
		p.spent += longest
	}
}

func (p *pathTimer) total() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spent
}
