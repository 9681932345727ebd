package lab

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// GenerateOptions says how big a synthetic world Generate writes.
type GenerateOptions struct {
	// Domains is the number of second-level domains (default
	// DefaultGenerateDomains; at least MinGenerateDomains, at most
	// MaxGenerateDomains).
	Domains int
	// Servers is the number of name server addresses of the hosting
	// providers that serve the second-level zones, two per provider
	// (default DefaultGenerateServers; at least 2 per TLD).
	Servers int
	// Seed makes the world: the same options give the same files, byte
	// for byte. Any value is a seed, 0 included.
	Seed uint64
}

// Sizes of a generated world.
const (
	DefaultGenerateDomains = 10000
	DefaultGenerateServers = 1000
	MinGenerateDomains     = 20
	MaxGenerateDomains     = 1000000
	// GenerateTLDs is the number of TLDs of a generated world: tld01 to tld20.
	GenerateTLDs = 20
	// maxSubServers bounds the servers of the sub level (see Generate).
	maxSubServers = 16
	// maxConfLine stays under bufio.Scanner's limit on a line of
	// world.conf (64 KiB), which Load reads line by line.
	maxConfLine = 60000
)

// Kinds of generated domains, as written in expected.txt.
const (
	GenHealthy  = "healthy"   // two NS of one provider in the domain's TLD, with (sibling) glue
	GenGlueless = "glueless"  // two NS of a provider under another TLD: no glue possible
	GenLameOne  = "lame-one"  // one NS of a provider, one (with glue) at a server that does not serve the zone
	GenLameAll  = "lame-all"  // both NS (with glue) at servers that do not serve it; there is no such zone
	GenWWWCNAME = "www-cname" // www is a CNAME to www of another (healthy) generated domain
	GenSubZone  = "sub-zone"  // delegates sub.NAME to two servers of the sub level
)

// Shares of the kinds of domains, in thousandths; the rest is healthy.
var genShares = []struct {
	kind     string
	permille int
}{
	{GenGlueless, 50},
	{GenLameOne, 30},
	{GenLameAll, 5},
	{GenWWWCNAME, 100},
	{GenSubZone, 10},
}

// Generate writes a synthetic world into dir, loadable with
// Load(os.DirFS(dir)), for load tests and benchmarks: a root, GenerateTLDs
// TLDs and opts.Domains second-level zones hosted by opts.Servers
// provider name servers. The files are
//
//   - world.conf: one zone line per zone and one server line per server
//     address listing every zone it hosts (no domain lines);
//   - zones/: the zone files (zones/root.zone, zones/tld/, zones/prov/,
//     zones/sld/tldNN/, zones/sub/);
//   - domains.txt: every second-level domain, one a line, after a
//     comment header: the list to audit;
//   - expected.txt: "NAME KIND" lines, KIND one of healthy, glueless,
//     lame-one, lame-all, www-cname and sub-zone;
//   - README.txt: what was generated.
//
// The world has four levels of servers, each on its own range of
// 127.0.0.0/8, so that ExportLevels can serve each level from one NSD
// (every zone of the level on every address of the level) and still give
// the answers of the in-memory Network:
//
//   - root: a.root-servers. and b.root-servers. (127.2.0.1-2), whose
//     addresses the root zone itself holds;
//   - tld: ns1.nic.tldNN. and ns2.nic.tldNN. for each TLD (127.2.1.1-40);
//   - sld: the providers' servers ns1.provNNNN.tldNN. and
//     ns2.provNNNN.tldNN. (127.1.0.1 up, 250 a /24), each provider
//     serving its own zone and the domains it hosts;
//   - sub: at most 16 servers (127.3.0.1 up) serving the delegated
//     sub-zones sub.dN.tldNN.
//
// Of the domains dN.tldNN (N from 1), about 5% are glueless (their NS
// are under another TLD, at a provider whose zone gives the addresses),
// 3% have one lame NS, 0.5% two lame NS, 10% have www as a CNAME to www
// of another generated domain and 1% delegate a sub-zone; the others are
// healthy. A lame NS is ns-old.dN.tldNN (or ns1/ns2.dN.tldNN when both
// are lame), with glue in the TLD pointing at a server of the sub level:
// that level serves no zone above any second-level domain, so it answers
// REFUSED, in memory and in NSD alike. The kinds do not overlap.
//
// dir is created if needed; files already there are overwritten.
func Generate(dir string, opts GenerateOptions) error {
	if opts.Domains == 0 {
		opts.Domains = DefaultGenerateDomains
	}
	if opts.Servers == 0 {
		opts.Servers = DefaultGenerateServers
	}
	if opts.Domains < MinGenerateDomains || opts.Domains > MaxGenerateDomains {
		return fmt.Errorf("lab: generate: %d domains (want %d to %d)", opts.Domains, MinGenerateDomains, MaxGenerateDomains)
	}
	if opts.Servers < 2*GenerateTLDs || opts.Servers > 2*maxProviders {
		return fmt.Errorf("lab: generate: %d servers (want %d to %d)", opts.Servers, 2*GenerateTLDs, 2*maxProviders)
	}
	g := planWorld(opts)
	if err := g.write(dir); err != nil {
		return fmt.Errorf("lab: generate: %w", err)
	}
	return nil
}

