package resolver

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// signedServer is zoneServer for a zone signed by z: every RRset of an
// authoritative answer comes with an RRSIG by the ZSK, the DNSKEY RRset at
// the apex with one by the KSK, and a DS question for a child is answered
// by ds (nil: the signed DS RRset of the child zone in children, if any).
func signedServer(t testing.TB, z *testZone, children map[string]*testZone, ds func(q *dns.Msg) *dns.Msg, records ...string) func(string, *dns.Msg) *dns.Msg {
	base := zoneServer(t, z.name, records...)
	return func(proto string, q *dns.Msg) *dns.Msg {
		qn, qt := dns.CanonicalName(q.Question[0].Name), q.Question[0].Qtype
		switch {
		case qt == dns.TypeDNSKEY && qn == z.name:
			m := new(dns.Msg)
			m.SetReply(q)
			m.Authoritative = true
			m.Answer = append(z.dnskeys(), z.ksk.signNow(t, z.dnskeys()...))
			return m
		case qt == dns.TypeDS && qn != z.name && dns.IsSubDomain(z.name, qn):
			if ds != nil {
				return ds(q)
			}
			if c, ok := children[qn]; ok {
				m := new(dns.Msg)
				m.SetReply(q)
				m.Authoritative = true
				m.Answer = z.signed(t, c.ksk.ToDS(dns.SHA256))
				return m
			}
		}
		m := base(proto, q)
		if m.Authoritative && len(m.Answer) > 0 {
			m.Answer = z.signed(t, m.Answer...)
		}
		return m
	}
}

// signedWorld is world signed: the root (127.0.0.1) delegates com.
// (127.0.0.2), which delegates example.com. (127.0.0.3), each with a DS.
// comDS, when not nil, answers the DS question for example.com. at com.'s
// server instead. The trust anchor is the root's KSK as a DS.
type signedWorld struct {
	f                  *fakeNet
	hints              *Hints
	root, com, example *testZone
	anchor             *TrustAnchor
}

func newSignedWorld(t testing.TB, comDS func(q *dns.Msg) *dns.Msg) *signedWorld {
	w := &signedWorld{
		f:       newFakeNet(),
		root:    newTestZone(t, ".", dns.ED25519),
		com:     newTestZone(t, "com.", dns.ED25519),
		example: newTestZone(t, "example.com.", dns.ED25519),
	}
	w.anchor = &TrustAnchor{Zone: ".", DS: []*dns.DS{w.root.ksk.ToDS(dns.SHA256)}}
	w.f.handle("127.0.0.1", signedServer(t, w.root, map[string]*testZone{"com.": w.com}, nil,
		"com. 172800 IN NS a.gtld.com.", "a.gtld.com. 172800 IN A 127.0.0.2"))
	w.f.handle("127.0.0.2", signedServer(t, w.com, map[string]*testZone{"example.com.": w.example}, comDS,
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"a.gtld.com. 172800 IN A 127.0.0.2"))
	w.f.handle("127.0.0.3", signedServer(t, w.example, nil, nil,
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"www.example.com. 300 IN A 127.10.0.1"))
	hints, err := ParseHints(strings.NewReader(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	w.hints = hints
	return w
}

// resolver returns a validating resolver of the world, from anchor, at
// dnssecNow.
func (w *signedWorld) resolver(anchor *TrustAnchor) (*Resolver, *eventLog) {
	r, log := newTestResolver(w.f, w.hints, NewManualClock(dnssecNow))
	r.Config.DNSSEC = true
	r.Config.TrustAnchor = anchor
	return r, log
}

// validated returns the Validated events of the user's chain, by zone and
// what: "example.com. keys", "example.com. answer".
func (l *eventLog) validated() map[string]Validated {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]Validated{}
	for _, e := range l.events {
		if v, ok := e.(Validated); ok {
			out[v.Zone+" "+v.What] = v
		}
	}
	return out
}

// asked reports whether the fake network saw the question "name TYPE".
func (f *fakeNet) asked(name string, qtype uint16) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.log, func(l string) bool {
		return strings.HasSuffix(l, " "+name+" "+dns.TypeToString[qtype])
	})
}

func wantValidated(t *testing.T, got map[string]Validated, key string, state Security, code string, inherited bool, reason string) {
	t.Helper()
	v, ok := got[key]
	if !ok {
		t.Errorf("no Validated event for %s; have %v", key, got)
		return
	}
	if v.Verdict.State != state || v.Verdict.Code != code || v.Inherited != inherited {
		t.Errorf("%s: %v %q inherited=%v (%s), want %v %q inherited=%v", key, v.Verdict.State, v.Verdict.Code, v.Inherited, v.Verdict.Reason, state, code, inherited)
	}
	if !strings.Contains(v.Verdict.Reason, reason) {
		t.Errorf("%s: reason %q, want it to contain %q", key, v.Verdict.Reason, reason)
	}
}

