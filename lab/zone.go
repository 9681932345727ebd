package lab

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// zone is the parsed data of one zone file. It is immutable once loaded
// and safe for concurrent reads.
type zone struct {
	name    string // apex, lower-case FQDN ("." for the root)
	variant string // "" for the default variant, else as in NAME@VARIANT
	file    string // path of the zone file inside the world's file system
	soa     *dns.SOA
	nodes   map[string]map[uint16][]dns.RR // owner (lower case) -> type -> RRset
	// exists holds every name that exists in the zone: owners of records
	// and the empty non-terminals between them and the apex.
	exists map[string]bool
	// cuts holds the names below the apex that carry an NS RRset.
	cuts map[string]bool
	// axfr: the zone's servers answer AXFR over TCP (the option axfr of
	// its zone line); false: they refuse it (REFUSED).
	axfr bool

	// DNSSEC. All nil or empty for an unsigned zone.
	//
	// signing is how the lab signs the zone (the options of its zone
	// line); nil if it does not (the zone file may still hold its own
	// signatures: a presigned zone).
	signing *signing
	// sigs holds the RRSIGs: owner (lower case) -> type covered -> RRSIGs.
	// DNSKEY, DS, NSEC and NSEC3PARAM RRsets are in nodes, like any data.
	sigs map[string]map[uint16][]dns.RR
	// unaltered holds the RRsets that break=alter changed after signing,
	// as they were signed (nodes holds them as they are served): a change
	// (WithChange) starts from them, and alters them again once signed.
	unaltered map[rrsetRef][]dns.RR
	// nsecNames are the owners of the NSEC chain, in canonical order.
	nsecNames []string
	// nsec3 is the NSEC3 chain. Its owners (hashed names) are not names
	// of the zone: they are not in nodes nor in exists.
	nsec3 *nsec3Chain
}

// parseZone reads a zone in the syntax of dns.ZoneParser. file is used in
// error messages, origin is the apex.
func parseZone(data []byte, origin, file string) (*zone, error) {
	z := &zone{
		name:   origin,
		file:   file,
		nodes:  make(map[string]map[uint16][]dns.RR),
		exists: make(map[string]bool),
		cuts:   make(map[string]bool),
	}
	var nsec3 []*dns.NSEC3
	zp := newZoneParser(data, origin, file)
	for i := 0; ; i++ {
		rr, ok := zp.Next()
		if !ok {
			break
		}
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		// The parser does not tell on which line a record was: find it.
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s: %s", file, recordLine(data, origin, i),
				fmt.Sprintf(format, args...), strings.ReplaceAll(rr.String(), "\t", " "))
		}
		if why := recordProblem(rr, origin, z.soa != nil); why != "" {
			return nil, bad("%s", why)
		}
		// The SOA is the zone's. In a presigned zone file, signatures and
		// the NSEC3 chain are kept apart from the names of the zone.
		switch v := rr.(type) {
		case *dns.SOA:
			z.soa = v
		case *dns.RRSIG:
			z.addRRSIG(v)
			continue
		case *dns.NSEC3:
			nsec3 = append(nsec3, v)
			continue
		}
		rrsets := z.nodes[owner]
		if rrsets == nil {
			rrsets = make(map[uint16][]dns.RR)
			z.nodes[owner] = rrsets
		}
		rrsets[h.Rrtype] = append(rrsets[h.Rrtype], rr)
		if why := nodeProblem(owner, rrsets); why != "" {
			return nil, bad("%s", why)
		}
	}
	if err := zp.Err(); err != nil {
		// dns.ParseError already names the file and the line.
		return nil, err
	}
	if why := z.apexProblem(); why != "" {
		return nil, fmt.Errorf("%s: %s", file, why)
	}
	for owner, rrsets := range z.nodes {
		if owner != origin && len(rrsets[dns.TypeNS]) > 0 {
			z.cuts[owner] = true
		}
		// Mark the name and every ancestor down to the apex as existing.
		for n := owner; ; {
			z.exists[n] = true
			if n == origin {
				break
			}
			n = parent(n)
		}
		if len(rrsets[dns.TypeNSEC]) > 0 {
			z.nsecNames = append(z.nsecNames, owner)
		}
	}
	sortCanonical(z.nsecNames)
	if len(nsec3) > 0 {
		z.nsec3 = newNSEC3Chain(nsec3)
	}
	return z, nil
}

