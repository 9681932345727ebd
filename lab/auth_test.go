package lab

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// authCase is one query to one server and the reply it must get.
type authCase struct {
	name   string
	server string // server name
	qname  string
	qtype  uint16
	rcode  int
	aa     bool
	answer []string // "owner TYPE rdata", sorted by rrs
	ns     []string
	extra  []string
	// nsTTL, if not 0, is the TTL the first authority record must have.
	nsTTL uint32
}

func runAuthCases(t *testing.T, w *World, tests []authCase) {
	t.Helper()
	n := NewNetwork(w)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := netip.AddrPortFrom(serverAddr(t, w, tt.server), 53)
			q := query(tt.qname, tt.qtype)
			q.SetEdns0(4096, false) // no truncation in these cases
			r, _, err := n.Exchange(context.Background(), "udp", addr, q)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if r.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if r.Authoritative != tt.aa {
				t.Errorf("AA=%v, want %v", r.Authoritative, tt.aa)
			}
			if !r.Response || r.Id != q.Id || r.RecursionAvailable || r.Truncated {
				t.Errorf("header: QR=%v id=%d (want %d) RA=%v TC=%v", r.Response, r.Id, q.Id, r.RecursionAvailable, r.Truncated)
			}
			if len(r.Question) != 1 || r.Question[0] != q.Question[0] {
				t.Errorf("question %v, want %v", r.Question, q.Question)
			}
			check := func(section string, got []dns.RR, want []string) {
				w := slices.Clone(want)
				slices.Sort(w)
				if g := rrs(got); !slices.Equal(g, w) {
					t.Errorf("%s:\n got %q\nwant %q", section, g, w)
				}
			}
			check("answer", r.Answer, tt.answer)
			check("authority", r.Ns, tt.ns)
			check("additional", r.Extra, tt.extra)
			if tt.nsTTL != 0 && (len(r.Ns) == 0 || r.Ns[0].Header().Ttl != tt.nsTTL) {
				t.Errorf("authority TTL: %v, want %d", r.Ns, tt.nsTTL)
			}
		})
	}
}

const (
	mydomainSOA = "mydomain.com. SOA ns1.hostingprovider.com. hostmaster.mydomain.com. 2025112501 7200 1800 1209600 300"
	comSOA      = "com. SOA a.gtld-servers.net. hostmaster.gtld-servers.net. 2025112501 1800 900 604800 300"
	labSOA      = "lab.test. SOA ns.lab.test. hostmaster.lab.test. 1 7200 1800 1209600 120"
)

var gtldNS = []string{"com. NS a.gtld-servers.net.", "com. NS b.gtld-servers.net.", "com. NS c.gtld-servers.net."}
var gtldGlue = []string{"a.gtld-servers.net. A 127.0.2.1", "b.gtld-servers.net. A 127.0.2.2", "c.gtld-servers.net. A 127.0.2.3"}

