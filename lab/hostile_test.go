package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

// hostileConf is a small world with one server of each behaviour that
// breaks a resolver's assumptions: bytes that are no DNS, messages cut
// short, referrals that go nowhere, an endless CNAME chain, broken TCP.
const hostileConf = `
zone   .          root.zone
zone   lab.test   lab.test.zone
server root.lab.test      127.0.9.1   rtt=5ms                      .
server ns.lab.test        127.0.9.2   rtt=7ms                      lab.test
server garbage.lab.test   127.0.9.31  rtt=3ms behaviour=garbage    lab.test
server cutoff.lab.test    127.0.9.32  behaviour=cutoff             lab.test
server selfref.lab.test   127.0.9.33  behaviour=selfref            lab.test
server refer.lab.test     127.0.9.34  behaviour=refer=sub.lab.test lab.test
server endless.lab.test   127.0.9.35  behaviour=endless-cname      lab.test
server tcdrop.lab.test    127.0.9.36  behaviour=tc-droptcp         lab.test
server partial.lab.test   127.0.9.37  behaviour=tcp-partial        lab.test
server referup.lab.test   127.0.9.38  behaviour=refer=lab.test     lab.test
`

func hostileWorld(t testing.TB) *World {
	t.Helper()
	w, err := Load(fstest.MapFS{
		"world.conf":    {Data: []byte(hostileConf)},
		"root.zone":     {Data: []byte(testRootZone)},
		"lab.test.zone": {Data: []byte(testZone)},
	})
	if err != nil {
		t.Fatalf("Load(hostile world): %v", err)
	}
	return w
}

// endlessChain returns the CNAMEs n(from) -> n(from+1) ... of an
// endless-cname server in lab.test, n records, as rrs renders them.
func endlessChain(from, n int) []string {
	var out []string
	for k := from; k < from+n; k++ {
		out = append(out, "n"+strconv.Itoa(k)+".lab.test. CNAME n"+strconv.Itoa(k+1)+".lab.test.")
	}
	return out
}

