package lab

import (
	"context"
	"testing"

	"github.com/miekg/dns"
)

func benchmarkExchange(b *testing.B, server, qname string) {
	w, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	n := NewNetwork(w)
	q := query(qname, dns.TypeA)
	q.SetEdns0(1232, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.Exchange(ctx, "udp", ap(server), q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchangeReferral measures a root referral (3 NS, 3 glue).
func BenchmarkExchangeReferral(b *testing.B) {
	benchmarkExchange(b, "127.0.1.1", "www.mydomain.com")
}

// BenchmarkExchangeAnswer measures an authoritative answer.
func BenchmarkExchangeAnswer(b *testing.B) {
	benchmarkExchange(b, "127.0.3.1", "www.mydomain.com")
}

// BenchmarkLoadDefaultWorld measures a load of the default world, as
// tests do many times: keys and signatures come from the process's
// caches after the first load.
func BenchmarkLoadDefaultWorld(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(DefaultFS()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDefaultWorldCold measures the first load in a process:
// every key made and every RRset signed.
func BenchmarkLoadDefaultWorldCold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		keyCache.Clear()
		sigCache.Clear()
		if _, err := Load(DefaultFS()); err != nil {
			b.Fatal(err)
		}
	}
}
