package lab

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// loopback is the only range the lab ever uses.
var loopback = netip.MustParsePrefix("127.0.0.0/8")

// confFile is the name of the world description inside a world's file system.
const confFile = "world.conf"

// World is a parsed lab description: the servers (name, address,
// behaviour, the zones they host), the zones, and the showcase domains.
// A World is immutable and safe for concurrent use.
type World struct {
	servers []*server
	byAddr  map[netip.Addr]*server
	zones   map[string]*zone
	domains []Domain
}

// server is one simulated authoritative name server.
type server struct {
	name      string
	addr      netip.Addr
	behaviour Behaviour
	rtt       time.Duration
	zones     []*zone
}

// Hint is one root server: its name (lower-case FQDN) and IPv4 address.
type Hint struct {
	Name string
	Addr netip.Addr
}

// Domain is a showcase entry of the world: a name worth tracing, and why.
type Domain struct {
	// Name is the FQDN to trace, in lower case.
	Name string
	// Type is the mnemonic of the query type to trace, e.g. "A".
	Type string
	// Expect is the outcome an iterative resolution must reach:
	// "NOERROR" (an answer), "NXDOMAIN", "NODATA" (NOERROR, empty
	// answer) or "FAIL" (no server answers usefully).
	Expect string
	// Description says in one line what is special about the name.
	Description string
}

// ServerInfo describes one server of the world, for documentation and tests.
type ServerInfo struct {
	// Name is the server's host name, a lower-case FQDN.
	Name string
	// Addr is the server's address, always in 127.0.0.0/8.
	Addr netip.Addr
	// Behaviour is the behaviour as written in world.conf, e.g. "ok" or "drop".
	Behaviour string
	// RTT is the simulated round-trip time of one UDP exchange.
	RTT time.Duration
	// Zones are the names (lower-case FQDN) of the zones the server hosts.
	Zones []string
}

// Expected outcomes of Domain.Expect.
const (
	ExpectNoError  = "NOERROR"
	ExpectNXDomain = "NXDOMAIN"
	ExpectNoData   = "NODATA"
	ExpectFail     = "FAIL"
)

//go:embed world
var embedded embed.FS

// DefaultFS returns the file system of the embedded default world: a
// world.conf and the zone files. It is a starting point for a world of
// one's own (see Load).
func DefaultFS() fs.FS {
	sub, err := fs.Sub(embedded, "world")
	if err != nil {
		panic(err) // "world" is a valid path: cannot happen
	}
	return sub
}

var defaultWorld = sync.OnceValues(func() (*World, error) {
	w, err := Load(DefaultFS())
	if err != nil {
		return nil, fmt.Errorf("lab: embedded default world: %w", err)
	}
	return w, nil
})

// Default returns the embedded default world. It is parsed once and
// cached; the error reports broken embedded files (a test proves they
// are not).
func Default() (*World, error) {
	return defaultWorld()
}

// Load parses a world from a file system holding world.conf and the zone
// files it names. Errors name the file and the line.
func Load(fsys fs.FS) (*World, error) {
	data, err := fs.ReadFile(fsys, confFile)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	p := &confParser{
		fsys:      fsys,
		w:         &World{byAddr: map[netip.Addr]*server{}, zones: map[string]*zone{}},
		zoneLine:  map[string]int{},
		nameLine:  map[string]int{},
		addrLine:  map[netip.Addr]int{},
		hostedBy:  map[string]int{},
		zoneNames: map[*server][]zoneRef{},
	}
	if err := p.parse(data); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return p.w, nil
}

// zoneRef is a zone name as written on a server line, resolved at the end.
type zoneRef struct {
	name string
	line int
}

// confParser holds the state of one Load.
type confParser struct {
	fsys      fs.FS
	w         *World
	zoneLine  map[string]int // zone name -> line of its zone directive
	nameLine  map[string]int // server name -> line
	addrLine  map[netip.Addr]int
	hostedBy  map[string]int // zone name -> number of servers hosting it
	zoneNames map[*server][]zoneRef
}

func (p *confParser) errf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", confFile, line, fmt.Sprintf(format, args...))
}