// holdsDNSSEC reports whether the zone file held records that only a
// signed zone has: the lab signs a zone with a dnssec= option itself, and
// would serve such records beside its own.
func (z *zone) holdsDNSSEC() bool {
	apex := z.nodes[z.name]
	return len(z.sigs) > 0 || z.nsec3 != nil || len(z.nsecNames) > 0 ||
		len(apex[dns.TypeDNSKEY]) > 0 || len(apex[dns.TypeNSEC3PARAM]) > 0
}

// recordProblem says why rr cannot be a record of the zone whose apex is
// origin, after records that hold an SOA if hasSOA; it returns "" for a
// record that can. Zone files (parseZone) and changes (parseRecords) are
// held to it.
func recordProblem(rr dns.RR, origin string, hasSOA bool) string {
	h := rr.Header()
	owner := strings.ToLower(h.Name)
	switch {
	case h.Class != dns.ClassINET:
		return fmt.Sprintf("class %s is not IN", dns.Class(h.Class))
	case !dns.IsSubDomain(origin, owner):
		return "record is outside the zone " + origin
	case h.Rrtype == dns.TypeSOA && owner != origin:
		return "SOA is not at the apex"
	case h.Rrtype == dns.TypeSOA && hasSOA:
		return "second SOA record"
	}
	return outsideLoopback(rr)
}

// nodeProblem says why the RRsets of one name, owner, cannot be together;
// it returns "" if they can. A name with a CNAME has one, and no other
// data but an NSEC (RFC 1034 3.6.2, RFC 4035 2.5). Zone files (parseZone)
// and changed zones (WithChange) are held to it.
func nodeProblem(owner string, rrsets map[uint16][]dns.RR) string {
	switch n := len(rrsets[dns.TypeCNAME]); {
	case n > 1:
		return owner + " has more than one CNAME"
	case n == 0:
		return ""
	}
	for t, rrs := range rrsets {
		if t != dns.TypeCNAME && t != dns.TypeNSEC && len(rrs) > 0 {
			return owner + " has a CNAME and other data"
		}
	}
	return ""
}

// apexProblem says what the zone z lacks at its apex; it returns "" if
// it lacks nothing. Zone files (parseZone) and changed zones (WithChange)
// are held to it.
func (z *zone) apexProblem() string {
	switch {
	case len(z.nodes[z.name][dns.TypeSOA]) == 0:
		return fmt.Sprintf("zone %s has no SOA record at its apex", z.name)
	case len(z.nodes[z.name][dns.TypeNS]) == 0:
		return fmt.Sprintf("zone %s has no NS records at its apex", z.name)
	}
	return ""
}

// outsideLoopback says why rr, an A or AAAA record, points outside the
// addresses the lab uses; it returns "" for one that does not and for any
// other record.
func outsideLoopback(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		if a, ok := netip.AddrFromSlice(v.A.To4()); !ok || !loopback.Contains(a) {
			return "A record is not in 127.0.0.0/8 (the lab never points outside loopback)"
		}
	case *dns.AAAA:
		if a, ok := netip.AddrFromSlice(v.AAAA); !ok || a != netip.IPv6Loopback() {
			return "AAAA record is not ::1 (the lab never points outside loopback)"
		}
	}
	return ""
}

func newZoneParser(data []byte, origin, file string) *dns.ZoneParser {
	zp := dns.NewZoneParser(bytes.NewReader(data), origin, file)
	zp.SetDefaultTTL(3600)
	return zp
}

