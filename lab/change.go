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
// each owner and type it holds replaces that RRset. The world itself is not
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
	patch, err := parseRecords([]byte(records), name)
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
		z.nodes[owner][h.Rrtype] = nil // replaced below, record by record
	}
	for _, rr := range patch {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		z.nodes[owner][h.Rrtype] = append(z.nodes[owner][h.Rrtype], rr)
		if soa, ok := rr.(*dns.SOA); ok && owner == name {
			z.soa = soa
		}
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

// parseRecords parses zone-file text whose records must all lie in zone
// and, as in a zone file, point nowhere outside loopback.
func parseRecords(text []byte, zone string) ([]dns.RR, error) {
	zp := newZoneParser(text, zone, "change of "+zone)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if !dns.IsSubDomain(zone, strings.ToLower(rr.Header().Name)) {
			return nil, fmt.Errorf("lab: change of %s: %s is outside the zone", zone, rr.Header().Name)
		}
		// The rule of zone files (parseZone): no address outside loopback.
		if why := outsideLoopback(rr); why != "" {
			return nil, fmt.Errorf("lab: change of %s: %s: %s", zone, why, strings.ReplaceAll(rr.String(), "\t", " "))
		}
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lab: change of %s: no records", zone)
	}
	return out, nil
}