// TestSignedWorldIsSecure is the control for the tests below: with every
// DS served, the chain from the root anchor reaches the answer.
func TestSignedWorldIsSecure(t *testing.T) {
	w := newSignedWorld(t, nil)
	r, log := w.resolver(w.anchor)
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if res.Status != StatusAnswer || res.Security.State != SecuritySecure {
		t.Fatalf("%v %v (%s %s), want a secure answer", res.Status, res.Security.State, res.Detail, res.Security.Reason)
	}
	got := log.validated()
	wantValidated(t, got, "com. keys", SecuritySecure, "", false, "")
	wantValidated(t, got, "example.com. keys", SecuritySecure, "", false, "matches the DS")
	wantValidated(t, got, "example.com. answer", SecuritySecure, "", false, "")
}

// TestDSNXDOMAINAtDelegation: com. delegates example.com. but answers its
// DS question with NXDOMAIN. That is no proof of an unsigned delegation
// (RFC 4035 §5.2 wants an authenticated NSEC or NSEC3 showing the NS bit
// and no DS bit at the cut), so the zone cannot be insecure: its chain of
// trust is broken, even when the NXDOMAIN comes with a validly signed NSEC
// that would prove the name does not exist, for the same servers delegate
// it. Nothing below it can be trusted, and its keys are not fetched.
func TestDSNXDOMAINAtDelegation(t *testing.T) {
	tests := []struct {
		name  string
		proof func(w *signedWorld) []dns.RR
	}{
		{"no proof", func(w *signedWorld) []dns.RR { return nil }},
		{"signed NSEC proof", func(w *signedWorld) []dns.RR {
			// com. -> zzz.com. covers example.com. and *.com.
			return w.com.signed(t, nsecRR(t, "com. 3600 IN NSEC zzz.com. NS SOA RRSIG NSEC DNSKEY"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w *signedWorld
			w = newSignedWorld(t, func(q *dns.Msg) *dns.Msg {
				m := new(dns.Msg)
				m.SetReply(q)
				m.Authoritative = true
				m.Rcode = dns.RcodeNameError
				m.Ns = append(w.com.signed(t, rr(t, "com. 300 IN SOA a.gtld.com. h. 1 3600 600 86400 60")), tc.proof(w)...)
				return m
			})
			if tc.proof(w) != nil {
				// The proof is a good one: only the delegation contradicts it.
				v := ValidateNXDOMAIN("example.com.", "com.", tc.proof(w), w.com.keys(), dnssecNow)
				if v.State != SecuritySecure {
					t.Fatalf("the test's NSEC proof is not valid: %v %s", v.State, v.Reason)
				}
			}
			r, log := w.resolver(w.anchor)
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			if res.Status != StatusAnswer {
				t.Fatalf("status %v (%s), want the answer (validation does not stop the resolution)", res.Status, res.Detail)
			}
			if res.Security.State != SecurityBogus {
				t.Errorf("outcome %v (%s), want bogus", res.Security.State, res.Security.Reason)
			}
			got := log.validated()
			wantValidated(t, got, "com. keys", SecuritySecure, "", false, "")
			wantValidated(t, got, "example.com. keys", SecurityBogus, CodeNSECProofInvalid, false,
				"com. says example.com. does not exist, yet delegates it")
			wantValidated(t, got, "example.com. answer", SecurityBogus, "", true,
				"below example.com., where the chain of trust is broken")
			if !w.f.asked("example.com.", dns.TypeDS) {
				t.Error("the DS of example.com. was not asked for")
			}
			if w.f.asked("example.com.", dns.TypeDNSKEY) {
				t.Error("the DNSKEY RRset of example.com. was fetched after its DS was denied")
			}
			zs, ok := r.Cache.zoneSecurity("example.com.")
			if !ok || zs.v.State != SecurityBogus || zs.v.Code != CodeNSECProofInvalid || len(zs.keys) != 0 {
				t.Errorf("cached state of example.com.: %+v %v, want bogus without keys", zs, ok)
			}
			// The NXDOMAIN answered a DS question, on the parent's side of
			// the cut: it says nothing of the child's own data. The zone's
			// NS RRset is asked of its servers, not denied from the cache.
			ns := r.Resolve(context.Background(), "example.com.", dns.TypeNS)
			if ns.Status != StatusAnswer {
				t.Errorf("example.com. NS after the DS was denied: %v (%s), want the zone's answer", ns.Status, ns.Detail)
			}
			if e, state := r.Cache.Lookup("example.com.", dns.TypeDS, RankAnswer); state != CacheHit || e.Negative != NXDomain {
				t.Errorf("cached DS of example.com.: %v %+v, want the NXDOMAIN", state, e)
			}
			if ds := r.Resolve(context.Background(), "example.com.", dns.TypeDS); ds.Status != StatusNXDomain {
				t.Errorf("example.com. DS again: %v, want the NXDOMAIN", ds.Status)
			}
		})
	}
}

// TestZoneOutsideTheTrustAnchor: a zone that is neither the trust anchor's
// zone nor below it is indeterminate (RFC 4035 §4.3: no trust anchor says
// this part of the tree is secure), without a finding code and without
// fetching its DS or DNSKEY RRsets. An anchor for a zone deeper in the tree
// (an island of security) still makes that zone and its data secure.
func TestZoneOutsideTheTrustAnchor(t *testing.T) {
	t.Run("anchor below the zone", func(t *testing.T) {
		w := newSignedWorld(t, nil)
		r, log := w.resolver(&TrustAnchor{Zone: "example.com.", DS: []*dns.DS{w.example.ksk.ToDS(dns.SHA256)}})
		res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
		if res.Status != StatusAnswer || res.Security.State != SecuritySecure {
			t.Fatalf("%v %v (%s %s), want a secure answer", res.Status, res.Security.State, res.Detail, res.Security.Reason)
		}
		got := log.validated()
		wantValidated(t, got, "com. keys", SecurityIndeterminate, "", false, "no trust anchor covers com. (the anchor is for example.com.)")
		wantValidated(t, got, "example.com. keys", SecuritySecure, "", false, "")
		wantValidated(t, got, "example.com. answer", SecuritySecure, "", false, "the chain of trust reaches example.com.")
		for _, q := range []struct {
			name  string
			qtype uint16
		}{{".", dns.TypeDNSKEY}, {"com.", dns.TypeDS}, {"com.", dns.TypeDNSKEY}, {"example.com.", dns.TypeDS}} {
			if w.f.asked(q.name, q.qtype) {
				t.Errorf("%s %s was asked, outside the trust anchor", q.name, dns.TypeToString[q.qtype])
			}
		}
		if !w.f.asked("example.com.", dns.TypeDNSKEY) {
			t.Error("the DNSKEY RRset of the anchor's zone was not fetched")
		}
	})
	t.Run("anchor elsewhere", func(t *testing.T) {
		w := newSignedWorld(t, nil)
		other := newTestZone(t, "example.net.", dns.ED25519)
		r, log := w.resolver(&TrustAnchor{Zone: "example.net.", DS: []*dns.DS{other.ksk.ToDS(dns.SHA256)}})
		res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
		if res.Status != StatusAnswer || res.Security.State != SecurityIndeterminate || res.Security.Code != "" {
			t.Fatalf("%v %v %q (%s %s), want an indeterminate answer without a code", res.Status, res.Security.State, res.Security.Code, res.Detail, res.Security.Reason)
		}
		got := log.validated()
		wantValidated(t, got, "com. keys", SecurityIndeterminate, "", false, "no trust anchor covers com. (the anchor is for example.net.)")
		wantValidated(t, got, "example.com. keys", SecurityIndeterminate, "", false, "no trust anchor covers example.com. (the anchor is for example.net.)")
		wantValidated(t, got, "example.com. answer", SecurityIndeterminate, "", true, "below example.com., whose state could not be determined")
		for _, q := range []uint16{dns.TypeDS, dns.TypeDNSKEY} {
			for _, name := range []string{".", "com.", "example.com."} {
				if w.f.asked(name, q) {
					t.Errorf("%s %s was asked, outside the trust anchor", name, dns.TypeToString[q])
				}
			}
		}
	})
}

// TestRootAnchorParsedOnce: without Config.TrustAnchor, every zone check
// uses the embedded root anchor, parsed once for the process, not at every
// check; RootTrustAnchor still returns a copy of its own to each caller.
func TestRootAnchorParsedOnce(t *testing.T) {
	r := &Resolver{Transport: newFakeNet(), Config: testConfig()}
	r.Config.DNSSEC = true
	rn, err := r.newRun()
	if err != nil {
		t.Fatal(err)
	}
	rn2, err := r.newRun()
	if err != nil {
		t.Fatal(err)
	}
	a := rn.anchor()
	if rn.anchor() != a || rn2.anchor() != a {
		t.Error("the root anchor is parsed again")
	}
	if !reflect.DeepEqual(a, RootTrustAnchor()) {
		t.Errorf("anchor %+v, want the embedded root anchor %+v", a, RootTrustAnchor())
	}
	if allocs := testing.AllocsPerRun(10, func() { rn.anchor() }); allocs != 0 {
		t.Errorf("anchor() allocates %v times", allocs)
	}
	if first, second := RootTrustAnchor(), RootTrustAnchor(); first == second {
		t.Error("RootTrustAnchor returns a shared value its callers may change")
	}
	own := &TrustAnchor{Zone: "example."}
	r.Config.TrustAnchor = own
	if rn, _ := r.newRun(); rn.anchor() != own {
		t.Error("Config.TrustAnchor is not used")
	}
}

func BenchmarkRunAnchor(b *testing.B) {
	r := &Resolver{Transport: newFakeNet(), Config: testConfig()}
	r.Config.DNSSEC = true
	rn, err := r.newRun()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if rn.anchor().Zone != "." {
			b.Fatal("not the root anchor")
		}
	}
}

// override makes the server at addr answer the question "name qtype" with
// reply (nil: no reply at all, a timeout) instead of from its zone.
func (w *signedWorld) override(addr, name string, qtype uint16, reply func(q *dns.Msg) *dns.Msg) {
	next := w.f.handlers[netip.MustParseAddr(addr)]
	w.f.handle(addr, func(proto string, q *dns.Msg) *dns.Msg {
		if dns.CanonicalName(q.Question[0].Name) == name && q.Question[0].Qtype == qtype {
			return reply(q)
		}
		return next(proto, q)
	})
}

// unavailable are the ways a zone's only server may fail to give an
// RRset: each is a lack of data, not wrong data. detail ends the Detail
// of the failed fetch.
var unavailable = []struct {
	name, detail string
	reply        func(q *dns.Msg) *dns.Msg
}{
	{"timeout", "no server of %s gave a usable answer (1 timeout)", func(*dns.Msg) *dns.Msg { return nil }},
	{"SERVFAIL", "no server of %s gave a usable answer (1 lame)", func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Rcode = dns.RcodeServerFailure
		return m
	}},
	{"not authoritative", "no server of %s gave a usable answer (1 lame)", func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q) // no AA, neither an answer nor a referral
		return m
	}},
}

