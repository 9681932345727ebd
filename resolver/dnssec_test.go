package resolver

import (
	"crypto"
	"encoding/base64"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnssecNow is the fixed "now" of every DNSSEC test.
var dnssecNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// testKey is a generated DNSKEY and its private half.
type testKey struct {
	*dns.DNSKEY
	signer crypto.Signer
}

func newTestKey(t testing.TB, zone string, flags uint16, alg uint8) testKey {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: flags, Protocol: 3, Algorithm: alg}
	bits := 256
	switch alg {
	case dns.RSASHA256, dns.RSASHA512:
		bits = 2048
	case dns.ECDSAP384SHA384:
		bits = 384
	}
	priv, err := k.Generate(bits)
	if err != nil {
		t.Fatalf("generate %s key: %v", zone, err)
	}
	return testKey{DNSKEY: k, signer: priv.(crypto.Signer)}
}

// sign signs rrset with the key, valid from from until until.
func (k testKey) sign(t testing.TB, rrset []dns.RR, from, until time.Time) *dns.RRSIG {
	t.Helper()
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: rrset[0].Header().Ttl}, Algorithm: k.Algorithm, KeyTag: k.KeyTag(),
		SignerName: k.Hdr.Name, Inception: uint32(from.Unix()), Expiration: uint32(until.Unix())}
	if err := sig.Sign(k.signer, rrset); err != nil {
		t.Fatalf("sign %s: %v", rrset[0].Header().Name, err)
	}
	return sig
}

// signNow signs with a window of one day before to thirty days after now.
func (k testKey) signNow(t testing.TB, rrset ...dns.RR) *dns.RRSIG {
	t.Helper()
	return k.sign(t, rrset, dnssecNow.Add(-24*time.Hour), dnssecNow.Add(30*24*time.Hour))
}

// testZone is a signed zone: a KSK (flags 257) and a ZSK (flags 256).
type testZone struct {
	name     string
	ksk, zsk testKey
}

func newTestZone(t testing.TB, name string, alg uint8) *testZone {
	return &testZone{name: name, ksk: newTestKey(t, name, 257, alg), zsk: newTestKey(t, name, 256, alg)}
}

func (z *testZone) dnskeys() []dns.RR { return []dns.RR{z.ksk.DNSKEY, z.zsk.DNSKEY} }

func (z *testZone) keys() []*dns.DNSKEY { return []*dns.DNSKEY{z.ksk.DNSKEY, z.zsk.DNSKEY} }

// signed returns the records followed by one ZSK RRSIG per RRset.
func (z *testZone) signed(t testing.TB, records ...dns.RR) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, set := range rrsetsOf(records) {
		out = append(out, set...)
		out = append(out, z.zsk.signNow(t, set...))
	}
	return out
}

// rrsetsOf groups records by owner and type, in first-seen order.
func rrsetsOf(records []dns.RR) [][]dns.RR {
	var sets [][]dns.RR
	for _, r := range records {
		h := r.Header()
		i := slices.IndexFunc(sets, func(s []dns.RR) bool {
			return strings.EqualFold(s[0].Header().Name, h.Name) && s[0].Header().Rrtype == h.Rrtype
		})
		if i < 0 {
			sets = append(sets, []dns.RR{r})
		} else {
			sets[i] = append(sets[i], r)
		}
	}
	return sets
}

func zrr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil || r == nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return r
}

func zrrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	out := make([]dns.RR, len(lines))
	for i, l := range lines {
		out[i] = zrr(t, l)
	}
	return out
}

// collidingKey makes a bogusVerdict DNSKEY of alg whose key tag is tag: a made-up
// 32-byte public key whose last two bytes are searched for the tag.
func collidingKey(t testing.TB, zone string, flags uint16, alg uint8, tag uint16, seed byte) *dns.DNSKEY {
	t.Helper()
	pub := make([]byte, 32)
	for i := range pub {
		pub[i] = seed + byte(i)*7
	}
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600}, Flags: flags, Protocol: 3, Algorithm: alg}
	for x := 0; x < 1<<16; x++ {
		pub[30], pub[31] = byte(x>>8), byte(x)
		k.PublicKey = base64.StdEncoding.EncodeToString(pub)
		if k.KeyTag() == tag {
			return k
		}
	}
	t.Fatalf("no key with tag %d", tag)
	return nil
}

func checkVerdict(t *testing.T, v Verdict, state Security, code, reason string) {
	t.Helper()
	if v.State != state || v.Code != code {
		t.Fatalf("verdict = %v %q (%s), want %v %q", v.State, v.Code, v.Reason, state, code)
	}
	if !strings.Contains(v.Reason, reason) {
		t.Fatalf("reason = %q, want it to contain %q", v.Reason, reason)
	}
	if (state == SecurityBogus || state == SecurityIndeterminate) != (v.Code != "") {
		t.Fatalf("code %q with state %v", v.Code, v.State)
	}
	if !slices.IsSorted(v.KeyTags) {
		t.Fatalf("key tags %v are not sorted", v.KeyTags)
	}
}

func TestSecurityString(t *testing.T) {
	want := map[Security]string{SecurityUnchecked: "", SecuritySecure: "secure", SecurityInsecure: "insecure",
		SecurityBogus: "bogus", SecurityIndeterminate: "indeterminate", Security(9): "Security(9)"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), w)
		}
	}
}

func TestCanonicalOrder(t *testing.T) {
	// RFC 4034 §6.1, in order.
	names := []string{
		"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
		"z.example.", `\001.z.example.`, "*.z.example.", `\200.z.example.`,
	}
	for i := range names {
		for j := range names {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := canonicalCompare(names[i], names[j]); got != want {
				t.Errorf("canonicalCompare(%q, %q) = %d, want %d", names[i], names[j], got, want)
			}
		}
	}
	shuffled := slices.Clone(names)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, canonicalCompare)
	if !slices.Equal(shuffled, names) {
		t.Errorf("sorted = %v", shuffled)
	}
	if canonicalCompare("Example.COM", "example.com.") != 0 {
		t.Error("case or the final dot matters")
	}
}

func TestNSECCovers(t *testing.T) {
	tests := []struct {
		owner, next, name string
		want              bool
	}{
		{"a.example.", "c.example.", "b.example.", true},
		{"a.example.", "c.example.", "B.EXAMPLE.", true},
		{"a.example.", "c.example.", "x.a.example.", true}, // below owner, before next
		{"a.example.", "c.example.", "a.example.", false},  // a match, not a cover
		{"a.example.", "c.example.", "c.example.", false},
		{"a.example.", "c.example.", "d.example.", false},
		{"a.example.", "c.example.", "example.", false},
		{"z.example.", "example.", "zz.example.", true}, // the last NSEC wraps to the apex
		{"z.example.", "example.", "a.z.example.", true},
		{"z.example.", "example.", "b.example.", false},
		{"z.example.", "example.", "example.", false},
		{"example.", "example.", "a.example.", true}, // a zone with one name
		{"example.", "example.", "example.", false},
	}
	for _, tc := range tests {
		if got := nsecCovers(tc.owner, tc.next, tc.name); got != tc.want {
			t.Errorf("nsecCovers(%s, %s, %s) = %v, want %v", tc.owner, tc.next, tc.name, got, tc.want)
		}
	}
}