// TestHostileBehaviours checks the behaviours garbage, cutoff, selfref,
// refer, endless-cname, tc-droptcp and tcp-partial, in memory and on real
// sockets, over UDP and TCP: replies must be the same both ways, and a
// reply that is not a DNS message must be one on neither.
func TestHostileBehaviours(t *testing.T) {
	w := hostileWorld(t)
	l := serveT(t, w)
	port := l.Addrs()[0].Port()
	n := NewNetwork(w)
	labNS := []string{"lab.test. NS ns.lab.test."}
	labGlue := []string{"ns.lab.test. A 127.0.9.2"}
	subNS := []string{"sub.lab.test. NS ns.other.example.", "sub.lab.test. NS ns.sub.lab.test."}
	subGlue := []string{"ns.sub.lab.test. A 127.0.9.20"}
	www := []string{"www.lab.test. A 127.10.0.80", "www.lab.test. A 127.10.0.81"}

	const (
		reply     = hostileReply
		badBytes  = hostileBadBytes
		tcpShort  = hostileTCPShort
		connReset = hostileReset
	)
	tests := []struct {
		name   string
		server string
		qname  string
		qtype  uint16
		proto  string // "" for both udp and tcp
		edns   bool
		want   int
		// badText is the exact error text in memory, or its start if it
		// ends with "*".
		badText string
		// The reply (want == reply).
		rcode  int
		aa, tc bool
		answer []string
		ns     []string
		extra  []string
	}{
		{name: "garbage", server: "127.0.9.31", qname: "www.lab.test", qtype: dns.TypeA, want: badBytes,
			badText: "bad response: 37 bytes that are not a DNS message"},
		{name: "garbage with EDNS0", server: "127.0.9.31", qname: "x.sub.lab.test", qtype: dns.TypeA, edns: true, want: badBytes,
			badText: "bad response: 37 bytes that are not a DNS message"},
		{name: "garbage for a name it does not serve", server: "127.0.9.31", qname: "www.mydomain.com", qtype: dns.TypeA, want: badBytes,
			badText: "bad response: 37 bytes that are not a DNS message"},
		{name: "cutoff", server: "127.0.9.32", qname: "www.lab.test", qtype: dns.TypeA, want: badBytes,
			badText: "bad response: a DNS message cut short (20 of 62 bytes)"},
		{name: "cutoff with EDNS0", server: "127.0.9.32", qname: "gone.lab.test", qtype: dns.TypeA, edns: true, want: badBytes,
			badText: "bad response: a DNS message cut short (20 of *"},
		{name: "cutoff of a short REFUSED", server: "127.0.9.32", qname: "x", qtype: dns.TypeA, want: badBytes,
			badText: "bad response: a DNS message cut short (*"},
		{name: "selfref at the apex", server: "127.0.9.33", qname: "lab.test", qtype: dns.TypeSOA, ns: labNS, extra: labGlue},
		{name: "selfref for a host", server: "127.0.9.33", qname: "www.lab.test", qtype: dns.TypeA, edns: true, ns: labNS, extra: labGlue},
		{name: "selfref below a cut", server: "127.0.9.33", qname: "x.sub.lab.test", qtype: dns.TypeA, ns: labNS, extra: labGlue},
		{name: "selfref for a name it does not serve", server: "127.0.9.33", qname: "www.mydomain.com", qtype: dns.TypeA,
			rcode: dns.RcodeRefused},
		{name: "refer sideways", server: "127.0.9.34", qname: "www.lab.test", qtype: dns.TypeA, ns: subNS, extra: subGlue},
		{name: "refer for any name", server: "127.0.9.34", qname: "www.mydomain.com", qtype: dns.TypeNS, edns: true, ns: subNS, extra: subGlue},
		{name: "refer as the root has it", server: "127.0.9.38", qname: "www.lab.test", qtype: dns.TypeA,
			ns: []string{"lab.test. NS elsewhere.example.", "lab.test. NS ns.lab.test."}, extra: labGlue},
		{name: "endless: 8 hops per reply", server: "127.0.9.35", qname: "n1.lab.test", qtype: dns.TypeA, aa: true, answer: endlessChain(1, 8)},
		{name: "endless from a CNAME in the zone", server: "127.0.9.35", qname: "n41.lab.test", qtype: dns.TypeAAAA, edns: true, aa: true,
			answer: endlessChain(41, 8)},
		{name: "endless: a CNAME query gets one", server: "127.0.9.35", qname: "n0.lab.test", qtype: dns.TypeCNAME, aa: true,
			answer: endlessChain(0, 1)},
		{name: "endless: ANY", server: "127.0.9.35", qname: "n5.lab.test", qtype: dns.TypeANY, aa: true, answer: endlessChain(5, 1)},
		{name: "endless: other names as usual", server: "127.0.9.35", qname: "www.lab.test", qtype: dns.TypeA, aa: true, answer: www},
		{name: "endless: leading zero", server: "127.0.9.35", qname: "n01.lab.test", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA}},
		{name: "endless: no number", server: "127.0.9.35", qname: "nx.lab.test", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA}},
		{name: "endless: the largest number", server: "127.0.9.35", qname: "n18446744073709551615.lab.test", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA}},
		{name: "endless: only right below the apex", server: "127.0.9.35", qname: "x.n1.lab.test", qtype: dns.TypeA, aa: true,
			rcode: dns.RcodeNameError, ns: []string{labSOA}},
		{name: "endless: below a cut it refers", server: "127.0.9.35", qname: "n1.sub.lab.test", qtype: dns.TypeA, ns: subNS, extra: subGlue},
		{name: "tc-droptcp over UDP", server: "127.0.9.36", qname: "www.lab.test", qtype: dns.TypeA, proto: "udp", aa: true, tc: true},
		{name: "tc-droptcp over UDP with EDNS0", server: "127.0.9.36", qname: "gone.lab.test", qtype: dns.TypeA, proto: "udp", edns: true, aa: true, tc: true},
		{name: "tc-droptcp over TCP", server: "127.0.9.36", qname: "www.lab.test", qtype: dns.TypeA, proto: "tcp", want: connReset},
		{name: "tcp-partial over UDP", server: "127.0.9.37", qname: "x.sub.lab.test", qtype: dns.TypeA, proto: "udp", tc: true},
		{name: "tcp-partial over TCP", server: "127.0.9.37", qname: "www.lab.test", qtype: dns.TypeA, proto: "tcp", want: tcpShort,
			badText: "bad response: TCP message cut short"},
		{name: "tcp-partial over TCP, a big reply", server: "127.0.9.37", qname: "big.lab.test", qtype: dns.TypeTXT, proto: "tcp", edns: true,
			want: tcpShort, badText: "bad response: TCP message cut short"},
	}
	for _, tt := range tests {
		protos := []string{"udp", "tcp"}
		if tt.proto != "" {
			protos = []string{tt.proto}
		}
		for _, proto := range protos {
			for _, via := range []string{"memory", "sockets"} {
				t.Run(tt.name+"/"+proto+"/"+via, func(t *testing.T) {
					q := query(tt.qname, tt.qtype)
					if tt.edns {
						q.SetEdns0(1232, false)
					}
					target := netip.AddrPortFrom(netip.MustParseAddr(tt.server), port)
					if via == "memory" {
						checkMemory(t, n, proto, target, q, tt.want, tt.badText)
					} else {
						checkSockets(t, w, proto, target, q, tt.want)
					}
					if tt.want != reply {
						return
					}
					var r *dns.Msg
					var err error
					if via == "memory" {
						r, _, err = n.Exchange(context.Background(), proto, target, q)
					} else {
						r, err = rawExchange(proto, target, q)
					}
					if err != nil {
						t.Fatal(err)
					}
					if r.Id != q.Id || len(r.Question) != 1 || r.Question[0] != q.Question[0] {
						t.Errorf("id %d question %v, want %d %v", r.Id, r.Question, q.Id, q.Question)
					}
					if r.Rcode != tt.rcode || r.Authoritative != tt.aa || r.Truncated != tt.tc || !r.Response || r.RecursionAvailable {
						t.Errorf("rcode %s AA=%v TC=%v QR=%v RA=%v; want %s AA=%v TC=%v", dns.RcodeToString[r.Rcode], r.Authoritative,
							r.Truncated, r.Response, r.RecursionAvailable, dns.RcodeToString[tt.rcode], tt.aa, tt.tc)
					}
					for _, s := range []struct {
						name      string
						got, want []string
					}{{"answer", rrs(r.Answer), tt.answer}, {"authority", rrs(r.Ns), tt.ns}, {"additional", rrs(r.Extra), tt.extra}} {
						want := slices.Clone(s.want)
						slices.Sort(want)
						if !slices.Equal(s.got, want) {
							t.Errorf("%s:\n got %q\nwant %q", s.name, s.got, want)
						}
					}
					if (r.IsEdns0() != nil) != tt.edns {
						t.Errorf("OPT in the reply: %v, want %v", r.IsEdns0() != nil, tt.edns)
					}
				})
			}
		}
	}
}

