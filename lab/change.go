package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// WithChange returns a copy of the world in which the zone named zoneName
// (its default variant, on every server that serves it) has the RRsets of
// records replaced: records is zone-file text relative to the zone, and
// each owner and type it holds replaces that RRset. A CNAME, which a name
// holds alone, replaces all its name holds (but at the apex, where it is
// refused). The changed zone is held to the rules of zone files, and a
// change holds no RRSIG, NSEC or NSEC3 record (nor DNSKEY or NSEC3PARAM
// for a zone the lab signs): see parseRecords. The world itself is not
// changed. Lab stories use it to play an operator's change — a registrar
// that updates a delegation, a zone that drops a server — while the
// resolver's cache still remembers the old data.
func (w *World) WithChange(zoneName, records string) (*World, error) {
	name, err := canonicalName(zoneName)
	if err != nil {
		return nil, err
	}
	old := w.zones[name]
	if old == nil {
		return nil, fmt.Errorf("lab: no zone %s in the world", name)
	}
	patch, err := parseRecords([]byte(records), old)
	if err != nil {
		return nil, err
	}
	// The changed zone is a copy of the old one, so that it keeps all the
	// old zone has besides its data (its variant, the axfr and signing
	// options of its zone line). Its data is made anew below, in maps of
	// its own.
	z := new(zone)
	*z = *old
	z.file = old.file + " (changed)"
	z.nodes, z.exists, z.cuts = map[string]map[uint16][]dns.RR{}, map[string]bool{}, map[string]bool{}
	if old.signing != nil {
		// The signatures and the NSEC or NSEC3 chain are made again by
		// signZone below; a presigned zone keeps its own, now perhaps
		// stale.
		z.sigs, z.nsecNames, z.nsec3, z.unaltered = nil, nil, nil, nil
	}
	for owner, sets := range old.nodes {
		z.nodes[owner] = maps.Clone(sets)
		if old.signing != nil {
			// What the lab's signer made is made again below, from the
			// changed data; the DS records of children stay.
			for _, t := range []uint16{dns.TypeDNSKEY, dns.TypeNSEC, dns.TypeNSEC3PARAM} {
				delete(z.nodes[owner], t)
			}
		}
	}
	// The RRsets that break=alter changed after signing are put back as
	// they were signed: signZone signs them and alters them again, once.
	for ref, rrs := range old.unaltered {
		z.nodes[ref.name][ref.rrtype] = rrs
	}
	for _, rr := range patch {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		if z.nodes[owner] == nil {
			z.nodes[owner] = map[uint16][]dns.RR{}
		}
		if h.Rrtype == dns.TypeCNAME && owner != name {
			// A CNAME is all its name may hold (RFC 1034 3.6.2), so a
			// change that puts one at a name replaces all the name
			// holds, but an NSEC, which may go with it (RFC 4035 2.5).
			// The apex keeps its SOA and NS: a CNAME there is refused
			// below.
			for t := range z.nodes[owner] {
				if t != dns.TypeNSEC {
					delete(z.nodes[owner], t)
				}
			}
		}
		z.nodes[owner][h.Rrtype] = nil // replaced below, record by record
	}
	for _, rr := range patch {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		z.nodes[owner][h.Rrtype] = append(z.nodes[owner][h.Rrtype], rr)
		if soa, ok := rr.(*dns.SOA); ok {
			z.soa = soa // at the apex: parseRecords checked it
		}
	}
	// The changed zone is held to the rules of zone files (parseZone) as
	// a whole: other data beside a CNAME is refused whether the change
	// or the zone holds it.
	for _, rr := range patch {
		owner := strings.ToLower(rr.Header().Name)
		if why := nodeProblem(owner, z.nodes[owner]); why != "" {
			return nil, fmt.Errorf("lab: change of %s: %s: %s", name, why, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	if why := z.apexProblem(); why != "" {
		return nil, fmt.Errorf("lab: change of %s: %s", name, why)
	}
	for owner, sets := range z.nodes {
		if owner != name && len(sets[dns.TypeNS]) > 0 {
			z.cuts[owner] = true
		}
		for n := owner; ; n = parent(n) {
			z.exists[n] = true
			if n == name {
				break
			}
		}
	}
	if z.signing != nil {
		if err := signZone(z); err != nil {
			return nil, fmt.Errorf("lab: change of %s: %w", name, err)
		}
	}
	// The changed world is a copy of the world, so that it keeps all the
	// world has besides its servers and zones (the variants, the domains,
	// the recursors). A World is immutable: what is not replaced here is
	// shared.
	nw := new(World)
	*nw = *w
	nw.servers, nw.byAddr, nw.zones = nil, map[netip.Addr]*server{}, maps.Clone(w.zones)
	nw.zones[name] = z
	for _, s := range w.servers {
		c := *s
		c.zones = make([]*zone, len(s.zones))
		for i, hz := range s.zones {
			if hz == old {
				hz = z
			}
			c.zones[i] = hz
		}
		if c.root == old {
			c.root = z
		}
		if c.referFrom == old {
			c.referFrom = z
		}
		nw.servers = append(nw.servers, &c)
		nw.byAddr[c.addr] = &c
	}
	return nw, nil
}

// parseRecords parses zone-file text for a change of the zone z. Each
// record is held to the rules of zone files (recordProblem): class IN,
// inside the zone, an SOA only at the apex and only one, no address
// outside loopback. A change holds no RRSIG, NSEC or NSEC3 record: it
// does not touch a zone's signatures nor its chain of denial; and no
// DNSKEY or NSEC3PARAM record for a zone the lab signs, which makes its
// own.
func parseRecords(text []byte, z *zone) ([]dns.RR, error) {
	zp := newZoneParser(text, z.name, "change of "+z.name)
	var out []dns.RR
	hasSOA := false
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("lab: change of %s: %s: %s", z.name, fmt.Sprintf(format, args...), strings.ReplaceAll(rr.String(), "\t", " "))
		}
		if why := recordProblem(rr, z.name, hasSOA); why != "" {
			return nil, bad("%s", why)
		}
		switch t := rr.Header().Rrtype; t {
		case dns.TypeSOA:
			hasSOA = true
		case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
			return nil, bad("%s record in a change: a change does not touch a zone's signatures, nor its NSEC or NSEC3 chain", dns.TypeToString[t])
		case dns.TypeDNSKEY, dns.TypeNSEC3PARAM:
			if z.signing != nil {
				return nil, bad("%s record in a change of a zone the lab signs: the lab makes it", dns.TypeToString[t])
			}
		}
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lab: change of %s: no records", z.name)
	}
	return out, nil
}
