package lab

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// generated writes a world with Generate into a temporary directory and
// loads it.
func generated(t testing.TB, opts GenerateOptions) (*World, string) {
	t.Helper()
	dir := t.TempDir()
	if err := Generate(dir, opts); err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	w, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatalf("Load(generated world): %v", err)
	}
	return w, dir
}

// expectedKinds reads expected.txt: domain name (FQDN) -> kind.
func expectedKinds(t testing.TB, dir string) (map[string]string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("expected.txt: bad line %q", sc.Text())
		}
		kinds[dns.Fqdn(f[0])] = f[1]
		order = append(order, dns.Fqdn(f[0]))
	}
	return kinds, order
}

func TestGenerateWorld(t *testing.T) {
	const n = 300
	w, dir := generated(t, GenerateOptions{Domains: n, Seed: 7})

	// domains.txt: a comment header, then every domain once.
	data, err := os.ReadFile(filepath.Join(dir, "domains.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("# ")) {
		t.Errorf("domains.txt does not start with a comment: %.40q", data)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(line, "#") {
			names = append(names, dns.Fqdn(line))
		}
	}
	kinds, order := expectedKinds(t, dir)
	if len(names) != n || len(order) != n || len(kinds) != n {
		t.Fatalf("domains.txt lists %d names, expected.txt %d (%d distinct), want %d", len(names), len(order), len(kinds), n)
	}
	for i := range names {
		if names[i] != order[i] {
			t.Fatalf("domains.txt and expected.txt differ at line %d: %s, %s", i, names[i], order[i])
		}
	}

	// The shares of the kinds, rounded.
	count := map[string]int{}
	for _, k := range kinds {
		count[k]++
	}
	want := map[string]int{GenGlueless: 15, GenLameOne: 9, GenLameAll: 2, GenWWWCNAME: 30, GenSubZone: 3}
	want[GenHealthy] = n - 15 - 9 - 2 - 30 - 3
	for k, c := range want {
		if count[k] != c {
			t.Errorf("%d %s domains, want %d (all: %v)", count[k], k, c, count)
		}
	}

	// Zones: root, 20 TLDs, 500 providers, the domains but lame-all, the sub-zones.
	if got, wantZones := len(w.ZoneNames()), 1+GenerateTLDs+DefaultGenerateServers/2+n-2+3; got != wantZones {
		t.Errorf("%d zones, want %d", got, wantZones)
	}
	servers := w.Servers()
	if got, wantServers := len(servers), 2+2*GenerateTLDs+DefaultGenerateServers+6; got != wantServers {
		t.Errorf("%d servers, want %d", got, wantServers)
	}
	if hints := w.RootHints(); len(hints) != 2 {
		t.Errorf("root hints %v, want 2", hints)
	}

	// Every address, of servers and in zones, is in 127/8 and outside the
	// default world's 127.0/16.
	defaultRange := netip.MustParsePrefix("127.0.0.0/16")
	checkAddr := func(where string, a netip.Addr) {
		if !a.Is4() || !loopback.Contains(a) || defaultRange.Contains(a) {
			t.Errorf("%s: address %s is not in 127.0.0.0/8 outside 127.0.0.0/16", where, a)
		}
	}
	for _, s := range servers {
		checkAddr("server "+s.Name, s.Addr)
	}
	for _, zn := range w.ZoneNames() {
		rrs, _ := w.ZoneRecords(zn)
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				a, _ := netip.AddrFromSlice(v.A.To4())
				checkAddr("zone "+zn, a)
			case *dns.AAAA:
				t.Errorf("zone %s: AAAA record %v", zn, rr)
			}
		}
	}

	// The delegations in the TLDs say what kind each domain is.
	levels := map[netip.Addr]string{}
	for _, s := range w.servers {
		levels[s.addr] = levelOf(s)
	}
	for name, kind := range kinds {
		tld := parent(name)
		tz := w.zones[tld]
		ns := tz.nodes[name][dns.TypeNS]
		if len(ns) != 2 {
			t.Errorf("%s: %d NS in %s, want 2", name, len(ns), tld)
			continue
		}
		outside, lame := 0, 0
		for _, rr := range ns {
			host := strings.ToLower(rr.(*dns.NS).Ns)
			if !dns.IsSubDomain(tld, host) {
				outside++
				continue
			}
			for _, a := range tz.nodes[host][dns.TypeA] {
				addr, _ := netip.AddrFromSlice(a.(*dns.A).A.To4())
				if levels[addr] == LevelSub {
					lame++
				}
			}
		}
		_, hasZone := w.zones[name]
		_, hasSub := w.zones["sub."+name]
		www := w.zones[name]
		hasCNAME := hasZone && len(www.nodes["www."+name][dns.TypeCNAME]) == 1
		got := map[bool]string{true: kind}
		switch {
		case outside == 2:
			got[true] = GenGlueless
		case lame == 1:
			got[true] = GenLameOne
		case lame == 2 && !hasZone:
			got[true] = GenLameAll
		case hasCNAME:
			got[true] = GenWWWCNAME
		case hasSub:
			got[true] = GenSubZone
		case outside == 0 && lame == 0 && hasZone:
			got[true] = GenHealthy
		default:
			got[true] = "?"
		}
		if got[true] != kind {
			t.Errorf("%s is %s in expected.txt, but its data makes it %s (NS outside %s: %d, lame: %d, zone: %v)", name, kind, got[true], tld, outside, lame, hasZone)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	opts := GenerateOptions{Domains: 200, Servers: 60, Seed: 42}
	read := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			files[rel], err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	gen := func(o GenerateOptions) map[string][]byte {
		dir := t.TempDir()
		if err := Generate(dir, o); err != nil {
			t.Fatal(err)
		}
		return read(dir)
	}
	a, b := gen(opts), gen(opts)
	if len(a) != len(b) {
		t.Fatalf("two runs wrote %d and %d files", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	opts.Seed = 43
	if c := gen(opts); bytes.Equal(a["expected.txt"], c["expected.txt"]) || bytes.Equal(a["world.conf"], c["world.conf"]) {
		t.Errorf("seeds 42 and 43 gave the same world")
	}
}

func TestGenerateOptions(t *testing.T) {
	for _, o := range []GenerateOptions{
		{Domains: 19},
		{Domains: MaxGenerateDomains + 1},
		{Domains: 100, Servers: 39},
		{Domains: 100, Servers: -1},
	} {
		if err := Generate(t.TempDir(), o); err == nil {
			t.Errorf("Generate(%+v): no error", o)
		}
	}
	// Few servers for many domains: a server line would be too long for Load.
	if err := Generate(t.TempDir(), GenerateOptions{Domains: 100000, Servers: 40}); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("100000 domains on 40 servers: err %v, want one saying too many zones", err)
	}
}

// TestGenerateResolves resolves names of every kind from the root over
// the in-memory Network, as a resolver does.
func TestGenerateResolves(t *testing.T) {
	w, dir := generated(t, GenerateOptions{Domains: 300, Servers: 100, Seed: 3})
	kinds, order := expectedKinds(t, dir)
	n := NewNetwork(w)
	ctx := context.Background()
	done := map[string]int{}
	web := func(name string) string { // the apex A of dN.tldNN
		return webAddrOf(t, name).String()
	}
	for _, name := range order {
		kind := kinds[name]
		if done[kind] >= 3 {
			continue
		}
		done[kind]++
		wk := &walker{n: n}
		o, err := wk.resolve(ctx, name, dns.TypeA, 0)
		if kind == GenLameAll {
			if o.expect != ExpectFail {
				t.Errorf("%s (%s): %s, want FAIL", name, kind, o.expect)
			}
			checkRefused(t, n, w, name)
			continue
		}
		if err != nil || o.expect != ExpectNoError || len(o.answers) != 1 || !strings.HasSuffix(o.answers[0].String(), "\t"+web(name)) {
			t.Errorf("%s (%s): %s %v, err %v; want the A record %s", name, kind, o.expect, o.answers, err, web(name))
		}
		switch kind {
		case GenLameOne:
			checkRefused(t, n, w, name)
		case GenWWWCNAME:
			o, err := wk.resolve(ctx, "www."+name, dns.TypeA, 0)
			if err != nil || o.expect != ExpectNoError || len(o.answers) != 2 {
				t.Errorf("www.%s: %s %v, err %v; want a CNAME and an A", name, o.expect, o.answers, err)
				break
			}
			target := o.answers[0].(*dns.CNAME).Target
			if kinds[strings.TrimPrefix(target, "www.")] != GenHealthy || !strings.HasSuffix(o.answers[1].String(), "\t"+web(strings.TrimPrefix(target, "www."))) {
				t.Errorf("www.%s: %v, want a CNAME to www of a healthy domain and its A", name, o.answers)
			}
		case GenSubZone:
			before := wk.steps
			o, err := wk.resolve(ctx, "www.sub."+name, dns.TypeA, 0)
			if err != nil || o.expect != ExpectNoError || len(o.answers) != 1 {
				t.Errorf("www.sub.%s: %s %v, err %v", name, o.expect, o.answers, err)
			}
			if steps := wk.steps - before; steps != 4 {
				t.Errorf("www.sub.%s: %d steps, want 4 (root, TLD, the domain's referral, the sub-zone)", name, steps)
			}
		}
	}
	for _, k := range []string{GenHealthy, GenGlueless, GenLameOne, GenLameAll, GenWWWCNAME, GenSubZone} {
		if done[k] == 0 {
			t.Errorf("no %s domain resolved", k)
		}
	}
}

// webAddrOf returns the apex address Generate gives domain dN.tldNN.
func webAddrOf(t testing.TB, name string) netip.Addr {
	t.Helper()
	var num, tld int
	if _, err := fmt.Sscanf(name, "d%d.tld%d.", &num, &tld); err != nil {
		t.Fatalf("%s: not dN.tldNN: %v", name, err)
	}
	return webAddr(num)
}

// checkRefused asks every in-zone NS address that the TLD's glue gives
// for name's lame servers: each must answer REFUSED.
func checkRefused(t *testing.T, n *Network, w *World, name string) {
	t.Helper()
	tz := w.zones[parent(name)]
	refused := 0
	for _, rr := range tz.nodes[name][dns.TypeNS] {
		for _, a := range tz.nodes[strings.ToLower(rr.(*dns.NS).Ns)][dns.TypeA] {
			addr, _ := netip.AddrFromSlice(a.(*dns.A).A.To4())
			if !dns.IsSubDomain(name, rr.(*dns.NS).Ns) {
				continue // the provider's sibling glue
			}
			r, _, err := n.Exchange(context.Background(), "udp", netip.AddrPortFrom(addr, 53), query(name, dns.TypeA))
			if err != nil || r.Rcode != dns.RcodeRefused || r.Authoritative {
				t.Errorf("%s at lame %s: %v, err %v; want REFUSED", name, addr, r, err)
			}
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("%s: no lame server found", name)
	}
}

// BenchmarkGenerateLoad100k generates a world of 100,000 domains and
// loads it: go test -run XXX -bench GenerateLoad100k -benchtime 1x ./lab/
// (about 3 s each and 270 MB of heap for the loaded world).
func BenchmarkGenerateLoad100k(b *testing.B) {
	for range b.N {
		dir := b.TempDir()
		if err := Generate(dir, GenerateOptions{Domains: 100000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		w, err := Load(os.DirFS(dir))
		if err != nil {
			b.Fatal(err)
		}
		if len(w.ZoneNames()) < 100000 {
			b.Fatalf("%d zones", len(w.ZoneNames()))
		}
	}
}