func TestNSEC3CoversAndMiekgSemantics(t *testing.T) {
	zone := "example."
	h := func(n string) string { return dns.HashName(n, dns.SHA1, 0, "") }
	names := []string{"example.", "a.example.", "b.example.", "c.example."}
	hashes := make([]string, len(names))
	for i, n := range names {
		hashes[i] = h(n)
	}
	slices.Sort(hashes)
	first, last := hashes[0], hashes[len(hashes)-1]
	mk := func(owner, next string) *dns.NSEC3 {
		return &dns.NSEC3{Hdr: dns.RR_Header{Name: owner + "." + zone, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET},
			Hash: dns.SHA1, HashLength: 20, NextDomain: next}
	}
	for _, n := range []string{"nope.example.", "x.y.example.", "*.example."} {
		hn := h(n)
		// Exactly one record of the chain covers a name that is not in it.
		covering := 0
		for i := range hashes {
			owner, next := hashes[i], hashes[(i+1)%len(hashes)]
			if nsec3Covers(owner, next, hn) {
				covering++
				if !mk(owner, next).Cover(n) {
					t.Errorf("miekg Cover disagrees for %s", n)
				}
			}
		}
		if covering != 1 {
			t.Errorf("%s (hash %s) covered by %d records, want 1", n, hn, covering)
		}
	}
	// The last record wraps around to the first hash.
	wrap := mk(last, first)
	if !nsec3Covers(last, first, "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ") || !nsec3Covers(last, first, "00000000000000000000000000000000") {
		t.Error("the last NSEC3 does not wrap around")
	}
	// miekg/dns v1.1.73 counts a name whose hash is the owner's of a record
	// that does not wrap as covered; RFC 5155 calls that a match, which is
	// why nsec3Covers is our own.
	n := names[slices.IndexFunc(names, func(n string) bool { return h(n) == first })]
	if nsec3Covers(first, hashes[1], h(n)) || nsec3Covers(last, first, last) {
		t.Errorf("nsec3Covers counts the owner's own hash as covered")
	}
	if !mk(first, hashes[1]).Match(n) || !wrap.Match(names[slices.IndexFunc(names, func(n string) bool { return h(n) == last })]) {
		t.Errorf("miekg Match disagrees")
	}
	t.Logf("miekg NSEC3.Cover of the owner's own name: %v (RFC 5155: false)", mk(first, hashes[1]).Cover(n))
}

func TestValidateKeys(t *testing.T) {
	z := newTestZone(t, "example.com.", dns.ED25519)
	other := newTestZone(t, "example.com.", dns.ED25519)
	goodSig := z.ksk.signNow(t, z.dnskeys()...)
	ds2 := z.ksk.ToDS(dns.SHA256)

	revoked := newTestKey(t, "example.com.", 257|dns.REVOKE, dns.ED25519)
	revokedSet := []dns.RR{revoked.DNSKEY, z.zsk.DNSKEY}

	ed448 := &dns.DNSKEY{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: dns.ED448, PublicKey: base64.StdEncoding.EncodeToString(make([]byte, 57))}

	wrongDigest := func(d *dns.DS) *dns.DS {
		c := dns.Copy(d).(*dns.DS)
		c.Digest = strings.Repeat("0", len(c.Digest))
		return c
	}
	tamperedZSK := dns.Copy(z.zsk.DNSKEY).(*dns.DNSKEY)
	tamperedZSK.Flags = 257

	tests := []struct {
		name    string
		ds      []*dns.DS
		anchors []*dns.DNSKEY
		keys    []dns.RR
		sigs    []*dns.RRSIG
		state   Security
		code    string
		reason  string
		nkeys   int
	}{
		{name: "DS digest type 2", ds: []*dns.DS{ds2}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecuritySecure, reason: "matches the DS", nkeys: 2},
		{name: "DS digest type 1", ds: []*dns.DS{z.ksk.ToDS(dns.SHA1)}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecuritySecure, nkeys: 2},
		{name: "DS digest type 4", ds: []*dns.DS{z.ksk.ToDS(dns.SHA384)}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecuritySecure, nkeys: 2},
		{name: "lower-case digest", ds: []*dns.DS{func() *dns.DS { d := dns.Copy(ds2).(*dns.DS); d.Digest = strings.ToLower(d.Digest); return d }()},
			keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecuritySecure, nkeys: 2},
		{name: "trust anchor key", anchors: []*dns.DNSKEY{z.ksk.DNSKEY}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecuritySecure, reason: "matches the trust anchor", nkeys: 2},
		{name: "junk in the RRset is ignored", ds: []*dns.DS{ds2},
			keys: append(z.dnskeys(), nil, zrr(t, "example.com. 3600 IN A 192.0.2.1"), other.ksk.ToDS(2), (*dns.DNSKEY)(nil),
				zrr(t, "other.example. 3600 IN DNSKEY 257 3 15 "+other.ksk.PublicKey)),
			sigs: []*dns.RRSIG{nil, goodSig}, state: SecuritySecure, nkeys: 2},
		{name: "DS mismatch", ds: []*dns.DS{other.ksk.ToDS(dns.SHA256)}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig},
			state: SecurityBogus, code: CodeDSMismatch, reason: "matches none of the 2 DNSKEYs example.com. serves"},
		{name: "two DS, both mismatched", ds: []*dns.DS{other.ksk.ToDS(2), other.zsk.ToDS(2)}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig},
			state: SecurityBogus, code: CodeDSMismatch, reason: "the 2 DS records for example.com."},
		{name: "trust anchor key not served", anchors: []*dns.DNSKEY{other.ksk.DNSKEY}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig},
			state: SecurityBogus, code: CodeDSMismatch, reason: "trust anchor key"},
		{name: "no DS, no anchor", keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig}, state: SecurityBogus, code: CodeDSMismatch, reason: "no DS record or trust anchor"},
		{name: "DNSKEY missing", ds: []*dns.DS{ds2}, state: SecurityBogus, code: CodeDNSKEYMissing,
			reason: "example.com. has a DS (key tag " + u16(ds2.KeyTag) + ", algorithm 15, digest type 2) at its parent but serves no DNSKEY"},
		{name: "expired", ds: []*dns.DS{ds2}, keys: z.dnskeys(),
			sigs:  []*dns.RRSIG{z.ksk.sign(t, z.dnskeys(), dnssecNow.Add(-60*24*time.Hour), dnssecNow.Add(-24*time.Hour))},
			state: SecurityBogus, code: CodeRRSIGExpired, reason: "expired at 2026-05-31T00:00:00Z (it is now 2026-06-01T00:00:00Z)"},
		{name: "not yet valid", ds: []*dns.DS{ds2}, keys: z.dnskeys(),
			sigs:  []*dns.RRSIG{z.ksk.sign(t, z.dnskeys(), dnssecNow.Add(24*time.Hour), dnssecNow.Add(60*24*time.Hour))},
			state: SecurityBogus, code: CodeRRSIGNotYetValid, reason: "is not valid until 2026-06-02T00:00:00Z"},
		{name: "invalid: RRset altered after signing", ds: []*dns.DS{ds2}, keys: []dns.RR{z.ksk.DNSKEY, tamperedZSK}, sigs: []*dns.RRSIG{goodSig},
			state: SecurityBogus, code: CodeRRSIGInvalid, reason: "does not verify"},
		{name: "missing signature", ds: []*dns.DS{ds2}, keys: z.dnskeys(), state: SecurityBogus, code: CodeRRSIGMissing, reason: "there is no RRSIG for example.com./DNSKEY"},
		{name: "signed by the ZSK only", ds: []*dns.DS{ds2}, keys: z.dnskeys(), sigs: []*dns.RRSIG{z.zsk.signNow(t, z.dnskeys()...)},
			state: SecurityBogus, code: CodeRRSIGMissing, reason: "not among the trusted keys"},
		{name: "revoked key", ds: []*dns.DS{revoked.ToDS(2)}, keys: revokedSet, sigs: []*dns.RRSIG{revoked.signNow(t, revokedSet...)},
			state: SecurityBogus, code: CodeDSMismatch, reason: "revoked"},
		{name: "unsupported algorithm ED448", ds: []*dns.DS{ed448.ToDS(2)}, keys: []dns.RR{ed448}, state: SecurityIndeterminate,
			code: CodeUnsupportedAlgorithm, reason: "algorithm 16 (ED448)"},
		{name: "unsupported digest type 3", ds: []*dns.DS{func() *dns.DS { d := dns.Copy(ds2).(*dns.DS); d.DigestType = 3; return d }()},
			keys: z.dnskeys(), state: SecurityIndeterminate, code: CodeUnsupportedAlgorithm, reason: "digest type 3"},
		{name: "SHA-1 DS ignored when a wrong SHA-256 DS exists", ds: []*dns.DS{z.ksk.ToDS(dns.SHA1), wrongDigest(ds2)}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig},
			state: SecurityBogus, code: CodeDSMismatch, reason: "digest type 2"},
		{name: "wrong SHA-1 DS ignored when SHA-256 is right", ds: []*dns.DS{wrongDigest(z.ksk.ToDS(dns.SHA1)), ds2}, keys: z.dnskeys(), sigs: []*dns.RRSIG{goodSig},
			state: SecuritySecure, nkeys: 2},
		{name: "one supported DS among unsupported ones", ds: []*dns.DS{ed448.ToDS(2), ds2}, keys: append(z.dnskeys(), ed448),
			sigs: []*dns.RRSIG{z.ksk.signNow(t, append(z.dnskeys(), ed448)...)}, state: SecuritySecure, nkeys: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, v := ValidateKeys("Example.COM", tc.ds, tc.anchors, tc.keys, tc.sigs, dnssecNow)
			checkVerdict(t, v, tc.state, tc.code, tc.reason)
			if len(keys) != tc.nkeys {
				t.Errorf("%d trusted keys, want %d", len(keys), tc.nkeys)
			}
			if tc.state == SecuritySecure && !slices.Equal(v.KeyTags, []uint16{z.ksk.KeyTag()}) {
				t.Errorf("key tags %v, want [%d]", v.KeyTags, z.ksk.KeyTag())
			}
		})
	}
}

