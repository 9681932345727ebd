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
	"slices"
	"strconv"
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
	zones   map[string]*zone // the default variant of every zone, by name
	// variants holds the other variants: zone name -> variant -> zone.
	variants map[string]map[string]*zone
	domains  []Domain
	// recursors are the recursive resolvers (recursor and seed lines).
	recursors []Recursor
}

// server is one simulated authoritative name server.
type server struct {
	name      string
	addr      netip.Addr
	behaviour Behaviour
	rtt       time.Duration
	zones     []*zone
	root      *zone // the world's root zone, for upward referrals
	// referFrom is the zone whose delegation of behaviour.Zone a refer=ZONE
	// server hands out: the closest zone of the world with a cut there.
	referFrom *zone
	line      int // the server's line in world.conf, for errors
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
	// Findings are the codes of the findings that a delegation health
	// check of the name (nstrace check NAME) must report, sorted, e.g.
	// ["LAME", "NS_MISMATCH"]. Empty for a healthy domain.
	Findings []string
	// Description says in one line what is special about the name.
	Description string
	// DNSSEC is true when the name is to be traced with DNSSEC
	// validation (the option dnssec on its domain line): its findings
	// are then those of the validator too. False: a plain trace.
	DNSSEC bool
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
	// Zones are the names (lower-case FQDN) of the zones the server hosts,
	// in world.conf order. A variant other than the default is written
	// NAME@VARIANT, e.g. "stale.com.@old".
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
		fsys: fsys,
		w: &World{byAddr: map[netip.Addr]*server{}, zones: map[string]*zone{},
			variants: map[string]map[string]*zone{}},
		zoneLine:     map[string]int{},
		nameLine:     map[string]int{},
		addrLine:     map[netip.Addr]int{},
		hostedBy:     map[string]int{},
		zoneNames:    map[*server][]zoneRef{},
		recursorLine: map[string]int{},
	}
	if err := p.parse(data); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return p.w, nil
}

// zoneRef is a zone as written on a server line (a name and a variant,
// "" for the default), resolved at the end.
type zoneRef struct {
	name    string
	variant string
	line    int
}

// refString renders a zone name and a variant as in world.conf and in
// ServerInfo.Zones: "stale.com." or "stale.com.@old".
func refString(name, variant string) string {
	if variant == "" {
		return name
	}
	return name + "@" + variant
}

// confParser holds the state of one Load.
type confParser struct {
	fsys      fs.FS
	w         *World
	zoneLine  map[string]int // zone name[@variant] -> line of its zone directive
	nameLine  map[string]int // server name -> line
	addrLine  map[netip.Addr]int
	hostedBy  map[string]int // zone name[@variant] -> number of servers hosting it
	zoneNames map[*server][]zoneRef
	// recursorLine maps a recursor's name to its line.
	recursorLine map[string]int
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
		case "recursor":
			err = p.recursor(line, fields[1:])
		case "seed":
			err = p.seed(line, fields[1:], text)
		default:
			err = p.errf(line, "unknown directive %q (want zone, server, domain, recursor or seed)", fields[0])
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", confFile, err)
	}
	// Resolve the zones named on server lines, now that all are known.
	// A variant needs the default variant of its zone.
	for name, vs := range p.w.variants {
		if _, ok := p.w.zones[name]; !ok {
			for v := range vs {
				ref := refString(name, v)
				return p.errf(p.zoneLine[ref], "zone %s is a variant of %s, which has no zone directive", ref, name)
			}
		}
	}
	for _, s := range p.w.servers {
		for _, ref := range p.zoneNames[s] {
			z := p.w.zone(ref.name, ref.variant)
			if z == nil {
				return p.errf(ref.line, "server %s hosts unknown zone %s (no zone directive for it)", s.name, refString(ref.name, ref.variant))
			}
			s.zones = append(s.zones, z)
			p.hostedBy[refString(ref.name, ref.variant)]++
		}
	}
	for ref, line := range p.zoneLine {
		if p.hostedBy[ref] == 0 {
			return p.errf(line, "zone %s is hosted by no server", ref)
		}
	}
	if len(p.w.RootHints()) == 0 {
		return fmt.Errorf("%s: no server hosts the root zone \".\"", confFile)
	}
	if err := p.w.signWorld(); err != nil {
		return err
	}
	for _, s := range p.w.servers {
		s.root = p.w.zones["."]
		if s.behaviour.Kind == BehaviourRefer {
			if s.referFrom = p.w.delegator(s.behaviour.Zone); s.referFrom == nil {
				return p.errf(s.line, "server %s: behaviour %s: no zone of the world delegates %s", s.name, s.behaviour, s.behaviour.Zone)
			}
		}
	}
	return nil
}

