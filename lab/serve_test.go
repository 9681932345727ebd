package lab

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fullRRs renders every record in full (with TTLs), sorted, without OPT.
func fullRRs(section []dns.RR) []string {
	var out []string
	for _, rr := range section {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr.String())
		}
	}
	slices.Sort(out)
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func serveT(t *testing.T, w *World) *Listener {
	t.Helper()
	l, err := Serve(w, 0)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestServeMatchesNetwork(t *testing.T) {
	w := mustDefault(t)
	l := serveT(t, w)
	addrs := l.Addrs()
	servers := w.Servers()
	if len(addrs) != len(servers) {
		t.Fatalf("%d addresses, want %d", len(addrs), len(servers))
	}
	port := addrs[0].Port()
	if port == 0 {
		t.Fatal("port 0 in Addrs")
	}
	for i, a := range addrs {
		if a.Addr() != servers[i].Addr || a.Port() != port {
			t.Errorf("Addrs[%d] = %v, want %v:%d", i, a, servers[i].Addr, port)
		}
	}
	n := NewNetwork(w)
	tests := []struct {
		name   string
		server string
		qname  string
		qtype  uint16
		edns   bool
	}{
		{"root referral", "127.0.1.1", "www.mydomain.com", dns.TypeA, false},
		{"root referral with EDNS0", "127.0.1.2", "host.lab.eng.deep.com", dns.TypeA, true},
		{"TLD referral", "127.0.2.1", "mydomain.com", dns.TypeA, false},
		{"answer", "127.0.3.1", "www.mydomain.com", dns.TypeA, true},
		{"CNAME chain", "127.0.3.41", "shop.cdnhost.net", dns.TypeA, false},
		{"NXDOMAIN", "127.0.3.2", "doesnotexist.mydomain.com", dns.TypeA, false},
		{"NODATA", "127.0.3.2", "nodata.mydomain.com", dns.TypeA, true},
		{"REFUSED", "127.0.3.51", "lame.com", dns.TypeA, false},
		{"variant", "127.0.3.112", "stale.com", dns.TypeSOA, false},
		{"upward referral", "127.0.3.121", "loop.com", dns.TypeA, true},
		{"poison", "127.0.3.152", "www.poison.com", dns.TypeA, false},
		{"DS from the hosted parent", "127.0.2.11", "nic.org", dns.TypeDS, false},
		{"wrong question", "127.0.3.163", "www.badquestion.com", dns.TypeA, true},
		{"referral to itself", "127.0.3.181", "www.selfref.com", dns.TypeA, false},
		{"sideways referral", "127.0.3.193", "pingpong-b.com", dns.TypeA, true},
		{"endless CNAME chain", "127.0.3.222", "www.endless.com", dns.TypeA, false},
		{"500 NS with glue (TC over UDP)", "127.0.2.3", "www.manyns.com", dns.TypeA, true},
		{"500 NS without glue (TC over UDP)", "127.0.2.1", "nxns.com", dns.TypeA, false},
		{"500 NS at the apex", "127.0.3.212", "manyns.com", dns.TypeNS, true},
		{"TC over UDP, reset over TCP", "127.0.3.164", "tcdrop.com", dns.TypeA, false},
		{"TC over UDP, cut short over TCP", "127.0.3.165", "tcpartial.com", dns.TypeA, true},
	}
	for _, tt := range tests {
		for _, proto := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+proto, func(t *testing.T) {
				q := query(tt.qname, tt.qtype)
				if tt.edns {
					q.SetEdns0(1232, false)
				}
				want, _, err := n.Exchange(context.Background(), proto, ap(tt.server), q)
				c := &dns.Client{Net: proto, Timeout: 5 * time.Second}
				target := netip.AddrPortFrom(netip.MustParseAddr(tt.server), port)
				got, _, cerr := c.Exchange(q, target.String())
				if err != nil {
					// Both fail, the same way.
					var bad interface{ BadResponse() bool }
					switch {
					case cerr == nil:
						t.Fatalf("Network: %v, but dns.Client got a reply: %v", err, got)
					case errors.Is(err, syscall.ECONNRESET) && !errors.Is(cerr, syscall.ECONNRESET) && !errors.Is(cerr, io.EOF),
						errors.As(err, &bad) && (errors.Is(cerr, syscall.ECONNRESET) || isTimeout(cerr)):
						t.Errorf("Network: %v; dns.Client: %v", err, cerr)
					}
					t.Logf("both fail: %v; %v", err, cerr)
					return
				}
				if cerr != nil {
					t.Fatalf("dns.Client over %s: %v", proto, cerr)
				}
				if got.MsgHdr != want.MsgHdr {
					t.Errorf("header %+v, want %+v", got.MsgHdr, want.MsgHdr)
				}
				for _, s := range []struct {
					name      string
					got, want []dns.RR
				}{{"answer", got.Answer, want.Answer}, {"authority", got.Ns, want.Ns}, {"additional", got.Extra, want.Extra}} {
					if g, w := fullRRs(s.got), fullRRs(s.want); !slices.Equal(g, w) {
						t.Errorf("%s:\n got %q\nwant %q", s.name, g, w)
					}
				}
				if (got.IsEdns0() != nil) != tt.edns {
					t.Errorf("OPT in reply: %v, want %v", got.IsEdns0() != nil, tt.edns)
				}
			})
		}
	}
}