func (p *confParser) parse(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		var err error
		switch strings.ToLower(fields[0]) {
		case "zone":
			err = p.zone(line, fields[1:])
		case "server":
			err = p.server(line, fields[1:])
		case "domain":
			err = p.domain(line, fields[1:], text)
		default:
			err = p.errf(line, "unknown directive %q (want zone, server or domain)", fields[0])
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", confFile, err)
	}
	// Resolve the zones named on server lines, now that all are known.
	for _, s := range p.w.servers {
		for _, ref := range p.zoneNames[s] {
			z, ok := p.w.zones[ref.name]
			if !ok {
				return p.errf(ref.line, "server %s hosts unknown zone %s (no zone directive for it)", s.name, ref.name)
			}
			s.zones = append(s.zones, z)
			p.hostedBy[ref.name]++
		}
	}
	for name, line := range p.zoneLine {
		if p.hostedBy[name] == 0 {
			return p.errf(line, "zone %s is hosted by no server", name)
		}
	}
	if len(p.w.RootHints()) == 0 {
		return fmt.Errorf("%s: no server hosts the root zone \".\"", confFile)
	}
	return nil
}

// canonicalName validates a domain name and returns it as a lower-case FQDN.
func canonicalName(s string) (string, error) {
	name := strings.ToLower(dns.Fqdn(s))
	if _, ok := dns.IsDomainName(name); !ok {
		return "", fmt.Errorf("bad domain name %q", s)
	}
	return name, nil
}