// recordLine returns the line on which the record with index i (from 0)
// of a zone file ends: the first line such that the file up to it holds
// more than i records. It is only used to report errors.
func recordLine(data []byte, origin string, i int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	count := func(n int) int { // records in the first n lines
		zp := newZoneParser(bytes.Join(lines[:n], nil), origin, "")
		k := 0
		for _, ok := zp.Next(); ok; _, ok = zp.Next() {
			k++
		}
		return k
	}
	return sort.Search(len(lines), func(n int) bool { return count(n) > i })
}

// parent returns the parent of a non-root FQDN.
func parent(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// findCut returns the highest zone cut at or above qname (and strictly
// below the apex), or "" if there is none.
func (z *zone) findCut(qname string) string {
	if len(z.cuts) == 0 {
		return ""
	}
	// Indexes of the label starts of qname, from the left.
	idx := dns.Split(qname)
	below := dns.CountLabel(qname) - dns.CountLabel(z.name)
	for i := below - 1; i >= 0; i-- {
		if n := qname[idx[i]:]; z.cuts[n] {
			return n
		}
	}
	return ""
}

// maxCNAMEHops bounds CNAME chasing inside one zone.
const maxCNAMEHops = 8

// cnameSynth returns a CNAME record that a server makes up for name in
// zone z, in place of what the zone holds there, or nil.
type cnameSynth func(z *zone, name string) dns.RR

// endlessTTL is the TTL of the CNAMEs an endless-cname server makes up.
const endlessTTL = 300

// endlessCNAME is the cnameSynth of an endless-cname server: for a name
// nK.ZONE, K a number written without leading zeros, a CNAME to
// n(K+1).ZONE. A number too big to add one to gets none.
func endlessCNAME(z *zone, name string) dns.RR {
	label, rest, ok := strings.Cut(name, ".")
	if !ok || rest != strings.TrimPrefix(z.name, ".") || len(label) < 2 || label[0] != 'n' {
		return nil
	}
	digits := label[1:]
	k, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || strconv.FormatUint(k, 10) != digits || k == math.MaxUint64 {
		return nil
	}
	target := "n" + strconv.FormatUint(k+1, 10) + "." + rest
	if _, ok := dns.IsDomainName(target); !ok || len(target) > 254 {
		return nil
	}
	return &dns.CNAME{
		Hdr:    dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: endlessTTL},
		Target: target,
	}
}

