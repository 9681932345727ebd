package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

// testConf is a small world exercising what the default world does not:
// every behaviour, an empty non-terminal, CNAME loops and a big RRset.
const testConf = `
zone   .          root.zone
zone   lab.test   lab.test.zone
server root.lab.test     127.0.9.1   rtt=5ms              .
server ns.lab.test       127.0.9.2   rtt=7ms              lab.test
server refuse.lab.test   127.0.9.3   behaviour=refuse     lab.test
server servfail.lab.test 127.0.9.4   behaviour=servfail   lab.test
server noaa.lab.test     127.0.9.5   behaviour=noaa       lab.test
server delay.lab.test    127.0.9.6   rtt=4ms behaviour=delay=300   lab.test
server drop.lab.test     127.0.9.7   behaviour=drop       lab.test
server upward.lab.test   127.0.9.8   behaviour=upward     lab.test
server wrongid.lab.test  127.0.9.9   behaviour=wrong-id   lab.test
server wrongq.lab.test   127.0.9.10  behaviour=wrong-question  lab.test
server tc.lab.test       127.0.9.11  behaviour=tc-notcp   lab.test
server poison.lab.test   127.0.9.12  behaviour=poison     lab.test
domain www.lab.test A a host
domain gone.lab.test A expect=NXDOMAIN a missing name
`

const testRootZone = `$ORIGIN .
$TTL 86400
@            86400 IN SOA root.lab.test. hostmaster.lab.test. 1 1800 900 604800 900
@            86400 IN NS  root.lab.test.
lab.test.    3600  IN NS  ns.lab.test.
lab.test.    3600  IN NS  elsewhere.example.
ns.lab.test. 3600  IN A   127.0.9.2
root.lab.test. 3600 IN A  127.0.9.1
`

var testZone = `$ORIGIN lab.test.
$TTL 600
@        3600 IN SOA ns.lab.test. hostmaster.lab.test. 1 7200 1800 1209600 120
@        3600 IN NS  ns.lab.test.
ns       3600 IN A   127.0.9.2
www      300  IN A   127.10.0.80
www      300  IN A   127.10.0.81
; a.b.c exists, so b.c and c are empty non-terminals
a.b.c    300  IN A   127.10.0.1
alias    300  IN CNAME www.lab.test.
alias2   300  IN CNAME alias.lab.test.
dangling 300  IN CNAME nowhere.lab.test.
out      300  IN CNAME www.example.
loop1    300  IN CNAME loop2.lab.test.
loop2    300  IN CNAME loop1.lab.test.
sub      300  IN NS  ns.sub.lab.test.
sub      300  IN NS  ns.other.example.
ns.sub   300  IN A   127.0.9.20
tosub    300  IN CNAME host.sub.lab.test.
` + bigTXT()

// bigTXT returns 20 TXT records of 100 bytes each at big.lab.test.
func bigTXT() string {
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "big 300 IN TXT \"%02d%s\"\n", i, strings.Repeat("x", 98))
	}
	return b.String()
}

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"world.conf":    {Data: []byte(testConf)},
		"root.zone":     {Data: []byte(testRootZone)},
		"lab.test.zone": {Data: []byte(testZone)},
	}
}

func testWorld(t testing.TB) *World {
	t.Helper()
	w, err := Load(testFS())
	if err != nil {
		t.Fatalf("Load(test world): %v", err)
	}
	return w
}

func mustDefault(t testing.TB) *World {
	t.Helper()
	w, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return w
}

// ap returns addr:53.
func ap(addr string) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(addr), 53)
}

// serverAddr returns the address of the named server of w.
func serverAddr(t testing.TB, w *World, name string) netip.Addr {
	t.Helper()
	for _, s := range w.Servers() {
		if s.Name == dns.Fqdn(name) {
			return s.Addr
		}
	}
	t.Fatalf("no server %s", name)
	return netip.Addr{}
}

// query builds a non-recursive query, like an iterative resolver sends.
func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	return m
}

// rrs renders records as "owner TYPE rdata" (no TTL, no class), sorted,
// leaving out OPT records.
func rrs(section []dns.RR) []string {
	var out []string
	for _, rr := range section {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		f := strings.Fields(rr.String())
		// owner TTL class type rdata...
		out = append(out, strings.Join(append([]string{f[0], f[3]}, f[4:]...), " "))
	}
	slices.Sort(out)
	return out
}

// outcome of an iterative resolution, as in Domain.Expect.
type outcome struct {
	expect  string
	answers []dns.RR
}

// walker is a tiny iterative resolver over a Network, used to prove that
// the world is consistent: every showcase domain resolves as described.
// It checks what a careful resolver checks: the reply's ID and question,
// referrals that must lead down, CNAME loops and chains longer than
// walkerMaxCNAMEs.
type walker struct {
	n     *Network
	steps int
}

// walkerMaxCNAMEs is the longest CNAME chain the walker follows, as
// nstrace's resolver (resolver.DefaultMaxCNAMEChain).
const walkerMaxCNAMEs = 16

func (wk *walker) rootServers() []netip.Addr {
	var servers []netip.Addr
	for _, h := range wk.n.World().RootHints() {
		servers = append(servers, h.Addr)
	}
	return servers
}