// noDataFrom is an authoritative NODATA from zone's server, unsigned: the
// server says the RRset asked for does not exist.
func noDataFrom(t testing.TB, zone string) func(q *dns.Msg) *dns.Msg {
	return func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		m.Ns = []dns.RR{rr(t, zone+" 300 IN SOA ns."+strings.TrimPrefix(zone, ".")+" h. 1 3600 600 86400 60")}
		return m
	}
}

// wantWWWAnswer checks that the resolution of www.example.com. A got its
// address from example.com.'s server, DNSSEC or not (validation does not stop a resolution), with
// the outcome's state; the outcome carries no code, for its state is
// inherited from the zone's keys.
func wantWWWAnswer(t *testing.T, res Result, state Security) {
	t.Helper()
	if res.Status != StatusAnswer || res.Zone != "example.com." || len(res.Records) != 1 || res.Records[0].String() != "www.example.com.\t300\tIN\tA\t127.10.0.1" {
		t.Fatalf("outcome %v %v from %s (%s), want the address of www.example.com. from example.com.", res.Status, res.Records, res.Zone, res.Detail)
	}
	if res.Security.State != state || res.Security.Code != "" {
		t.Errorf("outcome %v %q (%s), want %v without a code", res.Security.State, res.Security.Code, res.Security.Reason, state)
	}
}