// zone handles "zone NAME FILE".
func (p *confParser) zone(line int, args []string) error {
	if len(args) != 2 {
		return p.errf(line, "want: zone NAME FILE")
	}
	name, err := canonicalName(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	if prev, dup := p.zoneLine[name]; dup {
		return p.errf(line, "duplicate zone %s (already at line %d)", name, prev)
	}
	file := args[1]
	if !fs.ValidPath(file) {
		return p.errf(line, "bad zone file path %q (want a relative slash-separated path)", file)
	}
	data, err := fs.ReadFile(p.fsys, file)
	if err != nil {
		return p.errf(line, "zone %s: %v", name, err)
	}
	z, err := parseZone(data, name, file)
	if err != nil {
		return fmt.Errorf("%w (zone %s, %s line %d)", err, name, confFile, line)
	}
	p.zoneLine[name] = line
	p.w.zones[name] = z
	return nil
}

// server handles "server NAME ADDRESS [key=value...] ZONE...".
func (p *confParser) server(line int, args []string) error {
	if len(args) < 3 {
		return p.errf(line, "want: server NAME ADDRESS [rtt=MS] [behaviour=B] ZONE...")
	}
	name, err := canonicalName(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	if prev, dup := p.nameLine[name]; dup {
		return p.errf(line, "duplicate server %s (already at line %d)", name, prev)
	}
	addr, err := netip.ParseAddr(args[1])
	if err != nil || !addr.Is4() {
		return p.errf(line, "server %s: bad IPv4 address %q", name, args[1])
	}
	if !loopback.Contains(addr) {
		return p.errf(line, "server %s: address %s is not in 127.0.0.0/8 (the lab only uses loopback)", name, addr)
	}
	if prev, dup := p.addrLine[addr]; dup {
		return p.errf(line, "duplicate address %s (already used at line %d)", addr, prev)
	}
	s := &server{name: name, addr: addr, rtt: defaultRTT(addr)}
	rest := args[2:]
	for len(rest) > 0 && strings.Contains(rest[0], "=") {
		key, val, _ := strings.Cut(rest[0], "=")
		switch strings.ToLower(key) {
		case "rtt":
			d, err := parseMillis(val)
			if err != nil || d <= 0 || d > 10*time.Second {
				return p.errf(line, "server %s: bad rtt %q (want e.g. rtt=8ms, at most 10s)", name, val)
			}
			s.rtt = d
		case "behaviour", "behavior":
			b, err := ParseBehaviour(val)
			if err != nil {
				return p.errf(line, "server %s: %v", name, err)
			}
			s.behaviour = b
		default:
			return p.errf(line, "server %s: unknown option %q (want rtt= or behaviour=)", name, key)
		}
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return p.errf(line, "server %s hosts no zone", name)
	}
	seen := map[string]bool{}
	for _, zn := range rest {
		zname, err := canonicalName(zn)
		if err != nil {
			return p.errf(line, "server %s: %v", name, err)
		}
		if seen[zname] {
			return p.errf(line, "server %s lists zone %s twice", name, zname)
		}
		seen[zname] = true
		p.zoneNames[s] = append(p.zoneNames[s], zoneRef{zname, line})
	}
	p.nameLine[name] = line
	p.addrLine[addr] = line
	p.w.servers = append(p.w.servers, s)
	p.w.byAddr[addr] = s
	return nil
}

// domain handles "domain NAME TYPE [expect=OUTCOME] DESCRIPTION...".
func (p *confParser) domain(line int, args []string, text string) error {
	if len(args) < 3 {
		return p.errf(line, "want: domain NAME TYPE [expect=OUTCOME] DESCRIPTION")
	}
	name, err := canonicalName(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	typ := strings.ToUpper(args[1])
	if _, ok := dns.StringToType[typ]; !ok {
		return p.errf(line, "domain %s: unknown type %q", name, args[1])
	}
	d := Domain{Name: name, Type: typ, Expect: ExpectNoError}
	// The description is the rest of the line, spaces kept.
	skip := 3
	if v, ok := strings.CutPrefix(strings.ToLower(args[2]), "expect="); ok {
		switch up := strings.ToUpper(v); up {
		case ExpectNoError, ExpectNXDomain, ExpectNoData, ExpectFail:
			d.Expect = up
		default:
			return p.errf(line, "domain %s: bad expect=%s (want NOERROR, NXDOMAIN, NODATA or FAIL)", name, v)
		}
		skip = 4
	}
	d.Description = restOfLine(text, skip)
	if d.Description == "" {
		return p.errf(line, "domain %s has no description", name)
	}
	for _, prev := range p.w.domains {
		if prev.Name == d.Name && prev.Type == d.Type {
			return p.errf(line, "duplicate domain %s %s", name, typ)
		}
	}
	p.w.domains = append(p.w.domains, d)
	return nil
}

// restOfLine returns text without its first n whitespace-separated fields.
func restOfLine(text string, n int) string {
	s := strings.TrimSpace(text)
	for range n {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return ""
		}
		s = strings.TrimSpace(s[i:])
	}
	return s
}

// defaultRTT derives a stable round-trip time between 2 and 40 ms from an
// address, for servers whose world.conf line sets no rtt.
func defaultRTT(a netip.Addr) time.Duration {
	h := fnv.New32a()
	b := a.As4()
	h.Write(b[:])
	return time.Duration(2+h.Sum32()%39) * time.Millisecond
}

// RootHints returns the root servers of the world (those hosting "."),
// in world order.
func (w *World) RootHints() []Hint {
	var hints []Hint
	for _, s := range w.servers {
		for _, z := range s.zones {
			if z.name == "." {
				hints = append(hints, Hint{Name: s.name, Addr: s.addr})
				break
			}
		}
	}
	return hints
}

// HintsFile renders RootHints in the format of named.root, with a comment
// header saying that these are the nstrace lab's roots.
func (w *World) HintsFile() string {
	var b strings.Builder
	b.WriteString(";       This file holds the root hints of the nstrace lab,\n")
	b.WriteString(";       a simulated DNS network on 127.0.0.0/8 (nstrace lab serve).\n")
	b.WriteString(";       These are NOT the root servers of the Internet.\n")
	for _, h := range w.RootHints() {
		fmt.Fprintf(&b, ";\n; %s\n;\n", h.Name)
		fmt.Fprintf(&b, "%-27s %-10d %-5s %s\n", ".", 3600000, "NS", h.Name)
		fmt.Fprintf(&b, "%-27s %-10d %-5s %s\n", h.Name, 3600000, "A", h.Addr)
	}
	b.WriteString("; End of file\n")
	return b.String()
}

// Domains returns the showcase entries of the world, in world order.
func (w *World) Domains() []Domain {
	return append([]Domain(nil), w.domains...)
}

// Servers lists every server of the world, in world order.
func (w *World) Servers() []ServerInfo {
	infos := make([]ServerInfo, 0, len(w.servers))
	for _, s := range w.servers {
		info := ServerInfo{Name: s.name, Addr: s.addr, Behaviour: s.behaviour.String(), RTT: s.rtt}
		for _, z := range s.zones {
			info.Zones = append(info.Zones, z.name)
		}
		infos = append(infos, info)
	}
	return infos
}

// ZoneNames returns the names of every zone of the world, sorted with
// the root first and then by name (in DNS canonical order).
func (w *World) ZoneNames() []string {
	names := make([]string, 0, len(w.zones))
	for n := range w.zones {
		names = append(names, n)
	}
	sortCanonical(names)
	return names
}

// ZoneRecords returns a copy of every record of the named zone, or an
// error if the world has no such zone.
func (w *World) ZoneRecords(name string) ([]dns.RR, error) {
	cname, err := canonicalName(name)
	if err != nil {
		return nil, err
	}
	z, ok := w.zones[cname]
	if !ok {
		return nil, errors.New("lab: no zone " + cname)
	}
	owners := make([]string, 0, len(z.nodes))
	for o := range z.nodes {
		owners = append(owners, o)
	}
	sortCanonical(owners)
	var rrs []dns.RR
	for _, o := range owners {
		for _, t := range sortedTypes(z.nodes[o]) {
			for _, rr := range z.nodes[o][t] {
				rrs = append(rrs, dns.Copy(rr))
			}
		}
	}
	return rrs, nil
}