// delegator returns the zone (default variant) that delegates name: the
// closest zone above it holding an NS RRset at name, or nil.
func (w *World) delegator(name string) *zone {
	var best *zone
	for zn, z := range w.zones {
		if zn != name && z.cuts[name] && (best == nil || dns.CountLabel(zn) > dns.CountLabel(best.name)) {
			best = z
		}
	}
	return best
}

// zone returns the zone of that name and variant ("" for the default),
// or nil.
func (w *World) zone(name, variant string) *zone {
	if variant == "" {
		return w.zones[name]
	}
	return w.variants[name][variant]
}

// parseZoneRef parses "NAME" or "NAME@VARIANT" as written in world.conf.
// A variant is a word of lower-case letters, digits and hyphens.
func parseZoneRef(s string) (name, variant string, err error) {
	n, v, hasVariant := strings.Cut(s, "@")
	if name, err = canonicalName(n); err != nil {
		return "", "", err
	}
	if !hasVariant {
		return name, "", nil
	}
	v = strings.ToLower(v)
	if !validVariant(v) {
		return "", "", fmt.Errorf("bad zone variant %q in %q (want NAME@VARIANT, VARIANT made of letters, digits and '-')", v, s)
	}
	return name, v, nil
}

func validVariant(v string) bool {
	if v == "" || len(v) > 63 || v[0] == '-' {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalName validates a domain name and returns it as a lower-case FQDN.
func canonicalName(s string) (string, error) {
	name := strings.ToLower(dns.Fqdn(s))
	if _, ok := dns.IsDomainName(name); !ok {
		return "", fmt.Errorf("bad domain name %q", s)
	}
	return name, nil
}

// zone handles "zone NAME[@VARIANT] FILE".
func (p *confParser) zone(line int, args []string) error {
	if len(args) < 2 {
		return p.errf(line, "want: zone NAME[@VARIANT] FILE [dnssec=nsec|nsec3] [OPTION...]")
	}
	name, variant, err := parseZoneRef(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	ref := refString(name, variant)
	if prev, dup := p.zoneLine[ref]; dup {
		return p.errf(line, "duplicate zone %s (already at line %d)", ref, prev)
	}
	file := args[1]
	if !fs.ValidPath(file) {
		return p.errf(line, "bad zone file path %q (want a relative slash-separated path)", file)
	}
	data, err := fs.ReadFile(p.fsys, file)
	if err != nil {
		return p.errf(line, "zone %s: %v", name, err)
	}
	// The zone file of a variant is parsed with the same origin: its
	// records must all be inside the same apex, with an SOA and NS there.
	z, err := parseZone(data, name, file)
	if err != nil {
		return fmt.Errorf("%w (zone %s, %s line %d)", err, ref, confFile, line)
	}
	z.variant = variant
	// axfr (a word, not KEY=VALUE): the zone's servers allow a zone
	// transfer over TCP. The other options are about signing.
	var opts []string
	for _, o := range args[2:] {
		if strings.EqualFold(o, "axfr") {
			z.axfr = true
			continue
		}
		opts = append(opts, o)
	}
	if z.signing, err = parseZoneOptions(opts, name); err != nil {
		return p.errf(line, "zone %s: %v", ref, err)
	}
	if z.signing != nil && z.holdsDNSSEC() {
		return p.errf(line, "zone %s: %s is signed already (it holds RRSIG, DNSKEY, NSEC, NSEC3 or NSEC3PARAM records): it takes no dnssec= option", ref, file)
	}
	p.zoneLine[ref] = line
	if variant == "" {
		p.w.zones[name] = z
	} else {
		if p.w.variants[name] == nil {
			p.w.variants[name] = map[string]*zone{}
		}
		p.w.variants[name][variant] = z
	}
	return nil
}

// server handles "server NAME ADDRESS [key=value...] ZONE...".
func (p *confParser) server(line int, args []string) error {
	if len(args) < 3 {
		return p.errf(line, "want: server NAME ADDRESS [rtt=MS] [behaviour=B] ZONE[@VARIANT]...")
	}
	name, err := canonicalName(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	if prev, dup := p.nameLine[name]; dup {
		return p.errf(line, "duplicate server %s (already at line %d)", name, prev)
	}
	addr, err := p.address(line, "server "+name, args[1])
	if err != nil {
		return err
	}
	s := &server{name: name, addr: addr, rtt: defaultRTT(addr), line: line}
	rest := args[2:]
	for len(rest) > 0 && strings.Contains(rest[0], "=") {
		key, val, _ := strings.Cut(rest[0], "=")
		switch strings.ToLower(key) {
		case "rtt":
			if s.rtt, err = p.rtt(line, "server "+name, val); err != nil {
				return err
			}
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
		zname, variant, err := parseZoneRef(zn)
		if err != nil {
			return p.errf(line, "server %s: %v", name, err)
		}
		if seen[zname] {
			return p.errf(line, "server %s lists zone %s twice (one server serves one variant of a zone)", name, zname)
		}
		seen[zname] = true
		p.zoneNames[s] = append(p.zoneNames[s], zoneRef{zname, variant, line})
	}
	p.nameLine[name] = line
	p.addrLine[addr] = line
	p.w.servers = append(p.w.servers, s)
	p.w.byAddr[addr] = s
	return nil
}

// address parses the ADDRESS of a server or recursor line (who is
// "server NAME" or "recursor NAME"): IPv4, in 127.0.0.0/8, and not used
// by an earlier line.
func (p *confParser) address(line int, who, s string) (netip.Addr, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is4() {
		return netip.Addr{}, p.errf(line, "%s: bad IPv4 address %q", who, s)
	}
	if !loopback.Contains(addr) {
		return netip.Addr{}, p.errf(line, "%s: address %s is not in 127.0.0.0/8 (the lab only uses loopback)", who, addr)
	}
	if prev, dup := p.addrLine[addr]; dup {
		return netip.Addr{}, p.errf(line, "duplicate address %s (already used at line %d)", addr, prev)
	}
	return addr, nil
}

// rtt parses the value of the rtt= option of a server or recursor line.
func (p *confParser) rtt(line int, who, val string) (time.Duration, error) {
	d, err := parseMillis(val)
	if err != nil || d <= 0 || d > 10*time.Second {
		return 0, p.errf(line, "%s: bad rtt %q (want e.g. rtt=8ms, at most 10s)", who, val)
	}
	return d, nil
}

// domain handles "domain NAME TYPE [dnssec] [expect=OUTCOME]
// [findings=CODE,...] DESCRIPTION...". The options may come in any order.
func (p *confParser) domain(line int, args []string, text string) error {
	const usage = "want: domain NAME TYPE [dnssec] [expect=OUTCOME] [findings=CODE,...] DESCRIPTION"
	if len(args) < 2 {
		return p.errf(line, usage)
	}
	name, err := canonicalName(args[0])
	if err != nil {
		return p.errf(line, "%v", err)
	}
	typ := strings.ToUpper(args[1])
	if _, ok := dns.StringToType[typ]; !ok {
		return p.errf(line, "domain %s: unknown type %q", name, args[1])
	}
	d := Domain{Name: name, Type: typ, Expect: ExpectNoError, Findings: []string{}}
	skip := 3 // directive, NAME, TYPE: the description is what follows
	var hasExpect, hasFindings bool
	var hasDNSSEC bool
	for _, arg := range args[2:] {
		key, val, ok := strings.Cut(arg, "=")
		if !ok && strings.EqualFold(arg, "dnssec") {
			if hasDNSSEC {
				return p.errf(line, "domain %s: dnssec given twice", name)
			}
			hasDNSSEC, d.DNSSEC = true, true
			skip++
			continue
		}
		if !ok {
			break
		}
		switch strings.ToLower(key) {
		case "expect":
			if hasExpect {
				return p.errf(line, "domain %s: expect= given twice", name)
			}
			hasExpect = true
			switch up := strings.ToUpper(val); up {
			case ExpectNoError, ExpectNXDomain, ExpectNoData, ExpectFail:
				d.Expect = up
			default:
				return p.errf(line, "domain %s: bad expect=%s (want NOERROR, NXDOMAIN, NODATA or FAIL)", name, val)
			}
		case "findings":
			if hasFindings {
				return p.errf(line, "domain %s: findings= given twice", name)
			}
			hasFindings = true
			codes, err := parseFindings(val)
			if err != nil {
				return p.errf(line, "domain %s: %v", name, err)
			}
			d.Findings = codes
		default:
			return p.errf(line, "domain %s: unknown option %q (want dnssec, expect= or findings=)", name, key)
		}
		skip++
	}
	// The description is the rest of the line, spaces kept.
	d.Description = restOfLine(text, skip)
	if d.Description == "" {
		return p.errf(line, "domain %s has no description (%s)", name, usage)
	}
	for _, prev := range p.w.domains {
		if prev.Name == d.Name && prev.Type == d.Type {
			return p.errf(line, "duplicate domain %s %s", name, typ)
		}
	}
	p.w.domains = append(p.w.domains, d)
	return nil
}

// parseFindings parses the value of findings=: finding codes separated
// by commas, such as LAME,NS_MISMATCH. Codes are upper-cased and sorted.
func parseFindings(val string) ([]string, error) {
	if val == "" {
		return nil, errors.New("empty findings= (want findings=CODE[,CODE...]; leave it out for a healthy domain)")
	}
	var codes []string
	for c := range strings.SplitSeq(val, ",") {
		c = strings.ToUpper(c)
		if !validFindingCode(c) {
			return nil, fmt.Errorf("bad finding code %q in findings=%s (want upper-case words joined by '_', e.g. NS_MISMATCH)", c, val)
		}
		if slices.Contains(codes, c) {
			return nil, fmt.Errorf("finding code %s given twice in findings=%s", c, val)
		}
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes, nil
}

// validFindingCode reports whether c looks like a finding code: upper-case
// letters and digits, words joined by single underscores.
func validFindingCode(c string) bool {
	if c == "" || c[0] < 'A' || c[0] > 'Z' || c[len(c)-1] == '_' || strings.Contains(c, "__") {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
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
// address, for servers and recursors whose world.conf line sets no rtt.
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
	ds := append([]Domain(nil), w.domains...)
	for i := range ds {
		ds[i].Findings = slices.Clone(ds[i].Findings)
	}
	return ds
}

// Servers lists every server of the world, in world order.
func (w *World) Servers() []ServerInfo {
	infos := make([]ServerInfo, 0, len(w.servers))
	for _, s := range w.servers {
		info := ServerInfo{Name: s.name, Addr: s.addr, Behaviour: s.behaviour.String(), RTT: s.rtt}
		for _, z := range s.zones {
			info.Zones = append(info.Zones, refString(z.name, z.variant))
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

// ZoneRecords returns a copy of every record of the named zone (its
// default variant), or an error if the world has no such zone.
func (w *World) ZoneRecords(name string) ([]dns.RR, error) {
	return w.ZoneRecordsVariant(name, "")
}

// ZoneVariants returns the names of the variants of a zone other than
// the default, sorted; none for a zone without variants or no zone.
func (w *World) ZoneVariants(name string) []string {
	cname, err := canonicalName(name)
	if err != nil {
		return nil
	}
	var vs []string
	for v := range w.variants[cname] {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// ZoneRecordsVariant returns a copy of every record of a variant of the
// named zone ("" for the default variant, as ZoneRecords), or an error if
// the world has no such zone or variant.
func (w *World) ZoneRecordsVariant(name, variant string) ([]dns.RR, error) {
	cname, err := canonicalName(name)
	if err != nil {
		return nil, err
	}
	z := w.zone(cname, strings.ToLower(variant))
	if z == nil {
		return nil, errors.New("lab: no zone " + refString(cname, strings.ToLower(variant)))
	}
	return z.records(), nil
}

// records returns a copy of every record of the zone, owners in canonical
// order and types in numeric order, each RRset followed by its RRSIGs;
// the NSEC3 records (and their RRSIGs) of a signed zone come in the same
// order, by owner.
func (z *zone) records() []dns.RR {
	owners := make([]string, 0, len(z.nodes)+z.nsec3.len())
	for o := range z.nodes {
		owners = append(owners, o)
	}
	nsec3 := map[string]*dns.NSEC3{}
	if z.nsec3 != nil {
		for _, r := range z.nsec3.recs {
			owners = append(owners, r.Hdr.Name)
			nsec3[r.Hdr.Name] = r
		}
	}
	sortCanonical(owners)
	var rrs []dns.RR
	for _, o := range owners {
		if r := nsec3[o]; r != nil {
			rrs = z.appendRRset(rrs, []dns.RR{r}, true)
			continue
		}
		for _, t := range sortedTypes(z.nodes[o]) {
			rrs = z.appendRRset(rrs, z.nodes[o][t], true)
		}
	}
	return rrs
}

// soaFirst returns records with the SOA moved to the front: the order of
// an exported zone file, and of a zone transfer (which ends with the SOA
// again).
func (z *zone) soaFirst() []dns.RR {
	rrs := []dns.RR{dns.Copy(z.soa)}
	for _, rr := range z.records() {
		if rr.Header().Rrtype != dns.TypeSOA {
			rrs = append(rrs, rr)
		}
	}
	return rrs
}

// Recursor is a recursive resolver of the world (a recursor line): an
// address in 127.0.0.0/8 that answers queries with RD=1 by resolving the
// name from the world's root servers, with a cache of its own. Seeds are
// in that cache when the lab's clock starts (Epoch): data the recursor
// fetched before, such as an address that has changed since. The lab
// only describes recursors; nstrace's compare command runs them over the
// in-memory network (with its own resolver), so that this package stays
// free of the resolver.
type Recursor struct {
	// Name is the recursor's name as written in world.conf, in lower
	// case: a word such as "stale" (letters, digits, '-' and '.'), not a
	// name the world resolves.
	Name string
	// Addr is the recursor's address: IPv4, in 127.0.0.0/8, used by no
	// server and no other recursor of the world.
	Addr netip.Addr
	// RTT is the simulated round-trip time of one exchange with the
	// recursor itself (rtt=); the time it spends resolving comes on top.
	// Without rtt= it is derived from the address, as for servers.
	RTT time.Duration
	// Behaviour is how the recursor answers (behaviour=): RecursorOK (the
	// default: it resolves), RecursorServFail, RecursorRefused or
	// RecursorDrop. Never empty.
	Behaviour string
	// Seeds are the records in its cache at Epoch, in world.conf order.
	// Empty: the recursor starts with an empty cache.
	Seeds []Seed
}

// The behaviours of a recursor (Recursor.Behaviour).
const (
	RecursorOK       = "ok"       // resolves from the root, through its cache
	RecursorServFail = "servfail" // answers every query with SERVFAIL
	RecursorRefused  = "refused"  // answers every query with REFUSED
	RecursorDrop     = "drop"     // never answers: every query times out
)

// Seed is one record in a recursor's cache when the lab's clock starts: the
// recursor fetched RR, with RR's TTL, Age before Epoch.
type Seed struct {
	// RR is the record as it was fetched: its TTL is the original TTL.
	// The owner is a lower-case FQDN; the class is IN.
	RR dns.RR
	// Age is how long before Epoch it was fetched: at least zero and less
	// than the TTL, so that the record is still cached at Epoch.
	Age time.Duration
}

// Left returns the seconds of the seed's TTL that are left at Epoch.
func (s Seed) Left() uint32 {
	return s.RR.Header().Ttl - uint32(s.Age/time.Second)
}

// Recursors returns the recursive resolvers of the world, in world order,
// with copies of their seeds.
func (w *World) Recursors() []Recursor {
	out := make([]Recursor, len(w.recursors))
	for i, r := range w.recursors {
		out[i] = r
		out[i].Seeds = make([]Seed, len(r.Seeds))
		for j, s := range r.Seeds {
			out[i].Seeds[j] = Seed{RR: dns.Copy(s.RR), Age: s.Age}
		}
	}
	return out
}

// validRecursorName reports whether n can name a recursor: letters,
// digits, '-' and '.', starting with a letter or digit, at most 63 long.
func validRecursorName(n string) bool {
	if n == "" || len(n) > 63 || n[0] == '-' || n[0] == '.' {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// recursor handles "recursor NAME ADDRESS [rtt=MS] [behaviour=B]".
func (p *confParser) recursor(line int, args []string) error {
	const usage = "want: recursor NAME ADDRESS [rtt=MS] [behaviour=ok|servfail|refused|drop]"
	if len(args) < 2 {
		return p.errf(line, usage)
	}
	name := strings.ToLower(args[0])
	if !validRecursorName(name) {
		return p.errf(line, "bad recursor name %q (want a word of letters, digits, '-' and '.')", args[0])
	}
	if prev, dup := p.recursorLine[name]; dup {
		return p.errf(line, "duplicate recursor %s (already at line %d)", name, prev)
	}
	addr, err := p.address(line, "recursor "+name, args[1])
	if err != nil {
		return err
	}
	r := Recursor{Name: name, Addr: addr, RTT: defaultRTT(addr), Behaviour: RecursorOK}
	for _, opt := range args[2:] {
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			return p.errf(line, "recursor %s: unexpected %q (%s)", name, opt, usage)
		}
		switch strings.ToLower(key) {
		case "rtt":
			if r.RTT, err = p.rtt(line, "recursor "+name, val); err != nil {
				return err
			}
		case "behaviour", "behavior":
			switch b := strings.ToLower(val); b {
			case RecursorOK, RecursorServFail, RecursorRefused, RecursorDrop:
				r.Behaviour = b
			default:
				return p.errf(line, "recursor %s: unknown behaviour %q (want ok, servfail, refused or drop)", name, val)
			}
		default:
			return p.errf(line, "recursor %s: unknown option %q (want rtt= or behaviour=)", name, key)
		}
	}
	p.recursorLine[name] = line
	p.addrLine[addr] = line
	p.w.recursors = append(p.w.recursors, r)
	return nil
}

// seed handles "seed RECURSOR AGE RECORD...": RECORD, in zone-file syntax
// with its original TTL, was fetched by RECURSOR AGE before Epoch.
func (p *confParser) seed(line int, args []string, text string) error {
	const usage = "want: seed RECURSOR AGE RECORD (e.g. seed stale 1100s www.example.test. 3600 IN A 127.0.0.1)"
	if len(args) < 3 {
		return p.errf(line, usage)
	}
	name := strings.ToLower(args[0])
	i := slices.IndexFunc(p.w.recursors, func(r Recursor) bool { return r.Name == name })
	if i < 0 {
		return p.errf(line, "seed for unknown recursor %q (its recursor line must come first)", args[0])
	}
	age, err := parseAge(args[1])
	if err != nil {
		return p.errf(line, "seed for %s: %v", name, err)
	}
	rr, err := dns.NewRR(restOfLine(text, 3))
	if err != nil || rr == nil {
		msg := "no record"
		if err != nil {
			msg = err.Error()
		}
		return p.errf(line, "seed for %s: bad record: %s (%s)", name, msg, usage)
	}
	h := rr.Header()
	h.Name = dns.CanonicalName(h.Name)
	switch {
	case h.Class != dns.ClassINET:
		return p.errf(line, "seed for %s: the record's class is not IN", name)
	case h.Rrtype == dns.TypeOPT || h.Rrtype == dns.TypeRRSIG:
		return p.errf(line, "seed for %s: a %s record cannot be cached", name, dns.TypeToString[h.Rrtype])
	case h.Ttl == 0:
		return p.errf(line, "seed for %s: TTL 0 is never cached", name)
	case age >= time.Duration(h.Ttl)*time.Second:
		return p.errf(line, "seed for %s: age %v is not less than the TTL (%d s): the record would have expired before the lab starts", name, age, h.Ttl)
	}
	if why := outsideLoopback(rr); why != "" {
		return p.errf(line, "seed for %s: %s", name, why)
	}
	r := &p.w.recursors[i]
	for _, s := range r.Seeds {
		sh := s.RR.Header()
		if sh.Name == h.Name && sh.Rrtype == h.Rrtype && s.Age != age {
			return p.errf(line, "seed for %s: %s %s was seeded with age %v already: the records of one RRset are fetched together", name, h.Name, dns.TypeToString[h.Rrtype], s.Age)
		}
	}
	r.Seeds = append(r.Seeds, Seed{RR: rr, Age: age})
	return nil
}

// parseAge parses the AGE of a seed line: seconds ("1100") or a Go
// duration ("18m20s"), at least zero, in whole seconds.
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil || d < 0 {
		return 0, fmt.Errorf("bad age %q (want seconds or a duration such as 18m20s)", s)
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("bad age %q (want whole seconds)", s)
	}
	return d, nil
}