// What a hostile server sends back, in TestHostileBehaviours.
const (
	hostileReply    = iota // a DNS reply
	hostileBadBytes        // bytes that are not a DNS message (garbage, cutoff)
	hostileTCPShort        // a TCP message cut short (tcp-partial)
	hostileReset           // a reset TCP connection (tc-droptcp)
)

// checkMemory checks that an in-memory exchange fails as it must for the
// behaviours that send no DNS reply.
func checkMemory(t *testing.T, n *Network, proto string, target netip.AddrPort, q *dns.Msg, want int, badText string) {
	t.Helper()
	before := n.QueriesTo(target.Addr())
	start := time.Now()
	r, rtt, err := n.Exchange(context.Background(), proto, target, q)
	if elapsed := time.Since(start); elapsed > 50*time.Millisecond {
		t.Errorf("Exchange took %v: the in-memory network must not wait", elapsed)
	}
	if got := n.QueriesTo(target.Addr()) - before; got != 1 {
		t.Errorf("QueriesTo grew by %d, want 1", got)
	}
	if want == hostileReply {
		return
	}
	if r != nil || rtt != 0 || err == nil {
		t.Fatalf("Exchange = %v, %v, %v; want nil, 0 and an error", r, rtt, err)
	}
	var bad interface{ BadResponse() bool }
	isBad := errors.As(err, &bad) && bad.BadResponse()
	if want == hostileReset {
		if !errors.Is(err, syscall.ECONNRESET) || isBad {
			t.Errorf("error %q (%T) does not wrap ECONNRESET, or says bad response", err, err)
		}
		if !strings.Contains(err.Error(), "connection reset by peer") || !strings.Contains(err.Error(), target.Addr().String()+":") {
			t.Errorf("error %q does not read like a reset TCP connection", err)
		}
		return
	}
	if !isBad {
		t.Errorf("error %q (%T) has no BadResponse() that says true", err, err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		t.Errorf("error %q is also a net.Error: a resolver would take it for a network failure", err)
	}
	if prefix, ok := strings.CutSuffix(badText, "*"); ok {
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("error %q, want it to start with %q", err, prefix)
		}
	} else if err.Error() != badText {
		t.Errorf("error %q, want %q", err, badText)
	}
}