// maxProviders bounds the providers: their addresses are 127.1.X.Y with
// X below 256 and 250 addresses per X.
const maxProviders = 250 * 256 / 2

// genDomain is one planned second-level domain.
type genDomain struct {
	n      int    // its number: the name is dN.tldNN
	tld    int    // 0-based TLD index
	kind   string // GenHealthy, ...
	prov   int    // the provider serving it (all kinds but lame-all)
	lame   [2]int // lame-one: lame[0]; lame-all: both: sub-level server indexes
	target int    // www-cname: index of the target domain
	sub    [2]int // sub-zone: the two sub-level servers of sub.NAME
}

// genWorld is a planned world, written by write.
type genWorld struct {
	opts       GenerateOptions
	providers  int
	domains    []genDomain
	subServers int
	counts     map[string]int
}

func tldName(t int) string        { return fmt.Sprintf("tld%02d.", t+1) }
func provZone(p int) string       { return fmt.Sprintf("prov%04d.%s", p+1, tldName(provTLD(p))) }
func provTLD(p int) int           { return p % GenerateTLDs }
func (d *genDomain) name() string { return fmt.Sprintf("d%d.%s", d.n, tldName(d.tld)) }

// Addresses of the four levels.
func rootAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{127, 2, 0, byte(1 + i)}) }
func tldAddr(t, i int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 2, 1, byte(1 + 2*t + i)})
}

// provAddr is the address of server i (0 or 1) of provider p.
func provAddr(p, i int) netip.Addr {
	k := 2*p + i
	return netip.AddrFrom4([4]byte{127, 1, byte(k / 250), byte(1 + k%250)})
}
func subAddr(k int) netip.Addr { return netip.AddrFrom4([4]byte{127, 3, 0, byte(1 + k)}) }

// webAddr is the address of the web site of domain n: 127.100.0.1 up.
func webAddr(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, byte(100 + n>>16), byte(n >> 8), byte(n)})
}

