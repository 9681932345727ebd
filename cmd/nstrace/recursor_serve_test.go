package main

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
)

// TestServeRecursors serves the lab's recursive resolvers on real UDP and
// TCP sockets (as nstrace lab serve does) and asks them like any client:
// the stale one still has the old address, the cold one resolves over the
// lab, the broken one says SERVFAIL, the dead one says nothing.
func TestServeRecursors(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	port, err := lab.FreePort(w)
	if err != nil {
		t.Skipf("SKIP: %v (loopback addresses needed)", err)
	}
	rs, err := serveRecursors(w, port)
	if err != nil {
		t.Skipf("SKIP: cannot listen on the recursors' 127.0.53.x addresses: %v", err)
	}
	defer rs.Close()
	if len(rs.addrs) != len(w.Recursors()) || len(rs.addrs) == 0 {
		t.Fatalf("%d recursors served, the world has %d", len(rs.addrs), len(w.Recursors()))
	}
	ask := func(proto, addr string) (*dns.Msg, error) {
		q := new(dns.Msg)
		q.SetQuestion("www.mydomain.com.", dns.TypeA)
		c := &dns.Client{Net: proto, Timeout: 700 * time.Millisecond}
		r, _, err := c.Exchange(q, net.JoinHostPort(addr, strconv.Itoa(port)))
		return r, err
	}
	for _, tc := range []struct {
		name, proto, addr, want string
		rcode                   int
	}{
		{"stale", "udp", "127.0.53.3", "127.10.1.79", dns.RcodeSuccess},
		{"cold", "tcp", "127.0.53.2", "127.10.1.80", dns.RcodeSuccess},
		{"broken", "udp", "127.0.53.4", "", dns.RcodeServerFailure},
	} {
		r, err := ask(tc.proto, tc.addr)
		if err != nil {
			t.Errorf("%s over %s: %v", tc.name, tc.proto, err)
			continue
		}
		if r.Rcode != tc.rcode || !r.RecursionAvailable {
			t.Errorf("%s: rcode %s, RA %v; want %s, RA", tc.name, dns.RcodeToString[r.Rcode], r.RecursionAvailable, dns.RcodeToString[tc.rcode])
		}
		if tc.want != "" && (len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != tc.want) {
			t.Errorf("%s: answer %v, want %s", tc.name, r.Answer, tc.want)
		}
	}
	if r, err := ask("udp", "127.0.53.5"); err == nil {
		t.Errorf("the dead recursor answered: %v", r)
	}
}