// checkSockets checks what really comes over a socket from the behaviours
// that send no DNS reply; a plain DNS client must fail on all of them.
func checkSockets(t *testing.T, w *World, proto string, target netip.AddrPort, q *dns.Msg, want int) {
	t.Helper()
	if want == hostileReply {
		return
	}
	c := &dns.Client{Net: proto, Timeout: 2 * time.Second}
	if r, _, err := c.Exchange(q, target.String()); err == nil {
		t.Errorf("dns.Client got a reply: %v", r)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("dns.Client timed out (%v): the server must fail at once", err)
	}
	// The reply the server would have sent, as the ok server sends it.
	full, _, err := NewNetwork(w).Exchange(context.Background(), proto, netip.AddrPortFrom(netip.MustParseAddr("127.0.9.2"), 53), q)
	if err != nil {
		t.Fatal(err)
	}
	full.Compress = true
	fullWire, err := full.Pack()
	if err != nil {
		t.Fatal(err)
	}
	s := w.byAddr[target.Addr()]
	switch want {
	case hostileBadBytes: // exactly these bytes, whatever the transport
		got := readRaw(t, proto, target, q, false)
		wantBytes := garbage
		if s.behaviour.Kind == BehaviourCutoff {
			wantBytes = cutShort(fullWire)
			if len(got) > cutoffLen || len(got) >= len(fullWire) || !slices.Equal(got, fullWire[:len(got)]) {
				t.Errorf("%d bytes that are not the start of the %d-byte reply", len(got), len(fullWire))
			}
		}
		if !slices.Equal(got, wantBytes) {
			t.Errorf("got % x\nwant % x", got, wantBytes)
		}
		if new(dns.Msg).Unpack(got) == nil {
			t.Errorf("the %d bytes parse as a DNS message", len(got))
		}
	case hostileTCPShort: // the length of the full reply, half of it, EOF
		got := readRaw(t, proto, target, q, true)
		if len(got) < 2 || int(binary.BigEndian.Uint16(got)) != len(fullWire) {
			t.Fatalf("length prefix of % x, want %d", got[:min(2, len(got))], len(fullWire))
		}
		if body := got[2:]; len(body) != len(fullWire)/2 || !slices.Equal(body, fullWire[:len(body)]) {
			t.Errorf("%d bytes after the prefix, want the first %d of the reply", len(body), len(fullWire)/2)
		}
	case hostileReset: // nothing comes
		got := readRaw(t, proto, target, q, true)
		if len(got) != 0 {
			t.Errorf("read % x, want nothing", got)
		}
	}
}

// readRaw sends q to target and returns the bytes that come back: one
// datagram over UDP; over TCP, with whole false, the message after its
// length prefix, else everything until the server closes (a reset
// connection must end in ECONNRESET).
func readRaw(t *testing.T, proto string, target netip.AddrPort, q *dns.Msg, whole bool) []byte {
	t.Helper()
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout(proto, target.String(), 2*time.Second)
	if whole && errors.Is(err, syscall.ECONNRESET) {
		return nil // reset before the dial returned: nothing came, sooner
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if proto == "udp" {
		if _, err := conn.Write(wire); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, dns.MaxMsgSize)
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:k]
	}
	_, werr := conn.Write(binary.BigEndian.AppendUint16(nil, uint16(len(wire))))
	if werr == nil {
		_, werr = conn.Write(wire)
	}
	if whole {
		got, err := io.ReadAll(conn)
		if werr != nil {
			err = werr
		}
		if err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Errorf("reading until the end: %v, want EOF or a reset", err)
		}
		return got
	}
	if werr != nil {
		t.Fatal(werr)
	}
	var prefix [2]byte
	if _, err := io.ReadFull(conn, prefix[:]); err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	if _, err := io.ReadFull(conn, msg); err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestTCDropTCPResets: over real TCP, the tc-droptcp server resets the
