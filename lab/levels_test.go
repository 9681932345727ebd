//go:build unix

package lab

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestExportLevelsFiles(t *testing.T) {
	w, _ := generated(t, GenerateOptions{Domains: 300, Servers: 100, Seed: 5})
	dir := t.TempDir()
	if err := ExportLevels(w, dir, 5353); err != nil {
		t.Fatalf("ExportLevels: %v", err)
	}
	servers, err := readServers(filepath.Join(dir, "servers.txt"), "ip-address", "name")
	if err != nil {
		t.Fatalf("servers.txt does not read as StartNSD reads it: %v", err)
	}
	if len(servers) != len(Levels) {
		t.Fatalf("servers.txt: %d lines, want %d", len(servers), len(Levels))
	}
	// Every level's nsd.conf: one ip-address line per server of the level
	// and one zone per zone of the level; nsd-checkconf accepts it.
	wantAddrs, wantZones := map[string]int{}, map[string]map[string]bool{}
	for _, s := range w.servers {
		l := levelOf(s)
		wantAddrs[l]++
		if wantZones[l] == nil {
			wantZones[l] = map[string]bool{}
		}
		for _, z := range s.zones {
			wantZones[l][z.name] = true
		}
	}
	for i, s := range servers {
		if s.name != Levels[i] || s.conf != filepath.Join(dir, s.name, "nsd.conf") {
			t.Errorf("servers.txt line %d: %s %s, want %s", i+1, s.name, s.conf, Levels[i])
		}
		conf, err := os.ReadFile(s.conf)
		if err != nil {
			t.Fatal(err)
		}
		addrs, zones := strings.Count(string(conf), "\tip-address: "), strings.Count(string(conf), "\nzone:\n")
		if addrs != wantAddrs[s.name] || zones != len(wantZones[s.name]) {
			t.Errorf("level %s: %d addresses and %d zones, want %d and %d", s.name, addrs, zones, wantAddrs[s.name], len(wantZones[s.name]))
		}
		if !strings.Contains(string(conf), "@5353\n") || !strings.Contains(string(conf), "rrl-ratelimit: 0\n") ||
			!strings.Contains(string(conf), "control-interface: \""+filepath.Join(dir, s.name, "nsd.ctl")+"\"") {
			t.Errorf("level %s: nsd.conf lacks the port, rrl-ratelimit: 0 or the control socket:\n%.600s", s.name, conf)
		}
		if check, err := exec.LookPath("nsd-checkconf"); err == nil {
			if out, err := exec.Command(check, s.conf).CombinedOutput(); err != nil {
				t.Errorf("nsd-checkconf %s: %v\n%s", s.conf, err, out)
			}
		}
	}
	hints, _ := os.ReadFile(filepath.Join(dir, "named.root"))
	if string(hints) != w.HintsFile() {
		t.Errorf("named.root is not the world's hints")
	}
	// The root level serves the root zone only, from both root servers.
	if wantAddrs[LevelRoot] != 2 || len(wantZones[LevelRoot]) != 1 || wantAddrs[LevelTLD] != 40 || len(wantZones[LevelTLD]) != 20 {
		t.Errorf("levels: addresses %v, zones of root %d and tld %d", wantAddrs, len(wantZones[LevelRoot]), len(wantZones[LevelTLD]))
	}
}

func TestExportLevelsErrors(t *testing.T) {
	w := mustDefault(t)
	// The default world has two variants of stale.com among its
	// second-level servers: one NSD cannot serve both.
	if err := ExportLevels(w, t.TempDir(), 5353); err == nil || !strings.Contains(err.Error(), "two variants") {
		t.Errorf("ExportLevels(default world): err %v, want one about two variants", err)
	}
	gw, _ := generated(t, GenerateOptions{Domains: 20, Servers: 40})
	if err := ExportLevels(gw, t.TempDir(), 0); err == nil {
		t.Errorf("port 0: no error")
	}
	long := filepath.Join(t.TempDir(), strings.Repeat("x", 100))
	if err := ExportLevels(gw, long, 5353); err == nil || !strings.Contains(err.Error(), "control socket") {
		t.Errorf("a long directory: err %v, want one about the control socket", err)
	}
}