func (wk *walker) resolve(ctx context.Context, name string, qtype uint16, depth int) (outcome, error) {
	if depth > 6 {
		return outcome{}, errors.New("too deep")
	}
	servers := wk.rootServers()
	zone := "."
	var chain []dns.RR
	seen := map[string]bool{strings.ToLower(name): true}
	cnames := 0
	for range 40 {
		reply, err := wk.ask(ctx, servers, name, qtype)
		if err != nil {
			return outcome{expect: ExpectFail}, err
		}
		if reply.Authoritative || len(reply.Answer) > 0 {
			chain = append(chain, reply.Answer...)
			// Follow the CNAME chain inside the answer.
			cur := name
			for {
				var next string
				for _, rr := range reply.Answer {
					if cn, ok := rr.(*dns.CNAME); ok && strings.EqualFold(cn.Hdr.Name, cur) {
						next = cn.Target
					}
				}
				if next == "" {
					break
				}
				if seen[strings.ToLower(next)] {
					return outcome{expect: ExpectFail}, fmt.Errorf("%s: CNAME loop at %s", name, next)
				}
				if cnames++; cnames > walkerMaxCNAMEs {
					return outcome{expect: ExpectFail}, fmt.Errorf("CNAME chain longer than %d", walkerMaxCNAMEs)
				}
				seen[strings.ToLower(next)] = true
				cur = next
			}
			for _, rr := range reply.Answer {
				if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, cur) {
					return outcome{expect: ExpectNoError, answers: chain}, nil
				}
			}
			if reply.Rcode == dns.RcodeNameError {
				return outcome{expect: ExpectNXDomain, answers: chain}, nil
			}
			if cur != name {
				name = cur // restart at the root for the CNAME target
				servers, zone = wk.rootServers(), "."
				continue
			}
			return outcome{expect: ExpectNoData, answers: chain}, nil
		}
		// A referral: go down.
		var next []netip.Addr
		var nsNames []string
		child := ""
		for _, rr := range reply.Ns {
			if ns, ok := rr.(*dns.NS); ok {
				owner := strings.ToLower(ns.Hdr.Name)
				if child == "" {
					child = owner
				}
				if owner != child || child == zone || !dns.IsSubDomain(zone, child) || !dns.IsSubDomain(child, strings.ToLower(name)) {
					return outcome{expect: ExpectFail}, fmt.Errorf("%s: referral to %s from %s does not lead down", name, owner, zone)
				}
				nsNames = append(nsNames, ns.Ns)
				for _, g := range reply.Extra {
					if a, ok := g.(*dns.A); ok && strings.EqualFold(a.Hdr.Name, ns.Ns) {
						addr, _ := netip.AddrFromSlice(a.A.To4())
						next = append(next, addr)
					}
				}
			}
		}
		if len(nsNames) == 0 {
			return outcome{}, fmt.Errorf("%s: neither answer nor referral: %v", name, reply)
		}
		zone = child
		if len(next) == 0 { // glueless: resolve the NS names first
			for _, ns := range nsNames {
				o, err := wk.resolve(ctx, ns, dns.TypeA, depth+1)
				if err != nil {
					continue
				}
				for _, rr := range o.answers {
					if a, ok := rr.(*dns.A); ok {
						addr, _ := netip.AddrFromSlice(a.A.To4())
						next = append(next, addr)
					}
				}
			}
		}
		if len(next) == 0 {
			return outcome{expect: ExpectFail}, fmt.Errorf("%s: no address for %v", name, nsNames)
		}
		servers = next
	}
	return outcome{}, errors.New("too many steps")
}

// walkerTimeout is how long the walker waits for one reply, as nstrace's
// resolver by default: a server that answers later has timed out.
const walkerTimeout = 2 * time.Second

// ask tries every server in turn until one gives a usable reply: one that
// matches the query (ID, question) with NOERROR or NXDOMAIN, over TCP if
// the UDP reply was truncated, within walkerTimeout.
func (wk *walker) ask(ctx context.Context, servers []netip.Addr, name string, qtype uint16) (*dns.Msg, error) {
	var errs []error
	for _, s := range servers {
		wk.steps++
		q := query(name, qtype)
		exchange := func(proto string) (*dns.Msg, error) {
			ctx, cancel := context.WithTimeout(ctx, walkerTimeout)
			defer cancel()
			r, _, err := wk.n.Exchange(ctx, proto, netip.AddrPortFrom(s, 53), q)
			return r, err
		}
		reply, err := exchange("udp")
		if err == nil && reply.Truncated {
			reply, err = exchange("tcp")
		}
		if err == nil && (reply.Id != q.Id || len(reply.Question) != 1 || !strings.EqualFold(reply.Question[0].Name, q.Question[0].Name)) {
			err = fmt.Errorf("reply does not match the query (id %d, question %v)", reply.Id, reply.Question)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
			continue
		}
		if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
			errs = append(errs, fmt.Errorf("%s: %s", s, dns.RcodeToString[reply.Rcode]))
			continue
		}
		return reply, nil
	}
	return nil, fmt.Errorf("no server answered %s: %w", name, errors.Join(errs...))
}
