package lab

import (
	"context"
	"encoding/base64"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

// validAt is the time at which the lab's signatures are checked.
var validAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// signedZones returns the zones of w that the lab signs (not those
// served unsigned with break=unsigned).
func signedZones(w *World) []*zone {
	var out []*zone
	for _, name := range w.ZoneNames() {
		if z := w.zones[name]; z.signing != nil && !z.signing.unsigned {
			out = append(out, z)
		}
	}
	return out
}

func TestSigningDeterministic(t *testing.T) {
	load := func() *World {
		keyCache.Clear() // sign for real, not from the caches
		sigCache.Clear()
		w, err := Load(DefaultFS())
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1, w2 := load(), load()
	for _, name := range w1.ZoneNames() {
		r1, _ := w1.ZoneRecords(name)
		r2, _ := w2.ZoneRecords(name)
		if !slices.Equal(rrs(r1), rrs(r2)) {
			t.Errorf("zone %s: two loads give different records", name)
		}
	}
	if got := len(signedZones(w1)); got != 15 {
		t.Errorf("%d signed zones, want 15", got)
	}
}

// dnskeys returns the DNSKEYs of z by key tag.
func dnskeys(z *zone) map[uint16]*dns.DNSKEY {
	keys := map[uint16]*dns.DNSKEY{}
	for _, rr := range z.nodes[z.name][dns.TypeDNSKEY] {
		k := rr.(*dns.DNSKEY)
		keys[k.KeyTag()] = k
	}
	return keys
}

// TestSignedZonesVerify checks every RRSIG of every signed zone with
// miekg/dns: it verifies with the zone's DNSKEY and is valid on
// 2026-06-01, but where the zone is broken on purpose; and every
// authoritative RRset has one, but the NS RRsets of delegations and glue.
func TestSignedZonesVerify(t *testing.T) {
	w := mustDefault(t)
	for _, z := range signedZones(w) {
		keys := dnskeys(z)
		if len(keys) != 2 {
			t.Errorf("%s: %d DNSKEYs, want 2", z.name, len(keys))
		}
		var flags []uint16
		for _, k := range keys {
			flags = append(flags, k.Flags)
		}
		slices.Sort(flags)
		if !slices.Equal(flags, []uint16{256, 257}) {
			t.Errorf("%s: DNSKEY flags %v, want a ZSK and a KSK", z.name, flags)
		}
		// The RRsets of the zone, NSEC3 records included.
		sets := map[rrsetRef][]dns.RR{}
		for _, rr := range z.records() {
			if rr.Header().Rrtype == dns.TypeRRSIG {
				continue
			}
			ref := rrsetRef{strings.ToLower(rr.Header().Name), rr.Header().Rrtype}
			sets[ref] = append(sets[ref], rr)
		}
		for ref, set := range sets {
			cut := z.findCut(ref.name)
			sigs := z.sigs[ref.name][ref.rrtype]
			switch {
			case cut != "" && cut != ref.name, cut == ref.name && ref.rrtype == dns.TypeNS:
				if len(sigs) > 0 {
					t.Errorf("%s: %s (glue or delegation) is signed", z.name, ref)
				}
				continue
			case slices.Contains(z.signing.noSig, ref):
				if len(sigs) > 0 {
					t.Errorf("%s: %s has an RRSIG, but break=nosig", z.name, ref)
				}
				continue
			case len(sigs) != 1:
				t.Errorf("%s: %s has %d RRSIGs, want 1", z.name, ref, len(sigs))
				continue
			}
			sig := sigs[0].(*dns.RRSIG)
			wantKSK := ref.rrtype == dns.TypeDNSKEY
			if k := keys[sig.KeyTag]; k == nil || (k.Flags == 257) != wantKSK || sig.SignerName != z.name {
				t.Errorf("%s: %s signed by key %d of %s, want the %s", z.name, ref, sig.KeyTag, sig.SignerName, map[bool]string{true: "KSK", false: "ZSK"}[wantKSK])
				continue
			}
			if z.signing.algorithm == dns.ED448 {
				continue // fake signatures: see TestBrokenDomains
			}
			err := sig.Verify(keys[sig.KeyTag], set)
			altered := slices.Contains(z.signing.alter, ref)
			if altered != (err != nil) {
				t.Errorf("%s: %s: Verify: %v (altered after signing: %v)", z.name, ref, err, altered)
			}
			wantValid := !z.signing.inception.After(validAt) && z.signing.expiration.After(validAt)
			if sig.ValidityPeriod(validAt) != wantValid {
				t.Errorf("%s: %s: valid on %s: %v, want %v", z.name, ref, validAt.Format(time.DateOnly), !wantValid, wantValid)
			}
		}
	}
}

// TestDSMatchesChild checks the DS records of every signed parent: one
// per signed child, digest type 2 of its KSK (none matching for
// dsmismatch.com), none for an unsigned child.
func TestDSMatchesChild(t *testing.T) {
	w := mustDefault(t)
	found := 0
	for _, p := range signedZones(w) {
		for cut := range p.cuts {
			child := w.zones[cut]
			ds := p.nodes[cut][dns.TypeDS]
			if child == nil || child.signing == nil {
				if len(ds) > 0 {
					t.Errorf("%s has a DS for the unsigned %s", p.name, cut)
				}
				continue
			}
			found++
			if len(ds) != 1 || ds[0].(*dns.DS).DigestType != dns.SHA256 {
				t.Errorf("%s: DS for %s: %v, want one of digest type 2", p.name, cut, ds)
				continue
			}
			ksk, _ := child.labKeys()
			want := ksk.dnskey.ToDS(dns.SHA256)
			got := ds[0].(*dns.DS)
			if matches := got.Digest == want.Digest && got.KeyTag == want.KeyTag; matches == child.signing.dsMismatch {
				t.Errorf("%s: DS for %s matches the child's KSK: %v (break=ds-mismatch: %v)", p.name, cut, matches, child.signing.dsMismatch)
			}
			if child.signing.unsigned && len(child.nodes[cut][dns.TypeDNSKEY]) > 0 {
				t.Errorf("%s is served with DNSKEY, but break=unsigned", cut)
			}
		}
	}
	if found != 15 {
		t.Errorf("%d DS RRsets, want 15 (com, net, org, 12 below com and net)", found)
	}
}

// unsignedFS returns the default world with every zone option removed
// from world.conf: the same zones, unsigned.
func unsignedFS(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(DefaultFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(DefaultFS(), path)
		if path == confFile {
			re := regexp.MustCompile(`(?m)^(zone[ \t]+\S+[ \t]+\S+)[ \t].*$`)
			data = re.ReplaceAll(data, []byte("$1"))
		}
		m[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDO0Unchanged asks every server of the signed default world and of
// the same world unsigned the questions of the NSD comparison (answers,
// referrals, NXDOMAIN, NODATA at every zone), with DO=0 and without EDNS:
// the replies are the same, and hold no RRSIG, NSEC or NSEC3.
func TestDO0Unchanged(t *testing.T) {
	signed := mustDefault(t)
	unsigned, err := Load(unsignedFS(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(signedZones(unsigned)) != 0 {
		t.Fatal("the unsigned world has signed zones")
	}
	ns, nu := NewNetwork(signed), NewNetwork(unsigned)
	ctx := context.Background()
	count := 0
	for _, s := range signed.servers {
		qs := nsdQueries(s)
		for _, d := range signed.Domains() {
			qs = append(qs, nsdQuery{name: d.Name, qtype: dns.TypeA}, nsdQuery{name: d.Name, qtype: dns.TypeANY})
		}
		for _, nq := range qs {
			for _, edns := range []bool{false, true} {
				q := query(nq.name, nq.qtype)
				if edns {
					q.SetEdns0(1232, false)
				}
				a, _, errS := ns.Exchange(ctx, "udp", netip.AddrPortFrom(s.addr, 53), q)
				b, _, errU := nu.Exchange(ctx, "udp", netip.AddrPortFrom(s.addr, 53), q)
				if (errS == nil) != (errU == nil) {
					t.Fatalf("%s %s: %v / %v", s.name, nq, errS, errU)
				}
				if errS != nil {
					continue
				}
				count++
				for _, rr := range append(append(slices.Clone(a.Answer), a.Ns...), a.Extra...) {
					if dnssecOnly(rr.Header().Rrtype) {
						t.Errorf("%s %s (EDNS %v): DO=0 reply holds %v", s.name, nq, edns, rr)
					}
				}
				if nq.qtype == dns.TypeDS || nq.qtype == dns.TypeDNSKEY || nq.qtype == dns.TypeNSEC3PARAM {
					continue // asked for explicitly: the signed world has them
				}
				if dns.IsSubDomain("badsig.com.", nq.name) {
					continue // its www A record was changed after signing (break=alter)
				}
				if a.String() != b.String() {
					t.Errorf("%s %s (EDNS %v): signed world answers\n%v\nunsigned world answers\n%v", s.name, nq, edns, a, b)
				}
			}
		}
	}
	t.Logf("%d replies compared", count)
}

// ask sends a query with DO=1 to the server at addr of the default world.
func ask(t *testing.T, n *Network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := query(name, qtype)
	q.SetEdns0(4096, true)
	m, _, err := n.Exchange(context.Background(), "tcp", ap(addr), q)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	return m
}

// section returns the records of a section of type t.
func ofType(section []dns.RR, t uint16) []dns.RR {
	return slices.DeleteFunc(slices.Clone(section), func(rr dns.RR) bool { return rr.Header().Rrtype != t })
}

// verifyReply checks every RRSIG of m against the zone that signed it
// and that every RRset of answer and authority is signed, but the NS
// RRset of a referral.
func verifyReply(t *testing.T, w *World, m *dns.Msg) {
	t.Helper()
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, set := range rrsets(sec) {
			h := set[0].Header()
			if h.Rrtype == dns.TypeRRSIG {
				continue
			}
			if h.Rrtype == dns.TypeNS && !m.Authoritative {
				continue
			}
			var sig *dns.RRSIG
			for _, rr := range ofType(sec, dns.TypeRRSIG) {
				if s := rr.(*dns.RRSIG); s.TypeCovered == h.Rrtype && strings.EqualFold(s.Hdr.Name, h.Name) {
					sig = s
				}
			}
			if sig == nil {
				t.Errorf("%s %s has no RRSIG in %v", h.Name, dns.TypeToString[h.Rrtype], m)
				continue
			}
			z := w.zones[sig.SignerName]
			if err := sig.Verify(dnskeys(z)[sig.KeyTag], set); err != nil || !sig.ValidityPeriod(validAt) {
				t.Errorf("RRSIG of %s %s: %v", h.Name, dns.TypeToString[h.Rrtype], err)
			}
		}
	}
}

func TestDO1Shapes(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	const root, com, secure, secure3 = "127.0.1.1", "127.0.2.1", "127.0.4.1", "127.0.4.11"

	t.Run("referral to a signed child: DS", func(t *testing.T) {
		for _, tc := range []struct{ server, name, cut string }{
			{root, "www.secure.com", "com."}, {com, "www.secure.com", "secure.com."}, {com, "secure3.net", "secure3.net."},
		} {
			m := ask(t, n, tc.server, tc.name, dns.TypeA)
			ds := ofType(m.Ns, dns.TypeDS)
			if m.Authoritative || len(ofType(m.Ns, dns.TypeNS)) == 0 || len(ds) != 1 || ds[0].Header().Name != tc.cut {
				t.Errorf("%s at %s: %v", tc.name, tc.server, m)
			}
			for _, rr := range m.Extra {
				if rr.Header().Rrtype == dns.TypeRRSIG {
					t.Errorf("glue is signed: %v", rr)
				}
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("referral to an unsigned child: NSEC", func(t *testing.T) {
		for _, tc := range []struct{ server, name, cut string }{
			{root, "example.test", "test."}, {com, "www.mydomain.com", "mydomain.com."}, {secure, "www.unsigned.secure.com", "unsigned.secure.com."},
		} {
			m := ask(t, n, tc.server, tc.name, dns.TypeA)
			nsec := ofType(m.Ns, dns.TypeNSEC)
			if m.Authoritative || len(ofType(m.Ns, dns.TypeDS)) > 0 || len(nsec) != 1 || nsec[0].Header().Name != tc.cut {
				t.Fatalf("%s at %s: %v", tc.name, tc.server, m)
			}
			types := nsec[0].(*dns.NSEC).TypeBitMap
			if !slices.Contains(types, dns.TypeNS) || slices.Contains(types, dns.TypeDS) {
				t.Errorf("NSEC at %s: types %v", tc.cut, types)
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("NXDOMAIN with NSEC", func(t *testing.T) {
		for _, tc := range []struct{ server, name, ce string }{
			{secure, "nope.secure.com.", "secure.com."}, {secure, "a.b.zz.secure.com.", "secure.com."},
			{secure, "0.secure.com.", "secure.com."}, {com, "nstrace-nx.com.", "com."},
		} {
			name, ce := tc.name, tc.ce
			m := ask(t, n, tc.server, name, dns.TypeA)
			if m.Rcode != dns.RcodeNameError || len(ofType(m.Ns, dns.TypeSOA)) != 1 {
				t.Fatalf("%s: %v", name, m)
			}
			covered := map[string]bool{}
			for _, rr := range ofType(m.Ns, dns.TypeNSEC) {
				nsec := rr.(*dns.NSEC)
				for _, x := range []string{name, "*." + ce} {
					if compareCanonical(strings.ToLower(nsec.Hdr.Name), x) < 0 && (compareCanonical(x, nsec.NextDomain) < 0 || nsec.NextDomain == ce) {
						covered[x] = true
					}
				}
			}
			if !covered[name] || !covered["*."+ce] {
				t.Errorf("%s: NSEC records cover %v, want the name and *.%s: %v", name, covered, ce, m)
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("NODATA with NSEC", func(t *testing.T) {
		m := ask(t, n, secure, "nodata.secure.com", dns.TypeA)
		nsec := ofType(m.Ns, dns.TypeNSEC)
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(nsec) != 1 || nsec[0].Header().Name != "nodata.secure.com." {
			t.Fatalf("%v", m)
		}
		if types := nsec[0].(*dns.NSEC).TypeBitMap; !slices.Contains(types, dns.TypeTXT) || slices.Contains(types, dns.TypeA) {
			t.Errorf("NSEC types %v", types)
		}
		verifyReply(t, w, m)
	})
	t.Run("NXDOMAIN with NSEC3", func(t *testing.T) {
		for _, tc := range []struct{ name, ce string }{
			{"nope.secure3.net.", "secure3.net."}, {"a.b.nope.secure3.net.", "secure3.net."},
			{"x.sub.secure3.net.", "sub.secure3.net."}, {"x.www.secure3.net.", "www.secure3.net."},
		} {
			m := ask(t, n, secure3, tc.name, dns.TypeA)
			recs := ofType(m.Ns, dns.TypeNSEC3)
			if m.Rcode != dns.RcodeNameError || len(recs) == 0 || len(recs) > 3 {
				t.Fatalf("%s: %v", tc.name, m)
			}
			labels := dns.SplitDomainName(tc.name)
			next := strings.Join(labels[len(labels)-dns.CountLabel(tc.ce)-1:], ".") + "."
			var match, coverNext, coverWild bool
			for _, rr := range recs {
				r := rr.(*dns.NSEC3)
				if r.Hash != dns.SHA1 || r.Iterations != 0 || r.Salt != "" || r.Flags != 0 {
					t.Errorf("NSEC3 parameters %v, want SHA-1, 0 iterations, no salt, no opt-out", r)
				}
				match = match || r.Match(tc.ce)
				coverNext = coverNext || r.Cover(next)
				coverWild = coverWild || r.Cover("*."+tc.ce)
			}
			if !match || !coverNext || !coverWild {
				t.Errorf("%s: closest encloser %s matched %v, next closer %s covered %v, wildcard covered %v", tc.name, tc.ce, match, next, coverNext, coverWild)
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("NODATA with NSEC3", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			types []uint16
		}{{"nodata.secure3.net.", []uint16{dns.TypeTXT, dns.TypeRRSIG}}, {"sub.secure3.net.", nil}} {
			m := ask(t, n, secure3, tc.name, dns.TypeA)
			recs := ofType(m.Ns, dns.TypeNSEC3)
			if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(recs) != 1 || !recs[0].(*dns.NSEC3).Match(tc.name) {
				t.Fatalf("%s: %v", tc.name, m)
			}
			if types := recs[0].(*dns.NSEC3).TypeBitMap; !slices.Equal(types, tc.types) {
				t.Errorf("%s: NSEC3 types %v, want %v", tc.name, types, tc.types)
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("DS from the parent side", func(t *testing.T) {
		m := ask(t, n, com, "secure.com", dns.TypeDS)
		if !m.Authoritative || len(ofType(m.Answer, dns.TypeDS)) != 1 {
			t.Fatalf("%v", m)
		}
		verifyReply(t, w, m)
		// No DS: NODATA with the NSEC of the cut.
		m = ask(t, n, com, "mydomain.com", dns.TypeDS)
		if !m.Authoritative || len(m.Answer) != 0 || len(ofType(m.Ns, dns.TypeNSEC)) != 1 {
			t.Fatalf("%v", m)
		}
		verifyReply(t, w, m)
		// The root servers also serve root-servers.net, the TLD servers
		// gtld-servers.net: DS for those comes from the parent.
		m = ask(t, n, root, "com", dns.TypeDS)
		if !m.Authoritative || len(ofType(m.Answer, dns.TypeDS)) != 1 {
			t.Fatalf("%v", m)
		}
	})
	t.Run("DNSKEY", func(t *testing.T) {
		for _, tc := range []struct{ server, zone string }{{root, "."}, {com, "com."}, {secure, "secure.com."}, {secure3, "secure3.net."}} {
			m := ask(t, n, tc.server, tc.zone, dns.TypeDNSKEY)
			if !m.Authoritative || len(ofType(m.Answer, dns.TypeDNSKEY)) != 2 || len(ofType(m.Answer, dns.TypeRRSIG)) != 1 {
				t.Fatalf("%v", m)
			}
			verifyReply(t, w, m)
		}
	})
	t.Run("answer and CNAME", func(t *testing.T) {
		m := ask(t, n, secure, "www.secure.com", dns.TypeA)
		if !m.Authoritative || len(m.Answer) != 2 {
			t.Fatalf("%v", m)
		}
		verifyReply(t, w, m)
	})
}

// TestDO1Truncation: signed replies are bigger; over UDP they are cut to
// the advertised size by whole RRsets with TC=1, and come whole over TCP.
func TestDO1Truncation(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	q := query("nope.secure3.net", dns.TypeA)
	q.SetEdns0(512, true)
	full, _, err := n.Exchange(context.Background(), "tcp", ap("127.0.4.11"), q)
	if err != nil {
		t.Fatal(err)
	}
	if full.Len() <= 512 || full.Truncated {
		t.Fatalf("the reply is %d bytes, TC=%v: pick a bigger one", full.Len(), full.Truncated)
	}
	m, _, err := n.Exchange(context.Background(), "udp", ap("127.0.4.11"), q)
	if err != nil {
		t.Fatal(err)
	}
	m.Compress = true // as on the wire
	if !m.Truncated || m.Len() > 512 || len(m.Ns) >= len(full.Ns) || m.IsEdns0() == nil || !m.IsEdns0().Do() {
		t.Errorf("over UDP: TC=%v, %d bytes, %d of %d authority records", m.Truncated, m.Len(), len(m.Ns), len(full.Ns))
	}
}

func TestBrokenDomains(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	const com, ns = "127.0.2.1", "127.0.4.1"
	aSig := func(m *dns.Msg) *dns.RRSIG {
		for _, rr := range ofType(m.Answer, dns.TypeRRSIG) {
			return rr.(*dns.RRSIG)
		}
		return nil
	}
	zoneKeys := func(name string) map[uint16]*dns.DNSKEY { return dnskeys(w.zones[name]) }

	// dsmismatch.com: com's DS matches none of the zone's keys.
	ds := ofType(ask(t, n, com, "dsmismatch.com", dns.TypeDS).Answer, dns.TypeDS)
	if len(ds) != 1 {
		t.Fatal("no DS for dsmismatch.com")
	}
	for _, k := range zoneKeys("dsmismatch.com.") {
		if k.ToDS(dns.SHA256).Digest == ds[0].(*dns.DS).Digest {
			t.Error("dsmismatch.com: the DS matches a key")
		}
	}
	// nokey.com: a DS in com, no DNSKEY and no RRSIG in the zone.
	if len(ofType(ask(t, n, com, "nokey.com", dns.TypeDS).Answer, dns.TypeDS)) != 1 {
		t.Error("nokey.com: no DS in com")
	}
	if m := ask(t, n, ns, "nokey.com", dns.TypeDNSKEY); len(m.Answer) != 0 || len(ofType(m.Ns, dns.TypeRRSIG)) != 0 {
		t.Errorf("nokey.com DNSKEY: %v", m)
	}
	if m := ask(t, n, ns, "www.nokey.com", dns.TypeA); len(m.Answer) != 1 {
		t.Errorf("www.nokey.com: %v", m)
	}
	// expired.com, notyet.com, expiresoon.com: the validity windows.
	for _, tc := range []struct {
		name                  string
		inception, expiration string
		validNow              bool
	}{
		{"www.expired.com", "2025-01-01", "2025-06-01", false},
		{"www.notyet.com", "2040-01-01", "2045-01-01", false},
		{"www.expiresoon.com", "2025-01-01", "2027-01-01", true},
		{"www.secure.com", "2025-01-01", "2045-01-01", true},
	} {
		sig := aSig(ask(t, n, ns, tc.name, dns.TypeA))
		inc, _ := time.Parse(time.DateOnly, tc.inception)
		exp, _ := time.Parse(time.DateOnly, tc.expiration)
		if sig == nil || sig.Inception != uint32(inc.Unix()) || sig.Expiration != uint32(exp.Unix()) || sig.ValidityPeriod(validAt) != tc.validNow {
			t.Errorf("%s: RRSIG %v, want valid %s to %s", tc.name, sig, tc.inception, tc.expiration)
		}
	}
	if aSig(ask(t, n, ns, "www.expiresoon.com", dns.TypeA)).ValidityPeriod(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Error("expiresoon.com: still valid on 2027-01-02")
	}
	// badsig.com: the A record does not verify; the zone file has .80.
	m := ask(t, n, ns, "www.badsig.com", dns.TypeA)
	sig := aSig(m)
	if a := ofType(m.Answer, dns.TypeA); len(a) != 1 || a[0].(*dns.A).A.String() != "127.10.66.81" || sig == nil ||
		sig.Verify(zoneKeys("badsig.com.")[sig.KeyTag], a) == nil {
		t.Errorf("www.badsig.com: %v", m)
	}
	// nosig.com: the A RRset without RRSIG; the apex A with one.
	if m := ask(t, n, ns, "www.nosig.com", dns.TypeA); len(m.Answer) != 1 || aSig(m) != nil {
		t.Errorf("www.nosig.com: %v", m)
	}
	if m := ask(t, n, ns, "nosig.com", dns.TypeA); aSig(m) == nil {
		t.Errorf("nosig.com: %v", m)
	}
	// badnsec3.com: the closest encloser matches, the wildcard is
	// covered, the next closer name is not; every signature verifies.
	m = ask(t, n, ns, "nope.badnsec3.com", dns.TypeA)
	var match, coverNext, coverWild bool
	for _, rr := range ofType(m.Ns, dns.TypeNSEC3) {
		r := rr.(*dns.NSEC3)
		match = match || r.Match("badnsec3.com.")
		coverNext = coverNext || r.Cover("nope.badnsec3.com.")
		coverWild = coverWild || r.Cover("*.badnsec3.com.")
	}
	if m.Rcode != dns.RcodeNameError || !match || coverNext || !coverWild || len(ofType(m.Ns, dns.TypeNSEC3)) != 2 {
		t.Errorf("nope.badnsec3.com: match %v, next closer covered %v, wildcard covered %v: %v", match, coverNext, coverWild, m)
	}
	verifyReply(t, w, m)
	// ed448.com: algorithm 16 keys and signatures of the right sizes,
	// and com's DS is digest type 2 of its KSK.
	m = ask(t, n, ns, "ed448.com", dns.TypeDNSKEY)
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.DNSKEY:
			if b, _ := base64.StdEncoding.DecodeString(rr.PublicKey); rr.Algorithm != dns.ED448 || len(b) != 57 {
				t.Errorf("ed448.com: %v", rr)
			}
		case *dns.RRSIG:
			if b, _ := base64.StdEncoding.DecodeString(rr.Signature); rr.Algorithm != dns.ED448 || len(b) != 114 {
				t.Errorf("ed448.com: %v", rr)
			}
		}
	}
	ds = ofType(ask(t, n, com, "ed448.com", dns.TypeDS).Answer, dns.TypeDS)
	var ksk *dns.DNSKEY
	for _, k := range zoneKeys("ed448.com.") {
		if k.Flags == 257 {
			ksk = k
		}
	}
	if len(ds) != 1 || ksk == nil || ds[0].(*dns.DS).Digest != ksk.ToDS(dns.SHA256).Digest || ds[0].(*dns.DS).Algorithm != dns.ED448 {
		t.Errorf("ed448.com: DS %v", ds)
	}
}

func TestTrustAnchor(t *testing.T) {
	w := mustDefault(t)
	ta := w.TrustAnchor()
	if len(ta) != 1 {
		t.Fatalf("TrustAnchor: %v", ta)
	}
	ds := ta[0].(*dns.DS)
	m := ask(t, NewNetwork(w), "127.0.1.1", ".", dns.TypeDNSKEY)
	var ok bool
	for _, rr := range ofType(m.Answer, dns.TypeDNSKEY) {
		if k := rr.(*dns.DNSKEY); k.Flags == 257 && k.ToDS(dns.SHA256).Digest == ds.Digest && ds.DigestType == dns.SHA256 && ds.Hdr.Name == "." {
			ok = true
		}
	}
	if !ok {
		t.Errorf("the trust anchor %v is not the root KSK's DS", ds)
	}
	text := w.TrustAnchorText()
	if !strings.HasPrefix(text, "; ") {
		t.Errorf("TrustAnchorText has no comment: %q", text)
	}
	recs, err := parseRecords([]byte(text), &zone{name: "."})
	if err != nil || len(recs) != 1 || recs[0].String() != ds.String() {
		t.Errorf("TrustAnchorText parses to %v, %v", recs, err)
	}
	// A world with an unsigned root has none.
	if u := testWorld(t); len(u.TrustAnchor()) != 0 {
		t.Errorf("unsigned world: trust anchor %v", u.TrustAnchor())
	}
}

// TestExportSignedRoundTrip exports the default world and parses the
// signed zone files back with the lab's own parser: the same records, and
// a presigned zone that answers as the lab's.
func TestExportSignedRoundTrip(t *testing.T) {
	w := mustDefault(t)
	dir := t.TempDir()
	if err := Export(w, dir, 15353); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, TrustAnchorFile)); err != nil || string(data) != w.TrustAnchorText() {
		t.Errorf("%s: %v", TrustAnchorFile, err)
	}
	for _, tc := range []struct{ server, zone, file string }{
		{"a.root-servers.net", ".", "root.zone"}, {"a.gtld-servers.net", "com.", "com.zone"},
		{"ns1.secure3.net", "secure3.net.", "secure3.net.zone"}, {"ns1.secure.com", "badsig.com.", "badsig.com.zone"},
		{"ns1.secure.com", "ed448.com.", "ed448.com.zone"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.server, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		z, err := parseZone(data, tc.zone, tc.file)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		orig := w.zones[tc.zone]
		if got, want := rrs(z.records()), rrs(orig.records()); !slices.Equal(got, want) {
			t.Errorf("%s: %d records back, want %d", tc.file, len(got), len(want))
		}
		if !z.signed() || z.signing != nil {
			t.Errorf("%s: loads as signed %v, lab-signed %v; want a presigned zone", tc.file, z.signed(), z.signing != nil)
		}
		// The presigned zone answers as the lab's (no deliberately broken proof here).
		for _, q := range []struct {
			name  string
			qtype uint16
		}{{tc.zone, dns.TypeDNSKEY}, {"nstrace-nx." + strings.TrimPrefix(tc.zone, "."), dns.TypeA}, {"www." + strings.TrimPrefix(tc.zone, "."), dns.TypeA}} {
			q1 := query(q.name, q.qtype)
			q1.SetEdns0(4096, true)
			q2 := q1.Copy()
			a, b := authoritative([]*zone{z}, q1), authoritative([]*zone{orig}, q2)
			if a.String() != b.String() {
				t.Errorf("%s %s: the exported zone answers\n%v\nthe lab\n%v", q.name, dns.TypeToString[q.qtype], a, b)
			}
		}
	}
}

// TestServeDO1MatchesNetwork: real sockets give the same DO=1 replies as
// the in-memory network, over UDP (with truncation) and TCP.
func TestServeDO1MatchesNetwork(t *testing.T) {
	w := mustDefault(t)
	l := serveT(t, w)
	port := l.Addrs()[0].Port()
	n := NewNetwork(w)
	for _, tc := range []struct {
		server, name string
		qtype        uint16
		size         uint16
	}{
		{"127.0.1.1", "www.secure.com", dns.TypeA, 1232},
		{"127.0.1.2", "example.test", dns.TypeA, 1232},
		{"127.0.2.1", "www.secure.com", dns.TypeA, 1232},
		{"127.0.2.2", "nstrace-nx.com", dns.TypeA, 1232},
		{"127.0.2.3", "mydomain.com", dns.TypeDS, 1232},
		{"127.0.4.1", "www.secure.com", dns.TypeA, 1232},
		{"127.0.4.2", "nope.secure.com", dns.TypeA, 1232},
		{"127.0.4.2", "secure.com", dns.TypeDNSKEY, 1232},
		{"127.0.4.11", "nope.secure3.net", dns.TypeA, 1232},
		{"127.0.4.11", "nope.secure3.net", dns.TypeA, 512},
		{"127.0.4.12", "sub.secure3.net", dns.TypeA, 1232},
		{"127.0.4.1", "nope.badnsec3.com", dns.TypeA, 1232},
		{"127.0.4.1", "www.ed448.com", dns.TypeA, 1232},
	} {
		for _, proto := range []string{"udp", "tcp"} {
			q := query(tc.name, tc.qtype)
			q.SetEdns0(tc.size, true)
			want, _, err := n.Exchange(context.Background(), proto, ap(tc.server), q)
			if err != nil {
				t.Fatal(err)
			}
			c := &dns.Client{Net: proto, Timeout: 5 * time.Second, UDPSize: tc.size}
			got, _, err := c.Exchange(q, netip.AddrPortFrom(netip.MustParseAddr(tc.server), port).String())
			if err != nil {
				t.Fatalf("%s %s at %s over %s: %v", tc.name, dns.TypeToString[tc.qtype], tc.server, proto, err)
			}
			if got.String() != want.String() {
				t.Errorf("%s %s at %s over %s: socket\n%v\nnetwork\n%v", tc.name, dns.TypeToString[tc.qtype], tc.server, proto, got, want)
			}
		}
	}
}

// TestWithChangeResigns: a change of a signed zone is signed again.
func TestWithChangeResigns(t *testing.T) {
	w := mustDefault(t)
	nw, err := w.WithChange("secure.com", "www 300 IN A 127.10.60.99\nnew 300 IN A 127.10.60.98\n")
	if err != nil {
		t.Fatal(err)
	}
	n := NewNetwork(nw)
	for _, name := range []string{"www.secure.com", "new.secure.com", "nope.secure.com"} {
		verifyReply(t, nw, ask(t, n, "127.0.4.1", name, dns.TypeA))
	}
	if m := ask(t, n, "127.0.4.1", "www.secure.com", dns.TypeA); !strings.Contains(m.String(), "127.10.60.99") {
		t.Errorf("the change is not served: %v", m)
	}
}

func TestZoneOptions(t *testing.T) {
	tests := []struct {
		line    string
		wantErr string
	}{
		{"zone x.test zones/x.zone dnssec=nsec3", ""},
		{"zone x.test zones/x.zone dnssec=nsec algorithm=ed448 inception=2025-02-01 expiration=2030-01-01T12:00:00Z", ""},
		{"zone x.test zones/x.zone dnssec=nsec break=ds-mismatch,nosig:@/SOA break=alter:a/A", ""},
		{"zone x.test zones/x.zone dnssec=nsec5", "bad dnssec=nsec5"},
		{"zone x.test zones/x.zone break=unsigned", "need dnssec=nsec or dnssec=nsec3"},
		{"zone x.test zones/x.zone dnssec=nsec dnssec=nsec3", "given twice"},
		{"zone x.test zones/x.zone dnssec=nsec algorithm=rsa", "bad algorithm"},
		{"zone x.test zones/x.zone dnssec=nsec expiration=soon", "bad expiration"},
		{"zone x.test zones/x.zone dnssec=nsec expiration=2024-01-01", "is not before expiration"},
		{"zone x.test zones/x.zone dnssec=nsec break=explode", "bad break=explode"},
		{"zone x.test zones/x.zone dnssec=nsec break=alter:a/MX", "only A and TXT"},
		{"zone x.test zones/x.zone dnssec=nsec break=alter:nothere/A", "no signed RRset there"},
		{"zone x.test zones/x.zone dnssec=nsec break=nosig:a.other./A", "outside the zone"},
		{"zone x.test zones/x.zone dnssec=nsec nsec3", "want KEY=VALUE"},
		{"zone x.test zones/x.zone dnssec=nsec color=blue", "unknown zone option"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			fsys := fstest.MapFS{
				"world.conf":      {Data: []byte(tt.line + "\nzone . zones/root.zone\nserver a.root. 127.0.0.1 . x.test\n")},
				"zones/x.zone":    {Data: []byte(xZone + "a A 127.0.0.5\n")},
				"zones/root.zone": {Data: []byte("@ SOA a.root. b. 1 2 3 4 5\n@ NS a.root.\na.root. A 127.0.0.1\nx.test. NS a.\n")},
			}
			w, err := Load(fsys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.zones["x.test."].signed() {
				t.Error("x.test is not signed")
			}
		})
	}
}

func TestDomainDNSSECOption(t *testing.T) {
	for _, tc := range []struct {
		line    string
		dnssec  bool
		wantErr string
	}{
		{"domain a.x.test A dnssec a signed name", true, ""},
		{"domain a.x.test A expect=NXDOMAIN DNSSEC findings=RRSIG_EXPIRED gone", true, ""},
		{"domain a.x.test A a plain name, dnssec later", false, ""},
		{"domain a.x.test A dnssec dnssec twice", false, "dnssec given twice"},
	} {
		fsys := testFS()
		fsys["world.conf"] = &fstest.MapFile{Data: append(slices.Clone(fsys["world.conf"].Data), []byte("\n"+tc.line+"\n")...)}
		w, err := Load(fsys)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want %q", tc.line, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		ds := w.Domains()
		if d := ds[len(ds)-1]; d.DNSSEC != tc.dnssec || strings.Contains(d.Description, "dnssec dnssec") {
			t.Errorf("%s: DNSSEC %v, description %q", tc.line, d.DNSSEC, d.Description)
		}
	}
}

// TestZoneOptionChecks: the zone line errors that TestZoneOptions does
// not reach, each a clear error that names the zone.
func TestZoneOptionChecks(t *testing.T) {
	ksk := makeLabKey("x.test.", "ksk", dns.ED25519, flagsKSK, 3600).dnskey.String()
	tests := []struct{ name, opts, zone, wantErr string }{
		{"argument to a break that takes none", "dnssec=nsec break=unsigned:a", xZone + "a A 127.0.0.5\n", "break=unsigned takes no argument"},
		{"nxproof on a chain of 2", "dnssec=nsec break=nxproof", xZone + "a A 127.0.0.5\n", "break=nxproof needs a chain of at least 3 records"},
		{"dnssec= on a signed zone file", "dnssec=nsec", xZone + ksk + "\n", "zones/x.zone is signed already"},
		{"dnssec= on a zone file with NSEC", "dnssec=nsec", xZone + "@ NSEC a.x.test. SOA NS NSEC\n", "zones/x.zone is signed already"},
		{"dnssec= on a zone file with NSEC3", "dnssec=nsec", xZone + "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.x.test. NSEC3 1 0 0 - 1p9mhaveqvm6t7vbl5lop2u3t2rp3tom A\n", "zones/x.zone is signed already"},
		{"dnssec= on a zone file with NSEC3PARAM", "dnssec=nsec3", xZone + "@ NSEC3PARAM 1 0 0 -\n", "zones/x.zone is signed already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"world.conf":      {Data: []byte("zone x.test zones/x.zone " + tt.opts + "\nzone . zones/root.zone\nserver a.root. 127.0.0.1 . x.test\n")},
				"zones/x.zone":    {Data: []byte(tt.zone)},
				"zones/root.zone": {Data: []byte("@ SOA a.root. b. 1 2 3 4 5\n@ NS a.root.\na.root. A 127.0.0.1\nx.test. NS a.\n")},
			}
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "zone x.test") {
				t.Fatalf("Load: %v, want %q about zone x.test", err, tt.wantErr)
			}
		})
	}
}
