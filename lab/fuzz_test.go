package lab

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/miekg/dns"
)

// FuzzLoad feeds arbitrary world.conf and zone text to Load: it must
// return a world or an error, never panic.
func FuzzLoad(f *testing.F) {
	f.Add(testConf, testZone)
	f.Add("zone . root.zone\nserver r 127.0.0.1 behaviour=delay=5 .\n", "")
	f.Add("domain x A expect=nodata hello\n", "@ SOA a. b. 1 2 3 4 5\n@ NS a.\n")
	f.Fuzz(func(t *testing.T, conf, zoneText string) {
		fsys := fstest.MapFS{
			"world.conf":    {Data: []byte(conf)},
			"root.zone":     {Data: []byte(testRootZone)},
			"lab.test.zone": {Data: []byte(zoneText)},
		}
		w, err := Load(fsys)
		if err != nil {
			return
		}
		_ = w.HintsFile()
		for _, s := range w.Servers() {
			if !loopback.Contains(s.Addr) {
				t.Fatalf("server %s outside loopback: %s", s.Name, s.Addr)
			}
		}
	})
}

// FuzzExchange sends arbitrary wire messages to a server: the network
// must answer or fail, never panic.
func FuzzExchange(f *testing.F) {
	for _, q := range []*dns.Msg{query("www.lab.test", dns.TypeA), query("big.lab.test", dns.TypeTXT), query("loop1.lab.test", dns.TypeANY)} {
		wire, _ := q.Pack()
		f.Add(wire, false)
	}
	w := testWorld(f)
	n := NewNetwork(w)
	f.Fuzz(func(t *testing.T, wire []byte, tcp bool) {
		q := new(dns.Msg)
		if q.Unpack(wire) != nil {
			return
		}
		proto := "udp"
		if tcp {
			proto = "tcp"
		}
		r, _, err := n.Exchange(context.Background(), proto, ap("127.0.9.2"), q)
		if err == nil && (r == nil || r.Id != q.Id) {
			t.Fatalf("reply %v to query %v", r, q)
		}
	})
}