// wantZoneState checks the cached DNSSEC state of zone, and the TTL it is
// cached for.
func wantZoneState(t *testing.T, c *Cache, zone string, state Security, code, from, reason string, withKeys bool, ttl uint32) {
	t.Helper()
	zs, ok := c.zoneSecurity(zone)
	if !ok {
		t.Errorf("the state of %s is not cached", zone)
		return
	}
	if zs.v.State != state || zs.v.Code != code || zs.from != from || (len(zs.keys) > 0) != withKeys {
		t.Errorf("cached state of %s: %v %q from %q with %d keys (%s), want %v %q from %q, keys %v", zone, zs.v.State, zs.v.Code, zs.from, len(zs.keys), zs.v.Reason, state, code, from, withKeys)
	}
	if !strings.Contains(zs.v.Reason, reason) {
		t.Errorf("cached state of %s: reason %q, want it to contain %q", zone, zs.v.Reason, reason)
	}
	c.mu.Lock()
	got := c.zones[zone].ttl
	c.mu.Unlock()
	if got != ttl {
		t.Errorf("the state of %s is cached for %d s, want %d s", zone, got, ttl)
	}
}

// wantAsked checks which of the DNSSEC questions were sent.
func wantAsked(t *testing.T, f *fakeNet, asked map[string]bool) {
	t.Helper()
	for q, want := range asked {
		name, typ, _ := strings.Cut(q, " ")
		if got := f.asked(name, dns.StringToType[typ]); got != want {
			t.Errorf("%s asked: %v, want %v", q, got, want)
		}
	}
}

// TestAnchorZoneKeysUnavailable: the DNSKEY RRset of the trust anchor's
// zone cannot be had from its servers (no reply, SERVFAIL, a reply without
// authority). Nothing says the data is wrong, there is just none to check
// the anchor against: the root is indeterminate without a finding code
// (RFC 4035 §4.3), and so is everything below it, by inheritance, with no
// DS or DNSKEY fetched for the zones below. The resolution goes on and
// returns the address. The state is cached for negativeKeysTTL, the fetch
// having no TTL to go by.
func TestAnchorZoneKeysUnavailable(t *testing.T) {
	for _, u := range unavailable {
		t.Run(u.name, func(t *testing.T) {
			w := newSignedWorld(t, nil)
			w.override("127.0.0.1", ".", dns.TypeDNSKEY, u.reply)
			r, log := w.resolver(w.anchor)
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, SecurityIndeterminate)
			got := log.validated()
			below := "below ., whose state could not be determined"
			// The step that asked the root servers (and led to com.) says
			// why: the root has no referral step of its own to say it.
			wantValidated(t, got, ". keys", SecurityIndeterminate, "", false,
				"the DNSKEY RRset of the trust anchor's zone . could not be fetched: "+fmt.Sprintf(u.detail, "."))
			if _, ok := got["com. keys"]; ok {
				t.Error("the root's step reports com., which only inherits the root's state")
			}
			wantValidated(t, got, "example.com. keys", SecurityIndeterminate, "", true, below)
			wantValidated(t, got, "example.com. answer", SecurityIndeterminate, "", true, below)
			wantAsked(t, w.f, map[string]bool{". DNSKEY": true, "com. DS": false, "com. DNSKEY": false, "example.com. DS": false, "example.com. DNSKEY": false})
			wantZoneState(t, r.Cache, ".", SecurityIndeterminate, "", "", "the DNSKEY RRset of the trust anchor's zone . could not be fetched: "+fmt.Sprintf(u.detail, "."), false, negativeKeysTTL)
			wantZoneState(t, r.Cache, "com.", SecurityIndeterminate, "", ".", below, false, negativeKeysTTL)
			wantZoneState(t, r.Cache, "example.com.", SecurityIndeterminate, "", ".", below, false, negativeKeysTTL)
		})
	}
}