func TestAuthoritativeDefault(t *testing.T) {
	runAuthCases(t, mustDefault(t), []authCase{
		{name: "root refers com with glue", server: "a.root-servers.net", qname: "www.mydomain.com", qtype: dns.TypeA,
			ns: gtldNS, extra: gtldGlue},
		{name: "root apex NS is authoritative", server: "b.root-servers.net", qname: ".", qtype: dns.TypeNS, aa: true,
			answer: []string{". NS a.root-servers.net.", ". NS b.root-servers.net."}},
		{name: "root answers for root-servers.net from that zone", server: "a.root-servers.net", qname: "b.root-servers.net", qtype: dns.TypeA, aa: true,
			answer: []string{"b.root-servers.net. A 127.0.1.2"}},
		{name: "root NXDOMAIN for an unknown TLD", server: "a.root-servers.net", qname: "www.example.invalid", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns:    []string{". SOA a.root-servers.net. hostmaster.root-servers.net. 2025112501 1800 900 604800 900"},
			nsTTL: 900},
		{name: "com refers mydomain.com with in-zone glue of another delegation", server: "a.gtld-servers.net", qname: "www.mydomain.com", qtype: dns.TypeA,
			ns:    []string{"mydomain.com. NS ns1.hostingprovider.com.", "mydomain.com. NS ns2.hostingprovider.com."},
			extra: []string{"ns1.hostingprovider.com. A 127.0.3.1", "ns2.hostingprovider.com. A 127.0.3.2"}},
		{name: "com refers glue name to its own zone", server: "b.gtld-servers.net", qname: "ns1.hostingprovider.com", qtype: dns.TypeA,
			ns:    []string{"hostingprovider.com. NS ns1.hostingprovider.com.", "hostingprovider.com. NS ns2.hostingprovider.com."},
			extra: []string{"ns1.hostingprovider.com. A 127.0.3.1", "ns2.hostingprovider.com. A 127.0.3.2"}},
		{name: "org refers glueless.org without out-of-zone glue", server: "a0.nic.org", qname: "glueless.org", qtype: dns.TypeA,
			ns: []string{"glueless.org. NS ns1.dnshost.net.", "glueless.org. NS ns2.dnshost.net."}},
		{name: "com refers allfail.com with no glue", server: "c.gtld-servers.net", qname: "allfail.com", qtype: dns.TypeA,
			ns: []string{"allfail.com. NS ns.deadhost.net.", "allfail.com. NS ns.oldhost.net."}},
		{name: "DS at a cut is answered by the parent: NODATA", server: "a.gtld-servers.net", qname: "mydomain.com", qtype: dns.TypeDS, aa: true,
			ns: []string{comSOA}, nsTTL: 300},
		{name: "DS below a cut is still a referral", server: "a.gtld-servers.net", qname: "www.mydomain.com", qtype: dns.TypeDS,
			ns:    []string{"mydomain.com. NS ns1.hostingprovider.com.", "mydomain.com. NS ns2.hostingprovider.com."},
			extra: []string{"ns1.hostingprovider.com. A 127.0.3.1", "ns2.hostingprovider.com. A 127.0.3.2"}},
		{name: "deep.com refers eng.deep.com with glue", server: "ns1.deep.com", qname: "host.lab.eng.deep.com", qtype: dns.TypeA,
			ns:    []string{"eng.deep.com. NS ns.eng.deep.com.", "eng.deep.com. NS ns2.eng.deep.com."},
			extra: []string{"ns.eng.deep.com. A 127.0.3.23", "ns2.eng.deep.com. A 127.0.3.25"}},
		{name: "eng.deep.com refers lab.eng.deep.com with glue", server: "ns.eng.deep.com", qname: "host.lab.eng.deep.com", qtype: dns.TypeA,
			ns:    []string{"lab.eng.deep.com. NS ns.lab.eng.deep.com.", "lab.eng.deep.com. NS ns2.lab.eng.deep.com."},
			extra: []string{"ns.lab.eng.deep.com. A 127.0.3.24", "ns2.lab.eng.deep.com. A 127.0.3.26"}},
		{name: "lab.eng.deep.com answers", server: "ns.lab.eng.deep.com", qname: "host.lab.eng.deep.com", qtype: dns.TypeA, aa: true,
			answer: []string{"host.lab.eng.deep.com. A 127.10.7.7"}},
		{name: "answer with AA", server: "ns1.hostingprovider.com", qname: "www.mydomain.com", qtype: dns.TypeA, aa: true,
			answer: []string{"www.mydomain.com. A 127.10.1.80"}},
		{name: "qname case does not matter", server: "ns2.hostingprovider.com", qname: "WWW.MyDomain.COM", qtype: dns.TypeA, aa: true,
			answer: []string{"www.mydomain.com. A 127.10.1.80"}},
		{name: "apex MX", server: "ns1.hostingprovider.com", qname: "mydomain.com", qtype: dns.TypeMX, aa: true,
			answer: []string{"mydomain.com. MX 10 mail.mydomain.com."}},
		{name: "apex TXT (SPF)", server: "ns1.hostingprovider.com", qname: "mydomain.com", qtype: dns.TypeTXT, aa: true,
			answer: []string{`mydomain.com. TXT "v=spf1 mx -all"`}},
		{name: "apex NS from the zone itself", server: "ns2.hostingprovider.com", qname: "mydomain.com", qtype: dns.TypeNS, aa: true,
			answer: []string{"mydomain.com. NS ns1.hostingprovider.com.", "mydomain.com. NS ns2.hostingprovider.com."}},
		{name: "ANY returns every RRset", server: "ns1.hostingprovider.com", qname: "mydomain.com", qtype: dns.TypeANY, aa: true,
			answer: []string{"mydomain.com. A 127.10.1.1", "mydomain.com. MX 10 mail.mydomain.com.",
				"mydomain.com. NS ns1.hostingprovider.com.", "mydomain.com. NS ns2.hostingprovider.com.",
				mydomainSOA, `mydomain.com. TXT "v=spf1 mx -all"`}},
		{name: "NODATA with SOA and negative TTL", server: "ns1.hostingprovider.com", qname: "nodata.mydomain.com", qtype: dns.TypeA, aa: true,
			ns: []string{mydomainSOA}, nsTTL: 300},
		{name: "NXDOMAIN with SOA", server: "ns1.hostingprovider.com", qname: "doesnotexist.mydomain.com", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns: []string{mydomainSOA}, nsTTL: 300},
		{name: "CNAME leaving the zone stops there", server: "ns1.shop.com", qname: "www.shop.com", qtype: dns.TypeA, aa: true,
			answer: []string{"www.shop.com. CNAME shop.cdnhost.net."}},
		{name: "CNAME followed inside the zone", server: "ns2.cdnhost.net", qname: "shop.cdnhost.net", qtype: dns.TypeA, aa: true,
			answer: []string{"shop.cdnhost.net. CNAME edge.cdnhost.net.", "edge.cdnhost.net. A 127.10.9.9"}},
		{name: "CNAME query gets the CNAME only", server: "ns1.cdnhost.net", qname: "shop.cdnhost.net", qtype: dns.TypeCNAME, aa: true,
			answer: []string{"shop.cdnhost.net. CNAME edge.cdnhost.net."}},
		{name: "lame server refuses a zone it does not host", server: "ns.oldhost.net", qname: "lame.com", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "lame server still serves its own zone", server: "ns.oldhost.net", qname: "www.oldhost.net", qtype: dns.TypeA, aa: true,
			answer: []string{"www.oldhost.net. A 127.10.10.80"}},
		{name: "working NS of lame.com", server: "ns1.hostingprovider.com", qname: "lame.com", qtype: dns.TypeA, aa: true,
			answer: []string{"lame.com. A 127.10.12.1"}},
		// DS at the apex of a zone whose parent the server also hosts: the
		// parent side answers (RFC 4035 3.1.4.1), as NSD does.
		{name: "DS of a hosted child from the hosted parent: NODATA", server: "a0.nic.org", qname: "nic.org", qtype: dns.TypeDS, aa: true,
			ns: []string{"org. SOA a0.nic.org. hostmaster.nic.org. 2025112501 1800 900 604800 600"}, nsTTL: 600},
		{name: "DS of a hosted child below a parent cut: referral", server: "a.root-servers.net", qname: "root-servers.net", qtype: dns.TypeDS,
			ns:    []string{"net. NS a.gtld-servers.net.", "net. NS b.gtld-servers.net.", "net. NS c.gtld-servers.net."},
			extra: gtldGlue},
		{name: "DS of the root itself: NODATA from the root", server: "a.root-servers.net", qname: ".", qtype: dns.TypeDS, aa: true,
			ns: []string{". SOA a.root-servers.net. hostmaster.root-servers.net. 2025112501 1800 900 604800 900"}},
		// The new showcase zones.
		{name: "com refers missingglue.com with glue for ns1 only", server: "a.gtld-servers.net", qname: "missingglue.com", qtype: dns.TypeA,
			ns:    []string{"missingglue.com. NS ns1.missingglue.com.", "missingglue.com. NS ns2.missingglue.com."},
			extra: []string{"ns1.missingglue.com. A 127.0.3.81"}},
		{name: "com has the old glue of ns2.gluemismatch.com", server: "a.gtld-servers.net", qname: "gluemismatch.com", qtype: dns.TypeA,
			ns:    []string{"gluemismatch.com. NS ns1.gluemismatch.com.", "gluemismatch.com. NS ns2.gluemismatch.com."},
			extra: []string{"ns1.gluemismatch.com. A 127.0.3.91", "ns2.gluemismatch.com. A 127.0.3.92"}},
		{name: "the zone has the new address of ns2.gluemismatch.com", server: "ns2-old.gluemismatch.com", qname: "ns2.gluemismatch.com", qtype: dns.TypeA, aa: true,
			answer: []string{"ns2.gluemismatch.com. A 127.0.3.93"}},
		{name: "nsmismatch.com apex NS differs from the delegation", server: "ns3.hostingprovider.com", qname: "nsmismatch.com", qtype: dns.TypeNS, aa: true,
			answer: []string{"nsmismatch.com. NS ns1.hostingprovider.com.", "nsmismatch.com. NS ns3.hostingprovider.com."}},
		{name: "dns.aliasing.net is a CNAME", server: "ns1.hostingprovider.com", qname: "dns.aliasing.net", qtype: dns.TypeA, aa: true,
			answer: []string{"dns.aliasing.net. CNAME ns2.hostingprovider.com."}},
		{name: "an address as an NS name", server: "ns1.hostingprovider.com", qname: "nsaddress.com", qtype: dns.TypeNS, aa: true,
			answer: []string{"nsaddress.com. NS 127.0.3.2.", "nsaddress.com. NS ns1.hostingprovider.com."}},
		{name: "the root has no TLD 2.", server: "a.root-servers.net", qname: "127.0.3.2", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError,
			ns: []string{". SOA a.root-servers.net. hostmaster.root-servers.net. 2025112501 1800 900 604800 900"}},
		{name: "ghost.hostingprovider.com does not exist", server: "ns2.hostingprovider.com", qname: "ghost.hostingprovider.com", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError,
			ns: []string{"hostingprovider.com. SOA ns1.hostingprovider.com. hostmaster.hostingprovider.com. 2025112501 7200 1800 1209600 300"}},
		{name: "com refers cycle-a.com without glue", server: "b.gtld-servers.net", qname: "www.cycle-a.com", qtype: dns.TypeA,
			ns: []string{"cycle-a.com. NS ns1.cycle-b.net.", "cycle-a.com. NS ns2.cycle-b.net."}},
		{name: "net refers cycle-b.net without glue", server: "b.gtld-servers.net", qname: "ns1.cycle-b.net", qtype: dns.TypeA,
			ns: []string{"cycle-b.net. NS ns1.cycle-a.com.", "cycle-b.net. NS ns2.cycle-a.com."}},
		{name: "the current stale.com", server: "ns1.stale.com", qname: "stale.com", qtype: dns.TypeSOA, aa: true,
			answer: []string{"stale.com. SOA ns1.stale.com. hostmaster.stale.com. 2025112502 7200 1800 1209600 300"}},
		{name: "the old stale.com", server: "ns2.stale.com", qname: "stale.com", qtype: dns.TypeSOA, aa: true,
			answer: []string{"stale.com. SOA ns1.stale.com. hostmaster.stale.com. 2025112401 7200 1800 1209600 300"}},
		{name: "ttlmismatch.com: the delegation says 3600", server: "c.gtld-servers.net", qname: "ttlmismatch.com", qtype: dns.TypeSOA,
			ns:    []string{"ttlmismatch.com. NS ns1.hostingprovider.com.", "ttlmismatch.com. NS ns2.hostingprovider.com."},
			extra: []string{"ns1.hostingprovider.com. A 127.0.3.1", "ns2.hostingprovider.com. A 127.0.3.2"}, nsTTL: 3600},
		{name: "loop.com servers refer up to the root", server: "ns1.loop.com", qname: "loop.com", qtype: dns.TypeA,
			ns:    []string{". NS a.root-servers.net.", ". NS b.root-servers.net."},
			extra: []string{"a.root-servers.net. A 127.0.1.1", "b.root-servers.net. A 127.0.1.2"}, nsTTL: 518400},
		{name: "CNAME loop", server: "ns2.hostingprovider.com", qname: "www.cnameloop.com", qtype: dns.TypeA, aa: true,
			answer: []string{"www.cnameloop.com. CNAME www2.cnameloop.com.", "www2.cnameloop.com. CNAME www.cnameloop.com."}},
		{name: "the long chain stops after 8 hops", server: "ns1.hostingprovider.com", qname: "c12.longchain.com", qtype: dns.TypeA, aa: true,
			answer: []string{"c12.longchain.com. CNAME c13.longchain.com.", "c13.longchain.com. CNAME c14.longchain.com.",
				"c14.longchain.com. CNAME c15.longchain.com.", "c15.longchain.com. CNAME c16.longchain.com.",
				"c16.longchain.com. CNAME c17.longchain.com.", "c17.longchain.com. CNAME c18.longchain.com.",
				"c18.longchain.com. CNAME c19.longchain.com.", "c19.longchain.com. CNAME c20.longchain.com."}},
		{name: "the end of the long chain", server: "ns1.hostingprovider.com", qname: "c19.longchain.com", qtype: dns.TypeA, aa: true,
			answer: []string{"c19.longchain.com. CNAME c20.longchain.com.", "c20.longchain.com. A 127.10.31.20"}},
		{name: "poison in an answer", server: "ns2.poison.com", qname: "www.poison.com", qtype: dns.TypeA, aa: true,
			answer: []string{"www.poison.com. A 127.10.34.80"},
			ns:     []string{"com. NS ns.evil.poison.com."},
			extra:  []string{"www.mydomain.com. A 127.66.6.6"}},
		{name: "deadhost.net is served by hostingprovider.com", server: "ns2.hostingprovider.com", qname: "ns.deadhost.net", qtype: dns.TypeA, aa: true,
			answer: []string{"ns.deadhost.net. A 127.0.3.61"}},
		{name: "messy.com: ns.oldhost.net is lame", server: "ns2.oldhost.net", qname: "messy.com", qtype: dns.TypeSOA, rcode: dns.RcodeRefused},
	})
}