// planWorld decides everything from the options and the seed.
func planWorld(opts GenerateOptions) *genWorld {
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6e737472616365)) // "nstrace"
	g := &genWorld{opts: opts, providers: opts.Servers / 2, counts: map[string]int{}}
	n := opts.Domains
	byTLD := make([][]int, GenerateTLDs) // providers of each TLD
	for p := range g.providers {
		byTLD[provTLD(p)] = append(byTLD[provTLD(p)], p)
	}
	// Kinds: exact counts (rounded shares), spread by a permutation.
	kinds := make([]string, n)
	perm := rng.Perm(n)
	next := 0
	nsub := 0
	for _, s := range genShares {
		c := (n*s.permille + 500) / 1000
		if s.kind == GenSubZone && c == 0 {
			c = 1 // the sub level needs a zone to serve
		}
		if s.kind == GenSubZone {
			nsub = c
		}
		for range c {
			kinds[perm[next]] = s.kind
			next++
		}
	}
	g.subServers = min(maxSubServers, max(2, 2*nsub))
	g.domains = make([]genDomain, n)
	var healthy []int
	for i := range n {
		d := &g.domains[i]
		d.n, d.tld, d.kind = i+1, rng.IntN(GenerateTLDs), kinds[i]
		if d.kind == "" {
			d.kind = GenHealthy
			healthy = append(healthy, i)
		}
		g.counts[d.kind]++
		if d.kind == GenGlueless {
			// A provider under any other TLD.
			t := rng.IntN(GenerateTLDs - 1)
			if t >= d.tld {
				t++
			}
			d.prov = byTLD[t][rng.IntN(len(byTLD[t]))]
		} else {
			d.prov = byTLD[d.tld][rng.IntN(len(byTLD[d.tld]))]
		}
		switch d.kind {
		case GenLameOne:
			d.lame[0] = rng.IntN(g.subServers)
		case GenLameAll:
			d.lame[0] = rng.IntN(g.subServers)
			d.lame[1] = (d.lame[0] + 1 + rng.IntN(g.subServers-1)) % g.subServers
		}
	}
	// Sub-zones go to pairs of sub-level servers in turn, so that every
	// server of the level serves at least one.
	k := 0
	for i := range g.domains {
		if d := &g.domains[i]; d.kind == GenSubZone {
			d.sub = [2]int{(2 * k) % g.subServers, (2*k + 1) % g.subServers}
			k++
		}
	}
	// CNAME targets: healthy domains (there are always some: the other
	// kinds take 19.5%).
	for i := range g.domains {
		if d := &g.domains[i]; d.kind == GenWWWCNAME {
			d.target = healthy[rng.IntN(len(healthy))]
		}
	}
	return g
}

// nsNames returns the NS names of a domain's delegation and apex.
func (g *genWorld) nsNames(d *genDomain) []string {
	name := d.name()
	switch d.kind {
	case GenLameOne:
		return []string{"ns1." + provZone(d.prov), "ns-old." + name}
	case GenLameAll:
		return []string{"ns1." + name, "ns2." + name}
	}
	return []string{"ns1." + provZone(d.prov), "ns2." + provZone(d.prov)}
}

// glue returns the addresses the TLD zone holds for names below the
// domain (in-bailiwick glue), in the order of nsNames.
func (g *genWorld) glue(d *genDomain) [][2]string {
	name := d.name()
	switch d.kind {
	case GenLameOne:
		return [][2]string{{"ns-old." + name, subAddr(d.lame[0]).String()}}
	case GenLameAll:
		return [][2]string{{"ns1." + name, subAddr(d.lame[0]).String()}, {"ns2." + name, subAddr(d.lame[1]).String()}}
	}
	return nil
}

// TTLs of the generated zones.
const (
	genRootTTL = 518400
	genTLDTTL  = 172800
	genTTL     = 3600
	genHostTTL = 300
)

func soaLine(b *strings.Builder, zone, mname string, minimum int) {
	host := "hostmaster." + zone
	if zone == "." {
		host = "hostmaster.root-servers."
	}
	fmt.Fprintf(b, "%s 86400 IN SOA %s %s 1 7200 1800 1209600 %d\n", zone, mname, host, minimum)
}

