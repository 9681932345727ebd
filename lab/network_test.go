package lab

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestExchangeErrors(t *testing.T) {
	w := testWorld(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	short, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel3()
	long, cancel4 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel4()
	bad := query("www.lab.test", dns.TypeA)
	bad.Question[0].Name = "a..b." // cannot be packed

	tests := []struct {
		name    string
		ctx     context.Context
		proto   string
		server  string
		q       *dns.Msg
		is      error // errors.Is target; nil means success
		timeout bool  // the error must say Timeout() like a net.Error
		counted int64 // how much Queries() grows
	}{
		{name: "unknown address", server: "127.0.99.99", is: syscall.EHOSTUNREACH},
		{name: "unknown address over tcp", proto: "tcp", server: "127.0.99.99", is: syscall.EHOSTUNREACH},
		{name: "drop", server: "127.0.9.7", is: os.ErrDeadlineExceeded, timeout: true, counted: 1},
		{name: "drop over tcp", proto: "tcp", server: "127.0.9.7", is: os.ErrDeadlineExceeded, timeout: true, counted: 1},
		{name: "drop with a long deadline", ctx: long, server: "127.0.9.7", is: os.ErrDeadlineExceeded, timeout: true, counted: 1},
		{name: "delay beyond the deadline", ctx: short, server: "127.0.9.6", is: os.ErrDeadlineExceeded, timeout: true, counted: 1},
		{name: "delay within the deadline", ctx: long, server: "127.0.9.6", counted: 1},
		{name: "cancelled context", ctx: cancelled, server: "127.0.9.2", is: context.Canceled},
		{name: "cancelled context to a drop server", ctx: cancelled, server: "127.0.9.7", is: context.Canceled},
		{name: "expired context", ctx: expired, server: "127.0.9.2", is: context.DeadlineExceeded},
		{name: "unpackable query", server: "127.0.9.2", q: bad, is: errAny},
		{name: "unknown protocol", proto: "sctp", server: "127.0.9.2", is: errAny},
		{name: "nil query", server: "127.0.9.2", q: (*dns.Msg)(nil), is: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NewNetwork(w)
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			proto := tt.proto
			if proto == "" {
				proto = "udp"
			}
			q := tt.q
			if q == nil && tt.name != "nil query" {
				q = query("www.lab.test", dns.TypeA)
			}
			start := time.Now()
			r, rtt, err := n.Exchange(ctx, proto, ap(tt.server), q)
			if elapsed := time.Since(start); elapsed > 50*time.Millisecond {
				t.Errorf("Exchange took %v: the in-memory network must not wait", elapsed)
			}
			if got := n.Queries(); got != tt.counted {
				t.Errorf("Queries() = %d, want %d", got, tt.counted)
			}
			if tt.is == nil {
				if err != nil || r == nil {
					t.Fatalf("Exchange = %v, %v", r, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Exchange succeeded (%v), want an error", r)
			}
			if r != nil || rtt != 0 {
				t.Errorf("on error: reply %v, rtt %v; want nil, 0", r, rtt)
			}
			if tt.is != errAny && !errors.Is(err, tt.is) {
				t.Errorf("error %q (%T) is not %v", err, err, tt.is)
			}
			var ne net.Error
			if tt.timeout && (!errors.As(err, &ne) || !ne.Timeout()) {
				t.Errorf("error %q is not a net.Error timeout", err)
			}
		})
	}
}

// errAny stands for "any error" in the table above.
var errAny = errors.New("any error")

func TestExchangeRTT(t *testing.T) {
	w := testWorld(t)
	n := NewNetwork(w)
	ctx := context.Background()
	tests := []struct {
		name   string
		proto  string
		server netip.AddrPort
		want   time.Duration
	}{
		{"udp", "udp", ap("127.0.9.2"), 7 * time.Millisecond},
		{"tcp adds the handshake", "tcp", ap("127.0.9.2"), 14 * time.Millisecond},
		{"port is ignored", "udp", netip.MustParseAddrPort("127.0.9.2:5353"), 7 * time.Millisecond},
		{"IPv4-mapped address", "udp", netip.MustParseAddrPort("[::ffff:127.0.9.2]:53"), 7 * time.Millisecond},
		{"delay adds to the RTT", "udp", ap("127.0.9.6"), 304 * time.Millisecond},
		{"delay over tcp", "tcp", ap("127.0.9.6"), 308 * time.Millisecond},
		{"derived RTT", "udp", ap("127.0.9.3"), defaultRTT(netip.MustParseAddr("127.0.9.3"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 { // deterministic: the same every time
				_, rtt, err := n.Exchange(ctx, tt.proto, tt.server, query("www.lab.test", dns.TypeA))
				if err != nil {
					t.Fatal(err)
				}
				if rtt != tt.want {
					t.Fatalf("rtt %v, want %v", rtt, tt.want)
				}
			}
		})
	}
	for _, s := range w.Servers() {
		if d := defaultRTT(s.Addr); d < 2*time.Millisecond || d > 40*time.Millisecond {
			t.Errorf("defaultRTT(%s) = %v, outside [2ms, 40ms]", s.Addr, d)
		}
	}
}

func TestExchangeTruncation(t *testing.T) {
	w := testWorld(t)
	n := NewNetwork(w)
	tests := []struct {
		name    string
		proto   string
		edns    uint16 // 0: no EDNS0
		tc      bool
		answers int // exact count, or -1 for "fewer than 20"
	}{
		{"udp without EDNS0 truncates at 512", "udp", 0, true, -1},
		{"udp with EDNS0 1232 truncates", "udp", 1232, true, -1},
		{"udp with EDNS0 4096 fits", "udp", 4096, false, 20},
		{"tcp never truncates", "tcp", 0, false, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := query("big.lab.test", dns.TypeTXT)
			if tt.edns != 0 {
				q.SetEdns0(tt.edns, false)
			}
			r, _, err := n.Exchange(context.Background(), tt.proto, ap("127.0.9.2"), q)
			if err != nil {
				t.Fatal(err)
			}
			if r.Truncated != tt.tc {
				t.Errorf("TC=%v, want %v", r.Truncated, tt.tc)
			}
			if tt.answers >= 0 && len(r.Answer) != tt.answers || tt.answers < 0 && len(r.Answer) >= 20 {
				t.Errorf("%d answers, want %d", len(r.Answer), tt.answers)
			}
			size := 512
			if tt.edns != 0 {
				size = int(tt.edns)
			}
			r.Compress = true // as the server sent it
			if wire, _ := r.Pack(); tt.proto == "udp" && len(wire) > size {
				t.Errorf("UDP reply of %d bytes exceeds %d", len(wire), size)
			}
			opt := r.IsEdns0()
			switch {
			case tt.edns == 0 && opt != nil:
				t.Errorf("OPT in a reply to a query without EDNS0: %v", opt)
			case tt.edns != 0 && (opt == nil || opt.UDPSize() != 1232):
				t.Errorf("reply OPT %v, want UDP size 1232", opt)
			}
		})
	}
}

func TestExchangeEDNSEcho(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	for _, tc := range []struct {
		name   string
		server string
		qname  string
	}{
		{"answer", "127.0.3.1", "www.mydomain.com"},
		{"referral", "127.0.1.1", "www.mydomain.com"},
		{"refused", "127.0.3.51", "lame.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := query(tc.qname, dns.TypeA)
			q.SetEdns0(4096, true)
			r, _, err := n.Exchange(context.Background(), "udp", ap(tc.server), q)
			if err != nil {
				t.Fatal(err)
			}
			opt := r.IsEdns0()
			if opt == nil || opt.UDPSize() != 1232 || !opt.Do() {
				t.Errorf("reply OPT %v, want size 1232 with DO echoed", opt)
			}
		})
	}
}

func TestExchangeConcurrent(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	names := []struct {
		server string
		qname  string
	}{
		{"127.0.1.1", "www.mydomain.com"},
		{"127.0.2.2", "mydomain.com"},
		{"127.0.3.1", "www.mydomain.com"},
		{"127.0.3.41", "shop.cdnhost.net"},
		{"127.0.3.61", "halfdead.com"}, // drop
		{"127.0.3.51", "lame.com"},     // refused
		{"127.0.99.1", "nowhere.test"}, // unreachable: not counted
	}
	const workers, each = 8, 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent int64
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64
			for j := range each {
				c := names[(i+j)%len(names)]
				proto := "udp"
				if j%3 == 0 {
					proto = "tcp"
				}
				q := query(c.qname, dns.TypeA)
				r, _, err := n.Exchange(context.Background(), proto, ap(c.server), q)
				if c.server != "127.0.99.1" {
					mine++
				}
				if err == nil && r.Id != q.Id {
					t.Errorf("reply id %d for query %d", r.Id, q.Id)
				}
			}
			mu.Lock()
			sent += mine
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got := n.Queries(); got != sent {
		t.Errorf("Queries() = %d, want %d", got, sent)
	}
	var perServer int64
	for _, s := range w.Servers() {
		perServer += n.QueriesTo(s.Addr)
	}
	if perServer != sent {
		t.Errorf("sum of QueriesTo = %d, want %d", perServer, sent)
	}
}