// TestAnchorZoneServesNoDNSKEY: the server of the trust anchor's zone
// says, with authority, that the zone has no DNSKEY RRset. That is no lack
// of data but wrong data, for the trust anchor says the zone is signed:
// the zone is bogus, DNSKEY_MISSING (RFC 8914 §4.10), and its reason names
// the trust anchor, whether a DS or a key, not a parent (the root has
// none, and an island of security is not vouched for by its parent). The
// zones below inherit the state, without the code, and nothing below the
// anchor's zone is fetched.
func TestAnchorZoneServesNoDNSKEY(t *testing.T) {
	anchorReason := "the trust anchor's zone %s serves no DNSKEY, so none can match the trust anchor (%s)"
	for _, tc := range []struct {
		name   string
		anchor func(w *signedWorld) *TrustAnchor
		tags   func(w *signedWorld) string
	}{
		{"DS", func(w *signedWorld) *TrustAnchor { return w.anchor },
			func(w *signedWorld) string { return fmt.Sprintf("key tag %d", w.root.ksk.KeyTag()) }},
		{"key", func(w *signedWorld) *TrustAnchor {
			return &TrustAnchor{Zone: ".", Keys: []*dns.DNSKEY{w.root.ksk.DNSKEY}}
		}, func(w *signedWorld) string { return fmt.Sprintf("key tag %d", w.root.ksk.KeyTag()) }},
		{"two DS", func(w *signedWorld) *TrustAnchor {
			return &TrustAnchor{Zone: ".", DS: []*dns.DS{w.root.zsk.ToDS(dns.SHA256), w.root.ksk.ToDS(dns.SHA256)}}
		}, func(w *signedWorld) string {
			return "key tags " + joinTags(sortedTags([]uint16{w.root.ksk.KeyTag(), w.root.zsk.KeyTag()}))
		}},
	} {
		t.Run("root "+tc.name, func(t *testing.T) {
			w := newSignedWorld(t, nil)
			w.override("127.0.0.1", ".", dns.TypeDNSKEY, noDataFrom(t, "."))
			r, log := w.resolver(tc.anchor(w))
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, SecurityBogus)
			got := log.validated()
			below := "below ., where the chain of trust is broken"
			// The root's own verdict, with its code, on the step that
			// asked the root servers: the break is named (a finding).
			wantValidated(t, got, ". keys", SecurityBogus, CodeDNSKEYMissing, false, fmt.Sprintf(anchorReason, ".", tc.tags(w)))
			wantValidated(t, got, "example.com. keys", SecurityBogus, "", true, below)
			wantValidated(t, got, "example.com. answer", SecurityBogus, "", true, below)
			wantAsked(t, w.f, map[string]bool{". DNSKEY": true, "com. DS": false, "com. DNSKEY": false, "example.com. DS": false, "example.com. DNSKEY": false})
			wantZoneState(t, r.Cache, ".", SecurityBogus, CodeDNSKEYMissing, "",
				fmt.Sprintf(anchorReason, ".", tc.tags(w)), false, negativeKeysTTL)
			if zs, _ := r.Cache.zoneSecurity("."); strings.Contains(zs.v.Reason, "parent") {
				t.Errorf("the root's reason speaks of a parent: %s", zs.v.Reason)
			}
			wantZoneState(t, r.Cache, "com.", SecurityBogus, "", ".", below, false, negativeKeysTTL)
			wantZoneState(t, r.Cache, "example.com.", SecurityBogus, "", ".", below, false, negativeKeysTTL)
		})
	}
	t.Run("island DS", func(t *testing.T) {
		w := newSignedWorld(t, nil)
		w.override("127.0.0.3", "example.com.", dns.TypeDNSKEY, noDataFrom(t, "example.com."))
		r, log := w.resolver(&TrustAnchor{Zone: "example.com.", DS: []*dns.DS{w.example.ksk.ToDS(dns.SHA256)}})
		res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
		wantWWWAnswer(t, res, SecurityBogus)
		got := log.validated()
		reason := fmt.Sprintf(anchorReason, "example.com.", fmt.Sprintf("key tag %d", w.example.ksk.KeyTag()))
		wantValidated(t, got, "example.com. keys", SecurityBogus, CodeDNSKEYMissing, false, reason)
		wantValidated(t, got, "example.com. answer", SecurityBogus, "", true, "below example.com., where the chain of trust is broken")
		wantAsked(t, w.f, map[string]bool{"example.com. DNSKEY": true, "example.com. DS": false})
		wantZoneState(t, r.Cache, "example.com.", SecurityBogus, CodeDNSKEYMissing, "", reason, false, negativeKeysTTL)
	})
}