// connection: the client reads ECONNRESET, at once.
func TestTCDropTCPResets(t *testing.T) {
	w := hostileWorld(t)
	l := serveT(t, w)
	target := netip.AddrPortFrom(netip.MustParseAddr("127.0.9.36"), l.Addrs()[0].Port())
	conn, err := net.DialTimeout("tcp", target.String(), 2*time.Second)
	if errors.Is(err, syscall.ECONNRESET) {
		return // the reset came before the dial returned: the same behaviour, seen sooner
	}
	if err != nil {
		t.Fatalf("the connection must be accepted, then reset: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	start := time.Now()
	_, err = conn.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read: %v, want ECONNRESET", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("the reset came after %v", elapsed)
	}
}

// TestHostileServeClose: Close ends the TCP loops of tc-droptcp and
// tcp-partial servers, even with a client that never sends its query.
func TestHostileServeClose(t *testing.T) {
	w := hostileWorld(t)
	l, err := Serve(w, 0)
	if err != nil {
		t.Fatal(err)
	}
	target := netip.AddrPortFrom(netip.MustParseAddr("127.0.9.37"), l.Addrs()[0].Port())
	conn, err := net.DialTimeout("tcp", target.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(20 * time.Millisecond) // let the server accept it
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if k, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes from a closed server", k)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("the connection stayed open after Close")
	}
	for _, a := range []string{"127.0.9.36", "127.0.9.37"} {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), target.Port()).String())
		if err != nil {
			t.Errorf("TCP %s still taken after Close: %v", a, err)
			continue
		}
		ln.Close()
	}
}

func TestGarbageIsNoDNSMessage(t *testing.T) {
	if len(garbage) != 37 {
		t.Fatalf("%d bytes of garbage, want 37", len(garbage))
	}
	if err := new(dns.Msg).Unpack(garbage); err == nil {
		t.Errorf("garbage % x parses as a DNS message", garbage)
	}
}

func TestCutShort(t *testing.T) {
	w := testWorld(t)
	n := NewNetwork(w)
	var wires [][]byte
	for _, tc := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{
		{"www.lab.test", dns.TypeA, false}, {"big.lab.test", dns.TypeTXT, true}, {"x", dns.TypeA, false},
		{".", dns.TypeNS, false}, {"abcd", dns.TypeA, false}, {"gone.lab.test", dns.TypeA, true},
	} {
		q := query(tc.name, tc.qtype)
		if tc.edns {
			q.SetEdns0(1232, false)
		}
		for _, server := range []string{"127.0.9.1", "127.0.9.2", "127.0.9.3"} {
			r, _, err := n.Exchange(context.Background(), "tcp", ap(server), q)
			if err != nil {
				t.Fatal(err)
			}
			r.Compress = true
			wire, err := r.Pack()
			if err != nil {
				t.Fatal(err)
			}
			wires = append(wires, wire)
		}
	}
	// And headers alone, and a message right after its question.
	short := query("abcd", dns.TypeA)
	short.Response = true
	wire, _ := short.Pack()
	wires = append(wires, wire, wire[:12], wire[:13])
	for _, wire := range wires {
		cut := cutShort(wire)
		if len(cut) > cutoffLen || len(cut) >= len(wire) || !slices.Equal(cut, wire[:len(cut)]) {
			t.Errorf("cutShort of %d bytes: %d bytes, want a proper prefix of at most %d", len(wire), len(cut), cutoffLen)
		}
		if new(dns.Msg).Unpack(cut) == nil {
			t.Errorf("cutShort of % x: % x still parses", wire, cut)
		}
		if len(wire) > cutoffLen+8 && len(cut) != cutoffLen {
			t.Logf("cutShort of %d bytes gives %d", len(wire), len(cut))
		}
	}
}

