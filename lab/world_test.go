package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

func TestDefaultLoads(t *testing.T) {
	w1, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	w2, _ := Default()
	if w1 != w2 {
		t.Error("Default is not cached: two calls returned different worlds")
	}
	if got := len(w1.Servers()); got != 74 {
		t.Errorf("default world has %d servers, want 74", got)
	}
}

func TestDefaultRootHints(t *testing.T) {
	w := mustDefault(t)
	want := []Hint{
		{"a.root-servers.net.", netip.MustParseAddr("127.0.1.1")},
		{"b.root-servers.net.", netip.MustParseAddr("127.0.1.2")},
	}
	if got := w.RootHints(); !slices.Equal(got, want) {
		t.Errorf("RootHints = %v, want %v", got, want)
	}
}

func TestHintsFile(t *testing.T) {
	w := mustDefault(t)
	text := w.HintsFile()
	if !strings.Contains(text, "nstrace lab") {
		t.Errorf("HintsFile has no header naming the nstrace lab:\n%s", text)
	}
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "hints")
	var ns []string
	addrs := map[string]string{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if rr.Header().Ttl != 3600000 {
			t.Errorf("TTL %d, want 3600000: %v", rr.Header().Ttl, rr)
		}
		switch v := rr.(type) {
		case *dns.NS:
			ns = append(ns, v.Ns)
		case *dns.A:
			addrs[v.Hdr.Name] = v.A.String()
		default:
			t.Errorf("unexpected record %v", rr)
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("HintsFile does not parse: %v", err)
	}
	hints := w.RootHints()
	if len(ns) != len(hints) {
		t.Fatalf("HintsFile has %d NS, want %d", len(ns), len(hints))
	}
	for i, h := range hints {
		if ns[i] != h.Name || addrs[h.Name] != h.Addr.String() {
			t.Errorf("hint %d: NS %s A %s, want %s %s", i, ns[i], addrs[h.Name], h.Name, h.Addr)
		}
	}
}

func TestDefaultAddresses(t *testing.T) {
	w := mustDefault(t)
	seen := map[netip.Addr]string{}
	for _, s := range w.Servers() {
		if !s.Addr.Is4() || !loopback.Contains(s.Addr) {
			t.Errorf("%s: address %s is not IPv4 in 127.0.0.0/8", s.Name, s.Addr)
		}
		if prev, dup := seen[s.Addr]; dup {
			t.Errorf("%s and %s share %s", prev, s.Name, s.Addr)
		}
		seen[s.Addr] = s.Name
		b := s.Addr.As4()
		var want string
		switch {
		case slices.Contains(s.Zones, "."):
			want = "127.0.1.x"
			if b[2] != 1 {
				t.Errorf("root server %s at %s, want %s", s.Name, s.Addr, want)
			}
		case slices.Contains(s.Zones, "com.") || slices.Contains(s.Zones, "org."):
			want = "127.0.2.x"
			if b[2] != 2 {
				t.Errorf("TLD server %s at %s, want %s", s.Name, s.Addr, want)
			}
		default:
			if b[1] != 0 || b[2] < 3 {
				t.Errorf("server %s at %s, want 127.0.3.x or above", s.Name, s.Addr)
			}
		}
		if s.RTT < 2*time.Millisecond || s.RTT > 40*time.Millisecond {
			t.Errorf("%s: RTT %v outside [2ms, 40ms]", s.Name, s.RTT)
		}
	}
	// Every A record of every zone points into loopback too.
	for _, zn := range w.ZoneNames() {
		recs, err := w.ZoneRecords(zn)
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range recs {
			if a, ok := rr.(*dns.A); ok {
				addr, _ := netip.AddrFromSlice(a.A.To4())
				if !loopback.Contains(addr) {
					t.Errorf("zone %s: %v is not in 127.0.0.0/8", zn, rr)
				}
			}
		}
	}
}

// knownFindings are the finding codes of nstrace's diagnosis that the
// default world's domains may name.
var knownFindings = []string{
	"ALL_SERVERS_FAILED", "BAD_RESPONSE", "CNAME_CHAIN_TOO_LONG", "CNAME_LOOP", "CYCLIC_DEPENDENCY",
	"GLUE_MISMATCH", "LAME", "MISSING_GLUE", "NS_ADDRESS", "NS_CNAME", "NS_MISMATCH", "NS_NO_ADDRESS",
	"OUT_OF_BAILIWICK", "REFERRAL_LOOP", "SINGLE_NS", "SOA_SERIAL_MISMATCH", "TCP_FAILED", "TIMEOUT",
	"TTL_MISMATCH", "UNREACHABLE",
	// DNSSEC validation (domains with the dnssec option).
	"DNSKEY_MISSING", "DNSSEC_UNSUPPORTED_ALGORITHM", "DS_MISMATCH", "NSEC_PROOF_INVALID",
	"RRSIG_EXPIRED", "RRSIG_INVALID", "RRSIG_MISSING", "RRSIG_NOT_YET_VALID",
}