// TestChildKeysUnavailable: com. serves a signed DS for example.com., but
// example.com.'s only server gives no DNSKEY RRset (no reply, SERVFAIL, a
// reply without authority). The chain from the DS cannot be checked for
// lack of data: example.com. is indeterminate, without a code, and its
// answer inherits that; com. stays secure. The same server still answers
// the address question (validation does not stop the resolution). The
// state is cached for negativeKeysTTL. An authoritative NODATA is another
// matter: the server denies keys the DS says exist, and that is wrong
// data, bogus with DNSKEY_MISSING.
func TestChildKeysUnavailable(t *testing.T) {
	type mode struct {
		name   string
		reply  func(q *dns.Msg) *dns.Msg
		state  Security
		code   string
		reason func(w *signedWorld) string
		below  string
	}
	var modes []mode
	for _, u := range unavailable {
		modes = append(modes, mode{u.name, u.reply, SecurityIndeterminate, "", func(*signedWorld) string {
			return "the DNSKEY RRset of example.com. could not be fetched: " + fmt.Sprintf(u.detail, "example.com.")
		}, "below example.com., whose state could not be determined"})
	}
	modes = append(modes, mode{"NODATA", noDataFrom(t, "example.com."), SecurityBogus, CodeDNSKEYMissing, func(w *signedWorld) string {
		return fmt.Sprintf("example.com. has a DS (key tag %d, algorithm 15, digest type 2) at its parent but serves no DNSKEY", w.example.ksk.KeyTag())
	}, "below example.com., where the chain of trust is broken"})
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			w := newSignedWorld(t, nil)
			w.override("127.0.0.3", "example.com.", dns.TypeDNSKEY, m.reply)
			r, log := w.resolver(w.anchor)
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, m.state)
			got := log.validated()
			wantValidated(t, got, "com. keys", SecuritySecure, "", false, "matches the DS")
			wantValidated(t, got, "example.com. keys", m.state, m.code, false, m.reason(w))
			wantValidated(t, got, "example.com. answer", m.state, "", true, m.below)
			wantAsked(t, w.f, map[string]bool{"example.com. DS": true, "example.com. DNSKEY": true, "www.example.com. A": true})
			wantZoneState(t, r.Cache, "com.", SecuritySecure, "", "", "matches the DS", true, 3600)
			wantZoneState(t, r.Cache, "example.com.", m.state, m.code, "", m.reason(w), false, negativeKeysTTL)
		})
	}
}

// TestDSUnavailable: com.'s only server gives no reply, SERVFAIL, or a
// reply without authority to the DS question for example.com. (and to it
// only). Whether example.com.
// is signed cannot be known for lack of data: it is indeterminate, without
// a code, and its DNSKEY RRset is not fetched, there being no DS to check
// it against. The answer inherits the state and is still returned. The
// state is cached for negativeKeysTTL.
func TestDSUnavailable(t *testing.T) {
	for _, u := range unavailable {
		t.Run(u.name, func(t *testing.T) {
			w := newSignedWorld(t, u.reply)
			r, log := w.resolver(w.anchor)
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, SecurityIndeterminate)
			got := log.validated()
			reason := "the DS RRset of example.com. could not be fetched from com.: " + fmt.Sprintf(u.detail, "com.")
			wantValidated(t, got, "com. keys", SecuritySecure, "", false, "matches the DS")
			wantValidated(t, got, "example.com. keys", SecurityIndeterminate, "", false, reason)
			wantValidated(t, got, "example.com. answer", SecurityIndeterminate, "", true, "below example.com., whose state could not be determined")
			wantAsked(t, w.f, map[string]bool{"com. DNSKEY": true, "example.com. DS": true, "example.com. DNSKEY": false, "www.example.com. A": true})
			wantZoneState(t, r.Cache, "example.com.", SecurityIndeterminate, "", "", reason, false, negativeKeysTTL)
		})
	}
}

