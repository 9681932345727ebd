package resolver

import (
	"testing"

	"github.com/miekg/dns"
)

func TestClassify(t *testing.T) {
	type reply struct {
		rcode  int
		aa, tc bool
		id     uint16 // 0: the query's ID
		qname  string // "": the query's name
		answer []string
		ns     []string
		extra  []string
	}
	tests := []struct {
		name   string
		zone   string // the zone of the server asked
		qname  string
		qtype  uint16
		reply  reply
		kind   Kind
		detail string // expected Detail, when it matters
		check  func(t *testing.T, r Response)
	}{
		{name: "answer", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{aa: true, answer: []string{"www.example.com. 300 IN A 127.0.0.1"}}, kind: KindAnswer,
			check: func(t *testing.T, r Response) {
				if len(r.Answer) != 1 {
					t.Errorf("answer %v", r.Answer)
				}
			}},
		{name: "referral with in-bailiwick glue only", zone: "com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{
				ns:    []string{"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns.other.net."},
				extra: []string{"ns1.example.com. 3600 IN A 127.0.0.3", "ns.other.net. 3600 IN A 127.0.0.4", "unrelated.com. 3600 IN A 127.0.0.5"},
			}, kind: KindReferral,
			check: func(t *testing.T, r Response) {
				if r.Referral != "example.com." || len(r.NS) != 2 {
					t.Errorf("referral %q with %d NS", r.Referral, len(r.NS))
				}
				if len(r.Glue) != 1 || r.Glue[0].Header().Name != "ns1.example.com." {
					t.Errorf("glue %v, want only ns1.example.com", r.Glue)
				}
				if len(r.Ignored) != 1 || r.Ignored[0].Header().Name != "ns.other.net." {
					t.Errorf("ignored %v, want the out-of-bailiwick ns.other.net glue", r.Ignored)
				}
			}},
		{name: "cname", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{aa: true, answer: []string{"www.example.com. 300 IN CNAME cdn.example.net."}}, kind: KindCNAME,
			check: func(t *testing.T, r Response) {
				if r.Target != "cdn.example.net." {
					t.Errorf("target %q", r.Target)
				}
			}},
		{name: "cname chain inside the answer keeps in-bailiwick links", zone: "example.com.", qname: "a.example.com.", qtype: dns.TypeA,
			reply: reply{aa: true, answer: []string{"a.example.com. 300 IN CNAME b.example.com.", "b.example.com. 300 IN A 127.0.0.1"}}, kind: KindCNAME,
			check: func(t *testing.T, r Response) {
				if r.Target != "b.example.com." || len(r.Answer) != 2 {
					t.Errorf("target %q, chain %v", r.Target, r.Answer)
				}
			}},
		{name: "qtype CNAME is an answer", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeCNAME,
			reply: reply{aa: true, answer: []string{"www.example.com. 300 IN CNAME cdn.example.net."}}, kind: KindAnswer},
		{name: "nxdomain takes min of SOA TTL and MINIMUM", zone: "example.com.", qname: "x.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeNameError, aa: true, ns: []string{"example.com. 900 IN SOA ns. h. 1 2 3 4 120"}}, kind: KindNXDomain,
			check: func(t *testing.T, r Response) {
				if r.NegTTL != 120 {
					t.Errorf("negative TTL %d, want 120", r.NegTTL)
				}
			}},
		{name: "nodata", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeAAAA,
			reply: reply{aa: true, ns: []string{"example.com. 60 IN SOA ns. h. 1 2 3 4 300"}}, kind: KindNoData,
			check: func(t *testing.T, r Response) {
				if r.NegTTL != 60 {
					t.Errorf("negative TTL %d, want 60", r.NegTTL)
				}
			}},
		{name: "refused is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeRefused}, kind: KindLame, detail: "REFUSED"},
		{name: "servfail is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeServerFailure}, kind: KindLame, detail: "SERVFAIL"},
		{name: "notauth is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeNotAuth}, kind: KindLame, detail: "NOTAUTH"},
		{name: "formerr is an error", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeFormatError}, kind: KindError},
		{name: "answer without AA is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{answer: []string{"www.example.com. 300 IN A 127.0.0.1"}}, kind: KindLame},
		{name: "nxdomain without AA is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{rcode: dns.RcodeNameError}, kind: KindLame},
		{name: "empty non-authoritative reply is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{}, kind: KindLame},
		{name: "upward referral is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{ns: []string{"com. 172800 IN NS a.gtld-servers.net."}}, kind: KindLame,
			detail: "upward referral to com.: the server does not serve example.com."},
		{name: "referral to the same zone is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{ns: []string{"example.com. 3600 IN NS ns1.example.com."}}, kind: KindLame,
			detail: "upward referral to example.com. itself: the server does not serve it"},
		{name: "referral to an unrelated zone is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{ns: []string{"example.net. 3600 IN NS ns1.example.net."}}, kind: KindLame,
			detail: "sideways referral to example.net., which is not below example.com.: the server does not serve example.com."},
		{name: "sideways referral is lame", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{ns: []string{"other.example.com. 3600 IN NS ns1.example.com."}}, kind: KindLame},
		{name: "truncated", zone: "com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{tc: true}, kind: KindTruncated},
		{name: "wrong ID", zone: "com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{id: 4242, aa: true, answer: []string{"www.example.com. 300 IN A 127.0.0.1"}}, kind: KindError,
			check: func(t *testing.T, r Response) {
				if !r.BadReply {
					t.Error("BadReply not set")
				}
			}},
		{name: "wrong question", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{qname: "mail.example.com.", aa: true, answer: []string{"mail.example.com. 300 IN A 127.0.0.1"}}, kind: KindError},
		{name: "out-of-bailiwick answer is ignored", zone: "example.com.", qname: "www.example.com.", qtype: dns.TypeA,
			reply: reply{aa: true, answer: []string{"www.example.com. 300 IN A 127.0.0.1", "www.bank.org. 300 IN A 127.6.6.6"}}, kind: KindAnswer,
			check: func(t *testing.T, r Response) {
				if len(r.Answer) != 1 || len(r.Ignored) != 1 {
					t.Errorf("answer %v ignored %v", r.Answer, r.Ignored)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := new(dns.Msg)
			q.SetQuestion(tc.qname, tc.qtype)
			q.Id = 1234
			m := new(dns.Msg)
			m.SetReply(q)
			m.Rcode, m.Authoritative, m.Truncated = tc.reply.rcode, tc.reply.aa, tc.reply.tc
			if tc.reply.id != 0 {
				m.Id = tc.reply.id
			}
			if tc.reply.qname != "" {
				m.Question[0].Name = tc.reply.qname
			}
			m.Answer, m.Ns, m.Extra = rrs(t, tc.reply.answer...), rrs(t, tc.reply.ns...), rrs(t, tc.reply.extra...)
			r := Classify(q, m, tc.zone)
			if r.Kind != tc.kind {
				t.Fatalf("kind %v (%s), want %v", r.Kind, r.Detail, tc.kind)
			}
			if tc.detail != "" && r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestClassifyError(t *testing.T) {
	f := newFakeNet()
	_, _, err := f.Exchange(t.Context(), UDP, mustAddrPort("127.0.0.9:53"), newQuery("a.", dns.TypeA))
	if k, _ := ClassifyError(err); k != KindUnreachable {
		t.Errorf("unknown address: %v, want unreachable", k)
	}
	f.handle("127.0.0.9", func(string, *dns.Msg) *dns.Msg { return nil })
	_, _, err = f.Exchange(t.Context(), UDP, mustAddrPort("127.0.0.9:53"), newQuery("a.", dns.TypeA))
	if k, _ := ClassifyError(err); k != KindTimeout {
		t.Errorf("silent server: %v, want timeout", k)
	}
}

func TestClassifyChainIntoAnotherZoneIsNotSuspect(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("dns.aliasing.net.", dns.TypeA)
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	m.Answer = rrs(t, "dns.aliasing.net. 300 IN CNAME ns2.hosting.com.", "ns2.hosting.com. 300 IN A 127.0.0.2")
	m.Extra = rrs(t, "www.bank.org. 300 IN A 127.6.6.6")
	r := Classify(q, m, "aliasing.net.")
	if r.Kind != KindCNAME || r.Target != "ns2.hosting.com." {
		t.Fatalf("kind %v target %q", r.Kind, r.Target)
	}
	if len(r.Beyond) != 1 || len(r.Ignored) != 1 || r.Ignored[0].Header().Name != "www.bank.org." {
		t.Errorf("beyond %v, ignored %v: the chain's next link is not suspect, the bank record is", r.Beyond, r.Ignored)
	}
}