// TestNSDLevelsMatchNetwork serves a generated world from one NSD per
// level (ExportLevels, StartNSD) and checks that NSD answers as the
// in-memory Network does, for every server and every zone it hosts in
// the lab (the questions of TestNSDMatchesNetwork), and for the lame
// servers of lame domains (REFUSED); then that NSDQueries counts queries.
func TestNSDLevelsMatchNetwork(t *testing.T) {
	if _, err := exec.LookPath("nsd"); err != nil {
		t.Skip("SKIP: nsd not installed (apt-get install nsd)")
	}
	if testing.Short() {
		t.Skip("SKIP: -short: not starting NSD")
	}
	w, gdir := generated(t, GenerateOptions{Domains: 300, Servers: 100, Seed: 11})
	port, err := FreePort(w)
	if err != nil {
		t.Skip("SKIP: " + err.Error() + " (loopback needed)")
	}
	dir := t.TempDir()
	if err := ExportLevels(w, dir, port); err != nil {
		t.Fatalf("ExportLevels: %v", err)
	}
	nsd, err := StartNSD(dir, 30*time.Second)
	if err != nil {
		t.Fatalf("NSD did not come up: %v", err)
	}
	t.Cleanup(nsd.Stop)

	// What each level's NSD serves, as a server of the lab, to tell when
	// NSD follows a CNAME into another zone of its level.
	levelZones := map[string]*server{}
	for _, s := range w.servers {
		l := levelOf(s)
		if levelZones[l] == nil {
			levelZones[l] = &server{name: l}
		}
		for _, z := range s.zones {
			if answeringZone(levelZones[l], z.name) != z {
				levelZones[l].zones = append(levelZones[l].zones, z)
			}
		}
	}
	// The lame servers of lame domains: REFUSED.
	kinds, _ := expectedKinds(t, gdir)
	lameQs := map[netip.Addr][]nsdQuery{}
	for name, kind := range kinds {
		if kind != GenLameOne && kind != GenLameAll {
			continue
		}
		tz := w.zones[parent(name)]
		for _, rr := range tz.nodes[name][dns.TypeNS] {
			host := strings.ToLower(rr.(*dns.NS).Ns)
			if !dns.IsSubDomain(name, host) {
				continue
			}
			for _, a := range tz.nodes[host][dns.TypeA] {
				addr, _ := netip.AddrFromSlice(a.(*dns.A).A.To4())
				lameQs[addr] = append(lameQs[addr], nsdQuery{name: name, qtype: dns.TypeA}, nsdQuery{name: name, qtype: dns.TypeNS}, nsdQuery{name: "www." + name, qtype: dns.TypeA})
			}
		}
	}
	if len(lameQs) == 0 {
		t.Fatal("no lame server in the generated world")
	}

	n := NewNetwork(w)
	var (
		mu                     sync.Mutex
		total, extended, lames int
		wg                     sync.WaitGroup
		sem                    = make(chan struct{}, 16)
	)
	for _, s := range w.servers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			qs := nsdQueries(s)
			lame := lameQs[s.addr]
			qs = append(qs, lame...)
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			target := netip.AddrPortFrom(s.addr, uint16(port)).String()
			ext := 0
			for _, nq := range qs {
				q := query(nq.name, nq.qtype)
				want, _, err := n.Exchange(context.Background(), "udp", netip.AddrPortFrom(s.addr, 53), q)
				if err != nil {
					t.Errorf("%s %s: lab: %v", s.name, nq, err)
					continue
				}
				got, err := askNSD(c, q, target)
				if err != nil {
					t.Errorf("%s %s: NSD: %v", s.name, nq, err)
					continue
				}
				nsdAdditionalForNS(s, want)
				if why := cnameGoesOn(levelZones[levelOf(s)], want); why != "" {
					if missing, ok := extendsLab(got, want); !ok {
						t.Errorf("%s %s: NSD (%s) does not extend the lab's answer: missing %q; got %v", s.name, nq, why, missing, got)
					}
					ext++
					continue
				}
				if diff := diffReplies(got, want); diff != "" {
					t.Errorf("%s (%s) %s: NSD differs from the lab:\n%s", s.name, s.addr, nq, diff)
				}
			}
			for _, nq := range lame {
				if r, _, err := n.Exchange(context.Background(), "udp", netip.AddrPortFrom(s.addr, 53), query(nq.name, nq.qtype)); err != nil || r.Rcode != dns.RcodeRefused {
					t.Errorf("%s %s at a lame server: %v, err %v; want REFUSED", s.name, nq, r, err)
				}
			}
			mu.Lock()
			total += len(qs)
			extended += ext
			lames += len(lame)
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d servers in 4 NSDs, %d queries compared with the lab (%d at lame servers, %d CNAME answers that NSD follows further)", len(w.servers), total, lames, extended)
	if lames == 0 || extended == 0 {
		t.Errorf("no query at a lame server (%d) or no CNAME into another zone (%d)", lames, extended)
	}

	// Query counters: every level was asked; reset, then count exactly.
	counts, err := NSDQueries(dir)
	if err != nil {
		t.Fatalf("NSDQueries: %v", err)
	}
	var sum int64
	for _, l := range Levels {
		if counts[l] == 0 {
			t.Errorf("level %s: no query counted (%v)", l, counts)
		}
		sum += counts[l]
	}
	if sum < int64(total) {
		t.Errorf("NSD counted %d queries (%v), fewer than the %d sent", sum, counts, total)
	}
	if _, err := NSDResetQueries(dir); err != nil {
		t.Fatalf("NSDResetQueries: %v", err)
	}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	for i := range 5 {
		addr := rootAddr(i % 2)
		if _, _, err := c.Exchange(query("tld01.", dns.TypeNS), netip.AddrPortFrom(addr, uint16(port)).String()); err != nil {
			t.Fatal(err)
		}
	}
	c.Net = "tcp"
	if _, _, err := c.Exchange(query("d1.tld01.", dns.TypeA), netip.AddrPortFrom(tldAddr(0, 1), uint16(port)).String()); err != nil {
		t.Fatal(err)
	}
	counts, err = NSDQueries(dir)
	if err != nil {
		t.Fatal(err)
	}
	if counts[LevelRoot] != 5 || counts[LevelTLD] != 1 || counts[LevelSLD] != 0 || counts[LevelSub] != 0 {
		t.Errorf("after a reset, 5 queries to the root (UDP) and 1 to a TLD (TCP): counts %v", counts)
	}
}

func TestParseNumQueries(t *testing.T) {
	n, err := parseNumQueries([]byte("server0.queries=7\nnum.queries=7\ntime.boot=1.0\n"))
	if err != nil || n != 7 {
		t.Errorf("parseNumQueries: %d, %v; want 7", n, err)
	}
	if _, err := parseNumQueries([]byte("error: no stats\n")); err == nil {
		t.Errorf("parseNumQueries without num.queries: no error")
	}
}