// answer fills m (already a reply to a query for qname/qtype, qname in
// lower case and inside the zone) with the zone's authoritative response.
// synth, if not nil, makes up CNAMEs that take the place of the zone's
// data at the names it covers, and are followed like the zone's own.
// do is the DO bit of the query: with it, a signed zone adds its RRSIGs
// and its proofs of non-existence (RFC 4035 3.1); without it, the reply
// holds no DNSSEC record but those of the type asked for (DNSKEY, DS,
// NSEC3PARAM), exactly as if the zone were not signed.
func (z *zone) answer(m *dns.Msg, qname string, qtype uint16, synth cnameSynth, do bool) {
	do = do && z.signed()
	// 1. Zone cut on the way to qname: referral, unless the query is for
	// the DS record at the cut itself (the parent side owns it).
	if cut := z.findCut(qname); cut != "" && (cut != qname || qtype != dns.TypeDS) {
		z.referral(m, cut)
		if do {
			z.delegationProof(m, cut)
		}
		return
	}
	m.Authoritative = true
	seen := map[string]bool{}
	name := qname
	for hop := 0; ; hop++ {
		seen[name] = true
		rrsets := z.nodes[name]
		if synth != nil {
			if cn := synth(z, name); cn != nil {
				rrsets = map[uint16][]dns.RR{dns.TypeCNAME: {cn}}
			}
		}
		// 2. Records of the type asked for (or all of them for ANY).
		if qtype == dns.TypeANY && len(rrsets) > 0 {
			for _, t := range sortedTypes(rrsets) {
				if do || !dnssecType(t) {
					m.Answer = z.appendRRset(m.Answer, rrsets[t], do)
				}
			}
			if len(m.Answer) > 0 {
				return
			}
		}
		if qtype == dns.TypeRRSIG && do && len(z.sigs[name]) > 0 {
			for _, t := range sortedTypes(z.sigs[name]) {
				m.Answer = appendCopies(m.Answer, z.sigs[name][t])
			}
			return
		}
		if rrs := rrsets[qtype]; len(rrs) > 0 && (do || !dnssecOnly(qtype)) {
			m.Answer = z.appendRRset(m.Answer, rrs, do)
			return
		}
		// 2b. A CNAME: answer with it and follow it inside the zone.
		if cn := rrsets[dns.TypeCNAME]; len(cn) > 0 {
			m.Answer = z.appendRRset(m.Answer, cn, do)
			target := strings.ToLower(cn[0].(*dns.CNAME).Target)
			if !dns.IsSubDomain(z.name, target) || seen[target] || hop+1 >= maxCNAMEHops {
				return // leaves the zone, loops, or too long: the resolver goes on
			}
			if z.findCut(target) != "" {
				return // delegated away: not ours to answer
			}
			name = target
			continue
		}
		// 3. NODATA or 4. NXDOMAIN, with the SOA for negative caching
		// (and, for DO=1, its RRSIG and the proof).
		nx := !z.exists[name]
		if nx {
			m.Rcode = dns.RcodeNameError
		}
		soa := z.negativeSOA()
		m.Ns = append(m.Ns, soa)
		if do {
			for _, sig := range z.sigs[z.name][dns.TypeSOA] {
				c := dns.Copy(sig)
				c.Header().Ttl = soa.Header().Ttl
				m.Ns = append(m.Ns, c)
			}
			m.Ns = append(m.Ns, z.denial(name, nx)...)
		}
		return
	}
}

// referral fills m with a delegation to the zone cut at cut.
func (z *zone) referral(m *dns.Msg, cut string) {
	m.Authoritative = false
	ns := z.nodes[cut][dns.TypeNS]
	m.Ns = appendCopies(m.Ns, ns)
	for _, rr := range ns {
		host := strings.ToLower(rr.(*dns.NS).Ns)
		if !dns.IsSubDomain(z.name, host) {
			continue // out of bailiwick: this zone holds no glue for it
		}
		m.Extra = appendCopies(m.Extra, z.nodes[host][dns.TypeA])
		m.Extra = appendCopies(m.Extra, z.nodes[host][dns.TypeAAAA])
	}
}

// appendCopies appends copies of rrs to dst, so that a reply never shares
// records with the zone, whatever the caller or the packer does with it.
func appendCopies(dst, rrs []dns.RR) []dns.RR {
	for _, rr := range rrs {
		dst = append(dst, dns.Copy(rr))
	}
	return dst
}

// negativeSOA returns a copy of the zone's SOA whose TTL is the negative
// caching TTL of RFC 2308: min(SOA TTL, SOA MINIMUM).
func (z *zone) negativeSOA() dns.RR {
	soa := dns.Copy(z.soa).(*dns.SOA)
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return soa
}

// sortedTypes returns the types of an RRset map in a stable order.
func sortedTypes(rrsets map[uint16][]dns.RR) []uint16 {
	ts := make([]uint16, 0, len(rrsets))
	for t := range rrsets {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// sortCanonical sorts lower-case FQDNs in DNS canonical order: by labels
// from the right, so that a zone's apex comes before the names below it.
func sortCanonical(names []string) {
	slices.SortFunc(names, compareCanonical)
}

// compareCanonical compares two lower-case FQDNs in DNS canonical order
// (RFC 4034 6.1): label by label from the right, a name before the names
// below it.
func compareCanonical(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}
