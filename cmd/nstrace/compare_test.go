package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestCompareGolden compares the lab's recursors with the authoritative
// answer, in both formats: www.mydomain.com (one recursor holds the old
// address) and a name that does not exist.
func TestCompareGolden(t *testing.T) {
	for _, name := range []string{"www.mydomain.com", "doesnotexist.mydomain.com"} {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := run(t, "compare", "--lab", "--no-color", name)
			if code != ExitFailed || stderr != "" {
				t.Errorf("table: exit %d, want %d (broken and dead fail); stderr %q", code, ExitFailed, stderr)
			}
			golden(t, filepath.Join(goldenDir, "compare", name+".txt"), out)
			code, out, _ = run(t, "compare", "--lab", "--format", "json", name, "A")
			if code != ExitFailed {
				t.Errorf("json: exit %d, want %d", code, ExitFailed)
			}
			golden(t, filepath.Join(goldenDir, "compare", name+".json"), out)
		})
	}
}

// compareJSON runs compare with --format json and decodes its output.
func compareJSON(t *testing.T, args ...string) (int, comparison) {
	t.Helper()
	code, out, stderr := run(t, append([]string{"compare", "--format", "json"}, args...)...)
	var cmp comparison
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatalf("output is not JSON (%v): %s %s", err, out, stderr)
	}
	return code, cmp
}

func TestCompareExitStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"the lab's recursors: stale disagrees, broken and dead fail", []string{"--lab", "www.mydomain.com"}, ExitFailed},
		{"fresh and cold agree", []string{"--lab", "--resolver", "127.0.53.1", "--resolver", "127.0.53.2", "www.mydomain.com"}, ExitOK},
		{"they agree on NXDOMAIN", []string{"--lab", "--resolver", "127.0.53.1,127.0.53.2", "doesnotexist.mydomain.com"}, ExitOK},
		{"they agree on a CNAME chain", []string{"--lab", "--resolver", "127.0.53.1", "www.shop.com"}, ExitOK},
		{"stale disagrees", []string{"--lab", "--resolver", "127.0.53.3", "www.mydomain.com"}, ExitFailed},
		{"stale agrees on another name", []string{"--lab", "--resolver", "127.0.53.3", "mydomain.com", "MX"}, ExitOK},
		{"broken fails", []string{"--lab", "--resolver", "127.0.53.4", "mydomain.com"}, ExitFailed},
		{"the authoritative resolution fails", []string{"--lab", "--resolver", "127.0.53.1", "allfail.com"}, ExitFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"compare"}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.want, stderr)
			}
		})
	}
}