// write writes the planned world into dir.
func (g *genWorld) write(dir string) error {
	serverLines, err := g.serverLines()
	if err != nil {
		return err
	}
	for _, sub := range []string{"zones/tld", "zones/prov", "zones/sub"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for t := range GenerateTLDs {
		if err := os.MkdirAll(filepath.Join(dir, "zones/sld", strings.TrimSuffix(tldName(t), ".")), 0o755); err != nil {
			return err
		}
	}
	conf, err := os.Create(filepath.Join(dir, confFile))
	if err != nil {
		return err
	}
	defer conf.Close()
	cw := bufio.NewWriterSize(conf, 1<<16)
	fmt.Fprintf(cw, "# A synthetic world of the nstrace lab, written by lab.Generate\n")
	fmt.Fprintf(cw, "# (nstrace lab generate --domains %d --servers %d --seed %d).\n", g.opts.Domains, g.opts.Servers, g.opts.Seed)
	fmt.Fprintf(cw, "# %d second-level domains under %d TLDs, hosted by %d providers (%d servers);\n", len(g.domains), GenerateTLDs, g.providers, 2*g.providers)
	fmt.Fprintf(cw, "# domains.txt lists them, expected.txt says what kind each is. See README.txt.\n\n")

	// Zone files, and their zone lines.
	// Zone files are written by a few goroutines: a hundred thousand
	// small files take seconds one after the other.
	pool := newFilePool(8)
	defer pool.wait()
	writeZone := func(name, file, text string) error {
		fmt.Fprintf(cw, "zone %s %s\n", name, file)
		pool.write(filepath.Join(dir, file), text)
		return pool.err()
	}
	var b strings.Builder
	// The root.
	soaLine(&b, ".", "a.root-servers.", 86400)
	for i, l := range []string{"a", "b"} {
		fmt.Fprintf(&b, ". %d IN NS %s.root-servers.\n", genRootTTL, l)
		fmt.Fprintf(&b, "%s.root-servers. %d IN A %s\n", l, genRootTTL, rootAddr(i))
	}
	for t := range GenerateTLDs {
		tld := tldName(t)
		for i := range 2 {
			fmt.Fprintf(&b, "%s %d IN NS ns%d.nic.%s\n", tld, genTLDTTL, i+1, tld)
		}
		for i := range 2 {
			fmt.Fprintf(&b, "ns%d.nic.%s %d IN A %s\n", i+1, tld, genTLDTTL, tldAddr(t, i))
		}
	}
	if err := writeZone(".", "zones/root.zone", b.String()); err != nil {
		return err
	}
	// The TLDs: the providers' delegations with glue, then the domains'.
	tldText := make([]strings.Builder, GenerateTLDs)
	for t := range GenerateTLDs {
		tb, tld := &tldText[t], tldName(t)
		soaLine(tb, tld, "ns1.nic."+tld, 900)
		for i := range 2 {
			fmt.Fprintf(tb, "%s %d IN NS ns%d.nic.%s\n", tld, genTLDTTL, i+1, tld)
		}
		for i := range 2 {
			fmt.Fprintf(tb, "ns%d.nic.%s %d IN A %s\n", i+1, tld, genTLDTTL, tldAddr(t, i))
		}
	}
	for p := range g.providers {
		tb, zone := &tldText[provTLD(p)], provZone(p)
		for i := range 2 {
			fmt.Fprintf(tb, "%s %d IN NS ns%d.%s\n", zone, genTTL, i+1, zone)
		}
		for i := range 2 {
			fmt.Fprintf(tb, "ns%d.%s %d IN A %s\n", i+1, zone, genTTL, provAddr(p, i))
		}
	}
	for i := range g.domains {
		d := &g.domains[i]
		tb, name := &tldText[d.tld], d.name()
		for _, ns := range g.nsNames(d) {
			fmt.Fprintf(tb, "%s %d IN NS %s\n", name, genTTL, ns)
		}
		for _, gl := range g.glue(d) {
			fmt.Fprintf(tb, "%s %d IN A %s\n", gl[0], genTTL, gl[1])
		}
	}
	for t := range GenerateTLDs {
		tld := strings.TrimSuffix(tldName(t), ".")
		if err := writeZone(tld, "zones/tld/"+tld+".zone", tldText[t].String()); err != nil {
			return err
		}
	}
	// The providers' own zones.
	for p := range g.providers {
		b.Reset()
		zone := provZone(p)
		soaLine(&b, zone, "ns1."+zone, genHostTTL)
		for i := range 2 {
			fmt.Fprintf(&b, "%s %d IN NS ns%d.%s\n", zone, genTTL, i+1, zone)
		}
		for i := range 2 {
			fmt.Fprintf(&b, "ns%d.%s %d IN A %s\n", i+1, zone, genTTL, provAddr(p, i))
		}
		if err := writeZone(strings.TrimSuffix(zone, "."), "zones/prov/"+zone+"zone", b.String()); err != nil {
			return err
		}
	}
	// The second-level zones (none for lame-all) and the sub-zones.
	for i := range g.domains {
		d := &g.domains[i]
		if d.kind == GenLameAll {
			continue
		}
		name := d.name()
		b.Reset()
		ns := g.nsNames(d)
		soaLine(&b, name, ns[0], genHostTTL)
		for _, n := range ns {
			fmt.Fprintf(&b, "%s %d IN NS %s\n", name, genTTL, n)
		}
		for _, gl := range g.glue(d) {
			fmt.Fprintf(&b, "%s %d IN A %s\n", gl[0], genTTL, gl[1])
		}
		fmt.Fprintf(&b, "%s %d IN A %s\n", name, genHostTTL, webAddr(d.n))
		if d.kind == GenWWWCNAME {
			fmt.Fprintf(&b, "www.%s %d IN CNAME www.%s\n", name, genHostTTL, g.domains[d.target].name())
		} else {
			fmt.Fprintf(&b, "www.%s %d IN A %s\n", name, genHostTTL, webAddr(d.n))
		}
		if d.kind == GenSubZone {
			sub := "sub." + name
			for j := range 2 {
				fmt.Fprintf(&b, "%s %d IN NS ns%d.%s\n", sub, genTTL, j+1, sub)
			}
			for j := range 2 {
				fmt.Fprintf(&b, "ns%d.%s %d IN A %s\n", j+1, sub, genTTL, subAddr(d.sub[j]))
			}
		}
		file := "zones/sld/" + strings.TrimSuffix(tldName(d.tld), ".") + "/" + name + "zone"
		if err := writeZone(strings.TrimSuffix(name, "."), file, b.String()); err != nil {
			return err
		}
		if d.kind != GenSubZone {
			continue
		}
		b.Reset()
		sub := "sub." + name
		soaLine(&b, sub, "ns1."+sub, genHostTTL)
		for j := range 2 {
			fmt.Fprintf(&b, "%s %d IN NS ns%d.%s\n", sub, genTTL, j+1, sub)
		}
		for j := range 2 {
			fmt.Fprintf(&b, "ns%d.%s %d IN A %s\n", j+1, sub, genTTL, subAddr(d.sub[j]))
		}
		fmt.Fprintf(&b, "%s %d IN A %s\n", sub, genHostTTL, webAddr(d.n))
		fmt.Fprintf(&b, "www.%s %d IN A %s\n", sub, genHostTTL, webAddr(d.n))
		if err := writeZone(strings.TrimSuffix(sub, "."), "zones/sub/"+sub+"zone", b.String()); err != nil {
			return err
		}
	}

	// Server lines: one per address, listing every zone it serves.
	cw.WriteString("\n# server NAME ADDRESS ZONE...\n")
	cw.WriteString(serverLines)
	if err := pool.wait(); err != nil {
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := conf.Close(); err != nil {
		return err
	}
	return g.writeLists(dir)
}

// serverLines renders the server lines of world.conf: one per address,
// listing every zone the server hosts. A line too long for Load is an
// error.
func (g *genWorld) serverLines() (string, error) {
	var lines strings.Builder
	var errLong error
	serverLine := func(name string, addr netip.Addr, zones []string) {
		line := fmt.Sprintf("server %s %s %s\n", name, addr, strings.Join(zones, " "))
		if len(line) > maxConfLine && errLong == nil {
			errLong = fmt.Errorf("server %s would serve %d zones, too many for one line of world.conf: use more servers", name, len(zones))
		}
		lines.WriteString(line)
	}
	for i, l := range []string{"a", "b"} {
		serverLine(l+".root-servers", rootAddr(i), []string{"."})
	}
	for t := range GenerateTLDs {
		for i := range 2 {
			tld := strings.TrimSuffix(tldName(t), ".")
			serverLine(fmt.Sprintf("ns%d.nic.%s", i+1, tld), tldAddr(t, i), []string{tld})
		}
	}
	hosted := make([][2][]string, g.providers)
	for p := range g.providers {
		z := strings.TrimSuffix(provZone(p), ".")
		hosted[p] = [2][]string{{z}, {z}}
	}
	subHosted := make([][]string, g.subServers)
	for i := range g.domains {
		d := &g.domains[i]
		name := strings.TrimSuffix(d.name(), ".")
		switch d.kind {
		case GenLameAll:
			continue
		case GenLameOne: // only ns1 of the provider is named
			hosted[d.prov][0] = append(hosted[d.prov][0], name)
		default:
			hosted[d.prov][0] = append(hosted[d.prov][0], name)
			hosted[d.prov][1] = append(hosted[d.prov][1], name)
		}
		if d.kind == GenSubZone {
			for _, k := range d.sub {
				subHosted[k] = append(subHosted[k], "sub."+name)
			}
		}
	}
	for p := range g.providers {
		for i := range 2 {
			serverLine(fmt.Sprintf("ns%d.%s", i+1, strings.TrimSuffix(provZone(p), ".")), provAddr(p, i), hosted[p][i])
		}
	}
	for k := range g.subServers {
		serverLine(fmt.Sprintf("sub%02d.servers.invalid", k+1), subAddr(k), subHosted[k])
	}
	return lines.String(), errLong
}

// writeLists writes domains.txt, expected.txt and README.txt.
func (g *genWorld) writeLists(dir string) error {
	var dl, ex strings.Builder
	fmt.Fprintf(&dl, "# The %d second-level domains of a synthetic nstrace lab world (lab.Generate, seed %d),\n", len(g.domains), g.opts.Seed)
	dl.WriteString("# one a line: the list for nstrace audit. expected.txt says what kind each is.\n")
	ex.WriteString("# NAME KIND: healthy, glueless, lame-one, lame-all, www-cname or sub-zone (see README.txt)\n")
	for i := range g.domains {
		d := &g.domains[i]
		name := strings.TrimSuffix(d.name(), ".")
		dl.WriteString(name + "\n")
		ex.WriteString(name + " " + d.kind + "\n")
	}
	var rd strings.Builder
	fmt.Fprintf(&rd, "A synthetic world of the nstrace lab (lab.Generate: %d domains, %d servers, seed %d).\n\n",
		g.opts.Domains, g.opts.Servers, g.opts.Seed)
	fmt.Fprintf(&rd, "root   2 servers   127.2.0.1-2          a.root-servers., b.root-servers.\n")
	fmt.Fprintf(&rd, "tld    %d servers  127.2.1.1-%d         ns1/ns2.nic.tldNN. for tld01 to tld%02d\n", 2*GenerateTLDs, 2*GenerateTLDs, GenerateTLDs)
	fmt.Fprintf(&rd, "sld    %d servers %s-%s  ns1/ns2.provNNNN.tldNN. of %d providers\n", 2*g.providers, provAddr(0, 0), provAddr(g.providers-1, 1), g.providers)
	fmt.Fprintf(&rd, "sub    %d servers  %s-%s      the sub-zones, and the addresses of the lame NS\n\n", g.subServers, subAddr(0), subAddr(g.subServers-1))
	rd.WriteString("Domains by kind:\n")
	for _, k := range []string{GenHealthy, GenGlueless, GenLameOne, GenLameAll, GenWWWCNAME, GenSubZone} {
		fmt.Fprintf(&rd, "    %-10s %7d\n", k, g.counts[k])
	}
	files := []struct{ name, data string }{
		{"domains.txt", dl.String()},
		{"expected.txt", ex.String()},
		{"README.txt", rd.String()},
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644))
	}
	return errors.Join(errs...)
}

// filePool writes files from a few goroutines; the first error sticks.
type filePool struct {
	jobs  chan [2]string // path, data
	wg    sync.WaitGroup
	mu    sync.Mutex
	first error
	once  sync.Once
}

func newFilePool(n int) *filePool {
	p := &filePool{jobs: make(chan [2]string, 4*n)}
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				if err := os.WriteFile(j[0], []byte(j[1]), 0o644); err != nil {
					p.mu.Lock()
					if p.first == nil {
						p.first = err
					}
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

func (p *filePool) write(path, data string) { p.jobs <- [2]string{path, data} }

func (p *filePool) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first
}

// wait ends the pool (once) and returns the first error.
func (p *filePool) wait() error {
	p.once.Do(func() {
		close(p.jobs)
		p.wg.Wait()
	})
	return p.err()
}