// TestTruncateByRRset checks that UDP truncation keeps whole RRsets, as
// NSD and Knot do.
func TestTruncateByRRset(t *testing.T) {
	mk := func(owner, typ string, k int) []dns.RR {
		var out []dns.RR
		for i := range k {
			data := "127.10.0." + strconv.Itoa(i+1)
			if typ == "NS" {
				data = "ns" + strconv.Itoa(i) + ".example."
			}
			out = append(out, mustRR(owner+" 300 IN "+typ+" "+data))
		}
		return out
	}
	base := func() *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion("x.example.", dns.TypeA)
		m.Response = true
		m.Compress = true
		return m
	}
	count := func(rrs []dns.RR) int {
		k := 0
		for _, rr := range rrs {
			if rr.Header().Rrtype != dns.TypeOPT {
				k++
			}
		}
		return k
	}
	tests := []struct {
		name                 string
		answer, ns, extra    []dns.RR
		edns                 bool
		size                 int
		tc                   bool
		nAnswer, nNS, nExtra int
	}{
		{name: "fits", answer: mk("a.example.", "A", 3), ns: mk("example.", "NS", 2), size: 512, nAnswer: 3, nNS: 2},
		{name: "the second answer RRset does not fit", answer: append(mk("a.example.", "A", 2), mk("b.example.", "A", 40)...),
			extra: mk("c.example.", "A", 1), size: 512, tc: true, nAnswer: 2},
		{name: "a big NS RRset: nothing at all", ns: mk("example.", "NS", 100), extra: mk("ns0.example.", "A", 1),
			edns: true, size: 1232, tc: true},
		{name: "additional RRsets left out without TC", ns: mk("example.", "NS", 2),
			extra: append(append(mk("g1.example.", "A", 30), mk("g2.example.", "A", 1)...), mk("g3.example.", "A", 1)...),
			size:  512, nNS: 2, nExtra: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			m.Answer, m.Ns, m.Extra = tt.answer, tt.ns, tt.extra
			if tt.edns {
				m.SetEdns0(ednsSize, false)
			}
			truncate(m, tt.size)
			if m.Truncated != tt.tc || len(m.Answer) != tt.nAnswer || len(m.Ns) != tt.nNS || count(m.Extra) != tt.nExtra {
				t.Errorf("TC=%v %d/%d/%d records, want TC=%v %d/%d/%d", m.Truncated, len(m.Answer), len(m.Ns), count(m.Extra),
					tt.tc, tt.nAnswer, tt.nNS, tt.nExtra)
			}
			if m.Len() > tt.size {
				t.Errorf("%d bytes, over %d", m.Len(), tt.size)
			}
			if (m.IsEdns0() != nil) != tt.edns {
				t.Errorf("OPT kept: %v, want %v", m.IsEdns0() != nil, tt.edns)
			}
		})
	}
}

func TestBadResponseError(t *testing.T) {
	var err error = &badResponseError{"37 bytes that are not a DNS message"}
	wrapped := errors.Join(errors.New("while asking"), err)
	var bad interface{ BadResponse() bool }
	if !errors.As(wrapped, &bad) || !bad.BadResponse() {
		t.Errorf("errors.As does not find BadResponse in %v", wrapped)
	}
	if err.Error() != "bad response: 37 bytes that are not a DNS message" {
		t.Errorf("text %q", err)
	}
}

// TestMaxInFlight: MaxInFlight is the most Exchange calls there were at
// once, never fewer than at any moment, never more than were started.
func TestMaxInFlight(t *testing.T) {
	w := testWorld(t)
	n := NewNetwork(w)
	if got := n.MaxInFlight(); got != 0 {
		t.Errorf("MaxInFlight of a new network = %d", got)
	}
	for range 5 {
		n.Exchange(context.Background(), "udp", ap("127.0.9.2"), query("www.lab.test", dns.TypeA))
	}
	if got := n.MaxInFlight(); got != 1 {
		t.Errorf("after 5 calls one after the other, MaxInFlight = %d, want 1", got)
	}
	// Two calls held in progress (as if they were still running), then
	// one more: three at once.
	out1, out2 := n.enter(), n.enter()
	n.Exchange(context.Background(), "udp", ap("127.99.0.1"), query("www.lab.test", dns.TypeA)) // errors count too
	out1()
	out2()
	if got := n.MaxInFlight(); got != 3 {
		t.Errorf("MaxInFlight = %d, want 3", got)
	}
	// Many goroutines: at most as many as there are.
	const workers = 16
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				n.Exchange(context.Background(), "tcp", ap("127.0.9.2"), query("big.lab.test", dns.TypeTXT))
			}
		}()
	}
	wg.Wait()
	if got := n.MaxInFlight(); got < 3 || got > workers {
		t.Errorf("MaxInFlight = %d, want between 3 and %d", got, workers)
	}
	if n.inFlight.Load() != 0 {
		t.Errorf("%d calls still counted in progress", n.inFlight.Load())
	}
}