func TestCompareJSON(t *testing.T) {
	code, cmp := compareJSON(t, "--lab", "www.mydomain.com")
	if code != ExitFailed || cmp.Schema != 1 || cmp.Network != "lab" || cmp.Question.Name != "www.mydomain.com." || cmp.Question.Type != "A" {
		t.Fatalf("exit %d, %+v", code, cmp)
	}
	if a := cmp.Authoritative; a.Status != "answer" || a.TTL == nil || *a.TTL != 300 || a.Zone != "mydomain.com." || len(a.Records) != 1 || a.Records[0].Data != "127.10.1.80" {
		t.Errorf("authoritative %+v", a)
	}
	rows := map[string]compareRow{}
	for _, r := range cmp.Resolvers {
		rows[r.Name] = r
	}
	if got := len(cmp.Resolvers); got != 5 {
		t.Fatalf("%d resolvers, want the lab's 5", got)
	}
	fresh, cold, stale, broken, dead := rows["fresh"], rows["cold"], rows["stale"], rows["broken"], rows["dead"]
	if !fresh.Matches || *fresh.TTL != 180 || *fresh.AgeS != 120 || fresh.ExpiresInS != nil || fresh.Error != nil || *fresh.RTTms != 3 {
		t.Errorf("fresh %+v: want a match, TTL 180, fetched at most 120 s ago, 3 ms", fresh)
	}
	if !cold.Matches || *cold.TTL != 300 || *cold.AgeS != 0 || *cold.RTTms <= 5 {
		t.Errorf("cold %+v: want a match, TTL 300, fetched just now, after a resolution from the root", cold)
	}
	if stale.Matches || stale.Status != "answer" || stale.Records[0].Data != "127.10.1.79" || *stale.TTL != 2500 || stale.AgeS != nil || *stale.ExpiresInS != 2500 {
		t.Errorf("stale %+v: want the old address, TTL 2500, expiring in 2500 s", stale)
	}
	if broken.Matches || broken.Status != "servfail" || broken.TTL != nil || broken.Error == nil || *broken.Error != "SERVFAIL" || len(broken.Records) != 0 {
		t.Errorf("broken %+v", broken)
	}
	if dead.Matches || dead.Status != "timeout" || dead.RTTms != nil || dead.Error == nil || *dead.Error != "no answer after 2 tries of 2s" {
		t.Errorf("dead %+v", dead)
	}
	// Every key is there, null when it does not apply.
	_, out, _ := run(t, "compare", "--lab", "-o", "json", "--resolver", "127.0.53.5", "www.mydomain.com")
	var raw struct {
		Resolvers []map[string]any `json:"resolvers"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw.Resolvers) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"name", "address", "status", "records", "ttl", "age_s", "expires_in_s", "matches", "rtt_ms", "error"} {
		if _, ok := raw.Resolvers[0][k]; !ok {
			t.Errorf("key %q missing from a resolver's row: %v", k, raw.Resolvers[0])
		}
	}
}

func TestCompareUsageErrors(t *testing.T) {
	dir := t.TempDir()
	// A lab world without recursor lines.
	conf, err := fs.ReadFile(lab.DefaultFS(), "world.conf")
	if err != nil {
		t.Fatal(err)
	}
	noRecursors := filepath.Join(dir, "world")
	if err := os.CopyFS(noRecursors, lab.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(conf), "\n") {
		if !strings.HasPrefix(l, "recursor") && !strings.HasPrefix(l, "seed") {
			kept = append(kept, l)
		}
	}
	os.Chmod(filepath.Join(noRecursors, "world.conf"), 0o644)
	if err := os.WriteFile(filepath.Join(noRecursors, "world.conf"), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"three octets", []string{"--resolver", "8.8.8", "x.com"}, `--resolver "8.8.8": not an IP address`},
		{"open bracket", []string{"--resolver", "[::1", "x.com"}, `--resolver "[::1": not an IP address`},
		{"two colons", []string{"--resolver", "host:port:x", "x.com"}, `--resolver "host:port:x": not an IP address`},
		{"a host name", []string{"--resolver", "dns.google", "x.com"}, `"dns.google": not an IP address`},
		{"a host name with a port", []string{"--resolver", "dns.google:53", "x.com"}, `"dns.google" is not an IP address`},
		{"port 0", []string{"--resolver", "1.1.1.1:0", "x.com"}, "port 0 is out of range (1-65535)"},
		{"port 70000", []string{"--resolver", "1.1.1.1:70000", "x.com"}, "port 70000 is out of range (1-65535)"},
		{"IPv6 port 0", []string{"--resolver", "[::1]:0", "x.com"}, "port 0 is out of range"},
		{"a port that is no number", []string{"--resolver", "1.1.1.1:dns", "x.com"}, `bad port "dns"`},
		{"the second of two", []string{"--resolver", "127.0.53.1", "--resolver", "127.0.53", "x.com"}, `"127.0.53": not an IP address`},
		{"bad format", []string{"--lab", "--format", "tree", "x.com"}, `unknown --format "tree": choose one of table, json`},
		{"no name", []string{"--lab"}, "no name given"},
		{"two names", []string{"--lab", "a.com", "b.com"}, "compare takes one name"},
		{"a bad name", []string{"--lab", "a..com"}, "empty label"},
		{"a bad type", []string{"--lab", "a.com", "BOGUS"}, `unknown record type "BOGUS"`},
		{"replay is not a flag of compare", []string{"--replay", "x.rec", "a.com"}, "flag provided but not defined: -replay"},
		{"a lab world without recursors", []string{"--lab-world", noRecursors, "www.mydomain.com"}, "this lab world has no recursor lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"compare"}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, ExitUsage, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing: no query is sent on a usage error", stdout)
			}
		})
	}
}

// TestCompareUnreachableResolver asks an address of the lab where nobody
// serves: its row says so at once.
func TestCompareUnreachableResolver(t *testing.T) {
	start := time.Now()
	code, cmp := compareJSON(t, "--lab", "--resolver", "127.0.53.200:5353", "--resolver", "8.8.8.8", "www.mydomain.com")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: an unreachable resolver must fail at once", took)
	}
	if code != ExitFailed || len(cmp.Resolvers) != 2 {
		t.Fatalf("exit %d, %d rows; want 1 and 2 rows", code, len(cmp.Resolvers))
	}
	for _, r := range cmp.Resolvers {
		if r.Status != "unreachable" || r.Matches || r.Error == nil || !strings.Contains(*r.Error, "unreachable") {
			t.Errorf("row %+v, want unreachable", r)
		}
	}
	if cmp.Resolvers[0].Address != "127.0.53.200:5353" || cmp.Resolvers[1].Name != "8.8.8.8" || cmp.Resolvers[1].Address != "8.8.8.8" {
		t.Errorf("rows %+v %+v", cmp.Resolvers[0], cmp.Resolvers[1])
	}
	code, out, _ := run(t, "compare", "--lab", "--no-color", "--resolver", "127.0.53.200", "www.mydomain.com")
	if code != ExitFailed || !strings.Contains(out, "unreachable (no route to host)") {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
}

// TestCompareSet checks which resolvers are asked: --resolver replaces
// every default; the lab's recursors in lab mode; the system's and the
// public ones only without --lab and without --resolver.
func TestCompareSet(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	os.WriteFile(conf, []byte("# a comment\nnameserver 127.0.0.53\nnameserver 9.9.9.9\nnameserver ::1\nsearch example.com\noptions edns0\n"), 0o644)
	names := func(set []compareServer) string {
		var s []string
		for _, r := range set {
			s = append(s, r.Name+"="+r.Addr.String())
		}
		return strings.Join(s, " ")
	}
	ap := netip.MustParseAddrPort
	tests := []struct {
		name  string
		given []netip.AddrPort
		world *lab.World
		conf  string
		want  string
	}{
		{"real network: system then public, each address once", nil, nil, conf,
			"system=127.0.0.53:53 system=9.9.9.9:53 system=[::1]:53 Google=8.8.8.8:53 Cloudflare=1.1.1.1:53"},
		{"real network without resolv.conf: the public ones", nil, nil, filepath.Join(dir, "missing"),
			"Google=8.8.8.8:53 Cloudflare=1.1.1.1:53 Quad9=9.9.9.9:53"},
		{"lab: its recursors, never the public ones", nil, w, conf,
			"fresh=127.0.53.1:53 cold=127.0.53.2:53 stale=127.0.53.3:53 broken=127.0.53.4:53 dead=127.0.53.5:53"},
		{"--resolver on the lab: named after its recursor", []netip.AddrPort{ap("127.0.53.3:53"), ap("8.8.8.8:53")}, w, conf,
			"stale=127.0.53.3:53 8.8.8.8=8.8.8.8:53"},
		{"--resolver on the real network: replaces the set", []netip.AddrPort{ap("127.0.0.1:5353"), ap("1.1.1.1:53")}, nil, conf,
			"127.0.0.1:5353=127.0.0.1:5353 Cloudflare=1.1.1.1:53"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := compareSet(tc.given, tc.world, tc.conf)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(set); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestParseResolverAddr(t *testing.T) {
	for in, want := range map[string]string{
		"8.8.8.8":              "8.8.8.8:53",
		"127.0.0.1:5353":       "127.0.0.1:5353",
		"2001:db8::1":          "[2001:db8::1]:53",
		"[2001:db8::1]":        "[2001:db8::1]:53",
		"[2001:db8::1]:853":    "[2001:db8::1]:853",
		"fe80::1%eth0":         "[fe80::1%eth0]:53",
		"[fe80::1%eth0]:53":    "[fe80::1%eth0]:53",
		"127.0.0.1:65535":      "127.0.0.1:65535",
		"::ffff:192.0.2.1":     "192.0.2.1:53", // IPv4-mapped: the IPv4 address
		"[::ffff:192.0.2.1]:1": "192.0.2.1:1",
	} {
		got, err := parseResolverAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("parseResolverAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"[192.0.2.1]:53":  "brackets hold an IPv6 address",
		"192.0.2.1:0":     "port 0 is out of range",
		"[2001:db8::1]:x": "bad port",
		"dns.google":      "not an IP address",
	} {
		if got, err := parseResolverAddr(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseResolverAddr(%q) = %v, %v; want an error containing %q", in, got, err, want)
		}
	}
}

// labWorld loads the default lab world with lines added to its world.conf.
func labWorld(t *testing.T, extra string) *lab.World {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(lab.DefaultFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(lab.DefaultFS(), p)
		if p == "world.conf" {
			data = append(data, extra...)
		}
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := lab.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// recursorQuery is an RD=1 query with EDNS0.
func recursorQuery(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.Id = 4242
	q.SetEdns0(1232, false)
	return q
}

func TestRecursorTransport(t *testing.T) {
	w := labWorld(t, "\nrecursor closed 127.0.53.77 behaviour=refused\n")
	clock := resolver.NewManualClock(lab.Epoch)
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	hints := mustLabHints(t, w)
	rt := newRecursorTransport(lab.NewNetwork(w), w, cfg, hints, clock)
	ctx := context.Background()
	ask := func(addr string, q *dns.Msg) (*dns.Msg, time.Duration, error) {
		return rt.Exchange(ctx, resolver.UDP, netip.AddrPortFrom(netip.MustParseAddr(addr), 53), q)
	}
	answer := func(t *testing.T, addr, name string) (string, uint32, time.Duration) {
		t.Helper()
		m, rtt, err := ask(addr, recursorQuery(name, dns.TypeA))
		if err != nil {
			t.Fatal(err)
		}
		if !m.Response || !m.RecursionAvailable || !m.RecursionDesired || m.Id != 4242 || m.IsEdns0() == nil || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
			t.Fatalf("reply %v", m)
		}
		a := m.Answer[0].(*dns.A)
		return a.A.String(), a.Hdr.Ttl, rtt
	}

	t.Run("stale answers the old address until its TTL runs out", func(t *testing.T) {
		if a, ttl, rtt := answer(t, "127.0.53.3", "www.mydomain.com"); a != "127.10.1.79" || ttl != 2500 || rtt != 4*time.Millisecond {
			t.Errorf("at the start: %s TTL %d in %v, want 127.10.1.79 TTL 2500 in 4ms (from the cache)", a, ttl, rtt)
		}
	})
	t.Run("cold resolves from the root, then answers from its cache", func(t *testing.T) {
		if a, ttl, rtt := answer(t, "127.0.53.2", "www.mydomain.com"); a != "127.10.1.80" || ttl != 300 || rtt != 45*time.Millisecond {
			t.Errorf("first: %s TTL %d in %v, want 127.10.1.80 TTL 300 in 45ms (5 + root 8 + com 12 + mydomain.com 20)", a, ttl, rtt)
		}
		clock.Advance(100 * time.Second)
		if a, ttl, rtt := answer(t, "127.0.53.2", "www.mydomain.com"); a != "127.10.1.80" || ttl != 200 || rtt != 5*time.Millisecond {
			t.Errorf("100 s later: %s TTL %d in %v, want TTL 200 from the cache in 5ms", a, ttl, rtt)
		}
	})
	t.Run("the change reaches stale once its cached answer expires", func(t *testing.T) {
		clock.Advance(2399 * time.Second) // 2499 s after the start
		if a, ttl, _ := answer(t, "127.0.53.3", "www.mydomain.com"); a != "127.10.1.79" || ttl != 1 {
			t.Errorf("2499 s after the start: %s TTL %d, want the old address with 1 s left", a, ttl)
		}
		clock.Advance(time.Second)
		if a, ttl, _ := answer(t, "127.0.53.3", "www.mydomain.com"); a != "127.10.1.80" || ttl != 300 {
			t.Errorf("2500 s after the start: %s TTL %d, want the new address", a, ttl)
		}
	})
	t.Run("refused, servfail, drop", func(t *testing.T) {
		if m, _, err := ask("127.0.53.77", recursorQuery("mydomain.com", dns.TypeA)); err != nil || m.Rcode != dns.RcodeRefused {
			t.Errorf("closed: %v, %v; want REFUSED", m, err)
		}
		if m, _, err := ask("127.0.53.4", recursorQuery("mydomain.com", dns.TypeA)); err != nil || m.Rcode != dns.RcodeServerFailure || !m.RecursionAvailable {
			t.Errorf("broken: %v, %v; want SERVFAIL", m, err)
		}
		if _, _, err := ask("127.0.53.5", recursorQuery("mydomain.com", dns.TypeA)); !compareTimedOut(err) {
			t.Errorf("dead: %v, want a timeout", err)
		}
	})
	t.Run("RD=0 is refused", func(t *testing.T) {
		q := recursorQuery("www.mydomain.com", dns.TypeA)
		q.RecursionDesired = false
		if m, _, err := ask("127.0.53.1", q); err != nil || m.Rcode != dns.RcodeRefused {
			t.Errorf("%v, %v; want REFUSED", m, err)
		}
	})
	t.Run("a failed resolution is SERVFAIL with an extended error", func(t *testing.T) {
		m, _, err := ask("127.0.53.1", recursorQuery("allfail.com", dns.TypeA))
		if err != nil || m.Rcode != dns.RcodeServerFailure || !strings.Contains(extendedErrorText(m), "No Reachable Authority") {
			t.Errorf("%v, %v", m, err)
		}
	})
	t.Run("NXDOMAIN carries the SOA with the negative TTL", func(t *testing.T) {
		m, _, err := ask("127.0.53.1", recursorQuery("doesnotexist.mydomain.com", dns.TypeA))
		if err != nil || m.Rcode != dns.RcodeNameError || len(m.Ns) != 1 || m.Ns[0].Header().Ttl != 300 {
			t.Errorf("%v, %v", m, err)
		}
	})
	t.Run("other addresses are the lab's", func(t *testing.T) {
		q := recursorQuery("www.mydomain.com", dns.TypeA)
		q.RecursionDesired = false
		if m, _, err := ask("127.0.3.1", q); err != nil || !m.Authoritative {
			t.Errorf("ns1.hostingprovider.com: %v, %v", m, err)
		}
		if _, _, err := ask("127.0.53.99", q); err == nil {
			t.Error("an address nobody serves answered")
		}
	})
}

func mustLabHints(t *testing.T, w *lab.World) *resolver.Hints {
	t.Helper()
	h, err := labHints(w)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCompareRealSockets serves the lab on 127.0.x.y sockets and the
// stale recursor on 127.0.53.3 at a free port, and compares over UDP:
// nothing leaves 127.0.0.0/8.
func TestCompareRealSockets(t *testing.T) {
	port, hints := serveLab(t)
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	rt := newRecursorTransport(lab.NewNetwork(w), w, cfg, mustLabHints(t, w), resolver.NewManualClock(lab.Epoch))
	pc, err := net.ListenPacket("udp", "127.0.53.3:0")
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.53.3: %v", err)
	}
	stale := netip.MustParseAddrPort("127.0.53.3:53")
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(rw dns.ResponseWriter, q *dns.Msg) {
		if m, _, err := rt.Exchange(context.Background(), resolver.UDP, stale, q); err == nil {
			rw.WriteMsg(m)
		}
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	<-started
	// A socket that reads nothing: a resolver that never answers.
	silent, err := net.ListenPacket("udp", "127.0.53.5:0")
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.53.5: %v", err)
	}
	defer silent.Close()

	start := time.Now()
	code, cmp := compareJSON(t, "--hints", hints, "--port", port, "-4", "--timeout", "300ms",
		"--resolver", pc.LocalAddr().String(), "--resolver", silent.LocalAddr().String(), "www.mydomain.com")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if code != ExitFailed || cmp.Authoritative.Status != "answer" || len(cmp.Resolvers) != 2 {
		t.Fatalf("exit %d, %+v", code, cmp)
	}
	r, s := cmp.Resolvers[0], cmp.Resolvers[1]
	if r.Matches || r.Status != "answer" || r.Records[0].Data != "127.10.1.79" || *r.ExpiresInS != 2500 || r.RTTms == nil {
		t.Errorf("stale over UDP: %+v", r)
	}
	if s.Status != "timeout" || *s.Error != "no answer after 2 tries of 300ms" {
		t.Errorf("silent: %+v", s)
	}
	if !slices.ContainsFunc(cmp.Authoritative.Records, func(rec trace.Record) bool { return rec.Data == "127.10.1.80" }) {
		t.Errorf("authoritative %+v", cmp.Authoritative)
	}
}
