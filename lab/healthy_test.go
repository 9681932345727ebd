package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// deliberatelyBroken lists the zones of the default world whose
// delegation or servers are broken on purpose, and how. Every other zone
// must be healthy: nstrace check finds nothing wrong with it.
var deliberatelyBroken = map[string]string{
	"lame.com.":         "ns.oldhost.net does not serve it (REFUSED)",
	"halfdead.com.":     "ns.deadhost.net drops every query",
	"allfail.com.":      "one NS lame, the other dead",
	"unreachable.com.":  "ns.unreachable.com is at 127.0.3.250, where no server exists",
	"missingglue.com.":  "com has no glue for ns2.missingglue.com",
	"gluemismatch.com.": "com's glue for ns2.gluemismatch.com is an old address",
	"nsmismatch.com.":   "the apex NS RRset differs from the delegation",
	"nscname.com.":      "one NS name is a CNAME",
	"nsaddress.com.":    "one NS name is an IP address",
	"nsnoaddress.com.":  "one NS name does not exist",
	"cycle-a.com.":      "its NS are in cycle-b.net, whose NS are in cycle-a.com",
	"cycle-b.net.":      "its NS are in cycle-a.com, whose NS are in cycle-b.net",
	"singlens.com.":     "one NS only",
	"stale.com.":        "ns2.stale.com serves an older SOA serial",
	"ttlmismatch.com.":  "the apex NS TTL differs from the delegation's",
	"loop.com.":         "its servers answer with upward referrals",
	"tcfail.com.":       "ns.tcfail.com truncates over UDP and refuses TCP",
	"badid.com.":        "ns.badid.com answers with the wrong message ID",
	"poison.com.":       "its servers add out-of-bailiwick records",
	"messy.com.":        "one NS lame, and the apex NS RRset differs from the delegation",
	"garbage.com.":      "ns.garbage.com answers with bytes that are not DNS",
	"cutoff.com.":       "ns.cutoff.com sends its replies cut short",
	"badquestion.com.":  "ns.badquestion.com forges the question of its replies",
	"tcdrop.com.":       "ns.tcdrop.com truncates over UDP and resets TCP",
	"tcpartial.com.":    "ns.tcpartial.com truncates over UDP and cuts TCP replies short",
	"slow.com.":         "ns.slow.com answers 3 s late",
	"veryslow.com.":     "both servers answer 10 s late",
	"selfref.com.":      "its servers refer every query to the zone itself",
	"pingpong-a.com.":   "its servers refer every query to pingpong-b.com",
	"pingpong-b.com.":   "its servers refer every query to pingpong-a.com",
	"nxns.com.":         "none of its 500 NS names exists",
	"manyns.com.":       "498 of its 500 NS are at addresses where no server exists",
	"endless.com.":      "its servers make up an endless CNAME chain (behaviour endless-cname)",
	"qminbroken.com.":   "its servers say NXDOMAIN for empty non-terminals (behaviour ent-nxdomain)",
}

// TestDefaultHealthyZones checks, for every zone of the default world but
// the deliberately broken ones, what a delegation health check looks at:
//
//   - the zone has at least two NS, none of them an address or a CNAME;
//   - every parent zone delegating it has the same NS names with the same
//     TTL as the zone's apex;
//   - an NS name inside the delegated zone has glue in the parent, and
//     every address a parent holds for an NS name (glue) is the address
//     the name's own zone publishes;
//   - every NS name has an address, that of a server that hosts the zone
//     and answers normally (behaviour ok);
//   - every server hosting the zone serves the same SOA serial;
//   - the zone's SOA and the address of every NS name resolve iteratively
//     from the root, over the in-memory network.
//
// It also checks that every deliberately broken zone does break one of
// these rules, so that the list above stays honest.
func TestDefaultHealthyZones(t *testing.T) {
	w := mustDefault(t)
	for name := range deliberatelyBroken {
		if w.zones[name] == nil {
			t.Errorf("deliberatelyBroken lists %s, which is no zone", name)
		}
	}
	for _, name := range w.ZoneNames() {
		problems := zoneProblems(w, name)
		why, broken := deliberatelyBroken[name]
		switch {
		case broken && len(problems) == 0:
			t.Errorf("%s is listed as broken (%s) but breaks no rule", name, why)
		case !broken:
			for _, p := range problems {
				t.Errorf("%s: %s", name, p)
			}
		default:
			if len(problems) > 3 {
				problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
			}
			t.Logf("%s (broken on purpose: %s): %s", name, why, strings.Join(problems, "; "))
		}
	}
}