func u16(n uint16) string { return strconv.Itoa(int(n)) }

// TestChainOfTrust walks DS -> KSK -> DNSKEY RRset -> ZSK -> A RRset for
// each algorithm the tests can generate.
func TestChainOfTrust(t *testing.T) {
	for _, alg := range []uint8{dns.ED25519, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.RSASHA256} {
		t.Run(dns.AlgorithmToString[alg], func(t *testing.T) {
			z := newTestZone(t, "example.com.", alg)
			keys, v := ValidateKeys("example.com.", []*dns.DS{z.ksk.ToDS(dns.SHA256)}, nil, z.dnskeys(),
				[]*dns.RRSIG{z.ksk.signNow(t, z.dnskeys()...)}, dnssecNow)
			checkVerdict(t, v, SecuritySecure, "", "example.com.")
			a := zrrs(t, "www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.2")
			v = ValidateRRset(a, []*dns.RRSIG{z.zsk.signNow(t, a...)}, "example.com.", keys, dnssecNow)
			checkVerdict(t, v, SecuritySecure, "", "www.example.com./A is signed by key tag")
			if !slices.Equal(v.KeyTags, []uint16{z.zsk.KeyTag()}) || v.Wildcard != "" {
				t.Errorf("key tags %v wildcard %q", v.KeyTags, v.Wildcard)
			}
		})
	}
}

