package lab

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

// rawExchange sends q to addr over proto and reads one reply, without the
// checks of dns.Client (which drops a reply with the wrong ID).
func rawExchange(proto string, addr netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	conn, err := dns.DialTimeout(proto, addr.String(), 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.UDPSize = dns.MaxMsgSize
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if err := conn.WriteMsg(q); err != nil {
		return nil, err
	}
	return conn.ReadMsg()
}

// TestMisbehaviours checks the behaviours upward, wrong-id,
// wrong-question, tc-notcp and poison, in memory and on real sockets:
// both must give the same reply.
func TestMisbehaviours(t *testing.T) {
	w := testWorld(t)
	l := serveT(t, w)
	port := l.Addrs()[0].Port()
	n := NewNetwork(w)
	www := []string{"www.lab.test. A 127.10.0.80", "www.lab.test. A 127.10.0.81"}
	rootNS := []string{". NS root.lab.test."}
	rootGlue := []string{"root.lab.test. A 127.0.9.1"}
	poisonNS, poisonA := "com. NS ns.evil.poison.com.", "www.mydomain.com. A 127.66.6.6"

	tests := []struct {
		name   string
		server string
		qname  string
		qtype  uint16
		proto  string // default udp
		id     uint16 // 0: random
		edns   bool
		// refused: the exchange fails with ECONNREFUSED.
		refused bool
		// What the reply must be.
		rcode  int
		aa, tc bool
		qnameR string // the question name of the reply, default qname
		answer []string
		ns     []string
		extra  []string
	}{
		{name: "upward referral", server: "127.0.9.8", qname: "www.lab.test", qtype: dns.TypeA, ns: rootNS, extra: rootGlue},
		{name: "upward for a name it does not host", server: "127.0.9.8", qname: "www.mydomain.com", qtype: dns.TypeA, ns: rootNS, extra: rootGlue},
		{name: "upward over TCP with EDNS0", server: "127.0.9.8", qname: "gone.lab.test", qtype: dns.TypeA, proto: "tcp", edns: true, ns: rootNS, extra: rootGlue},
		{name: "wrong-id", server: "127.0.9.9", qname: "www.lab.test", qtype: dns.TypeA, id: 4242, aa: true, answer: www},
		{name: "wrong-id wraps at 65535", server: "127.0.9.9", qname: "www.lab.test", qtype: dns.TypeA, id: 65535, aa: true, answer: www},
		{name: "wrong-id over TCP", server: "127.0.9.9", qname: "gone.lab.test", qtype: dns.TypeA, proto: "tcp", id: 7, aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA}},
		{name: "wrong-question", server: "127.0.9.10", qname: "www.lab.test", qtype: dns.TypeA, aa: true,
			qnameR: "forged.www.lab.test.", answer: www},
		{name: "wrong-question on a referral", server: "127.0.9.10", qname: "x.sub.lab.test", qtype: dns.TypeA, proto: "tcp",
			qnameR: "forged.x.sub.lab.test.", ns: []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."},
			extra: []string{"ns.sub.lab.test. A 127.0.9.20"}},
		{name: "tc-notcp over UDP", server: "127.0.9.11", qname: "www.lab.test", qtype: dns.TypeA, aa: true, tc: true},
		{name: "tc-notcp over UDP with EDNS0", server: "127.0.9.11", qname: "gone.lab.test", qtype: dns.TypeA, edns: true, aa: true, tc: true},
		{name: "tc-notcp over UDP, a referral", server: "127.0.9.11", qname: "x.sub.lab.test", qtype: dns.TypeA, tc: true},
		{name: "tc-notcp over TCP is refused", server: "127.0.9.11", qname: "www.lab.test", qtype: dns.TypeA, proto: "tcp", refused: true},
		{name: "poison on an answer", server: "127.0.9.12", qname: "www.lab.test", qtype: dns.TypeA, aa: true,
			answer: www, ns: []string{poisonNS}, extra: []string{poisonA}},
		{name: "poison on NXDOMAIN over TCP", server: "127.0.9.12", qname: "gone.lab.test", qtype: dns.TypeA, proto: "tcp", aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA, poisonNS}, extra: []string{poisonA}},
		{name: "no poison on a referral", server: "127.0.9.12", qname: "x.sub.lab.test", qtype: dns.TypeA,
			ns: []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."}, extra: []string{"ns.sub.lab.test. A 127.0.9.20"}},
	}
	for _, tt := range tests {
		proto := tt.proto
		if proto == "" {
			proto = "udp"
		}
		for _, via := range []string{"memory", "sockets"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				q := query(tt.qname, tt.qtype)
				if tt.id != 0 {
					q.Id = tt.id
				}
				if tt.edns {
					q.SetEdns0(1232, false)
				}
				var r *dns.Msg
				var err error
				if via == "memory" {
					r, _, err = n.Exchange(context.Background(), proto, ap(tt.server), q)
				} else {
					r, err = rawExchange(proto, netip.AddrPortFrom(netip.MustParseAddr(tt.server), port), q)
				}
				if tt.refused {
					if !errors.Is(err, syscall.ECONNREFUSED) {
						t.Fatalf("reply %v, error %v; want ECONNREFUSED", r, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				wantID := q.Id
				if strings.HasPrefix(tt.name, "wrong-id") {
					wantID = q.Id + 1
				}
				if r.Id != wantID {
					t.Errorf("id %d, want %d (query %d)", r.Id, wantID, q.Id)
				}
				wantQ := q.Question[0]
				if tt.qnameR != "" {
					wantQ.Name = tt.qnameR
				}
				if len(r.Question) != 1 || r.Question[0] != wantQ {
					t.Errorf("question %v, want %v", r.Question, wantQ)
				}
				if r.Rcode != tt.rcode || r.Authoritative != tt.aa || r.Truncated != tt.tc || !r.Response || r.RecursionAvailable {
					t.Errorf("rcode %s AA=%v TC=%v QR=%v RA=%v; want %s AA=%v TC=%v", dns.RcodeToString[r.Rcode], r.Authoritative,
						r.Truncated, r.Response, r.RecursionAvailable, dns.RcodeToString[tt.rcode], tt.aa, tt.tc)
				}
				for _, s := range []struct {
					name      string
					got, want []string
				}{{"answer", rrs(r.Answer), tt.answer}, {"authority", rrs(r.Ns), tt.ns}, {"additional", rrs(r.Extra), tt.extra}} {
					want := slices.Clone(s.want)
					slices.Sort(want)
					if !slices.Equal(s.got, want) {
						t.Errorf("%s:\n got %q\nwant %q", s.name, s.got, want)
					}
				}
				if (r.IsEdns0() != nil) != tt.edns {
					t.Errorf("OPT in the reply: %v, want %v", r.IsEdns0() != nil, tt.edns)
				}
			})
		}
	}
}

// TestTCNoTCPNotCounted: a refused TCP connection never reaches the
// server, so the network does not count it.
func TestTCNoTCPNotCounted(t *testing.T) {
	n := NewNetwork(testWorld(t))
	_, rtt, err := n.Exchange(context.Background(), "tcp4", ap("127.0.9.11"), query("www.lab.test", dns.TypeA))
	if !errors.Is(err, syscall.ECONNREFUSED) || rtt != 0 {
		t.Fatalf("err %v rtt %v, want ECONNREFUSED", err, rtt)
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "127.0.9.11:53") {
		t.Errorf("error %q does not read like a refused TCP connection", err)
	}
	if n.Queries() != 0 || n.QueriesTo(netip.MustParseAddr("127.0.9.11")) != 0 {
		t.Errorf("Queries() = %d, want 0", n.Queries())
	}
	if _, _, err := n.Exchange(context.Background(), "udp", ap("127.0.9.11"), query("www.lab.test", dns.TypeA)); err != nil || n.Queries() != 1 {
		t.Errorf("UDP: %v, %d queries", err, n.Queries())
	}
}

func TestForgedName(t *testing.T) {
	long := strings.Repeat("a.", 124) + "test." // 253 characters: no room for "forged."
	for _, tc := range []struct{ in, want string }{
		{"www.lab.test.", "forged.www.lab.test."},
		{".", "forged."},
		{long, "forged."},
	} {
		if got := forgedName(tc.in); got != tc.want || got == tc.in {
			t.Errorf("forgedName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestUpwardWithoutRoot: a world always has a root zone, but upward must
// not panic on a server built without one.
func TestUpwardWithoutRoot(t *testing.T) {
	s := &server{behaviour: Behaviour{Kind: BehaviourUpward}}
	r, _ := s.respond(query("x.test", dns.TypeA), "udp")
	if r == nil || r.Rcode != dns.RcodeSuccess || r.Authoritative || len(r.Ns) != 0 {
		t.Errorf("reply %v", r)
	}
}

// variantConf is a world with two variants of one zone.
const variantConf = `
zone . root.zone
zone v.test     v.zone
zone V.test@OLD v-old.zone
zone v.test@b2  v-b2.zone
server r    127.0.9.1 .
server new  127.0.9.2 v.test
server old  127.0.9.3 v.test@old
server b2   127.0.9.4 rtt=3 v.test@B2
domain www.v.test A findings=soa_serial_mismatch serials differ
`

func variantZone(serial, addr string) string {
	return "$ORIGIN v.test.\n@ 300 SOA new.v.test. h.v.test. " + serial + " 1 2 3 4\n@ 300 NS new.v.test.\n@ 300 NS old.v.test.\nwww 300 A " + addr + "\n"
}

func TestVariants(t *testing.T) {
	fsys := fstest.MapFS{
		"world.conf": {Data: []byte(variantConf)},
		"root.zone":  {Data: []byte(testRootZone)},
		"v.zone":     {Data: []byte(variantZone("3", "127.10.0.3"))},
		"v-old.zone": {Data: []byte(variantZone("1", "127.10.0.1"))},
		"v-b2.zone":  {Data: []byte(variantZone("2", "127.10.0.2"))},
	}
	w, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.ZoneNames(); !slices.Equal(got, []string{".", "v.test."}) {
		t.Errorf("ZoneNames = %v, want only plain names", got)
	}
	if got := w.ZoneVariants("V.TEST"); !slices.Equal(got, []string{"b2", "old"}) {
		t.Errorf("ZoneVariants = %v", got)
	}
	if got := w.ZoneVariants("."); len(got) != 0 {
		t.Errorf("ZoneVariants(.) = %v", got)
	}
	var zones []string
	for _, s := range w.Servers() {
		zones = append(zones, strings.Join(s.Zones, " "))
	}
	if want := []string{".", "v.test.", "v.test.@old", "v.test.@b2"}; !slices.Equal(zones, want) {
		t.Errorf("ServerInfo.Zones = %q, want %q", zones, want)
	}
	serial := func(rrs []dns.RR) uint32 {
		for _, rr := range rrs {
			if soa, ok := rr.(*dns.SOA); ok {
				return soa.Serial
			}
		}
		return 0
	}
	for _, tc := range []struct {
		variant string
		serial  uint32
	}{{"", 3}, {"old", 1}, {"OLD", 1}, {"b2", 2}} {
		rrs, err := w.ZoneRecordsVariant("v.test.", tc.variant)
		if err != nil || serial(rrs) != tc.serial {
			t.Errorf("ZoneRecordsVariant(%q): serial %d, %v; want %d", tc.variant, serial(rrs), err, tc.serial)
		}
	}
	if rrs, _ := w.ZoneRecords("v.test"); serial(rrs) != 3 {
		t.Errorf("ZoneRecords is not the default variant")
	}
	if _, err := w.ZoneRecordsVariant("v.test", "new"); err == nil || !strings.Contains(err.Error(), "v.test.@new") {
		t.Errorf("unknown variant: %v", err)
	}
	// Each server answers from its own variant.
	n := NewNetwork(w)
	for addr, want := range map[string]string{"127.0.9.2": "127.10.0.3", "127.0.9.3": "127.10.0.1", "127.0.9.4": "127.10.0.2"} {
		r, _, err := n.Exchange(context.Background(), "udp", ap(addr), query("www.v.test", dns.TypeA))
		if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != want || !r.Authoritative {
			t.Errorf("%s: %v %v, want %s", addr, r, err, want)
		}
	}
	if d := w.Domains()[0]; !slices.Equal(d.Findings, []string{"SOA_SERIAL_MISMATCH"}) || d.Description != "serials differ" {
		t.Errorf("domain %+v", d)
	}
}

func TestDomainOptions(t *testing.T) {
	for _, tc := range []struct {
		line, expect, findings, desc string
	}{
		{"domain x.test A a thing", ExpectNoError, "", "a thing"},
		{"domain x.test A expect=fail a thing", ExpectFail, "", "a thing"},
		{"domain x.test A findings=ns_mismatch,LAME  two  spaces", ExpectNoError, "LAME,NS_MISMATCH", "two  spaces"},
		{"domain x.test A findings=TIMEOUT expect=NXDOMAIN\tafter a tab", ExpectNXDomain, "TIMEOUT", "after a tab"},
		{"domain x.test A expect=NODATA findings=A1_B2 x", ExpectNoData, "A1_B2", "x"},
		{"domain x.test A not=an option, but a description", ExpectNoError, "", ""},
	} {
		fsys := fstest.MapFS{
			"world.conf": {Data: []byte("zone . root.zone\nserver r 127.0.9.1 .\n" + tc.line + "\n")},
			"root.zone":  {Data: []byte(testRootZone)},
		}
		w, err := Load(fsys)
		if tc.desc == "" {
			if err == nil || !strings.Contains(err.Error(), "world.conf:3:") {
				t.Errorf("%q: error %v, want one at line 3", tc.line, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		d := w.Domains()[0]
		if d.Expect != tc.expect || strings.Join(d.Findings, ",") != tc.findings || d.Description != tc.desc || d.Findings == nil {
			t.Errorf("%q: %s %#v %q; want %s [%s] %q", tc.line, d.Expect, d.Findings, d.Description, tc.expect, tc.findings, tc.desc)
		}
	}
}