func TestAuthoritativeTestWorld(t *testing.T) {
	runAuthCases(t, testWorld(t), []authCase{
		{name: "root referral keeps only glue it has", server: "root.lab.test", qname: "www.lab.test", qtype: dns.TypeA,
			ns:    []string{"lab.test. NS elsewhere.example.", "lab.test. NS ns.lab.test."},
			extra: []string{"ns.lab.test. A 127.0.9.2"}},
		{name: "empty non-terminal is NODATA", server: "ns.lab.test", qname: "b.c.lab.test", qtype: dns.TypeA, aa: true,
			ns: []string{labSOA}, nsTTL: 120},
		{name: "upper empty non-terminal is NODATA", server: "ns.lab.test", qname: "c.lab.test", qtype: dns.TypeTXT, aa: true,
			ns: []string{labSOA}},
		{name: "below the empty non-terminal's child is NXDOMAIN", server: "ns.lab.test", qname: "x.a.b.c.lab.test", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns: []string{labSOA}},
		{name: "two-hop CNAME chain inside the zone", server: "ns.lab.test", qname: "alias2.lab.test", qtype: dns.TypeA, aa: true,
			answer: []string{"alias2.lab.test. CNAME alias.lab.test.", "alias.lab.test. CNAME www.lab.test.",
				"www.lab.test. A 127.10.0.80", "www.lab.test. A 127.10.0.81"}},
		{name: "CNAME to a missing name in the zone is NXDOMAIN", server: "ns.lab.test", qname: "dangling.lab.test", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			answer: []string{"dangling.lab.test. CNAME nowhere.lab.test."}, ns: []string{labSOA}},
		{name: "CNAME loop stops", server: "ns.lab.test", qname: "loop1.lab.test", qtype: dns.TypeA, aa: true,
			answer: []string{"loop1.lab.test. CNAME loop2.lab.test.", "loop2.lab.test. CNAME loop1.lab.test."}},
		{name: "CNAME out of the zone", server: "ns.lab.test", qname: "out.lab.test", qtype: dns.TypeA, aa: true,
			answer: []string{"out.lab.test. CNAME www.example."}},
		{name: "CNAME into a delegated child stops", server: "ns.lab.test", qname: "tosub.lab.test", qtype: dns.TypeA, aa: true,
			answer: []string{"tosub.lab.test. CNAME host.sub.lab.test."}},
		{name: "referral glue below the cut, none out of zone", server: "ns.lab.test", qname: "x.sub.lab.test", qtype: dns.TypeA,
			ns:    []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."},
			extra: []string{"ns.sub.lab.test. A 127.0.9.20"}},
		{name: "NS query at the cut is a referral", server: "ns.lab.test", qname: "sub.lab.test", qtype: dns.TypeNS,
			ns:    []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."},
			extra: []string{"ns.sub.lab.test. A 127.0.9.20"}},
		{name: "name outside every hosted zone is refused", server: "ns.lab.test", qname: "www.mydomain.com", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		// Behaviours.
		{name: "behaviour refuse", server: "refuse.lab.test", qname: "www.lab.test", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "behaviour servfail", server: "servfail.lab.test", qname: "www.lab.test", qtype: dns.TypeA, rcode: dns.RcodeServerFailure},
		{name: "behaviour noaa", server: "noaa.lab.test", qname: "www.lab.test", qtype: dns.TypeA,
			answer: []string{"www.lab.test. A 127.10.0.80", "www.lab.test. A 127.10.0.81"}},
		{name: "behaviour noaa on NXDOMAIN", server: "noaa.lab.test", qname: "gone.lab.test", qtype: dns.TypeA, rcode: dns.RcodeNameError,
			ns: []string{labSOA}},
		{name: "behaviour delay answers normally", server: "delay.lab.test", qname: "www.lab.test", qtype: dns.TypeA, aa: true,
			answer: []string{"www.lab.test. A 127.10.0.80", "www.lab.test. A 127.10.0.81"}},
		{name: "behaviour upward", server: "upward.lab.test", qname: "www.lab.test", qtype: dns.TypeA,
			ns: []string{". NS root.lab.test."}, extra: []string{"root.lab.test. A 127.0.9.1"}, nsTTL: 86400},
		{name: "behaviour upward outside its zones", server: "upward.lab.test", qname: "www.mydomain.com", qtype: dns.TypeA,
			ns: []string{". NS root.lab.test."}, extra: []string{"root.lab.test. A 127.0.9.1"}},
		{name: "behaviour poison on NXDOMAIN", server: "poison.lab.test", qname: "gone.lab.test", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError,
			ns: []string{labSOA, "com. NS ns.evil.poison.com."}, extra: []string{"www.mydomain.com. A 127.66.6.6"}},
		{name: "behaviour poison on NODATA", server: "poison.lab.test", qname: "www.lab.test", qtype: dns.TypeMX, aa: true,
			ns: []string{labSOA, "com. NS ns.evil.poison.com."}, extra: []string{"www.mydomain.com. A 127.66.6.6"}},
		{name: "behaviour poison: a referral stays clean", server: "poison.lab.test", qname: "x.sub.lab.test", qtype: dns.TypeA,
			ns:    []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."},
			extra: []string{"ns.sub.lab.test. A 127.0.9.20"}},
		{name: "behaviour poison: REFUSED stays clean", server: "poison.lab.test", qname: "www.mydomain.com", qtype: dns.TypeA, rcode: dns.RcodeRefused},
	})
}

// TestAuthoritativeMalformed sends queries no resolver should send.
func TestAuthoritativeMalformed(t *testing.T) {
	w := testWorld(t)
	tests := []struct {
		name  string
		edit  func(m *dns.Msg)
		rcode int
	}{
		{"response bit set", func(m *dns.Msg) { m.Response = true }, dns.RcodeFormatError},
		{"no question", func(m *dns.Msg) { m.Question = nil }, dns.RcodeFormatError},
		{"two questions", func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) }, dns.RcodeFormatError},
		{"opcode NOTIFY", func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }, dns.RcodeNotImplemented},
		{"class CH", func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }, dns.RcodeRefused},
	}
	// Misbehaving servers answer malformed queries like any other: no
	// upward referral, no TC, no forged question, no poison.
	for _, addr := range []string{"127.0.9.2", "127.0.9.8", "127.0.9.10", "127.0.9.11", "127.0.9.12"} {
		s := w.byAddr[netip.MustParseAddr(addr)]
		for _, tt := range tests {
			t.Run(s.behaviour.String()+"/"+tt.name, func(t *testing.T) {
				q := query("www.lab.test", dns.TypeA)
				tt.edit(q)
				r, delay := s.respond(q, "udp")
				if r == nil || delay != 0 {
					t.Fatalf("respond = %v, %v", r, delay)
				}
				if r.Rcode != tt.rcode || r.Authoritative || r.Truncated || len(r.Answer)+len(r.Ns)+len(r.Extra) != 0 {
					t.Errorf("rcode %s AA=%v TC=%v records %v %v %v, want %s", dns.RcodeToString[r.Rcode], r.Authoritative, r.Truncated,
						r.Answer, r.Ns, r.Extra, dns.RcodeToString[tt.rcode])
				}
				if len(q.Question) == 1 && (len(r.Question) != 1 || r.Question[0] != q.Question[0]) {
					t.Errorf("question %v, want %v", r.Question, q.Question)
				}
			})
		}
	}
}

// TestAuthoritativeDoesNotAlias checks that replies never share records
// with the zone: editing one reply does not change the next.
func TestAuthoritativeDoesNotAlias(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	addr := ap("127.0.3.1")
	r1, _, err := n.Exchange(context.Background(), "udp", addr, query("www.mydomain.com", dns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	r1.Answer[0].(*dns.A).A[3] = 99
	r1.Answer[0].Header().Name = "evil."
	r2, _, err := n.Exchange(context.Background(), "udp", addr, query("www.mydomain.com", dns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rrs(r2.Answer), ";"); got != "www.mydomain.com. A 127.10.1.80" {
		t.Errorf("second answer %q: the first reply aliased zone data", got)
	}
}