func TestValidateRRset(t *testing.T) {
	z := newTestZone(t, "example.com.", dns.ED25519)
	other := newTestZone(t, "other.com.", dns.ED25519)
	a := zrrs(t, "www.example.com. 300 IN A 192.0.2.1")
	good := z.zsk.signNow(t, a...)
	altered := zrrs(t, "www.example.com. 300 IN A 192.0.2.99")
	wild := zrrs(t, "*.example.com. 300 IN TXT \"hi\"")
	wildSig := z.zsk.signNow(t, wild...)
	expanded := zrrs(t, "a.b.example.com. 300 IN TXT \"hi\"")
	expandedSig := dns.Copy(wildSig).(*dns.RRSIG) // as a server sends it: owned by the query name
	expandedSig.Hdr.Name = "a.b.example.com."
	badLabels := dns.Copy(good).(*dns.RRSIG)
	badLabels.Labels = 5
	// A signature by other.com.'s key that names example.com. as signer
	// would not verify; this one is honestly by other.com.
	otherSig := other.zsk.signNow(t, a...)
	mixed := zrrs(t, "WWW.example.com. 300 IN A 192.0.2.1", "www.EXAMPLE.com. 300 IN A 192.0.2.2")

	tests := []struct {
		name   string
		rrset  []dns.RR
		sigs   []*dns.RRSIG
		signer string
		keys   []*dns.DNSKEY
		state  Security
		code   string
		reason string
	}{
		{name: "secure", rrset: a, sigs: []*dns.RRSIG{good}, state: SecuritySecure, reason: "www.example.com./A is signed by key tag"},
		{name: "secure among junk signatures", rrset: a, sigs: []*dns.RRSIG{nil, wildSig, otherSig, good}, state: SecuritySecure},
		{name: "owner names differ in case", rrset: mixed, sigs: []*dns.RRSIG{z.zsk.signNow(t, zrrs(t, "www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.2")...)}, state: SecuritySecure},
		{name: "expired", rrset: a, sigs: []*dns.RRSIG{z.zsk.sign(t, a, dnssecNow.Add(-48*time.Hour), dnssecNow.Add(-time.Second))},
			state: SecurityBogus, code: CodeRRSIGExpired, reason: "expired at 2026-05-31T23:59:59Z"},
		{name: "not yet valid", rrset: a, sigs: []*dns.RRSIG{z.zsk.sign(t, a, dnssecNow.Add(time.Hour), dnssecNow.Add(48*time.Hour))},
			state: SecurityBogus, code: CodeRRSIGNotYetValid, reason: "is not valid until 2026-06-01T01:00:00Z"},
		{name: "invalid: rdata altered after signing", rrset: altered, sigs: []*dns.RRSIG{good}, state: SecurityBogus, code: CodeRRSIGInvalid,
			reason: "the RRSIG for www.example.com./A by key tag " + u16(z.zsk.KeyTag()) + " (algorithm 15 (ED25519)) does not verify"},
		{name: "invalid beats expired", rrset: altered, sigs: []*dns.RRSIG{z.zsk.sign(t, a, dnssecNow.Add(-48*time.Hour), dnssecNow.Add(-time.Hour)), good},
			state: SecurityBogus, code: CodeRRSIGInvalid},
		{name: "missing", rrset: a, sigs: nil, state: SecurityBogus, code: CodeRRSIGMissing, reason: "there is no RRSIG for www.example.com./A"},
		{name: "wrong signer name", rrset: a, sigs: []*dns.RRSIG{otherSig}, state: SecurityBogus, code: CodeRRSIGMissing, reason: "signer other.com. instead of the zone example.com."},
		{name: "unknown key", rrset: a, sigs: []*dns.RRSIG{z.ksk.signNow(t, a...)}, keys: []*dns.DNSKEY{z.zsk.DNSKEY}, state: SecurityBogus, code: CodeRRSIGMissing, reason: "not among the trusted keys"},
		{name: "no trusted keys", rrset: a, sigs: []*dns.RRSIG{good}, keys: []*dns.DNSKEY{}, state: SecurityBogus, code: CodeDNSKEYMissing},
		{name: "labels larger than the owner's", rrset: a, sigs: []*dns.RRSIG{badLabels}, state: SecurityBogus, code: CodeRRSIGInvalid, reason: "Labels field (5)"},
		{name: "owner outside the signer's zone", rrset: a, sigs: []*dns.RRSIG{good}, signer: "sub.example.com.", state: SecurityBogus, code: CodeRRSIGInvalid, reason: "not in the zone"},
		{name: "wildcard expansion", rrset: expanded, sigs: []*dns.RRSIG{expandedSig}, state: SecuritySecure},
		{name: "literal wildcard", rrset: wild, sigs: []*dns.RRSIG{wildSig}, state: SecuritySecure},
		{name: "unsupported algorithm only", rrset: a, sigs: []*dns.RRSIG{func() *dns.RRSIG { s := dns.Copy(good).(*dns.RRSIG); s.Algorithm = dns.ED448; return s }()},
			state: SecurityIndeterminate, code: CodeUnsupportedAlgorithm, reason: "algorithm 16 (ED448)"},
		{name: "empty RRset", rrset: nil, sigs: []*dns.RRSIG{good}, state: SecurityBogus, code: CodeRRSIGInvalid},
		{name: "nil records only", rrset: []dns.RR{nil, (*dns.A)(nil)}, sigs: []*dns.RRSIG{good}, state: SecurityBogus, code: CodeRRSIGInvalid},
		{name: "records of two types", rrset: append(zrrs(t, "www.example.com. 300 IN AAAA ::1"), a...), sigs: []*dns.RRSIG{good}, state: SecurityBogus, code: CodeRRSIGInvalid, reason: "not one RRset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signer, keys := tc.signer, tc.keys
			if signer == "" {
				signer = "example.com."
			}
			if keys == nil {
				keys = z.keys()
			}
			v := ValidateRRset(tc.rrset, tc.sigs, signer, keys, dnssecNow)
			checkVerdict(t, v, tc.state, tc.code, tc.reason)
		})
	}

	t.Run("wildcard is reported", func(t *testing.T) {
		v := ValidateRRset(expanded, []*dns.RRSIG{expandedSig}, "example.com.", z.keys(), dnssecNow)
		if v.Wildcard != "*.example.com." {
			t.Errorf("Wildcard = %q", v.Wildcard)
		}
		if !WildcardExpanded([]*dns.RRSIG{expandedSig}, "a.b.example.com.") || WildcardExpanded([]*dns.RRSIG{wildSig}, "*.example.com.") ||
			WildcardExpanded([]*dns.RRSIG{good}, "www.example.com.") || WildcardExpanded(nil, "x.") {
			t.Error("WildcardExpanded is wrong")
		}
		if v := ValidateRRset(wild, []*dns.RRSIG{wildSig}, "example.com.", z.keys(), dnssecNow); v.Wildcard != "" {
			t.Errorf("literal wildcard reported as expanded: %q", v.Wildcard)
		}
	})
}

func TestSigTimeSerialArithmetic(t *testing.T) {
	// 2106-02-07 is past 2^32 seconds: the field wraps, the time does not.
	now := time.Date(2106, 3, 1, 0, 0, 0, 0, time.UTC)
	later := now.Add(24 * time.Hour)
	if got := sigTime(uint32(later.Unix()), now); !got.Equal(later) {
		t.Errorf("sigTime = %v, want %v", got, later)
	}
	if got := sigTime(uint32(dnssecNow.Add(-time.Hour).Unix()), dnssecNow); !got.Equal(dnssecNow.Add(-time.Hour)) {
		t.Errorf("sigTime = %v", got)
	}
}