// TestHostileDefaultWorld checks the hostile servers of the default world
// and their big delegations, in memory.
func TestHostileDefaultWorld(t *testing.T) {
	w := mustDefault(t)
	n := NewNetwork(w)
	ctx := context.Background()
	ask := func(t *testing.T, proto, server, qname string, qtype uint16, edns bool) (*dns.Msg, error) {
		t.Helper()
		q := query(qname, qtype)
		if edns {
			q.SetEdns0(1232, false)
		}
		r, _, err := n.Exchange(ctx, proto, ap(server), q)
		return r, err
	}
	t.Run("manyns.com: 500 NS with glue, truncated over UDP", func(t *testing.T) {
		r, err := ask(t, "udp", "127.0.2.1", "www.manyns.com", dns.TypeA, true)
		if err != nil || !r.Truncated || len(r.Ns) != 0 || count(r.Extra) != 0 {
			t.Fatalf("UDP: %v, %v; want TC=1 and nothing", r, err)
		}
		r, err = ask(t, "tcp", "127.0.2.1", "www.manyns.com", dns.TypeA, true)
		if err != nil || r.Truncated || len(r.Ns) != 500 || count(r.Extra) != 500 {
			t.Fatalf("TCP: %d NS, %d glue, %v", len(r.Ns), count(r.Extra), err)
		}
		glue := map[string]string{}
		for _, rr := range r.Extra {
			if a, ok := rr.(*dns.A); ok {
				glue[a.Hdr.Name] = a.A.String()
			}
		}
		for i, rr := range r.Ns {
			ns := rr.(*dns.NS)
			want := "ns" + strconv.Itoa(1000 + i + 1)[1:] + ".manyns.com."
			if ns.Ns != want || ns.Hdr.Ttl != 3600 {
				t.Fatalf("NS %d: %v, want %s with TTL 3600", i, rr, want)
			}
			addr := netip.MustParseAddr(glue[want])
			server := w.byAddr[addr]
			switch want {
			case "ns017.manyns.com.", "ns342.manyns.com.":
				if server == nil || server.name != want {
					t.Errorf("%s: glue %s, where %v is", want, addr, server)
				}
			default:
				b := addr.As4()
				if server != nil || b[0] != 127 || b[1] != 0 || (b[2] != 5 && b[2] != 6) {
					t.Errorf("%s: glue %s, want an empty address in 127.0.5-6.x", want, addr)
				}
				if _, err := ask(t, "udp", addr.String(), "www.manyns.com", dns.TypeA, false); !errors.Is(err, syscall.EHOSTUNREACH) {
					t.Errorf("%s at %s: %v, want EHOSTUNREACH", want, addr, err)
				}
			}
		}
		for _, s := range []string{"127.0.3.211", "127.0.3.212"} {
			r, err := ask(t, "tcp", s, "manyns.com", dns.TypeNS, false)
			if err != nil || !r.Authoritative || len(r.Answer) != 500 {
				t.Errorf("%s: manyns.com NS: %d records, %v", s, len(r.Answer), err)
			}
			if r, err := ask(t, "udp", s, "www.manyns.com", dns.TypeA, false); err != nil || len(r.Answer) != 1 {
				t.Errorf("%s: www.manyns.com: %v, %v", s, r, err)
			}
		}
	})
	t.Run("nxns.com: 500 NS without glue, none of which exists", func(t *testing.T) {
		r, err := ask(t, "tcp", "127.0.2.2", "nxns.com", dns.TypeA, false)
		if err != nil || len(r.Ns) != 500 || count(r.Extra) != 0 {
			t.Fatalf("%d NS, %d glue, %v", len(r.Ns), count(r.Extra), err)
		}
		for _, k := range []int{1, 17, 500} {
			name := "ns" + strconv.Itoa(k) + ".nxns-target.net"
			r, err := ask(t, "udp", "127.0.3.201", name, dns.TypeA, false)
			if err != nil || r.Rcode != dns.RcodeNameError || !r.Authoritative {
				t.Errorf("%s: %v, %v; want NXDOMAIN", name, r, err)
			}
		}
	})
	t.Run("pingpong: sideways referrals both ways", func(t *testing.T) {
		for server, to := range map[string]string{"127.0.3.191": "pingpong-b.com.", "127.0.3.194": "pingpong-a.com."} {
			r, err := ask(t, "udp", server, "pingpong-a.com", dns.TypeA, true)
			if err != nil || r.Authoritative || len(r.Answer) != 0 || len(r.Ns) != 2 || r.Ns[0].Header().Name != to || count(r.Extra) != 2 {
				t.Errorf("%s: %v, %v; want a referral to %s with glue", server, r, err, to)
			}
		}
	})
	t.Run("www.endless.com: a chain without end", func(t *testing.T) {
		r, err := ask(t, "udp", "127.0.3.221", "www.endless.com", dns.TypeA, true)
		if err != nil || !r.Authoritative || len(r.Answer) != maxCNAMEHops {
			t.Fatalf("%v, %v", r, err)
		}
		if last := r.Answer[len(r.Answer)-1].(*dns.CNAME); last.Target != "n8.endless.com." {
			t.Errorf("chain ends at %s", last.Target)
		}
	})
}

