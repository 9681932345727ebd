package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// udpServer listens on 127.0.0.1 at a free port and answers each query
// with what reply returns: a list of datagrams to send back, in order.
func udpServer(t *testing.T, reply func(q *dns.Msg) [][]byte) netip.AddrPort {
	t.Helper()
	return udpServerFrom(t, func(q *dns.Msg, _ net.Addr) [][]byte { return reply(q) })
}

// udpServerFrom is udpServer whose reply also sees where the query came
// from.
func udpServerFrom(t *testing.T, reply func(q *dns.Msg, from net.Addr) [][]byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.0.1 (needs a loopback interface): %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			for _, d := range reply(q, from) {
				pc.WriteTo(d, from)
			}
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

// emptyReply is a server's reply to q with no records, as its only
// datagram.
func emptyReply(q *dns.Msg) [][]byte {
	r := new(dns.Msg)
	r.SetReply(q)
	wire, _ := r.Pack()
	return [][]byte{wire}
}

func packed(t *testing.T, m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNetTransportSkipsJunkOnUDP(t *testing.T) {
	addr := udpServer(t, func(q *dns.Msg) [][]byte {
		good := new(dns.Msg)
		good.SetReply(q)
		good.Authoritative = true
		good.Answer = rrs(t, q.Question[0].Name+" 300 IN A 127.0.0.1")
		wrongID := good.Copy()
		wrongID.Id = q.Id + 1
		wrongQ := good.Copy()
		wrongQ.Question[0].Name = "forged.example."
		return [][]byte{[]byte("not dns at all"), packed(t, wrongID), packed(t, wrongQ), packed(t, good)}
	})
	var tr NetTransport
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	q := newQuery("www.example.com.", dns.TypeA)
	reply, rtt, err := tr.Exchange(ctx, UDP, addr, q)
	if err != nil || !Matches(q, reply) || len(reply.Answer) != 1 || rtt <= 0 {
		t.Fatalf("reply %v, rtt %v, err %v; want the matching reply", reply, rtt, err)
	}
}

func TestNetTransportOnlyJunkIsABadResponse(t *testing.T) {
	addr := udpServer(t, func(q *dns.Msg) [][]byte {
		forged := new(dns.Msg)
		forged.SetReply(q)
		forged.Id = q.Id ^ 0xffff
		return [][]byte{packed(t, forged)}
	})
	var tr NetTransport
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := tr.Exchange(ctx, UDP, addr, newQuery("www.example.com.", dns.TypeA))
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
	if k, _ := ClassifyError(err); k != KindError {
		t.Errorf("classified %v, want error", k)
	}
}

func TestNetTransportTimeoutAndRefused(t *testing.T) {
	silent := udpServer(t, func(*dns.Msg) [][]byte { return nil })
	var tr NetTransport
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := tr.Exchange(ctx, UDP, silent, newQuery("a.example.", dns.TypeA))
	if k, _ := ClassifyError(err); k != KindTimeout {
		t.Errorf("silent server: %v (%v), want timeout", k, err)
	}
	// Nothing listens on a closed TCP port: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.0.1: %v", err)
	}
	closed := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	_, _, err = tr.Exchange(ctx2, TCP, closed, newQuery("a.example.", dns.TypeA))
	if k, _ := ClassifyError(err); k != KindUnreachable {
		t.Errorf("closed port: %v (%v), want unreachable", k, err)
	}
}

func TestNetTransportTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.0.1: %v", err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		m.Answer = rrs(t, q.Question[0].Name+" 300 IN TXT \"over tcp\"")
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	var tr NetTransport
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	q := newQuery("t.example.", dns.TypeTXT)
	reply, _, err := tr.Exchange(ctx, TCP, netip.MustParseAddrPort(ln.Addr().String()), q)
	if err != nil || len(reply.Answer) != 1 {
		t.Fatalf("reply %v, err %v", reply, err)
	}
}

func TestNetTransportCancel(t *testing.T) {
	silent := udpServer(t, func(*dns.Msg) [][]byte { return nil })
	var tr NetTransport
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, _, err := tr.Exchange(ctx, UDP, silent, newQuery("a.example.", dns.TypeA))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
}

// TestNetTransportReuseUDP: with ReuseUDP, an answered socket serves the
// next query to the same server (same source port); without it, every
// query has a fresh socket. Close closes the kept ones.
func TestNetTransportReuseUDP(t *testing.T) {
	ports := make(chan string, 16)
	addr := udpServerFrom(t, func(q *dns.Msg, from net.Addr) [][]byte {
		ports <- from.String()
		return emptyReply(q)
	})
	for _, reuse := range []bool{false, true} {
		tr := &NetTransport{ReuseUDP: reuse}
		var seen []string
		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			q := newQuery("www.example.com.", dns.TypeA)
			if _, _, err := tr.Exchange(ctx, UDP, addr, q); err != nil {
				t.Fatal(err)
			}
			cancel()
			seen = append(seen, <-ports)
		}
		same := seen[0] == seen[1] && seen[1] == seen[2]
		if same != reuse {
			t.Errorf("ReuseUDP=%v: source addresses %v", reuse, seen)
		}
		if reuse {
			// A kept socket keeps its last deadline until the next
			// exchange sets one; one with no deadline at all must clear it.
			q := newQuery("www.example.com.", dns.TypeA)
			if _, _, err := tr.ExchangeTimeout(context.Background(), UDP, addr, q, 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			<-ports
			time.Sleep(100 * time.Millisecond) // that deadline is past now
			if _, _, err := tr.Exchange(context.Background(), UDP, addr, newQuery("www.example.com.", dns.TypeA)); err != nil {
				t.Errorf("a kept socket whose old deadline passed: %v", err)
			} else {
				<-ports
			}
		}
		tr.Close()
		if reuse {
			if c := tr.takeUDP(addr); c != nil {
				t.Errorf("Close left a kept socket")
			}
		}
	}
}

