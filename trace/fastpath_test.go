package trace

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// The fast paths of the trace model give what the slow ones they replace
// gave: miekg/dns's tables and String, and netip.ParseAddr.

func TestTypeAndRcodeNames(t *testing.T) {
	for i := 0; i <= 0xffff; i++ {
		want, ok := dns.TypeToString[uint16(i)]
		if !ok {
			want = fmt.Sprintf("TYPE%d", i)
		}
		if got := typeName(uint16(i)); got != want {
			t.Fatalf("typeName(%d) = %q, want %q", i, got, want)
		}
	}
	for rc := -2; rc <= 5000; rc++ {
		want, ok := dns.RcodeToString[rc]
		if !ok {
			want = fmt.Sprintf("RCODE%d", rc)
		}
		if got := rcodeName(rc); got != want {
			t.Fatalf("rcodeName(%d) = %q, want %q", rc, got, want)
		}
	}
}

func TestRdataAsString(t *testing.T) {
	for _, s := range []string{
		"example. 300 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300",
		"example. 300 IN SOA . . 0 0 0 0 0",
		"example. 300 IN SOA ns1.example. host\\.master.example. 4294967295 4294967295 1 2 3",
		"example. 300 IN SOA ns_1.exa-mple. h.example. 1 2 3 4 5",
		"example. 300 IN SOA n\\032s.example. h.example. 1 2 3 4 5",
		"example. 300 IN NS ns1.example.",
		"example. 300 IN NS n\\@s1.example.",
		"example. 300 IN CNAME target.example.",
		"example. 300 IN A 192.0.2.1",
		"example. 300 IN AAAA 2001:db8::1",
		"example. 300 IN MX 10 mail.example.",
		"example. 300 IN TXT \"a b\" c",
	} {
		rr := mustRR(t, s)
		want := strings.TrimPrefix(rr.String(), rr.Header().String())
		if got := rdata(rr); got != want {
			t.Errorf("rdata(%s) = %q, want %q", s, got, want)
		}
	}
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET}}
	if got, want := rdata(soa), strings.TrimPrefix(soa.String(), soa.Hdr.String()); got != want {
		t.Errorf("rdata(empty SOA) = %q, want %q", got, want)
	}
}

func TestIsAddressNameAsParseAddr(t *testing.T) {
	for _, n := range []string{
		"192.0.2.1.", "192.0.2.1", "192.0.2.", "1.2.3.4.5.", "ns1.example.", "2001:db8::1.", "::1", "::ffff:192.0.2.1.",
		"fe80::1%eth0.", "", ".", "0.0.0.0.", "01.2.3.4.", "256.1.1.1.", "1234.", "a:b", "ns:1.example.",
	} {
		_, err := netip.ParseAddr(strings.TrimSuffix(n, "."))
		if got := isAddressName(n); got != (err == nil) {
			t.Errorf("isAddressName(%q) = %v, want %v", n, got, err == nil)
		}
	}
}

func TestCanonicalNameAsMiekg(t *testing.T) {
	for _, n := range []string{
		"", ".", "example.com.", "example.com", "Example.COM.", "a\\.", "a\\\\.", "a\\..", "x\xff.", "ü.example.", "ns1.example.com.\\",
		"_dmarc.example.", "a-b.c_d.", "xn--bcher-kva.example.", "EXAMPLE",
	} {
		if got, want := canonicalName(n), dns.CanonicalName(n); got != want {
			t.Errorf("canonicalName(%q) = %q, want %q", n, got, want)
		}
	}
}
