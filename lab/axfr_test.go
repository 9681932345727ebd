package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"
)

// axfrWorld is the small test world with zone transfers allowed for
// lab.test (signed, so that the transfer carries RRSIG and NSEC records)
// and refused for xfr-off.test, both on ns.lab.test.
func axfrWorld(t *testing.T, extra string) *World {
	t.Helper()
	conf := `
zone   .             root.zone
zone   lab.test      lab.test.zone   axfr  dnssec=nsec
zone   xfr-off.test  off.zone
server root.lab.test 127.0.9.1 .
server ns.lab.test   127.0.9.2 lab.test xfr-off.test
server drop.lab.test 127.0.9.7 behaviour=drop lab.test
`
	fsys := testFS()
	fsys["world.conf"] = &fstest.MapFile{Data: []byte(conf)}
	fsys["root.zone"] = &fstest.MapFile{Data: []byte(testRootZone + "xfr-off.test. 3600 IN NS ns.lab.test.\n")}
	fsys["off.zone"] = &fstest.MapFile{Data: []byte("$ORIGIN xfr-off.test.\n@ 3600 IN SOA ns.lab.test. h.lab.test. 1 2 3 4 5\n@ 3600 IN NS ns.lab.test.\nwww 300 IN A 127.10.0.9\n" + extra)}
	w, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return w
}

func TestAXFRInMemory(t *testing.T) {
	def := mustDefault(t)
	test := axfrWorld(t, "")
	tests := []struct {
		name   string
		w      *World
		server string
		zone   string
		qtype  uint16
		proto  string
		rcode  int
		// want: records (as rrs renders them) the transfer must hold
		want []string
	}{
		{name: "the old provider transfers mydomain.com", w: def, server: "ns1.hostingprovider.com", zone: "mydomain.com", qtype: dns.TypeAXFR, proto: "tcp",
			want: []string{"mydomain.com. MX 10 mail.mydomain.com.", `mydomain.com. TXT "v=spf1 mx -all"`, "www.mydomain.com. A 127.10.1.80", "mail.mydomain.com. A 127.10.1.25"}},
		{name: "so does its second server", w: def, server: "ns2.hostingprovider.com", zone: "MyDomain.COM", qtype: dns.TypeAXFR, proto: "tcp",
			want: []string{"www.mydomain.com. A 127.10.1.80"}},
		{name: "over UDP: FORMERR", w: def, server: "ns1.hostingprovider.com", zone: "mydomain.com", qtype: dns.TypeAXFR, proto: "udp", rcode: dns.RcodeFormatError},
		{name: "the new provider refuses (no axfr option)", w: def, server: "ns1.newdns.net", zone: "mydomain.com", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
		{name: "a zone without axfr is refused", w: def, server: "ns1.hostingprovider.com", zone: "hostingprovider.com", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
		{name: "a name below the apex is refused", w: def, server: "ns1.hostingprovider.com", zone: "www.mydomain.com", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
		{name: "a zone the server does not host is refused", w: def, server: "ns1.newdns.net", zone: "shop.com", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
		{name: "IXFR over TCP is answered as AXFR", w: def, server: "ns1.hostingprovider.com", zone: "mydomain.com", qtype: dns.TypeIXFR, proto: "tcp",
			want: []string{"www.mydomain.com. A 127.10.1.80"}},
		{name: "a signed zone transfers with glue, delegations and its DNSSEC records", w: test, server: "ns.lab.test", zone: "lab.test", qtype: dns.TypeAXFR, proto: "tcp",
			want: []string{"ns.sub.lab.test. A 127.0.9.20", "sub.lab.test. NS ns.sub.lab.test.", "www.lab.test. A 127.10.0.80"}},
		{name: "the same server refuses its other zone", w: test, server: "ns.lab.test", zone: "xfr-off.test", qtype: dns.TypeAXFR, proto: "tcp", rcode: dns.RcodeRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNetwork(tc.w)
			q := query(tc.zone, tc.qtype)
			reply, _, err := n.Exchange(context.Background(), tc.proto, ap(serverAddr(t, tc.w, tc.server).String()), q)
			if err != nil {
				t.Fatal(err)
			}
			if reply.Rcode != tc.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[reply.Rcode], dns.RcodeToString[tc.rcode])
			}
			if tc.rcode != dns.RcodeSuccess {
				if len(reply.Answer) != 0 {
					t.Errorf("a refused transfer carries %d records", len(reply.Answer))
				}
				return
			}
			checkTransfer(t, reply.Answer, strings.ToLower(dns.Fqdn(tc.zone)), tc.want)
			if !reply.Authoritative {
				t.Errorf("AA=0 on a zone transfer")
			}
			if tc.w == test && !slices.ContainsFunc(reply.Answer, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeRRSIG }) {
				t.Errorf("the transfer of a signed zone has no RRSIG")
			}
		})
	}
}