// TestDSBadSignature: com. serves the right DS for example.com., but its
// RRSIG does not authenticate it with com.'s keys (RFC 4035 §5.2: the DS
// RRset must be validated before it can vouch for the child's keys). That
// is wrong data, not a lack of it: example.com. is bogus, with the code
// of what is wrong with the signature, and its DNSKEY RRset is not
// fetched. Its answer inherits the state, without the code, and is still
// returned. The state is cached for negativeKeysTTL.
func TestDSBadSignature(t *testing.T) {
	tests := []struct {
		name string
		// sign returns the DS RRset example.com. gets from com., and the
		// reason its check is expected to give.
		sign func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string)
		code string
	}{
		{"key not in com.'s DNSKEY RRset", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			rogue := newTestKey(t, "com.", 256, dns.ED25519)
			return []dns.RR{ds, rogue.signNow(t, ds)}, fmt.Sprintf(
				"the only RRSIG for example.com./DS is not by a trusted key of com. (key tag %d, algorithm 15 (ED25519), not among the trusted keys (key tags %s))",
				rogue.KeyTag(), joinTags(sortedTags([]uint16{w.com.ksk.KeyTag(), w.com.zsk.KeyTag()})))
		}, CodeRRSIGMissing},
		{"signed by the child", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			return []dns.RR{ds, w.example.zsk.signNow(t, ds)},
				"the only RRSIG for example.com./DS is not by a trusted key of com. (signer example.com. instead of the zone com.)"
		}, CodeRRSIGMissing},
		{"no RRSIG", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			return []dns.RR{ds}, "there is no RRSIG for example.com./DS"
		}, CodeRRSIGMissing},
		{"expired", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			return []dns.RR{ds, w.com.zsk.sign(t, []dns.RR{ds}, dnssecNow.Add(-30*24*time.Hour), dnssecNow.Add(-time.Hour))}, fmt.Sprintf(
				"the RRSIG for example.com./DS by key tag %d (algorithm 15 (ED25519)) expired at 2026-05-31T23:00:00Z (it is now 2026-06-01T00:00:00Z)", w.com.zsk.KeyTag())
		}, CodeRRSIGExpired},
		{"not yet valid", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			return []dns.RR{ds, w.com.zsk.sign(t, []dns.RR{ds}, dnssecNow.Add(time.Hour), dnssecNow.Add(30*24*time.Hour))}, fmt.Sprintf(
				"the RRSIG for example.com./DS by key tag %d (algorithm 15 (ED25519)) is not valid until 2026-06-01T01:00:00Z (it is now 2026-06-01T00:00:00Z)", w.com.zsk.KeyTag())
		}, CodeRRSIGNotYetValid},
		{"DS altered after signing", func(t testing.TB, w *signedWorld, ds *dns.DS) ([]dns.RR, string) {
			sig := w.com.zsk.signNow(t, ds)
			altered := dns.Copy(ds).(*dns.DS)
			altered.Digest = strings.Repeat("0", len(ds.Digest))
			return []dns.RR{altered, sig}, fmt.Sprintf(
				"the RRSIG for example.com./DS by key tag %d (algorithm 15 (ED25519)) does not verify", w.com.zsk.KeyTag())
		}, CodeRRSIGInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				w      *signedWorld
				answer []dns.RR
				reason string
			)
			w = newSignedWorld(t, func(q *dns.Msg) *dns.Msg {
				m := new(dns.Msg)
				m.SetReply(q)
				m.Authoritative = true
				m.Answer = answer
				return m
			})
			answer, reason = tc.sign(t, w, w.example.ksk.ToDS(dns.SHA256))
			r, log := w.resolver(w.anchor)
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, SecurityBogus)
			got := log.validated()
			wantValidated(t, got, "com. keys", SecuritySecure, "", false, "matches the DS")
			wantValidated(t, got, "example.com. keys", SecurityBogus, tc.code, false, reason)
			wantValidated(t, got, "example.com. answer", SecurityBogus, "", true, "below example.com., where the chain of trust is broken")
			wantAsked(t, w.f, map[string]bool{"example.com. DS": true, "example.com. DNSKEY": false})
			wantZoneState(t, r.Cache, "example.com.", SecurityBogus, tc.code, "", reason, false, negativeKeysTTL)
		})
	}
}

// TestUnsignedDelegation: com. answers the DS question for example.com.
// with NODATA and a signed NSEC record at example.com. whose bitmap has NS
// but neither DS nor SOA: an authenticated proof that the delegation is
// unsigned (RFC 4035 §5.2). example.com. is insecure, without a code, with
// the reason ValidateNoDS gives (it names the NSEC record that proves it)
// and the key tag that signed the proof; its DNSKEY RRset is not fetched,
// there being nothing to check it against. The answer inherits the state
// and is returned. The state is cached for the negative TTL of the NODATA
// (RFC 2308 §5: the smaller of the SOA's TTL and MINIMUM, here 600 s).
func TestUnsignedDelegation(t *testing.T) {
	var w *signedWorld
	w = newSignedWorld(t, func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		m.Ns = append(w.com.signed(t, rr(t, "com. 900 IN SOA a.gtld.com. h. 1 3600 600 86400 600")),
			w.com.signed(t, nsecRR(t, "example.com. 3600 IN NSEC zzz.com. NS RRSIG NSEC"))...)
		return m
	})
	r, log := w.resolver(w.anchor)
	res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	wantWWWAnswer(t, res, SecurityInsecure)
	got := log.validated()
	reason := "the NSEC record at example.com. proves it is delegated (NS) without a DS, so example.com. is unsigned"
	below := "below the unsigned delegation of example.com.: nothing here can be validated"
	wantValidated(t, got, "com. keys", SecuritySecure, "", false, "matches the DS")
	wantValidated(t, got, "example.com. keys", SecurityInsecure, "", false, reason)
	if v := got["example.com. keys"]; v.Verdict.Reason != reason || !slices.Equal(v.Verdict.KeyTags, []uint16{w.com.zsk.KeyTag()}) {
		t.Errorf("example.com. keys: reason %q key tags %v, want %q by key tag %d of com.", v.Verdict.Reason, v.Verdict.KeyTags, reason, w.com.zsk.KeyTag())
	}
	wantValidated(t, got, "example.com. answer", SecurityInsecure, "", true, below)
	if res.Security.Reason != below {
		t.Errorf("outcome reason %q, want %q", res.Security.Reason, below)
	}
	wantAsked(t, w.f, map[string]bool{"example.com. DS": true, "example.com. DNSKEY": false})
	wantZoneState(t, r.Cache, "example.com.", SecurityInsecure, "", "", reason, false, 600)

	// The proof is kept no longer than its signatures are valid: here the
	// NSEC's RRSIG expires in 100 s, before the negative TTL of 600 s.
	w = newSignedWorld(t, func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		nsec := nsecRR(t, "example.com. 3600 IN NSEC zzz.com. NS RRSIG NSEC")
		m.Ns = append(w.com.signed(t, rr(t, "com. 900 IN SOA a.gtld.com. h. 1 3600 600 86400 600")),
			nsec, w.com.zsk.sign(t, []dns.RR{nsec}, dnssecNow.Add(-time.Hour), dnssecNow.Add(100*time.Second)))
		return m
	})
	r, _ = w.resolver(w.anchor)
	if res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA); res.Security.State != SecurityInsecure {
		t.Fatalf("with the short-lived proof: %v (%s), want insecure", res.Security.State, res.Security.Reason)
	}
	wantZoneState(t, r.Cache, "example.com.", SecurityInsecure, "", "", reason, false, 100)
}