func TestServeBehaviours(t *testing.T) {
	w := testWorld(t)
	l := serveT(t, w)
	port := l.Addrs()[0].Port()
	addr := func(s string) string { return netip.AddrPortFrom(netip.MustParseAddr(s), port).String() }

	t.Run("drop times out", func(t *testing.T) {
		for _, proto := range []string{"udp", "tcp"} {
			c := &dns.Client{Net: proto, Timeout: 300 * time.Millisecond}
			_, _, err := c.Exchange(query("www.lab.test", dns.TypeA), addr("127.0.9.7"))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("%s: err = %v, want a timeout", proto, err)
			}
		}
	})
	t.Run("delay answers late", func(t *testing.T) {
		c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
		start := time.Now()
		r, _, err := c.Exchange(query("www.lab.test", dns.TypeA), addr("127.0.9.6"))
		if err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
			t.Errorf("answered after %v, want at least 300ms", elapsed)
		}
		if len(r.Answer) != 2 || !r.Authoritative {
			t.Errorf("reply %v", r)
		}
	})
	t.Run("servfail", func(t *testing.T) {
		c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
		r, _, err := c.Exchange(query("www.lab.test", dns.TypeA), addr("127.0.9.4"))
		if err != nil || r.Rcode != dns.RcodeServerFailure {
			t.Errorf("reply %v, err %v; want SERVFAIL", r, err)
		}
	})
	t.Run("truncation over UDP, full over TCP", func(t *testing.T) {
		for _, tc := range []struct {
			proto string
			tc    bool
		}{{"udp", true}, {"tcp", false}} {
			c := &dns.Client{Net: tc.proto, Timeout: 5 * time.Second}
			r, _, err := c.Exchange(query("big.lab.test", dns.TypeTXT), addr("127.0.9.2"))
			if err != nil {
				t.Fatalf("%s: %v", tc.proto, err)
			}
			if r.Truncated != tc.tc || (!tc.tc && len(r.Answer) != 20) {
				t.Errorf("%s: TC=%v with %d answers", tc.proto, r.Truncated, len(r.Answer))
			}
		}
	})
}

func TestServeClose(t *testing.T) {
	w := testWorld(t)
	l, err := Serve(w, 0)
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addrs()[0].Port()
	// A query held by the delay server must not hold up Close.
	go func() {
		c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
		c.Exchange(query("www.lab.test", dns.TypeA), netip.AddrPortFrom(netip.MustParseAddr("127.0.9.6"), port).String())
	}()
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The sockets are free again: bind them ourselves.
	for _, a := range l.Addrs() {
		pc, err := net.ListenPacket("udp", a.String())
		if err != nil {
			t.Errorf("UDP %v still taken after Close: %v", a, err)
			continue
		}
		pc.Close()
		ln, err := net.Listen("tcp", a.String())
		if err != nil {
			t.Errorf("TCP %v still taken after Close: %v", a, err)
			continue
		}
		ln.Close()
	}
	// And the same explicit port can be served again.
	l2, err := Serve(w, int(port))
	if err != nil {
		t.Fatalf("Serve on the freed port %d: %v", port, err)
	}
	defer l2.Close()
	// While it is in use, a second Serve on that port fails cleanly.
	if l3, err := Serve(w, int(port)); err == nil {
		l3.Close()
		t.Error("second Serve on a port in use succeeded")
	}
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	if r, _, err := c.Exchange(query("www.lab.test", dns.TypeA), netip.AddrPortFrom(netip.MustParseAddr("127.0.9.2"), port).String()); err != nil || len(r.Answer) != 2 {
		t.Errorf("after re-Serve: %v, %v", r, err)
	}
}

func TestServeBadPort(t *testing.T) {
	w := testWorld(t)
	for _, p := range []int{-1, 65536} {
		if l, err := Serve(w, p); err == nil {
			l.Close()
			t.Errorf("Serve(w, %d) succeeded", p)
		}
	}
}