// zoneProblems returns what is wrong with the delegation and the servers
// of the zone name in w (see TestDefaultHealthyZones), or nothing.
func zoneProblems(w *World, name string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	z := w.zones[name]
	apexNS := z.nodes[name][dns.TypeNS]
	names := nsNames(apexNS)
	if len(names) < 2 {
		bad("%d NS at the apex, want at least 2", len(names))
	}
	// Parents: every other zone holding an NS RRset at this name.
	if name != "." {
		parents := 0
		for _, pn := range w.ZoneNames() {
			p := w.zones[pn]
			if pn == name || !p.cuts[name] {
				continue
			}
			parents++
			deleg := p.nodes[name][dns.TypeNS]
			if got := nsNames(deleg); !slices.Equal(got, names) {
				bad("parent %s delegates to %v, the apex says %v", pn, got, names)
			}
			if deleg[0].Header().Ttl != apexNS[0].Header().Ttl {
				bad("parent %s gives the NS TTL %d, the apex %d", pn, deleg[0].Header().Ttl, apexNS[0].Header().Ttl)
			}
			for _, ns := range nsNames(deleg) {
				glue := addrsIn(p, ns)
				if dns.IsSubDomain(name, ns) && len(glue) == 0 {
					bad("parent %s has no glue for %s, inside the zone", pn, ns)
				}
				if own := authoritativeAddrs(w, ns); len(glue) > 0 && !slices.Equal(glue, own) {
					bad("parent %s has glue %s %v, its own zone says %v", pn, ns, glue, own)
				}
			}
		}
		if parents == 0 {
			bad("no parent zone delegates it")
		}
	}
	// The NS names and the servers behind them.
	serials := map[uint32][]string{}
	delegated := nsNames(w.zones[name].nodes[name][dns.TypeNS])
	for _, s := range w.servers {
		for _, hz := range s.zones {
			// Servers the zone does not name (a story's next provider) do
			// not count.
			if hz.name == name && slices.Contains(delegated, s.name) {
				serials[hz.soa.Serial] = append(serials[hz.soa.Serial], s.name)
			}
		}
	}
	if len(serials) > 1 {
		bad("servers serve different SOA serials: %v", serials)
	}
	for _, ns := range names {
		if _, err := netip.ParseAddr(strings.TrimSuffix(ns, ".")); err == nil {
			bad("NS %s is an address, not a name", ns)
			continue
		}
		if y := authoritativeZone(w, ns); y != nil && len(y.nodes[ns][dns.TypeCNAME]) > 0 {
			bad("NS %s is a CNAME", ns)
		}
		addrs := authoritativeAddrs(w, ns)
		if len(addrs) == 0 {
			bad("NS %s has no address", ns)
		}
		for _, a := range addrs {
			s := w.byAddr[netip.MustParseAddr(a)]
			switch {
			case s == nil:
				bad("NS %s is at %s, where no server exists", ns, a)
			case s.behaviour.Kind != BehaviourOK:
				bad("NS %s (%s) has behaviour %s", ns, a, s.behaviour)
			case !slices.ContainsFunc(s.zones, func(hz *zone) bool { return hz.name == name }):
				bad("NS %s (%s) does not host the zone: lame", ns, a)
			}
		}
	}
	// Iterative resolution from the root: the SOA, and every NS address.
	if len(out) == 0 {
		wk := &walker{n: NewNetwork(w)}
		if o, err := wk.resolve(context.Background(), name, dns.TypeSOA, 0); err != nil || o.expect != ExpectNoError {
			bad("SOA does not resolve from the root: %s %v", o.expect, err)
		}
		for _, ns := range names {
			o, err := wk.resolve(context.Background(), ns, dns.TypeA, 0)
			var got []string
			for _, rr := range o.answers {
				if a, ok := rr.(*dns.A); ok {
					got = append(got, a.A.String())
				}
			}
			slices.Sort(got)
			if err != nil || !slices.Equal(got, authoritativeAddrs(w, ns)) {
				bad("NS %s resolves to %v (%v), want %v", ns, got, err, authoritativeAddrs(w, ns))
			}
		}
	}
	return out
}

// nsNames returns the sorted targets of NS records.
func nsNames(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.ToLower(rr.(*dns.NS).Ns))
	}
	slices.Sort(out)
	return out
}

// addrsIn returns the sorted A and AAAA data z holds for name.
func addrsIn(z *zone, name string) []string {
	var out []string
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		for _, rr := range z.nodes[name][t] {
			switch v := rr.(type) {
			case *dns.A:
				out = append(out, v.A.String())
			case *dns.AAAA:
				out = append(out, net.IP(v.AAAA).String())
			}
		}
	}
	slices.Sort(out)
	return out
}

// authoritativeZone returns the zone of w (default variants) that is
// authoritative for name: the longest match, unless name is below one of
// its cuts to a zone the world does not have (then nil).
func authoritativeZone(w *World, name string) *zone {
	var best *zone
	for zn, z := range w.zones {
		if dns.IsSubDomain(zn, name) && (best == nil || dns.CountLabel(zn) > dns.CountLabel(best.name)) {
			best = z
		}
	}
	if best == nil || best.findCut(name) != "" {
		return nil
	}
	return best
}

// authoritativeAddrs returns the addresses the own zone of name publishes.
func authoritativeAddrs(w *World, name string) []string {
	if z := authoritativeZone(w, name); z != nil {
		return addrsIn(z, name)
	}
	return nil
}

// TestServerNamesMatchAddresses checks that every A record whose owner is
// the name of a server holds that server's address, but for the one
// record that is wrong on purpose: com's old glue of ns2.gluemismatch.com.
func TestServerNamesMatchAddresses(t *testing.T) {
	w := mustDefault(t)
	addrOf := map[string]netip.Addr{}
	for _, s := range w.Servers() {
		addrOf[s.Name] = s.Addr
	}
	exempt := map[[2]string]bool{{"com.", "ns2.gluemismatch.com."}: true}
	used := 0
	for _, zn := range w.ZoneNames() {
		recs, _ := w.ZoneRecords(zn)
		for _, rr := range recs {
			a, ok := rr.(*dns.A)
			if !ok {
				continue
			}
			want, isServer := addrOf[a.Hdr.Name]
			if !isServer || a.A.String() == want.String() {
				continue
			}
			if exempt[[2]string{zn, a.Hdr.Name}] {
				used++
				continue
			}
			t.Errorf("zone %s: %v, but server %s is at %s", zn, rr, a.Hdr.Name, want)
		}
	}
	if used != len(exempt) {
		t.Errorf("%d exempt records found, want %d", used, len(exempt))
	}
}