// TestTrustAnchorMismatch: the root serves its keys, but none matches the
// trust anchor (an anchor left behind by a key rollover). The root is
// bogus with TRUST_ANCHOR_MISMATCH, not DS_MISMATCH (there is no parent's
// DS to fix), its reason names the trust anchor, and the step that asked
// the root servers reports it, with the code: the break is named. The
// zones below inherit it.
func TestTrustAnchorMismatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		anchor func(w *signedWorld) *TrustAnchor
		reason string
	}{
		{"DS", func(w *signedWorld) *TrustAnchor {
			ds := w.com.ksk.ToDS(dns.SHA256) // another zone's key, as a DS for the root
			ds.Hdr.Name = "."
			return &TrustAnchor{Zone: ".", DS: []*dns.DS{ds}}
		}, "the trust anchor's DS for . ("},
		{"key", func(w *signedWorld) *TrustAnchor {
			k := *w.com.ksk.DNSKEY
			k.Hdr.Name = "."
			return &TrustAnchor{Zone: ".", Keys: []*dns.DNSKEY{&k}}
		}, "the trust anchor key for . (key tag "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSignedWorld(t, nil)
			r, log := w.resolver(tc.anchor(w))
			res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
			wantWWWAnswer(t, res, SecurityBogus)
			got := log.validated()
			root, ok := got[". keys"]
			if !ok || root.Verdict.State != SecurityBogus || root.Verdict.Code != CodeTrustAnchorMismatch || root.Inherited || !strings.HasPrefix(root.Verdict.Reason, tc.reason) {
				t.Errorf(". keys: %+v (reported: %v), want bogus %s, not inherited, reason starting %q", root, ok, CodeTrustAnchorMismatch, tc.reason)
			}
			below := "below ., where the chain of trust is broken"
			wantValidated(t, got, "example.com. keys", SecurityBogus, "", true, below)
			wantValidated(t, got, "example.com. answer", SecurityBogus, "", true, below)
		})
	}
}

// TestCheckedKeysServedChecked: the DS and DNSKEY RRsets fetched and
// checked for the chain of trust are cached with their verdict, so that a
// later question for them in the same run gets that verdict from the
// cache, not "cached without a DNSSEC check": the result does not depend
// on the order of the questions.
func TestCheckedKeysServedChecked(t *testing.T) {
	t.Run("secure", func(t *testing.T) {
		w := newSignedWorld(t, nil)
		r, _ := w.resolver(w.anchor)
		r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
		for _, q := range []struct {
			name  string
			qtype uint16
		}{{"example.com.", dns.TypeDS}, {"example.com.", dns.TypeDNSKEY}, {"com.", dns.TypeDNSKEY}, {".", dns.TypeDNSKEY}} {
			res := r.Resolve(context.Background(), q.name, q.qtype)
			if res.Status != StatusAnswer || res.Security.State != SecuritySecure {
				t.Errorf("%s %s after the chain was checked: %v %v (%s), want a secure answer", q.name, dns.TypeToString[q.qtype], res.Status, res.Security.State, res.Security.Reason)
			}
		}
	})
	t.Run("bogus DS", func(t *testing.T) {
		var w *signedWorld
		w = newSignedWorld(t, func(q *dns.Msg) *dns.Msg {
			m := new(dns.Msg)
			m.SetReply(q)
			m.Authoritative = true
			m.Answer = append(m.Answer, w.example.ksk.ToDS(dns.SHA256)) // unsigned
			return m
		})
		r, _ := w.resolver(w.anchor)
		r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
		res := r.Resolve(context.Background(), "example.com.", dns.TypeDS)
		if res.Security.State != SecurityBogus || res.Security.Code != CodeRRSIGMissing {
			t.Errorf("example.com. DS after it was found bogus: %v %s (%s), want bogus %s", res.Security.State, res.Security.Code, res.Security.Reason, CodeRRSIGMissing)
		}
	})
}
