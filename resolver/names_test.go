package resolver

import (
	"testing"

	"github.com/miekg/dns"
)

func TestInDomainAgreesWithIsSubDomain(t *testing.T) {
	names := []string{".", "com.", "example.com.", "www.example.com.", "xexample.com.", `a\.example.com.`,
		`a\\.example.com.`, `example\.com.`, `x.example\.com.`, "m.", "ample.com.", `\\.com.`, `a\\\.example.com.`}
	for _, p := range names {
		for _, c := range names {
			if got, want := InDomain(p, c), dns.IsSubDomain(p, c); got != want {
				t.Errorf("InDomain(%q, %q) = %v, dns.IsSubDomain says %v", p, c, got, want)
			}
		}
	}
}

func BenchmarkInDomain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		InDomain("example.com.", "www.example.com.")
	}
}