// count counts the records of a section but OPT.
func count(section []dns.RR) int {
	return len(slices.DeleteFunc(slices.Clone(section), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT }))
}

// TestBigZonesConsistent: the 500-NS zones break only what they mean to
// break. The apex NS of manyns.com and nxns.com are the names com
// delegates to, with the same TTL, and manyns.com's addresses are com's
// glue: the only trouble is the servers that are not there.
func TestBigZonesConsistent(t *testing.T) {
	w := mustDefault(t)
	for zone, want := range map[string]string{"manyns.com.": "where no server exists", "nxns.com.": "has no address"} {
		problems := zoneProblems(w, zone)
		if len(problems) != 498 && zone == "manyns.com." || len(problems) != 500 && zone == "nxns.com." {
			t.Errorf("%s: %d problems", zone, len(problems))
		}
		for _, p := range problems {
			if !strings.Contains(p, want) {
				t.Errorf("%s: %s", zone, p)
			}
		}
	}
}

// TestServeDelayHoldsNoGoroutine: a delay server over UDP sends its late
// replies from timers, so that waiting clients (or clients that gave up)
// cost no goroutine; Close stops the replies still pending.
func TestServeDelayHoldsNoGoroutine(t *testing.T) {
	w := testWorld(t)
	l, err := Serve(w, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	target := netip.AddrPortFrom(netip.MustParseAddr("127.0.9.6"), l.Addrs()[0].Port()) // delay=300
	conn, err := net.Dial("udp", target.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(20 * time.Millisecond)
	base := runtime.NumGoroutine()
	const queries = 20
	start := time.Now()
	for range queries {
		wire, _ := query("www.lab.test", dns.TypeA).Pack()
		if _, err := conn.Write(wire); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if g := runtime.NumGoroutine(); g > base+queries/4 {
		t.Errorf("%d goroutines while %d replies wait, %d before", g, queries, base)
	}
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	for i := range queries {
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if new(dns.Msg).Unpack(buf[:k]) != nil {
			t.Fatalf("reply %d does not parse", i)
		}
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("replies came after %v, want 300ms", elapsed)
	}
	// A reply still pending when the listener closes never comes.
	wire, _ := query("www.lab.test", dns.TypeA).Pack()
	conn.Write(wire)
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if k, err := conn.Read(buf); err == nil {
		t.Errorf("a %d-byte reply came after Close", k)
	}
}
