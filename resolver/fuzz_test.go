package resolver

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzClassify feeds any bytes as the reply to a query: whatever comes,
// the reply gets a classification from the closed set, never a panic, and
// a usable kind always carries what it promises.
func FuzzClassify(f *testing.F) {
	seed := func(m *dns.Msg) []byte {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	q := new(dns.Msg)
	q.SetQuestion("www.example.com.", dns.TypeA)
	ref := new(dns.Msg)
	ref.SetReply(q)
	ref.Ns = rrs(f, "example.com. 3600 IN NS ns1.example.com.")
	ref.Extra = rrs(f, "ns1.example.com. 3600 IN A 127.0.0.1")
	ans := new(dns.Msg)
	ans.SetReply(q)
	ans.Authoritative = true
	ans.Answer = rrs(f, "www.example.com. 300 IN CNAME a.example.net.", "a.example.net. 300 IN A 127.0.0.2")
	nx := new(dns.Msg)
	nx.SetReply(q)
	nx.Authoritative, nx.Rcode = true, dns.RcodeNameError
	nx.Ns = rrs(f, "example.com. 300 IN SOA ns1. h. 1 2 3 4 5")
	for _, m := range []*dns.Msg{ref, ans, nx} {
		f.Add("www.example.com.", uint16(dns.TypeA), "com.", true, seed(m))
		f.Add("www.example.com.", uint16(dns.TypeA), "example.com.", false, seed(m))
	}
	f.Add("x.", uint16(dns.TypeNS), ".", true, []byte("not a DNS message at all"))
	f.Fuzz(func(t *testing.T, qname string, qtype uint16, zone string, sameID bool, wire []byte) {
		if _, ok := dns.IsDomainName(qname); !ok || !dns.IsFqdn(qname) {
			return
		}
		if _, ok := dns.IsDomainName(zone); !ok || !dns.IsFqdn(zone) {
			return
		}
		query := new(dns.Msg)
		query.SetQuestion(qname, qtype)
		reply := new(dns.Msg)
		if err := reply.Unpack(wire); err != nil {
			// What a transport does with junk: an error, classified.
			if k, _ := ClassifyError(errors.Join(ErrBadResponse, err)); k != KindError {
				t.Fatalf("junk classified %v", k)
			}
			return
		}
		if sameID {
			reply.Id, reply.Response = query.Id, true
			reply.Question = query.Question
		}
		r := Classify(query, reply, zone)
		if strings.HasPrefix(r.Kind.String(), "kind(") {
			t.Fatalf("kind %d outside the closed set", r.Kind)
		}
		switch r.Kind {
		case KindReferral:
			if r.Referral == "" || len(r.NS) == 0 || !dns.IsSubDomain(zone, r.Referral) || r.Referral == dns.CanonicalName(zone) {
				t.Fatalf("referral %q with %d NS from zone %q", r.Referral, len(r.NS), zone)
			}
		case KindCNAME:
			if r.Target == "" || len(r.Answer) == 0 {
				t.Fatalf("cname without target")
			}
		case KindAnswer:
			if len(r.Answer) == 0 {
				t.Fatalf("answer without records")
			}
		}
		for _, rr := range append(append(r.Answer, r.Glue...), nsRRs(r.NS)...) {
			if !dns.IsSubDomain(dns.CanonicalName(zone), dns.CanonicalName(rr.Header().Name)) {
				t.Fatalf("out-of-bailiwick record used: %v (zone %s)", rr, zone)
			}
		}
	})
}

func nsRRs(ns []*dns.NS) []dns.RR {
	out := make([]dns.RR, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// FuzzParseHints feeds any text as a hints file: it is parsed or refused
// with an error that names the file, never a panic.
func FuzzParseHints(f *testing.F) {
	f.Add(namedRoot)
	f.Add(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n")
	f.Add("$ORIGIN .\n")
	f.Add(". 3600 NS a.root.\na.root. 3600 MX 10 x.\n")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, text string) {
		h, err := ParseHints(strings.NewReader(text), "fuzz.root")
		if err != nil {
			if !errors.Is(err, ErrBadHints) || !strings.Contains(err.Error(), "fuzz.root") {
				t.Fatalf("error %q does not name the file or wrap ErrBadHints", err)
			}
			return
		}
		if len(h.Servers) == 0 {
			t.Fatal("parsed hints without a server")
		}
		for _, s := range h.Servers {
			if !s.Addr.IsValid() || !dns.IsFqdn(s.Name) {
				t.Fatalf("bad server %+v", s)
			}
		}
	})
}