func TestKeyTrapLimits(t *testing.T) {
	z := newTestZone(t, "example.com.", dns.ED25519)
	a := zrrs(t, "www.example.com. 300 IN A 192.0.2.1")
	good := z.zsk.signNow(t, a...)

	t.Run("many signatures", func(t *testing.T) {
		var sigs []*dns.RRSIG
		for i := range 9 {
			s := dns.Copy(good).(*dns.RRSIG)
			s.Signature = base64.StdEncoding.EncodeToString(append(make([]byte, 63), byte(i)))
			sigs = append(sigs, s)
		}
		sigs = append(sigs, good) // too late: the limit is hit first
		v := ValidateRRset(a, sigs, "example.com.", z.keys(), dnssecNow)
		checkVerdict(t, v, SecurityBogus, CodeRRSIGInvalid, "limit of 8 signature verifications")
		// Eight bad signatures and then the good one fit in the limit.
		v = ValidateRRset(a, append(sigs[:7:7], good), "example.com.", z.keys(), dnssecNow)
		checkVerdict(t, v, SecuritySecure, "", "")
	})

	t.Run("colliding key tags", func(t *testing.T) {
		tag := z.zsk.KeyTag()
		var keys []*dns.DNSKEY
		for i := range 4 {
			keys = append(keys, collidingKey(t, "example.com.", 256, dns.ED25519, tag, byte(i+1)))
		}
		v := ValidateRRset(a, []*dns.RRSIG{good}, "example.com.", append(slices.Clone(keys), z.zsk.DNSKEY), dnssecNow)
		checkVerdict(t, v, SecurityBogus, CodeRRSIGInvalid, "limit of 4 keys tried per key tag")
		v = ValidateRRset(a, []*dns.RRSIG{good}, "example.com.", append(keys[:3:3], z.zsk.DNSKEY), dnssecNow)
		checkVerdict(t, v, SecuritySecure, "", "")

		// The same against a DS: five keys share the KSK's tag.
		ktag := z.ksk.KeyTag()
		set := []dns.RR{}
		for i := range 5 {
			set = append(set, collidingKey(t, "example.com.", 257, dns.ED25519, ktag, byte(i+10)))
		}
		set = append(set, z.dnskeys()...)
		_, v = ValidateKeys("example.com.", []*dns.DS{z.ksk.ToDS(2)}, nil, set, []*dns.RRSIG{z.ksk.signNow(t, set...)}, dnssecNow)
		checkVerdict(t, v, SecurityBogus, CodeRRSIGInvalid, "share key tag")
	})

	t.Run("huge hostile sets do not panic", func(t *testing.T) {
		var keys []dns.RR
		var sigs []*dns.RRSIG
		for i := range 2000 {
			k := dns.Copy(z.zsk.DNSKEY).(*dns.DNSKEY)
			k.PublicKey = base64.StdEncoding.EncodeToString([]byte{byte(i), byte(i >> 8)})
			keys = append(keys, k, nil)
			s := dns.Copy(good).(*dns.RRSIG)
			s.TypeCovered = dns.TypeDNSKEY
			s.Hdr.Name = "example.com."
			s.KeyTag = uint16(i)
			s.Signature = "!!"
			sigs = append(sigs, s, nil)
		}
		start := time.Now()
		_, v := ValidateKeys("example.com.", []*dns.DS{z.ksk.ToDS(2)}, nil, keys, sigs, dnssecNow)
		if v.State != SecurityBogus {
			t.Errorf("verdict %v", v)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

// nsecZone is example.com. signed with NSEC:
//
//	example.com.        SOA NS DNSKEY
//	a.example.com.      A
//	c.example.com.      A
//	signed.example.com. NS DS (a secure delegation)
//	sub.example.com.    NS    (an insecure delegation)
//	x.y.example.com.    A     (y.example.com. is an empty non-terminal)
type nsecZone struct {
	*testZone
	nsec map[string][]dns.RR // owner -> the NSEC and its RRSIG
}

func newNSECZone(t testing.TB) *nsecZone {
	z := &nsecZone{testZone: newTestZone(t, "example.com.", dns.ED25519), nsec: map[string][]dns.RR{}}
	chain := []struct {
		owner, next, types string
	}{
		{"example.com.", "a.example.com.", "SOA NS DNSKEY RRSIG NSEC"},
		{"a.example.com.", "c.example.com.", "A RRSIG NSEC"},
		{"c.example.com.", "signed.example.com.", "A RRSIG NSEC"},
		{"signed.example.com.", "sub.example.com.", "NS DS RRSIG NSEC"},
		{"sub.example.com.", "x.y.example.com.", "NS RRSIG NSEC"},
		{"x.y.example.com.", "example.com.", "A RRSIG NSEC"},
	}
	for _, c := range chain {
		z.nsec[c.owner] = z.signed(t, nsecRR(t, c.owner+" 3600 IN NSEC "+c.next+" "+c.types))
	}
	return z
}

// nsecRR parses an NSEC record and sorts its type bitmap.
func nsecRR(t testing.TB, s string) dns.RR {
	r := zrr(t, s).(*dns.NSEC)
	slices.Sort(r.TypeBitMap)
	return r
}

func (z *nsecZone) ns(names ...string) []dns.RR {
	out := []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600}, Ns: "ns.example.com.", Mbox: "h.example.com."}}
	for _, n := range names {
		out = append(out, z.nsec[n]...)
	}
	return out
}

func TestNSECDenial(t *testing.T) {
	z := newNSECZone(t)
	keys := z.keys()
	// An NSEC whose next name was changed after signing.
	forged := []dns.RR{dns.Copy(z.nsec["a.example.com."][0]), z.nsec["a.example.com."][1]}
	forged[0].(*dns.NSEC).NextDomain = "e.example.com."
	cnameNSEC := z.signed(t, nsecRR(t, "a.example.com. 3600 IN NSEC c.example.com. CNAME RRSIG NSEC"))
	childApex := z.signed(t, nsecRR(t, "sub.example.com. 3600 IN NSEC x.y.example.com. SOA NS DNSKEY RRSIG NSEC"))
	wildZone := z.signed(t,
		nsecRR(t, "example.com. 3600 IN NSEC *.example.com. SOA NS DNSKEY RRSIG NSEC"),
		nsecRR(t, "*.example.com. 3600 IN NSEC a.example.com. TXT RRSIG NSEC"))
	unsignedNSEC := []dns.RR{z.nsec["a.example.com."][0]}

	tests := []struct {
		name   string
		check  func(msgNs []dns.RR) Verdict
		msgNs  []dns.RR
		state  Security
		code   string
		reason string
	}{
		{"NXDOMAIN", nxCheck("b.example.com.", keys), z.ns("a.example.com.", "example.com."), SecuritySecure, "",
			"the NSEC from a.example.com. to c.example.com. proves b.example.com. does not exist, and no wildcard *.example.com. exists"},
		{"NXDOMAIN, one NSEC proves both", nxCheck("0.example.com.", keys), z.ns("example.com."), SecuritySecure, "", ""},
		{"NXDOMAIN below an existing name", nxCheck("q.c.example.com.", keys), z.ns("c.example.com.", "example.com."), SecuritySecure, "", ""},
		{"NXDOMAIN after the last NSEC (wrap-around)", nxCheck("zzz.example.com.", keys), z.ns("x.y.example.com.", "example.com."), SecuritySecure, "", ""},
		{"NXDOMAIN missing the wildcard proof", nxCheck("b.example.com.", keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid,
			"no NSEC record proves that the wildcard *.example.com. does not exist"},
		{"NXDOMAIN with a non-covering NSEC", nxCheck("b.example.com.", keys), z.ns("c.example.com.", "example.com."), SecurityBogus, CodeNSECProofInvalid,
			"no NSEC record in the reply covers b.example.com."},
		{"NXDOMAIN for a name that has an NSEC", nxCheck("a.example.com.", keys), z.ns("a.example.com.", "example.com."), SecurityBogus, CodeNSECProofInvalid, "shows the name exists"},
		{"NXDOMAIN below a delegation", nxCheck("q.sub.example.com.", keys), z.ns("sub.example.com.", "example.com."), SecurityBogus, CodeNSECProofInvalid, "covers q.sub.example.com."},
		{"NXDOMAIN with a wildcard that exists", nxCheck("b.example.com.", keys), append(z.ns("a.example.com."), wildZone...), SecurityBogus, CodeNSECProofInvalid, "shows the wildcard exists"},
		{"NXDOMAIN with a forged NSEC", nxCheck("d.example.com.", keys), append(z.ns("example.com."), forged...), SecurityBogus, CodeRRSIGInvalid, "a.example.com./NSEC"},
		{"NXDOMAIN with an unsigned NSEC", nxCheck("b.example.com.", keys), append(z.ns("example.com."), unsignedNSEC...), SecurityBogus, CodeRRSIGMissing, "a.example.com./NSEC"},
		{"NXDOMAIN without NSEC", nxCheck("b.example.com.", keys), z.ns(), SecurityBogus, CodeNSECProofInvalid, "carries no NSEC or NSEC3"},
		{"NXDOMAIN outside the zone", nxCheck("b.example.net.", keys), z.ns("example.com."), SecurityBogus, CodeNSECProofInvalid, "not in the zone"},

		{"NODATA", nodataCheck("a.example.com.", dns.TypeAAAA, keys), z.ns("a.example.com."), SecuritySecure, "", "the NSEC record at a.example.com. proves it has no AAAA record"},
		{"NODATA, type bit set", nodataCheck("a.example.com.", dns.TypeA, keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "lists type A"},
		{"NODATA, CNAME bit set", nodataCheck("a.example.com.", dns.TypeAAAA, keys), cnameNSEC, SecurityBogus, CodeNSECProofInvalid, "lists CNAME"},
		{"NODATA for an empty non-terminal", nodataCheck("y.example.com.", dns.TypeA, keys), z.ns("sub.example.com."), SecuritySecure, "", "empty non-terminal"},
		{"NODATA from a wildcard", nodataCheck("b.example.com.", dns.TypeA, keys), append(z.ns("a.example.com."), wildZone...), SecuritySecure, "", "wildcard NODATA"},
		{"NODATA from a wildcard with the type", nodataCheck("b.example.com.", dns.TypeTXT, keys), append(z.ns("a.example.com."), wildZone...), SecurityBogus, CodeNSECProofInvalid, "lists type TXT"},
		{"NODATA with nothing matching", nodataCheck("b.example.com.", dns.TypeA, keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "no NSEC for the wildcard"},
		{"NODATA DS from the parent side", nodataCheck("sub.example.com.", dns.TypeDS, keys), z.ns("sub.example.com."), SecuritySecure, "", "no DS record"},
		{"NODATA DS from the child side", nodataCheck("sub.example.com.", dns.TypeDS, keys), childApex, SecurityBogus, CodeNSECProofInvalid, "child side"},
		{"NODATA A from the parent side of a cut", nodataCheck("sub.example.com.", dns.TypeA, keys), z.ns("sub.example.com."), SecurityBogus, CodeNSECProofInvalid, "parent side"},

		{"no DS", noDSCheck("sub.example.com.", keys), z.ns("sub.example.com."), SecurityInsecure, "", "proves it is delegated (NS) without a DS"},
		{"no DS, DS bit set", noDSCheck("signed.example.com.", keys), z.ns("signed.example.com."), SecurityBogus, CodeNSECProofInvalid, "lists DS"},
		{"no DS, child-side NSEC", noDSCheck("sub.example.com.", keys), childApex, SecurityBogus, CodeNSECProofInvalid, "child side"},
		{"no DS, not a delegation", noDSCheck("a.example.com.", keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "does not list NS"},
		{"no DS, no matching NSEC", noDSCheck("b.example.com.", keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "no NSEC record in the reply matches b.example.com."},
		{"no DS for the zone itself", noDSCheck("example.com.", keys), z.ns("example.com."), SecurityBogus, CodeNSECProofInvalid, "not below"},

		{"wildcard answer", wildAnswer("foo.example.com.", "*.example.com.", keys), z.ns("c.example.com."), SecuritySecure, "", "proves foo.example.com. does not exist"},
		{"wildcard answer, wildcard unknown", wildAnswer("foo.example.com.", "", keys), z.ns("c.example.com."), SecuritySecure, "", ""},
		{"wildcard answer without proof", wildAnswer("foo.example.com.", "*.example.com.", keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "no NSEC record proves foo.example.com. itself does not exist"},
		{"wildcard answer, next closer exists", wildAnswer("x.a.example.com.", "*.example.com.", keys), z.ns("a.example.com."), SecurityBogus, CodeNSECProofInvalid, "not the next closer name a.example.com."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, tc.check(tc.msgNs), tc.state, tc.code, tc.reason)
		})
	}
}

func nxCheck(qname string, keys []*dns.DNSKEY) func([]dns.RR) Verdict {
	return func(ns []dns.RR) Verdict { return ValidateNXDOMAIN(qname, "example.com.", ns, keys, dnssecNow) }
}

func nodataCheck(qname string, qtype uint16, keys []*dns.DNSKEY) func([]dns.RR) Verdict {
	return func(ns []dns.RR) Verdict { return ValidateNODATA(qname, qtype, "example.com.", ns, keys, dnssecNow) }
}

func noDSCheck(child string, keys []*dns.DNSKEY) func([]dns.RR) Verdict {
	return func(ns []dns.RR) Verdict { return ValidateNoDS(child, "example.com.", ns, keys, dnssecNow) }
}

func wildAnswer(qname, wildcard string, keys []*dns.DNSKEY) func([]dns.RR) Verdict {
	return func(ns []dns.RR) Verdict {
		if wildcard == "" {
			return ValidateWildcardAnswer(qname, "example.com.", ns, keys, dnssecNow)
		}
		return ValidateWildcardExpansion(qname, wildcard, "example.com.", ns, keys, dnssecNow)
	}
}

// nsec3Zone is example.com. signed with NSEC3 (SHA-1, salt CAFEF00D, the
// given iterations), optionally opt-out. Its names: the apex, a (A), sub
// (NS, insecure delegation), signed (NS DS), x.y (A) and the empty
// non-terminal y.
type nsec3Zone struct {
	*testZone
	salt    string
	iter    uint16
	records map[string]*dns.NSEC3 // hash -> record
	hashes  []string              // sorted
}

func newNSEC3Zone(t testing.TB, z *testZone, iter uint16, optOut bool) *nsec3Zone {
	n := &nsec3Zone{testZone: z, salt: "CAFEF00D", // with this salt *.example.com. is not covered by the apex's NSEC3
		iter: iter, records: map[string]*dns.NSEC3{}}
	names := map[string][]uint16{
		"example.com.":        {dns.TypeSOA, dns.TypeNS, dns.TypeDNSKEY, dns.TypeNSEC3PARAM, dns.TypeRRSIG},
		"a.example.com.":      {dns.TypeA, dns.TypeRRSIG},
		"sub.example.com.":    {dns.TypeNS},
		"signed.example.com.": {dns.TypeNS, dns.TypeDS, dns.TypeRRSIG},
		"x.y.example.com.":    {dns.TypeA, dns.TypeRRSIG},
		"y.example.com.":      nil,
	}
	byHash := map[string][]uint16{}
	for name, types := range names {
		h := dns.HashName(name, dns.SHA1, iter, n.salt)
		byHash[h] = types
		n.hashes = append(n.hashes, h)
	}
	sort.Strings(n.hashes)
	flags := uint8(0)
	if optOut {
		flags = 1
	}
	for i, h := range n.hashes {
		types := slices.Clone(byHash[h])
		slices.Sort(types)
		n.records[h] = &dns.NSEC3{Hdr: dns.RR_Header{Name: strings.ToLower(h) + ".example.com.", Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 3600},
			Hash: dns.SHA1, Flags: flags, Iterations: iter, SaltLength: 4, Salt: n.salt, HashLength: 20,
			NextDomain: n.hashes[(i+1)%len(n.hashes)], TypeBitMap: types}
	}
	return n
}

func (n *nsec3Zone) hash(name string) string { return dns.HashName(name, dns.SHA1, n.iter, n.salt) }

// matching is the signed NSEC3 whose owner is the hash of name.
func (n *nsec3Zone) matching(t testing.TB, name string) []dns.RR {
	t.Helper()
	r, ok := n.records[n.hash(name)]
	if !ok {
		t.Fatalf("no NSEC3 matches %s", name)
	}
	return n.signed(t, r)
}

// covering is the signed NSEC3 whose interval holds the hash of name.
func (n *nsec3Zone) covering(t testing.TB, name string) []dns.RR {
	t.Helper()
	h := n.hash(name)
	i := sort.SearchStrings(n.hashes, h)
	if i < len(n.hashes) && n.hashes[i] == h {
		t.Fatalf("%s has an NSEC3", name)
	}
	owner := n.hashes[(i-1+len(n.hashes))%len(n.hashes)]
	return n.signed(t, n.records[owner])
}

func concatRRs(sets ...[]dns.RR) []dns.RR { return slices.Concat(sets...) }

func TestNSEC3Denial(t *testing.T) {
	z := newTestZone(t, "example.com.", dns.ED25519)
	n := newNSEC3Zone(t, z, 0, false)
	o := newNSEC3Zone(t, z, 0, true)
	high := newNSEC3Zone(t, z, 200, false)
	keys := z.keys()

	// A proof whose owner hashes were computed with another salt than the
	// one the records state: nothing matches, nothing is proven.
	w := newNSEC3Zone(t, z, 0, false)
	for _, r := range w.records {
		r.Salt = "AABBCCDD"
	}
	wrongHash := concatRRs(w.matching(t, "example.com."), w.covering(t, "nope.example.com."), w.covering(t, "*.example.com."))

	// A missing name whose proof needs three distinct NSEC3 records, so that
	// leaving one out breaks it.
	same := func(a, b []dns.RR) bool { return a[0].Header().Name == b[0].Header().Name }
	apex, wild := n.matching(t, "example.com."), n.covering(t, "*.example.com.")
	missing := ""
	for i := 0; missing == ""; i++ {
		q := "nope" + u16(uint16(i)) + ".example.com."
		if _, exists := n.records[n.hash(q)]; exists {
			continue
		}
		if c := n.covering(t, q); !same(c, apex) && !same(c, wild) && !same(apex, wild) {
			missing = q
		}
		if i > 1000 {
			t.Fatal("no usable name")
		}
	}

	tests := []struct {
		name   string
		check  func(msgNs []dns.RR) Verdict
		msgNs  []dns.RR
		state  Security
		code   string
		reason string
	}{
		{"NXDOMAIN closest encloser proof", nxCheck("nope.example.com.", keys),
			concatRRs(n.matching(t, "example.com."), n.covering(t, "nope.example.com."), n.covering(t, "*.example.com.")), SecuritySecure, "",
			"NSEC3 proves the closest encloser of nope.example.com. is example.com."},
		{"NXDOMAIN deeper encloser", nxCheck("q.r.a.example.com.", keys),
			concatRRs(n.matching(t, "a.example.com."), n.covering(t, "r.a.example.com."), n.covering(t, "*.a.example.com.")), SecuritySecure, "", "is a.example.com."},
		{"NXDOMAIN under an empty non-terminal", nxCheck("q.y.example.com.", keys),
			concatRRs(n.matching(t, "y.example.com."), n.covering(t, "q.y.example.com."), n.covering(t, "*.y.example.com.")), SecuritySecure, "", ""},
		{"NXDOMAIN, wrong hash", nxCheck("nope.example.com.", keys), wrongHash, SecurityBogus, CodeNSECProofInvalid, "no closest encloser"},
		{"NXDOMAIN, three records", nxCheck(missing, keys), concatRRs(apex, n.covering(t, missing), wild), SecuritySecure, "", ""},
		{"NXDOMAIN, no wildcard proof", nxCheck(missing, keys), concatRRs(apex, n.covering(t, missing)), SecurityBogus, CodeNSECProofInvalid,
			"no NSEC3 record covers the wildcard *.example.com."},
		{"NXDOMAIN, next closer not covered", nxCheck(missing, keys), concatRRs(apex, wild), SecurityBogus, CodeNSECProofInvalid,
			"no NSEC3 record covers the next closer name " + missing},
		{"NXDOMAIN, no closest encloser", nxCheck(missing, keys), concatRRs(n.covering(t, missing), wild), SecurityBogus, CodeNSECProofInvalid, "no closest encloser"},
		{"NXDOMAIN for a name that exists", nxCheck("a.example.com.", keys), n.matching(t, "a.example.com."), SecurityBogus, CodeNSECProofInvalid, "shows the name exists"},
		{"NXDOMAIN below a delegation", nxCheck("q.sub.example.com.", keys),
			concatRRs(n.matching(t, "sub.example.com."), n.covering(t, "q.sub.example.com."), n.covering(t, "*.sub.example.com.")), SecurityBogus, CodeNSECProofInvalid, "is a delegation"},
		{"NXDOMAIN under opt-out is insecure", nxCheck("nope.example.com.", keys),
			concatRRs(o.matching(t, "example.com."), o.covering(t, "nope.example.com."), o.covering(t, "*.example.com.")), SecurityInsecure, "", "opt-out"},
		{"NXDOMAIN with high iterations", nxCheck("nope.example.com.", keys),
			concatRRs(high.matching(t, "example.com."), high.covering(t, "nope.example.com.")), SecurityInsecure, "", "200 iterations, more than the 150 this validator hashes, so the answer is treated as insecure (RFC 9276 §3.2)"},
		{"high iterations, unsigned", nxCheck("nope.example.com.", keys),
			[]dns.RR{high.records[high.hash("example.com.")]}, SecurityBogus, CodeRRSIGMissing, ""},

		{"NODATA", nodataCheck("a.example.com.", dns.TypeAAAA, keys), n.matching(t, "a.example.com."), SecuritySecure, "", "matches a.example.com. and proves it has no AAAA record"},
		{"NODATA, type bit set", nodataCheck("a.example.com.", dns.TypeA, keys), n.matching(t, "a.example.com."), SecurityBogus, CodeNSECProofInvalid, "lists type A"},
		{"NODATA, empty non-terminal", nodataCheck("y.example.com.", dns.TypeA, keys), n.matching(t, "y.example.com."), SecuritySecure, "", ""},
		{"NODATA, wrong hash", nodataCheck("example.com.", dns.TypeA, keys), wrongHash, SecurityBogus, CodeNSECProofInvalid, "no NSEC3 record matches example.com."},
		{"NODATA DS under opt-out", nodataCheck("unsigned.example.com.", dns.TypeDS, keys),
			concatRRs(o.matching(t, "example.com."), o.covering(t, "unsigned.example.com.")), SecurityInsecure, "", "opt-out"},
		{"NODATA DS without opt-out", nodataCheck("unsigned.example.com.", dns.TypeDS, keys),
			concatRRs(n.matching(t, "example.com."), n.covering(t, "unsigned.example.com.")), SecurityBogus, CodeNSECProofInvalid, "no opt-out flag"},

		{"no DS, matching NSEC3", noDSCheck("sub.example.com.", keys), n.matching(t, "sub.example.com."), SecurityInsecure, "", "delegated (NS) without a DS"},
		{"no DS, DS bit set", noDSCheck("signed.example.com.", keys), n.matching(t, "signed.example.com."), SecurityBogus, CodeNSECProofInvalid, "lists DS"},
		{"no DS, opt-out insecure delegation", noDSCheck("unsigned.example.com.", keys),
			concatRRs(o.matching(t, "example.com."), o.covering(t, "unsigned.example.com.")), SecurityInsecure, "", "the NSEC3 record covering unsigned.example.com. has the opt-out flag"},
		{"no DS, covered without opt-out", noDSCheck("unsigned.example.com.", keys),
			concatRRs(n.matching(t, "example.com."), n.covering(t, "unsigned.example.com.")), SecurityBogus, CodeNSECProofInvalid, "no opt-out flag"},
		{"no DS, high iterations", noDSCheck("sub.example.com.", keys), high.matching(t, "sub.example.com."), SecurityInsecure, "", "RFC 9276"},

		{"wildcard answer", wildAnswer("foo.example.com.", "*.example.com.", keys), n.covering(t, "foo.example.com."), SecuritySecure, "", "covers foo.example.com."},
		{"wildcard answer, wildcard unknown", wildAnswer("q.foo.example.com.", "", keys), n.covering(t, "foo.example.com."), SecuritySecure, "", ""},
		{"wildcard answer without proof", wildAnswer("foo.example.com.", "*.example.com.", keys), func() []dns.RR {
			c := n.covering(t, "foo.example.com.")
			for _, name := range []string{"a.example.com.", "sub.example.com."} {
				if m := n.matching(t, name); !same(m, c) {
					return m
				}
			}
			return nil
		}(), SecurityBogus, CodeNSECProofInvalid, "next closer name foo.example.com."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, tc.check(tc.msgNs), tc.state, tc.code, tc.reason)
		})
	}

	t.Run("records beyond the cap are not considered", func(t *testing.T) {
		var junk []dns.RR
		for i := range 20 {
			r := dns.Copy(n.records[n.hashes[i%len(n.hashes)]]).(*dns.NSEC3)
			r.Hdr.Name = strings.ToLower(dns.HashName(u16(uint16(i))+".junk.", dns.SHA1, 0, "")) + ".example.com."
			junk = append(junk, r)
		}
		msg := concatRRs(junk, n.matching(t, "a.example.com."))
		v := ValidateNODATA("a.example.com.", dns.TypeAAAA, "example.com.", msg, keys, dnssecNow)
		checkVerdict(t, v, SecurityBogus, CodeNSECProofInvalid, "")
	})
}

func TestDenialNeverPanics(t *testing.T) {
	z := newTestZone(t, "example.com.", dns.ED25519)
	hostile := []dns.RR{
		nil, (*dns.NSEC)(nil), (*dns.NSEC3)(nil), (*dns.RRSIG)(nil),
		&dns.NSEC3{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeNSEC3}},
		&dns.NSEC3{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeNSEC3}, Hash: 1},
		&dns.NSEC3{Hdr: dns.RR_Header{Name: "x.example.com.", Rrtype: dns.TypeNSEC3}, Hash: 1, NextDomain: "short"},
		&dns.NSEC{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeNSEC}, NextDomain: ""},
		&dns.NSEC{Hdr: dns.RR_Header{Name: "a.example.com.", Rrtype: dns.TypeNSEC}, NextDomain: "bad..name"},
		&dns.RRSIG{Hdr: dns.RR_Header{Name: "a.example.com."}, TypeCovered: dns.TypeNSEC, Labels: 200, Algorithm: dns.ED25519},
	}
	for _, zone := range []string{"example.com.", ".", "", "EXAMPLE.com"} {
		for _, q := range []string{"a.example.com.", ".", "", "b.a.example.com", "*.example.com."} {
			for _, keys := range [][]*dns.DNSKEY{nil, {nil}, z.keys()} {
				_ = ValidateNXDOMAIN(q, zone, hostile, keys, dnssecNow)
				_ = ValidateNODATA(q, dns.TypeDS, zone, hostile, keys, dnssecNow)
				_ = ValidateNODATA(q, dns.TypeA, zone, hostile, keys, dnssecNow)
				_ = ValidateNoDS(q, zone, hostile, keys, dnssecNow)
				_ = ValidateWildcardAnswer(q, zone, hostile, keys, dnssecNow)
				_ = ValidateWildcardExpansion(q, "*."+zone, zone, hostile, keys, dnssecNow)
				_ = ValidateRRset(hostile, nil, zone, keys, dnssecNow)
				_, _ = ValidateKeys(zone, []*dns.DS{nil}, []*dns.DNSKEY{nil}, hostile, []*dns.RRSIG{nil}, dnssecNow)
			}
		}
	}
}