// checkTransfer checks the records of a zone transfer: the SOA first and
// last and nowhere else, and every record of want among them.
func checkTransfer(t *testing.T, answer []dns.RR, zone string, want []string) {
	t.Helper()
	if len(answer) < 2 {
		t.Fatalf("%d records, want at least SOA ... SOA", len(answer))
	}
	for i, rr := range answer {
		isSOA := rr.Header().Rrtype == dns.TypeSOA
		if first, last := i == 0, i == len(answer)-1; isSOA != (first || last) {
			t.Errorf("record %d of %d is %s: the SOA must come first and last only", i+1, len(answer), rr)
		}
		if isSOA && !strings.EqualFold(rr.Header().Name, zone) {
			t.Errorf("SOA of %s, want %s", rr.Header().Name, zone)
		}
	}
	got := rrs(answer)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("the transfer lacks %s; it holds %v", w, got)
		}
	}
}

func TestAXFRZoneOption(t *testing.T) {
	for _, tc := range []struct{ opts, wantErr string }{
		{opts: "axfr", wantErr: ""},
		{opts: "AXFR dnssec=nsec", wantErr: ""},
		{opts: "axfr=yes", wantErr: `unknown zone option "axfr"`},
		{opts: "axfr algorithm=ed448", wantErr: "need dnssec=nsec"},
	} {
		t.Run(tc.opts, func(t *testing.T) {
			fsys := testFS()
			fsys["world.conf"] = &fstest.MapFile{Data: []byte("zone . root.zone\nzone lab.test lab.test.zone " + tc.opts + "\nserver root.lab.test 127.0.9.1 .\nserver ns.lab.test 127.0.9.2 lab.test\n")}
			_, err := Load(fsys)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "world.conf:2:")) {
				t.Fatalf("Load: %v, want an error at world.conf:2 containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestAXFRServe transfers zones over real loopback sockets, as dig or a
// secondary server would, and compares with the in-memory network.
func TestAXFRServe(t *testing.T) {
	// A zone of about 200 KiB: more than one TCP message holds.
	var big strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&big, "t%04d 300 IN TXT \"%s\"\n", i, strings.Repeat("y", 60))
	}
	w := axfrWorld(t, "")
	bigWorld := func() *World {
		fsys := testFS()
		fsys["world.conf"] = &fstest.MapFile{Data: []byte("zone . root.zone\nzone lab.test lab.test.zone axfr\nserver root.lab.test 127.0.9.1 .\nserver ns.lab.test 127.0.9.2 lab.test\n")}
		fsys["lab.test.zone"] = &fstest.MapFile{Data: []byte(testZone + big.String())}
		bw, err := Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return bw
	}()
	for _, tc := range []struct {
		name     string
		w        *World
		zone     string
		messages int // at least
		records  int // exactly, SOA twice; 0: refused
	}{
		{name: "signed zone, one message", w: w, zone: "lab.test", messages: 1},
		{name: "refused", w: w, zone: "xfr-off.test"},
		{name: "large zone, several messages", w: bigWorld, zone: "lab.test", messages: 4, records: 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := serveT(t, tc.w)
			addr := netip.AddrPortFrom(serverAddr(t, tc.w, "ns.lab.test"), l.Addrs()[0].Port())
			mem, _, err := NewNetwork(tc.w).Exchange(context.Background(), "tcp", ap(addr.Addr().String()), query(tc.zone, dns.TypeAXFR))
			if err != nil {
				t.Fatal(err)
			}

			conn, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			tr := &dns.Transfer{Conn: &dns.Conn{Conn: conn}}
			env, err := tr.In(query(tc.zone, dns.TypeAXFR), addr.String())
			if err != nil {
				t.Fatal(err)
			}
			var got []dns.RR
			messages := 0
			for e := range env {
				if e.Error != nil {
					if tc.records == 0 && tc.messages == 0 && strings.Contains(e.Error.Error(), "bad xfr rcode: 5") { // REFUSED
						if mem.Rcode != dns.RcodeRefused {
							t.Errorf("in memory: %s, over a socket: %v", dns.RcodeToString[mem.Rcode], e.Error)
						}
						return
					}
					t.Fatalf("transfer: %v", e.Error)
				}
				messages++
				got = append(got, e.RR...)
			}
			if tc.messages == 0 {
				t.Fatalf("the transfer of %s was not refused", tc.zone)
			}
			if messages < tc.messages {
				t.Errorf("%d messages, want at least %d", messages, tc.messages)
			}
			checkTransfer(t, got, tc.zone+".", nil)
			if tc.records > 0 && len(got) < tc.records+2 {
				t.Errorf("%d records, want more than %d", len(got), tc.records+2)
			}
			if a, b := fullRRs(got), fullRRs(mem.Answer); !slices.Equal(a, b) {
				t.Errorf("over a socket %d records, in memory %d: they differ", len(a), len(b))
			}
		})
	}
}

func TestAXFRServeUDP(t *testing.T) {
	w := axfrWorld(t, "")
	l := serveT(t, w)
	addr := netip.AddrPortFrom(serverAddr(t, w, "ns.lab.test"), l.Addrs()[0].Port())
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	reply, _, err := c.Exchange(query("lab.test", dns.TypeAXFR), addr.String())
	if err != nil {
		t.Fatal(err)
	}
	if reply.Rcode != dns.RcodeFormatError || len(reply.Answer) != 0 {
		t.Errorf("AXFR over UDP: %s with %d records, want FORMERR and none", dns.RcodeToString[reply.Rcode], len(reply.Answer))
	}
}

// TestAXFRDropServer: a drop server drops transfer requests too.
func TestAXFRDropServer(t *testing.T) {
	w := axfrWorld(t, "")
	_, _, err := NewNetwork(w).Exchange(context.Background(), "tcp", ap("127.0.9.7"), query("lab.test", dns.TypeAXFR))
	if !isTimeout(err) {
		t.Errorf("err %v, want a timeout", err)
	}
}

// TestIXFROverUDP: an IXFR over UDP gets the SOA alone (RFC 1995 2): the
// client is to ask again over TCP.
func TestIXFROverUDP(t *testing.T) {
	w := mustDefault(t)
	reply, _, err := NewNetwork(w).Exchange(context.Background(), "udp", ap("127.0.3.1"), query("mydomain.com", dns.TypeIXFR))
	if err != nil {
		t.Fatal(err)
	}
	if got := rrs(reply.Answer); reply.Rcode != dns.RcodeSuccess || len(got) != 1 || !strings.HasPrefix(got[0], "mydomain.com. SOA ") {
		t.Errorf("IXFR over UDP: %s %v, want the SOA alone", dns.RcodeToString[reply.Rcode], got)
	}
}
