package resolver

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestCacheTTLCountsDownAndExpires(t *testing.T) {
	clock := NewManualClock(time.Unix(1000, 0))
	c := NewCache(clock)
	c.Store(rrs(t, "www.example.com. 300 IN A 127.0.0.1", "www.example.com. 200 IN A 127.0.0.2"), RankAnswer, "example.com.")
	if c.Len() != 1 {
		t.Fatalf("Len %d after storing one RRset", c.Len())
	}
	defer func() {
		if c.Len() != 0 {
			t.Errorf("Len %d: the expired RRset was not removed", c.Len())
		}
	}()
	steps := []struct {
		advance time.Duration
		state   CacheState
		ttl     uint32
	}{
		{0, CacheHit, 200}, // the RRset's TTL is its smallest
		{150 * time.Second, CacheHit, 50},
		{49 * time.Second, CacheHit, 1},
		{time.Second, CacheExpired, 0}, // reported once...
		{0, CacheMiss, 0},              // ...then gone
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		e, state := c.Lookup("WWW.example.com", dns.TypeA, RankAnswer)
		if state != s.state || e.TTL != s.ttl {
			t.Fatalf("step %d: %v ttl %d, want %v ttl %d", i, state, e.TTL, s.state, s.ttl)
		}
		if state == CacheHit {
			for _, rr := range e.RRs {
				if rr.Header().Ttl != s.ttl {
					t.Errorf("record TTL %d, want %d", rr.Header().Ttl, s.ttl)
				}
			}
		}
	}
}

func TestCacheRanks(t *testing.T) {
	clock := NewManualClock(time.Unix(0, 0))
	c := NewCache(clock)
	c.Store(rrs(t, "ns1.example.com. 3600 IN A 127.0.0.1"), RankAnswer, "example.com.")
	c.Store(rrs(t, "ns1.example.com. 3600 IN A 127.9.9.9"), RankGlue, "com.")
	e, _ := c.Lookup("ns1.example.com.", dns.TypeA, RankGlue)
	if got := e.RRs[0].(*dns.A).A.String(); got != "127.0.0.1" {
		t.Errorf("glue replaced an authoritative answer: %s", got)
	}
	if _, state := c.Lookup("ns1.example.com.", dns.TypeA, RankAnswer); state != CacheHit {
		t.Errorf("authoritative data not found at RankAnswer")
	}
	c.Store(rrs(t, "ns2.example.com. 3600 IN A 127.0.0.2"), RankGlue, "com.")
	if _, state := c.Lookup("ns2.example.com.", dns.TypeA, RankAnswer); state != CacheMiss {
		t.Errorf("glue must not answer a query for authoritative data")
	}
	c.Store(rrs(t, "zero.example.com. 0 IN A 127.0.0.3"), RankAnswer, "example.com.")
	if _, state := c.Lookup("zero.example.com.", dns.TypeA, RankGlue); state != CacheMiss {
		t.Errorf("TTL 0 must not be cached")
	}
}

func TestCacheLookupReturnsCopies(t *testing.T) {
	c := NewCache(NewManualClock(time.Unix(0, 0)))
	c.Store(rrs(t, "a.example. 300 IN A 127.0.0.1"), RankAnswer, "example.")
	e, _ := c.Lookup("a.example.", dns.TypeA, RankAnswer)
	e.RRs[0].(*dns.A).A[3] = 9
	e2, _ := c.Lookup("a.example.", dns.TypeA, RankAnswer)
	if e2.RRs[0].(*dns.A).A.String() != "127.0.0.1" {
		t.Errorf("the cache shares memory with its callers")
	}
}