// TestExchangeTimeout: the timeout given to ExchangeTimeout bounds a UDP
// exchange by itself (no deadline on the context), and behind a rate
// limiter it starts once the query is sent, not while it waits its turn.
func TestExchangeTimeout(t *testing.T) {
	silent := udpServer(t, func(*dns.Msg) [][]byte { return nil })
	var tr NetTransport
	_, _, err := tr.ExchangeTimeout(context.Background(), UDP, silent, newQuery("a.example.", dns.TypeA), 150*time.Millisecond)
	if k, _ := ClassifyError(err); k != KindTimeout {
		t.Errorf("silent server: %v (%v), want timeout", k, err)
	}

	answering := udpServer(t, emptyReply)
	l := RateLimited(&tr, 4) // 250 ms between two queries to one address
	for i := range 2 {
		// the second waits 250 ms for its turn: longer than its timeout
		if _, _, err := l.ExchangeTimeout(context.Background(), UDP, answering, newQuery("a.example.", dns.TypeA), 200*time.Millisecond); err != nil {
			t.Errorf("query %d behind the rate limiter: %v, want the reply", i+1, err)
		}
	}
}

// TestNetTransportSlowReplyUnderCancellableContext: a UDP read under a
// context that can be cancelled looks at the context every cancelPoll;
// a reply that takes longer than that still arrives, and a silent server
// still times out at the query's own deadline, not at the first look.
func TestNetTransportSlowReplyUnderCancellableContext(t *testing.T) {
	slow := udpServer(t, func(q *dns.Msg) [][]byte {
		time.Sleep(3 * cancelPoll)
		return emptyReply(q)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &NetTransport{ReuseUDP: true}
	defer tr.Close()
	if _, rtt, err := tr.ExchangeTimeout(ctx, UDP, slow, newQuery("a.example.", dns.TypeA), 10*cancelPoll); err != nil || rtt < 3*cancelPoll {
		t.Errorf("slow reply: rtt %v, err %v; want the reply after %v", rtt, err, 3*cancelPoll)
	}
	silent := udpServer(t, func(*dns.Msg) [][]byte { return nil })
	start := time.Now()
	_, _, err := tr.ExchangeTimeout(ctx, UDP, silent, newQuery("a.example.", dns.TypeA), 3*cancelPoll)
	if k, _ := ClassifyError(err); k != KindTimeout || time.Since(start) < 3*cancelPoll {
		t.Errorf("silent server: %v (%v) after %v, want a timeout after %v", k, err, time.Since(start), 3*cancelPoll)
	}
}

// TestNetTransportKeptSocketDeadline: a kept socket goes on with the read
// deadline its last query left (a poll away, within the new query's), and
// the read loop extends it: a reply that comes after that old deadline is
// still received, and a silent server still times out at the new query's
// own deadline, neither at the old one nor later.
func TestNetTransportKeptSocketDeadline(t *testing.T) {
	var n atomic.Int32
	addr := udpServer(t, func(q *dns.Msg) [][]byte {
		switch n.Add(1) {
		case 1: // at once
		case 2:
			time.Sleep(3 * cancelPoll)
		default:
			return nil // silent
		}
		return emptyReply(q)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &NetTransport{ReuseUDP: true}
	defer tr.Close()
	ask := func(timeout time.Duration) (time.Duration, error) {
		start := time.Now()
		_, _, err := tr.ExchangeTimeout(ctx, UDP, addr, newQuery("a.example.", dns.TypeA), timeout)
		return time.Since(start), err
	}
	if _, err := ask(10 * cancelPoll); err != nil {
		t.Fatal(err)
	}
	if took, err := ask(10 * cancelPoll); err != nil || took < 3*cancelPoll {
		t.Errorf("a reply later than the kept socket's deadline: %v after %v; want it after %v", err, took, 3*cancelPoll)
	}
	took, err := ask(2 * cancelPoll)
	if k, _ := ClassifyError(err); k != KindTimeout || took < 2*cancelPoll || took > 8*cancelPoll {
		t.Errorf("silent server on a kept socket: %v (%v) after %v; want a timeout after %v", k, err, took, 2*cancelPoll)
	}
	if n.Load() != 3 {
		t.Errorf("the server got %d queries, want 3", n.Load())
	}
}