// recordLevelFindings are findings of domains whose zone is healthy: the
// trouble is in the records, not in the delegation. So are the findings
// of DNSSEC validation: the delegations of the DNSSEC zones are healthy.
var recordLevelFindings = []string{"CNAME_LOOP", "CNAME_CHAIN_TOO_LONG",
	"DNSKEY_MISSING", "DNSSEC_UNSUPPORTED_ALGORITHM", "DS_MISMATCH", "NSEC_PROOF_INVALID",
	"RRSIG_EXPIRED", "RRSIG_INVALID", "RRSIG_MISSING", "RRSIG_NOT_YET_VALID"}

// troubleElsewhere lists the domains whose findings do not tell whether
// their own zone is broken, and why.
var troubleElsewhere = map[string]string{
	"www.cnamelame.com.":  "cnamelame.com is healthy; the zone of its CNAME target, lameonly.net, is lame",
	"www.endless.com.":    "the CNAME chain is made up by the servers (endless-cname), so their zone counts as broken",
	"a.b.qminbroken.com.": "its servers break only QNAME minimisation (ent-nxdomain): nstrace check, which does not minimise, finds nothing",
}

func TestDefaultDomains(t *testing.T) {
	w := mustDefault(t)
	want := []struct{ name, expect, findings string }{
		{"mydomain.com.", ExpectNoError, ""},
		{"www.mydomain.com.", ExpectNoError, ""},
		{"hostingprovider.com.", ExpectNoError, ""},
		{"glueless.org.", ExpectNoError, ""},
		{"host.lab.eng.deep.com.", ExpectNoError, ""},
		{"www.shop.com.", ExpectNoError, ""},
		{"doesnotexist.mydomain.com.", ExpectNXDomain, ""},
		{"nodata.mydomain.com.", ExpectNoData, ""},
		{"lame.com.", ExpectNoError, "LAME"},
		{"halfdead.com.", ExpectNoError, "TIMEOUT"},
		{"allfail.com.", ExpectFail, "ALL_SERVERS_FAILED,LAME,TIMEOUT"},
		{"example.test.", ExpectNoError, ""},
		{"unreachable.com.", ExpectNoError, "UNREACHABLE"},
		{"missingglue.com.", ExpectNoError, "MISSING_GLUE"},
		{"gluemismatch.com.", ExpectNoError, "GLUE_MISMATCH"},
		{"nsmismatch.com.", ExpectNoError, "NS_MISMATCH"},
		{"nscname.com.", ExpectNoError, "NS_CNAME"},
		{"nsaddress.com.", ExpectNoError, "NS_ADDRESS"},
		{"nsnoaddress.com.", ExpectNoError, "NS_NO_ADDRESS"},
		{"cycle-a.com.", ExpectFail, "CYCLIC_DEPENDENCY"},
		{"singlens.com.", ExpectNoError, "SINGLE_NS"},
		{"stale.com.", ExpectNoError, "SOA_SERIAL_MISMATCH"},
		{"ttlmismatch.com.", ExpectNoError, "TTL_MISMATCH"},
		{"loop.com.", ExpectFail, "REFERRAL_LOOP"},
		{"www.cnameloop.com.", ExpectFail, "CNAME_LOOP"},
		{"c0.longchain.com.", ExpectFail, "CNAME_CHAIN_TOO_LONG"},
		{"tcfail.com.", ExpectNoError, "TCP_FAILED"},
		{"badid.com.", ExpectNoError, "BAD_RESPONSE"},
		{"poison.com.", ExpectNoError, "OUT_OF_BAILIWICK"},
		{"messy.com.", ExpectNoError, "LAME,NS_MISMATCH"},
		{"garbage.com.", ExpectNoError, "BAD_RESPONSE"},
		{"cutoff.com.", ExpectNoError, "BAD_RESPONSE"},
		{"badquestion.com.", ExpectNoError, "BAD_RESPONSE"},
		{"slow.com.", ExpectNoError, "TIMEOUT"},
		{"veryslow.com.", ExpectFail, "ALL_SERVERS_FAILED,TIMEOUT"},
		{"selfref.com.", ExpectFail, "REFERRAL_LOOP"},
		{"pingpong-a.com.", ExpectFail, "ALL_SERVERS_FAILED,LAME"},
		{"nxns.com.", ExpectFail, "ALL_SERVERS_FAILED,NS_NO_ADDRESS"},
		{"manyns.com.", ExpectNoError, "UNREACHABLE"},
		{"www.endless.com.", ExpectFail, "CNAME_CHAIN_TOO_LONG"},
		{"www.cnamelame.com.", ExpectFail, "ALL_SERVERS_FAILED,LAME"},
		{"tcdrop.com.", ExpectNoError, "TCP_FAILED"},
		{"tcpartial.com.", ExpectNoError, "TCP_FAILED"},
		{"a.b.qminbroken.com.", ExpectNoError, ""},
		{"www.secure.com.", ExpectNoError, ""},
		{"nope.secure.com.", ExpectNXDomain, ""},
		{"www.secure3.net.", ExpectNoError, ""},
		{"nope.secure3.net.", ExpectNXDomain, ""},
		{"www.unsigned.secure.com.", ExpectNoError, ""},
		{"www.dsmismatch.com.", ExpectNoError, "DS_MISMATCH"},
		{"www.nokey.com.", ExpectNoError, "DNSKEY_MISSING"},
		{"www.expired.com.", ExpectNoError, "RRSIG_EXPIRED"},
		{"www.notyet.com.", ExpectNoError, "RRSIG_NOT_YET_VALID"},
		{"www.badsig.com.", ExpectNoError, "RRSIG_INVALID"},
		{"www.nosig.com.", ExpectNoError, "RRSIG_MISSING"},
		{"nope.badnsec3.com.", ExpectNXDomain, "NSEC_PROOF_INVALID"},
		{"www.ed448.com.", ExpectNoError, "DNSSEC_UNSUPPORTED_ALGORITHM"},
		{"www.expiresoon.com.", ExpectNoError, ""},
		{"www.stalesig.com.", ExpectNoError, "RRSIG_EXPIRED"},
	}
	got := w.Domains()
	if len(got) != len(want) {
		t.Fatalf("Domains has %d entries, want %d", len(got), len(want))
	}
	zones := w.ZoneNames()
	for i, d := range got {
		if wantDNSSEC := i >= len(want)-15; d.DNSSEC != wantDNSSEC {
			t.Errorf("%s: DNSSEC %v, want %v", d.Name, d.DNSSEC, wantDNSSEC)
		}
		if d.Name != want[i].name || d.Type != "A" || d.Expect != want[i].expect || strings.Join(d.Findings, ",") != want[i].findings {
			t.Errorf("Domains[%d] = %s %s %s %v, want %s A %s [%s]", i, d.Name, d.Type, d.Expect, d.Findings, want[i].name, want[i].expect, want[i].findings)
		}
		if d.Findings == nil || !slices.IsSorted(d.Findings) {
			t.Errorf("%s: Findings %#v, want a sorted, non-nil slice", d.Name, d.Findings)
		}
		for _, f := range d.Findings {
			if !slices.Contains(knownFindings, f) {
				t.Errorf("%s: unknown finding code %s", d.Name, f)
			}
		}
		if d.Description == "" || strings.Contains(d.Description, "\n") || strings.Contains(d.Description, "findings=") {
			t.Errorf("Domains[%d]: description %q is not one line of text", i, d.Description)
		}
		// The zone holding the name exists and is below the TLDs.
		var best string
		for _, z := range zones {
			if dns.IsSubDomain(z, d.Name) && dns.CountLabel(z) > dns.CountLabel(best) {
				best = z
			}
		}
		if dns.CountLabel(best) < 2 {
			t.Errorf("%s: enclosing zone is %q, want a zone below a TLD", d.Name, best)
		}
		// A domain with findings about its delegation is in a deliberately
		// broken zone; any other is in a healthy one (but for the few
		// whose trouble is elsewhere).
		delegationTrouble := len(d.Findings) > 0 && !slices.Contains(recordLevelFindings, strings.Join(d.Findings, ","))
		if _, broken := deliberatelyBroken[best]; broken != delegationTrouble && troubleElsewhere[d.Name] == "" {
			t.Errorf("%s: findings %v, but its zone %s is deliberately broken: %v", d.Name, d.Findings, best, broken)
		}
	}
	// Domains returns copies: editing them does not change the world.
	got[8].Findings[0] = "EDITED"
	if w.Domains()[8].Findings[0] != "LAME" {
		t.Error("Domains shares its Findings slices with the world")
	}
}

