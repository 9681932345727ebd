package resolver

import (
	"context"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// RateLimited wraps a Transport so that no server address gets more than
// qps queries per second from it: each query to an address waits for its
// slot (or for ctx). Politeness for bulk audits: the root and TLD servers,
// asked by every resolution, are paced the same as any other. It reads
// the wall clock: pacing is about real time on a real network.
func RateLimited(t Transport, qps float64) *RateLimiter {
	l := &RateLimiter{t: t, gap: time.Duration(float64(time.Second) / qps)}
	for i := range l.shards {
		l.shards[i].next = map[netip.Addr]time.Time{}
	}
	return l
}

// RateLimiter is a Transport that paces queries per server address; make
// one with RateLimited.
type RateLimiter struct {
	t   Transport
	gap time.Duration
	// The addresses are spread over shards, each with its own lock, so
	// that the goroutines of an audit asking different servers do not
	// wait for each other.
	shards [limiterShards]limiterShard
}

const limiterShards = 64

type limiterShard struct {
	mu   sync.Mutex
	next map[netip.Addr]time.Time // the earliest time of the next query to each address
	_    [64]byte                 // keeps shards' locks off each other's cache lines
}

// shard returns the shard of address a.
func (l *RateLimiter) shard(a netip.Addr) *limiterShard {
	b := a.As16()
	h := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return &l.shards[h>>(64-6)] // the top 6 bits: limiterShards is 64
}

// Exchange waits for the server's next slot, then asks it.
func (l *RateLimiter) Exchange(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	if err := l.wait(ctx, server); err != nil {
		return nil, 0, err
	}
	return l.t.Exchange(ctx, proto, server, q)
}

// ExchangeTimeout waits its turn, then asks the wrapped transport with
// the timeout (which starts once the query is sent, not while it waits).
func (l *RateLimiter) ExchangeTimeout(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg, timeout time.Duration) (*dns.Msg, time.Duration, error) {
	if err := l.wait(ctx, server); err != nil {
		return nil, 0, err
	}
	return exchangeTimeout(ctx, l.t, proto, server, q, timeout)
}

// wait blocks until server may be sent another query.
func (l *RateLimiter) wait(ctx context.Context, server netip.AddrPort) error {
	now := time.Now()
	a := server.Addr()
	sh := l.shard(a)
	sh.mu.Lock()
	at := sh.next[a]
	if at.Before(now) {
		at = now
	}
	sh.next[a] = at.Add(l.gap)
	sh.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
	return nil
}

// timeoutTransport is a Transport that bounds one exchange by a timeout
// itself, so that the resolver need not make a context for every query.
type timeoutTransport interface {
	ExchangeTimeout(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg, timeout time.Duration) (*dns.Msg, time.Duration, error)
}

// exchangeTimeout asks t about query within timeout.
func exchangeTimeout(ctx context.Context, t Transport, proto string, server netip.AddrPort, query *dns.Msg, timeout time.Duration) (*dns.Msg, time.Duration, error) {
	if tt, ok := t.(timeoutTransport); ok {
		return tt.ExchangeTimeout(ctx, proto, server, query, timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return t.Exchange(ctx, proto, server, query)
}

// Simulated passes on the wrapped transport's answer (see Resolver).
func (l *RateLimiter) Simulated() bool {
	s, ok := l.t.(simulated)
	return ok && s.Simulated()
}