func benchmarkValidateRRset(b *testing.B, alg uint8) {
	z := newTestZone(b, "example.com.", alg)
	a := zrrs(b, "www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN A 192.0.2.2")
	sigs := []*dns.RRSIG{z.zsk.signNow(b, a...)}
	keys := z.keys()
	b.ReportAllocs()
	for b.Loop() {
		if v := ValidateRRset(a, sigs, "example.com.", keys, dnssecNow); v.State != SecuritySecure {
			b.Fatal(v.Reason)
		}
	}
}

func BenchmarkValidateRRsetED25519(b *testing.B)   { benchmarkValidateRRset(b, dns.ED25519) }
func BenchmarkValidateRRsetRSASHA256(b *testing.B) { benchmarkValidateRRset(b, dns.RSASHA256) }
func BenchmarkValidateRRsetECDSAP256(b *testing.B) { benchmarkValidateRRset(b, dns.ECDSAP256SHA256) }

func BenchmarkValidateKeys(b *testing.B) {
	z := newTestZone(b, "example.com.", dns.ED25519)
	ds := []*dns.DS{z.ksk.ToDS(dns.SHA256)}
	keys := z.dnskeys()
	sigs := []*dns.RRSIG{z.ksk.signNow(b, keys...)}
	b.ReportAllocs()
	for b.Loop() {
		if _, v := ValidateKeys("example.com.", ds, nil, keys, sigs, dnssecNow); v.State != SecuritySecure {
			b.Fatal(v.Reason)
		}
	}
}