// TestDefaultDomainsResolve resolves every showcase domain iteratively
// over the in-memory network and checks the promised outcome.
func TestDefaultDomainsResolve(t *testing.T) {
	w := mustDefault(t)
	for _, d := range w.Domains() {
		t.Run(d.Name, func(t *testing.T) {
			wk := &walker{n: NewNetwork(w)}
			o, err := wk.resolve(context.Background(), d.Name, dns.StringToType[d.Type], 0)
			if d.Expect == ExpectFail {
				if err == nil {
					t.Fatalf("resolved to %s %v, want a failure", o.expect, o.answers)
				}
				// It fails for the reason its findings give: the error
				// says one of the reasons listed for each finding.
				why := map[string][]string{"CNAME_LOOP": {"CNAME loop"}, "CNAME_CHAIN_TOO_LONG": {"CNAME chain longer"},
					"REFERRAL_LOOP": {"does not lead down"}, "CYCLIC_DEPENDENCY": {"no address for"},
					"NS_NO_ADDRESS": {"no address for"}, "ALL_SERVERS_FAILED": {"no server answered", "no address for", "does not lead down"}}
				for _, f := range d.Findings {
					if ws, ok := why[f]; ok && !slices.ContainsFunc(ws, func(w string) bool { return strings.Contains(err.Error(), w) }) {
						t.Errorf("failed with %q, want one of %q (%s)", err, ws, f)
					}
				}
				t.Logf("fails as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if o.expect != d.Expect {
				t.Fatalf("outcome %s, want %s (answers %v)", o.expect, d.Expect, o.answers)
			}
		})
	}
}

func TestParseBehaviour(t *testing.T) {
	tests := []struct {
		in      string
		want    Behaviour
		str     string
		wantErr string
	}{
		{in: "ok", want: Behaviour{}, str: "ok"},
		{in: "refuse", want: Behaviour{Kind: BehaviourRefuse}, str: "refuse"},
		{in: "SERVFAIL", want: Behaviour{Kind: BehaviourServFail}, str: "servfail"},
		{in: "drop", want: Behaviour{Kind: BehaviourDrop}, str: "drop"},
		{in: "noaa", want: Behaviour{Kind: BehaviourNoAA}, str: "noaa"},
		{in: "delay=250", want: Behaviour{Kind: BehaviourDelay, Delay: 250 * time.Millisecond}, str: "delay=250ms"},
		{in: "delay=1.5s", want: Behaviour{Kind: BehaviourDelay, Delay: 1500 * time.Millisecond}, str: "delay=1.5s"},
		{in: "upward", want: Behaviour{Kind: BehaviourUpward}, str: "upward"},
		{in: "wrong-id", want: Behaviour{Kind: BehaviourWrongID}, str: "wrong-id"},
		{in: "Wrong-Question", want: Behaviour{Kind: BehaviourWrongQuestion}, str: "wrong-question"},
		{in: "tc-notcp", want: Behaviour{Kind: BehaviourTCNoTCP}, str: "tc-notcp"},
		{in: " poison ", want: Behaviour{Kind: BehaviourPoison}, str: "poison"},
		{in: "garbage", want: Behaviour{Kind: BehaviourGarbage}, str: "garbage"},
		{in: "CutOff", want: Behaviour{Kind: BehaviourCutoff}, str: "cutoff"},
		{in: "selfref", want: Behaviour{Kind: BehaviourSelfRef}, str: "selfref"},
		{in: "refer=Pingpong-B.com", want: Behaviour{Kind: BehaviourRefer, Zone: "pingpong-b.com."}, str: "refer=pingpong-b.com"},
		{in: "refer=lab.test.", want: Behaviour{Kind: BehaviourRefer, Zone: "lab.test."}, str: "refer=lab.test"},
		{in: "refer=.", want: Behaviour{Kind: BehaviourRefer, Zone: "."}, str: "refer=."},
		{in: "endless-cname", want: Behaviour{Kind: BehaviourEndlessCNAME}, str: "endless-cname"},
		{in: "tc-droptcp", want: Behaviour{Kind: BehaviourTCDropTCP}, str: "tc-droptcp"},
		{in: "TCP-Partial", want: Behaviour{Kind: BehaviourTCPPartial}, str: "tcp-partial"},
		{in: "refer", wantErr: "needs a parameter: refer=ZONE"},
		{in: "refer=", wantErr: "needs a parameter: refer=ZONE"},
		{in: "refer=a..b", wantErr: "bad domain name"},
		{in: "garbage=37", wantErr: "takes no parameter"},
		{in: "selfref=x", wantErr: "takes no parameter"},
		{in: "poison=1", wantErr: "takes no parameter"},
		{in: "wrong_id", wantErr: "unknown behaviour"},
		{in: "delay", wantErr: "needs a parameter"},
		{in: "delay=0", wantErr: "delay must be"},
		{in: "delay=-5", wantErr: "out of range"},
		{in: "delay=2h", wantErr: "delay must be"},
		{in: "delay=soon", wantErr: "bad duration"},
		{in: "drop=1", wantErr: "takes no parameter"},
		{in: "explode", wantErr: "unknown behaviour"},
		{in: "", wantErr: "unknown behaviour"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBehaviour(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBehaviour(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBehaviour(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
			if back, err := ParseBehaviour(got.String()); err != nil || back != got {
				t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	root := testRootZone
	tests := []struct {
		name    string
		conf    string
		files   map[string]string
		wantErr []string // every substring must appear
	}{
		{
			name:    "no world.conf",
			conf:    "-",
			wantErr: []string{"world.conf"},
		},
		{
			name:    "unknown directive",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\nhost x\n",
			wantErr: []string{"world.conf:3:", `unknown directive "host"`},
		},
		{
			name:    "duplicate address",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\n\nserver s 127.0.9.1 .\n",
			wantErr: []string{"world.conf:4:", "duplicate address 127.0.9.1", "line 2"},
		},
		{
			name:    "duplicate server name",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\nserver R. 127.0.9.2 .\n",
			wantErr: []string{"world.conf:3:", "duplicate server r."},
		},
		{
			name:    "address outside loopback",
			conf:    "zone . root.zone\nserver r 192.0.2.1 .\n",
			wantErr: []string{"world.conf:2:", "not in 127.0.0.0/8"},
		},
		{
			name:    "IPv6 address",
			conf:    "zone . root.zone\nserver r ::1 .\n",
			wantErr: []string{"world.conf:2:", "bad IPv4 address"},
		},
		{
			name:    "bad behaviour",
			conf:    "zone . root.zone\n# comment\nserver r 127.0.9.1 behaviour=explode .\n",
			wantErr: []string{"world.conf:3:", `unknown behaviour "explode"`},
		},
		{
			name:    "bad rtt",
			conf:    "zone . root.zone\nserver r 127.0.9.1 rtt=fast .\n",
			wantErr: []string{"world.conf:2:", "bad rtt"},
		},
		{
			name:    "unknown option",
			conf:    "zone . root.zone\nserver r 127.0.9.1 colour=red .\n",
			wantErr: []string{"world.conf:2:", `unknown option "colour"`},
		},
		{
			name:    "unknown zone referenced",
			conf:    "zone . root.zone\nserver r 127.0.9.1 . nowhere.test\n",
			wantErr: []string{"world.conf:2:", "unknown zone nowhere.test."},
		},
		{
			name:    "zone hosted by nobody",
			conf:    "zone . root.zone\nzone orphan.test orphan.zone\nserver r 127.0.9.1 .\n",
			files:   map[string]string{"orphan.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\n"},
			wantErr: []string{"world.conf:2:", "hosted by no server"},
		},
		{
			name:    "missing zone file",
			conf:    "zone . root.zone\nzone x.test zones/x.zone\nserver r 127.0.9.1 . x.test\n",
			wantErr: []string{"world.conf:2:", "zones/x.zone"},
		},
		{
			name:    "duplicate zone",
			conf:    "zone . root.zone\nzone . root.zone\n",
			wantErr: []string{"world.conf:2:", "duplicate zone"},
		},
		{
			name:    "no root server",
			conf:    "zone x.test x.zone\nserver r 127.0.9.1 x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\n"},
			wantErr: []string{"no server hosts the root zone"},
		},
		{
			name: "zone file syntax error",
			conf: "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files: map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\n" +
				"www A 127.0.0.1\nbad A not-an-address\n"},
			wantErr: []string{"x.zone", "line: 4", "world.conf line 2"},
		},
		{
			name:    "record outside the zone",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nwww.other.test. A 127.0.0.1\n"},
			wantErr: []string{"x.zone:3:", "outside the zone x.test."},
		},
		{
			name:    "A record outside loopback",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nwww A 192.0.2.1\n"},
			wantErr: []string{"x.zone:3:", "not in 127.0.0.0/8"},
		},
		{
			name: "line of a bad record after a multi-line SOA",
			conf: "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files: map[string]string{"x.zone": "$TTL 300\n@ SOA a. b. (\n 1 ; serial\n 2 3 4\n 5 )\n\n" +
				"@ NS a.\nwww A 127.0.0.1\n; comment\nw2 A 127.0.0.2\nAAAA-host AAAA 2001:db8::1\n"},
			wantErr: []string{"x.zone:11:", "AAAA record is not ::1"},
		},
		{
			name:    "second CNAME",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nw CNAME x.\nw CNAME y.\n"},
			wantErr: []string{"x.zone:4:", "more than one CNAME"},
		},
		{
			name:    "class CH",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nw CH TXT hi\n"},
			wantErr: []string{"x.zone:3:", "not IN"},
		},
		{
			name:    "class without a mnemonic",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nw CLASS77 TXT hi\n"},
			wantErr: []string{"x.zone:3:", "class CLASS77 is not IN"},
		},
		{
			name:    "no SOA",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ NS a.\n"},
			wantErr: []string{"x.zone", "no SOA"},
		},
		{
			name:    "CNAME and other data",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": "@ SOA a. b. 1 2 3 4 5\n@ NS a.\nw CNAME x.\nw A 127.0.0.1\n"},
			wantErr: []string{"x.zone:4:", "CNAME and other data"},
		},
		{
			name:    "bad domain type",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test BOGUS a thing\n",
			wantErr: []string{"world.conf:3:", `unknown type "BOGUS"`},
		},
		{
			name:    "bad expect",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A expect=MAYBE a thing\n",
			wantErr: []string{"world.conf:3:", "bad expect"},
		},
		{
			name:    "domain without description",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A\n",
			wantErr: []string{"world.conf:3:"},
		},
		{
			name:    "server without zones",
			conf:    "zone . root.zone\nserver r 127.0.9.1 rtt=5\n",
			wantErr: []string{"world.conf:2:", "hosts no zone"},
		},
		// Variants.
		{
			name:    "variant of a zone without a default",
			conf:    "zone . root.zone\nzone x.test@old x.zone\nserver r 127.0.9.1 . x.test@old\n",
			files:   map[string]string{"x.zone": xZone},
			wantErr: []string{"world.conf:2:", "variant of x.test.", "no zone directive"},
		},
		{
			name:    "variant with another apex",
			conf:    "zone . root.zone\nzone x.test x.zone\nzone x.test@old y.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": xZone, "y.zone": "$ORIGIN y.test.\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n"},
			wantErr: []string{"y.zone:2:", "outside the zone x.test.", "x.test.@old", "world.conf line 3"},
		},
		{
			name:    "variant without SOA",
			conf:    "zone . root.zone\nzone x.test x.zone\nzone x.test@old y.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": xZone, "y.zone": "@ NS a.\n"},
			wantErr: []string{"y.zone", "no SOA"},
		},
		{
			name:    "duplicate variant",
			conf:    "zone . root.zone\nzone x.test x.zone\nzone x.test@old x.zone\nzone X.test.@OLD x.zone\n",
			files:   map[string]string{"x.zone": xZone},
			wantErr: []string{"world.conf:4:", "duplicate zone x.test.@old", "line 3"},
		},
		{
			name:    "empty variant",
			conf:    "zone . root.zone\nzone x.test@ x.zone\n",
			wantErr: []string{"world.conf:2:", "bad zone variant"},
		},
		{
			name:    "bad variant on a server line",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .@a_b\n",
			wantErr: []string{"world.conf:2:", `bad zone variant "a_b"`},
		},
		{
			name:    "unknown variant on a server line",
			conf:    "zone . root.zone\nzone x.test x.zone\nserver r 127.0.9.1 . x.test@new\n",
			files:   map[string]string{"x.zone": xZone},
			wantErr: []string{"world.conf:3:", "unknown zone x.test.@new"},
		},
		{
			name:    "two variants on one server",
			conf:    "zone . root.zone\nzone x.test x.zone\nzone x.test@old x.zone\nserver r 127.0.9.1 . x.test x.test@old\n",
			files:   map[string]string{"x.zone": xZone},
			wantErr: []string{"world.conf:4:", "lists zone x.test. twice"},
		},
		{
			name:    "variant hosted by nobody",
			conf:    "zone . root.zone\nzone x.test x.zone\nzone x.test@old x.zone\nserver r 127.0.9.1 . x.test\n",
			files:   map[string]string{"x.zone": xZone},
			wantErr: []string{"world.conf:3:", "x.test.@old is hosted by no server"},
		},
		// findings=.
		{
			name:    "empty findings",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A findings= a thing\n",
			wantErr: []string{"world.conf:3:", "empty findings="},
		},
		{
			name:    "bad finding code",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A findings=LAME,no-glue a thing\n",
			wantErr: []string{"world.conf:3:", `bad finding code "NO-GLUE"`},
		},
		{
			name:    "finding code twice",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A findings=LAME,lame a thing\n",
			wantErr: []string{"world.conf:3:", "LAME given twice"},
		},
		{
			name:    "findings twice",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\n\ndomain x.test A findings=LAME expect=FAIL findings=TIMEOUT a thing\n",
			wantErr: []string{"world.conf:4:", "findings= given twice"},
		},
		{
			name:    "expect twice",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A expect=FAIL expect=NOERROR a thing\n",
			wantErr: []string{"world.conf:3:", "expect= given twice"},
		},
		{
			name:    "unknown domain option",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A finding=LAME a thing\n",
			wantErr: []string{"world.conf:3:", `unknown option "finding"`},
		},
		{
			name:    "refer to a zone nobody delegates",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\n\nserver p 127.0.9.2 behaviour=refer=nowhere.test .\n",
			wantErr: []string{"world.conf:4:", "server p.: behaviour refer=nowhere.test", "no zone of the world delegates nowhere.test."},
		},
		{
			name:    "refer to the root, which nobody delegates",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\nserver p 127.0.9.2 behaviour=refer=. .\n",
			wantErr: []string{"world.conf:3:", "no zone of the world delegates ."},
		},
		{
			name:    "refer without a zone",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\nserver p 127.0.9.2 behaviour=refer .\n",
			wantErr: []string{"world.conf:3:", "refer=ZONE"},
		},
		{
			name:    "findings without description",
			conf:    "zone . root.zone\nserver r 127.0.9.1 .\ndomain x.test A expect=FAIL findings=LAME\n",
			wantErr: []string{"world.conf:3:", "no description"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"root.zone": {Data: []byte(root)}}
			if tt.conf != "-" {
				fsys["world.conf"] = &fstest.MapFile{Data: []byte(tt.conf)}
			}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			w, err := Load(fsys)
			if err == nil {
				t.Fatalf("Load succeeded (%d servers), want an error", len(w.Servers()))
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// xZone is a minimal zone x.test.
const xZone = "$ORIGIN x.test.\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n"

func TestLoadTestWorld(t *testing.T) {
	w := testWorld(t)
	got := w.Servers()
	if len(got) != 12 {
		t.Fatalf("%d servers, want 12", len(got))
	}
	if got[5].Behaviour != "delay=300ms" || got[5].RTT != 4*time.Millisecond {
		t.Errorf("delay server: %+v", got[5])
	}
	if got[6].Behaviour != "drop" {
		t.Errorf("drop server: %+v", got[6])
	}
	// A server without rtt= gets a stable RTT derived from its address.
	if got[2].RTT != defaultRTT(got[2].Addr) {
		t.Errorf("refuse server RTT %v, want %v", got[2].RTT, defaultRTT(got[2].Addr))
	}
	d := w.Domains()
	if len(d) != 2 || d[1].Expect != ExpectNXDomain || d[1].Description != "a missing name" {
		t.Errorf("Domains = %+v", d)
	}
	if _, err := w.ZoneRecords("nowhere.test"); err == nil {
		t.Error("ZoneRecords of an unknown zone succeeded")
	}
}

// TestReadmeTables keeps the tables of README.md in step with the world.
func TestReadmeTables(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	w := mustDefault(t)
	for _, s := range w.Servers() {
		row := fmt.Sprintf(`(?m)^\|\s*%s\s*\|\s*%s\s*\|\s*%s\s*\|\s*%s\s*\|`,
			regexp.QuoteMeta(strings.TrimSuffix(s.Name, ".")), regexp.QuoteMeta(s.Addr.String()),
			regexp.QuoteMeta(s.Behaviour), regexp.QuoteMeta(s.RTT.String()))
		if !regexp.MustCompile(row).MatchString(readme) {
			t.Errorf("README.md has no row for server %s %s %s %v", s.Name, s.Addr, s.Behaviour, s.RTT)
		}
	}
	for _, d := range w.Domains() {
		findings := "-"
		if len(d.Findings) > 0 {
			findings = strings.Join(d.Findings, ", ")
		}
		row := fmt.Sprintf("(?m)^\\|\\s*`%s`\\s*\\|\\s*%s\\s*\\|\\s*%s\\s*\\|\\s*%s\\s*\\|",
			regexp.QuoteMeta(strings.TrimSuffix(d.Name, ".")), d.Type, d.Expect, regexp.QuoteMeta(findings))
		if !regexp.MustCompile(row).MatchString(readme) {
			t.Errorf("README.md has no row for domain %s %s %s %s", d.Name, d.Type, d.Expect, findings)
		}
	}
}

// TestDefaultRecursors checks the recursive resolvers of the default
// world: at least one that agrees, one with a stale answer in its cache
// and one that fails; every address in 127.0.0.0/8 and used by no server.
func TestDefaultRecursors(t *testing.T) {
	w := mustDefault(t)
	rs := w.Recursors()
	if len(rs) < 3 {
		t.Fatalf("%d recursors, want at least 3", len(rs))
	}
	servers := map[netip.Addr]string{}
	for _, s := range w.Servers() {
		servers[s.Addr] = s.Name
	}
	seen := map[netip.Addr]bool{}
	byName := map[string]Recursor{}
	for _, r := range rs {
		if !r.Addr.Is4() || !loopback.Contains(r.Addr) {
			t.Errorf("recursor %s at %s, outside 127.0.0.0/8", r.Name, r.Addr)
		}
		if s, ok := servers[r.Addr]; ok || seen[r.Addr] {
			t.Errorf("recursor %s shares %s (with server %q or another recursor)", r.Name, r.Addr, s)
		}
		seen[r.Addr] = true
		byName[r.Name] = r
	}
	stale, ok := byName["stale"]
	if !ok || len(stale.Seeds) != 1 {
		t.Fatalf("recursor stale: %+v, want one seed", stale)
	}
	seed := stale.Seeds[0]
	if got := seed.RR.String(); got != "www.mydomain.com.\t3600\tIN\tA\t127.10.1.79" || seed.Age != 1100*time.Second || seed.Left() != 2500 {
		t.Errorf("stale seed %s, age %v, left %d; want the old www.mydomain.com A, 1100 s old, 2500 s left", got, seed.Age, seed.Left())
	}
	if byName["fresh"].Behaviour != RecursorOK || byName["broken"].Behaviour != RecursorServFail || byName["dead"].Behaviour != RecursorDrop {
		t.Errorf("behaviours: fresh %q, broken %q, dead %q", byName["fresh"].Behaviour, byName["broken"].Behaviour, byName["dead"].Behaviour)
	}
	// Recursors returns copies: changing one changes nothing in the world.
	stale.Seeds[0].RR.Header().Ttl = 1
	if w.Recursors()[slices.IndexFunc(rs, func(r Recursor) bool { return r.Name == "stale" })].Seeds[0].RR.Header().Ttl != 3600 {
		t.Error("Recursors shares its seeds with the world")
	}
}

func TestLoadRecursors(t *testing.T) {
	conf := "zone . root.zone\nserver r 127.0.9.1 .\n" +
		"recursor ISP-A 127.0.53.1 rtt=7 behaviour=REFUSED\n" +
		"recursor b.isp 127.0.53.2\n" +
		"seed isp-a 90 www.lab.test 300 IN A 127.0.0.8\n" +
		"seed isp-a 90 www.lab.test. 300 IN A 127.0.0.9\n" +
		"seed isp-a 1h www.lab.test. 7200 IN TXT \"hello world\"\n"
	w, err := Load(fstest.MapFS{"world.conf": {Data: []byte(conf)}, "root.zone": {Data: []byte(testRootZone)}})
	if err != nil {
		t.Fatal(err)
	}
	rs := w.Recursors()
	if len(rs) != 2 {
		t.Fatalf("%d recursors, want 2", len(rs))
	}
	a, b := rs[0], rs[1]
	if a.Name != "isp-a" || a.Addr != netip.MustParseAddr("127.0.53.1") || a.RTT != 7*time.Millisecond || a.Behaviour != RecursorRefused {
		t.Errorf("first recursor %+v", a)
	}
	if b.Name != "b.isp" || b.Behaviour != RecursorOK || b.RTT != defaultRTT(b.Addr) || len(b.Seeds) != 0 {
		t.Errorf("second recursor %+v", b)
	}
	if len(a.Seeds) != 3 || a.Seeds[0].RR.Header().Name != "www.lab.test." || a.Seeds[2].Age != time.Hour || a.Seeds[2].Left() != 3600 {
		t.Errorf("seeds %v", a.Seeds)
	}
	if txt, ok := a.Seeds[2].RR.(*dns.TXT); !ok || txt.Txt[0] != "hello world" {
		t.Errorf("TXT seed %v", a.Seeds[2].RR)
	}
}

func TestLoadRecursorErrors(t *testing.T) {
	const head = "zone . root.zone\nserver r 127.0.9.1 .\n"
	tests := []struct {
		name    string
		conf    string // after head: line 3 on
		wantErr []string
	}{
		{"no address", "recursor a\n", []string{"world.conf:3:", "want: recursor NAME ADDRESS"}},
		{"bad name", "recursor a_b 127.0.53.1\n", []string{"world.conf:3:", `bad recursor name "a_b"`}},
		{"duplicate name", "recursor a 127.0.53.1\nrecursor A 127.0.53.2\n", []string{"world.conf:4:", "duplicate recursor a (already at line 3)"}},
		{"address of a server", "recursor a 127.0.9.1\n", []string{"world.conf:3:", "duplicate address 127.0.9.1 (already used at line 2)"}},
		{"server on a recursor's address", "recursor a 127.0.53.1\nserver s 127.0.53.1 .\n", []string{"world.conf:4:", "duplicate address 127.0.53.1"}},
		{"outside loopback", "recursor a 192.0.2.1\n", []string{"world.conf:3:", "not in 127.0.0.0/8"}},
		{"IPv6", "recursor a ::1\n", []string{"world.conf:3:", "bad IPv4 address"}},
		{"bad behaviour", "recursor a 127.0.53.1 behaviour=lame\n", []string{"world.conf:3:", `unknown behaviour "lame"`}},
		{"bad rtt", "recursor a 127.0.53.1 rtt=soon\n", []string{"world.conf:3:", "bad rtt"}},
		{"unknown option", "recursor a 127.0.53.1 seed=x\n", []string{"world.conf:3:", `unknown option "seed"`}},
		{"stray word", "recursor a 127.0.53.1 fast\n", []string{"world.conf:3:", `unexpected "fast"`}},
		{"seed before its recursor", "seed a 10 x.test. 60 IN A 127.0.0.1\nrecursor a 127.0.53.1\n", []string{"world.conf:3:", `unknown recursor "a"`, "must come first"}},
		{"seed without record", "recursor a 127.0.53.1\nseed a 10\n", []string{"world.conf:4:", "want: seed RECURSOR AGE RECORD"}},
		{"seed with a bad record", "recursor a 127.0.53.1\nseed a 10 x.test. 60 IN A not-an-address\n", []string{"world.conf:4:", "seed for a: bad record"}},
		{"seed with a bad age", "recursor a 127.0.53.1\nseed a -5s x.test. 60 IN A 127.0.0.1\n", []string{"world.conf:4:", `bad age "-5s"`}},
		{"seed with a fractional age", "recursor a 127.0.53.1\nseed a 1.5s x.test. 60 IN A 127.0.0.1\n", []string{"world.conf:4:", "whole seconds"}},
		{"seed already expired", "recursor a 127.0.53.1\nseed a 60 x.test. 60 IN A 127.0.0.1\n", []string{"world.conf:4:", "not less than the TTL"}},
		{"seed outside loopback", "recursor a 127.0.53.1\nseed a 10 x.test. 60 IN A 192.0.2.1\n", []string{"world.conf:4:", "not in 127.0.0.0/8"}},
		{"seed outside loopback, IPv6", "recursor a 127.0.53.1\nseed a 10 x.test. 60 IN AAAA 2001:db8::1\n", []string{"world.conf:4:", "seed for a: AAAA record is not ::1"}},
		{"seed with TTL 0", "recursor a 127.0.53.1\nseed a 0 x.test. 0 IN A 127.0.0.1\n", []string{"world.conf:4:", "TTL 0 is never cached"}},
		{"seed of an RRSIG", "recursor a 127.0.53.1\nseed a 10 x.test. 60 IN RRSIG A 15 2 60 20450101000000 20250101000000 1 x.test. AAAA\n", []string{"world.conf:4:", "RRSIG record cannot be cached"}},
		{"seed of class CH", "recursor a 127.0.53.1\nseed a 10 x.test. 60 CH A 127.0.0.1\n", []string{"world.conf:4:", "not IN"}},
		{"one RRset, two ages", "recursor a 127.0.53.1\nseed a 10 x.test. 60 IN A 127.0.0.1\nseed a 20 x.test. 60 IN A 127.0.0.2\n", []string{"world.conf:5:", "age 10s already"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"world.conf": {Data: []byte(head + tt.conf)}, "root.zone": {Data: []byte(testRootZone)}}
			_, err := Load(fsys)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}
