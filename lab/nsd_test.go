//go:build unix

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestNSDMatchesNetwork exports the default world (Export), runs every
// exported server in a real NSD on its loopback address, and checks that
// NSD answers a set of queries exactly as the in-memory Network does:
// same RCODE, AA and TC, and the same records (TTLs included) in answer,
// authority and additional. Section order does not count: both are sets.
//
// NSD runs as the current user (nsd.conf has username ""), which works
// for root and for other users alike: the ports are above 1024 and all
// files are in the test's temporary directory.
func TestNSDMatchesNetwork(t *testing.T) {
	if _, err := exec.LookPath("nsd"); err != nil {
		t.Skip("SKIP: nsd not installed (apt-get install nsd); the export to NSD is not compared with the lab")
	}
	if testing.Short() {
		t.Skip("SKIP: -short: not starting NSD")
	}
	w := mustDefault(t)
	dir := t.TempDir()
	exported := exportedServers(w)
	port, err := FreePort(w)
	if err != nil {
		t.Skip("SKIP: " + err.Error() + " (loopback needed)")
	}
	if err := Export(w, dir, port); err != nil {
		t.Fatalf("Export: %v", err)
	}
	if confs := readServersTxt(t, dir); len(confs) != len(exported) {
		t.Fatalf("servers.txt lists %d servers, want %d", len(confs), len(exported))
	}
	nsd, err := StartNSD(dir, 20*time.Second)
	if err != nil {
		t.Fatalf("NSD did not come up: %v", err)
	}
	t.Cleanup(nsd.Stop)

	var wg sync.WaitGroup
	n := NewNetwork(w)
	var mu sync.Mutex
	total, extended := 0, 0
	for _, s := range exported {
		wg.Add(1)
		go func() {
			defer wg.Done()
			qs := dnssecQueries(s, nsdQueries(s))
			mu.Lock()
			total += len(qs)
			mu.Unlock()
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			target := netip.AddrPortFrom(s.addr, uint16(port)).String()
			for _, nq := range qs {
				q := query(nq.name, nq.qtype)
				q.SetEdns0(4096, nq.do)
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
				if why := cnameGoesOn(s, want); why != "" {
					if missing, ok := extendsLab(got, want); !ok {
						t.Errorf("%s %s: NSD (%s) does not extend the lab's answer: missing %q; got %v", s.name, nq, why, missing, got)
					}
					mu.Lock()
					extended++
					mu.Unlock()
					continue
				}
				if nq.do && want.Rcode == dns.RcodeNameError && answeringZone(s, nq.name).signing.badNXProof {
					continue // break=nxproof is played by the lab only: NSD serves the right proof
				}
				if diff := diffReplies(got, want); diff != "" {
					t.Errorf("%s %s: NSD differs from the lab:\n%s", s.name, nq, diff)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d NSD servers, %d queries compared with the lab (%d CNAME answers that NSD follows further)", len(exported), total, extended)
}

// exportedServers returns the servers Export writes a configuration for.
func exportedServers(w *World) []*server {
	var out []*server
	for _, s := range w.servers {
		if s.behaviour.Kind == BehaviourOK {
			out = append(out, s)
		}
	}
	return out
}

// nsdQuery is one question to compare.
type nsdQuery struct {
	name  string
	qtype uint16
	do    bool // DO=1 (signed zones only; see dnssecQueries)
}

func (q nsdQuery) String() string {
	s := q.name + " " + dns.TypeToString[q.qtype]
	if q.do {
		s += " +dnssec"
	}
	return s
}

// dnssecQueries returns qs, each question followed by the same with DO=1
// when the zone that answers it is signed, and DNSKEY, NSEC3PARAM and a
// few missing names (NXDOMAIN proofs, an NSEC3 closest encloser below an
// existing name) in every signed zone of s.
func dnssecQueries(s *server, qs []nsdQuery) []nsdQuery {
	var out []nsdQuery
	for _, q := range qs {
		out = append(out, q)
		if z := answeringZone(s, q.name); z != nil && z.signed() {
			out = append(out, nsdQuery{q.name, q.qtype, true})
		}
	}
	for _, z := range s.zones {
		if !z.signed() {
			continue
		}
		apex := strings.TrimPrefix(z.name, ".")
		out = append(out, []nsdQuery{
			{z.name, dns.TypeDNSKEY, true}, {z.name, dns.TypeNSEC3PARAM, true},
			{dns.Fqdn("a.b.nstrace-nx." + apex), dns.TypeA, true}, {dns.Fqdn("zzzz." + apex), dns.TypeTXT, true},
			{dns.Fqdn("0." + apex), dns.TypeA, true}, {dns.Fqdn("x.www." + apex), dns.TypeA, true},
		}...)
	}
	return out
}

// nsdQueries returns the questions asked of one server: for every zone it
// serves, the SOA and NS at the apex, a missing name (NXDOMAIN), a missing
// type (NODATA), a name below every zone cut (a referral: from the root
// and com among others) and every RRset of the zone (answers, CNAME
// chains, glue below cuts); plus a name in no zone it serves (REFUSED, or
// NXDOMAIN from the root).
func nsdQueries(s *server) []nsdQuery {
	var qs []nsdQuery
	seen := map[nsdQuery]bool{}
	add := func(name string, qtype uint16) {
		q := nsdQuery{name: name, qtype: qtype}
		if !seen[q] {
			seen[q] = true
			qs = append(qs, q)
		}
	}
	for _, z := range s.zones {
		add(z.name, dns.TypeSOA)
		add(z.name, dns.TypeNS)
		add(dns.Fqdn("nstrace-no-such-name."+strings.TrimPrefix(z.name, ".")), dns.TypeA)
		add(z.name, dns.TypeHINFO)
		var cuts []string
		for c := range z.cuts {
			cuts = append(cuts, c)
		}
		sortCanonical(cuts)
		for _, c := range cuts {
			add("www."+c, dns.TypeA)
			add(c, dns.TypeDS)
		}
		var owners []string
		for o := range z.nodes {
			owners = append(owners, o)
		}
		sortCanonical(owners)
		for _, o := range owners {
			add(o, dns.TypeA)
			for _, t := range sortedTypes(z.nodes[o]) {
				// Asked with DO=0, the lab never shows an NSEC record, not
				// even to a query of that type; NSD answers it.
				if !dnssecOnly(t) {
					add(o, t)
				}
			}
		}
	}
	add("www.nstrace-not-hosted.example.", dns.TypeA)
	return qs
}

// diffReplies describes how got (from NSD) differs from want (from the
// lab) in header bits and records, or returns "".
func diffReplies(got, want *dns.Msg) string {
	var b strings.Builder
	if got.Rcode != want.Rcode {
		fmt.Fprintf(&b, "  rcode %s, lab %s\n", dns.RcodeToString[got.Rcode], dns.RcodeToString[want.Rcode])
	}
	if got.Authoritative != want.Authoritative {
		fmt.Fprintf(&b, "  AA=%v, lab AA=%v\n", got.Authoritative, want.Authoritative)
	}
	if got.Truncated != want.Truncated {
		fmt.Fprintf(&b, "  TC=%v, lab TC=%v\n", got.Truncated, want.Truncated)
	}
	if got.Id != want.Id || len(got.Question) != 1 || got.Question[0] != want.Question[0] {
		fmt.Fprintf(&b, "  id/question %d %v, lab %d %v\n", got.Id, got.Question, want.Id, want.Question)
	}
	for _, sec := range []struct {
		name      string
		got, want []dns.RR
	}{{"answer", got.Answer, want.Answer}, {"authority", got.Ns, want.Ns}, {"additional", got.Extra, want.Extra}} {
		if g, w := fullRRs(sec.got), fullRRs(sec.want); !slices.Equal(g, w) {
			fmt.Fprintf(&b, "  %s:\n    nsd %q\n    lab %q\n", sec.name, g, w)
		}
	}
	return b.String()
}

// nsdAdditionalForNS adds to a lab reply what NSD adds and the lab does
// not: to an authoritative answer with NS records, NSD (even with
// minimal-responses) adds the A and AAAA records that the answering zone
// holds for the NS names, glue below its cuts included, in additional.
func nsdAdditionalForNS(s *server, m *dns.Msg) {
	if !m.Authoritative || len(m.Answer) == 0 {
		return
	}
	z := answeringZone(s, m.Question[0].Name)
	opt := m.IsEdns0()
	do := opt != nil && opt.Do() // with their RRSIGs then (not for glue)
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok {
			host := strings.ToLower(ns.Ns)
			for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
				if c := z.findCut(host); c != "" && c != host {
					m.Extra = appendCopies(m.Extra, z.nodes[host][t])
				} else {
					m.Extra = z.appendRRset(m.Extra, z.nodes[host][t], do)
				}
			}
		}
	}
}

// answeringZone returns the zone of s that is the longest match of name.
func answeringZone(s *server, name string) *zone {
	name = strings.ToLower(name)
	var best *zone
	for _, z := range s.zones {
		if dns.IsSubDomain(z.name, name) && (best == nil || dns.CountLabel(z.name) > dns.CountLabel(best.name)) {
			best = z
		}
	}
	return best
}

// cnameGoesOn reports why NSD answers beyond the lab's reply m: its
// answer ends on a CNAME that NSD follows further, because the lab stopped
// after maxCNAMEHops (NSD follows longer chains) or because the target is
// in another zone the server hosts (NSD follows it there, the lab only
// inside one zone). "" if neither.
func cnameGoesOn(s *server, m *dns.Msg) string {
	if len(m.Answer) == 0 || m.Question[0].Qtype == dns.TypeCNAME {
		return ""
	}
	last, ok := m.Answer[len(m.Answer)-1].(*dns.CNAME)
	if !ok {
		return ""
	}
	target := strings.ToLower(last.Target)
	for _, rr := range m.Answer {
		if strings.EqualFold(rr.Header().Name, target) {
			return "" // a loop: NSD stops there too
		}
	}
	from := answeringZone(s, m.Question[0].Name)
	switch to := answeringZone(s, target); {
	case to == nil:
		return ""
	case to != from:
		return "CNAME target in another zone it hosts"
	case len(m.Answer) >= maxCNAMEHops:
		return fmt.Sprintf("CNAME chain longer than the lab's %d hops", maxCNAMEHops)
	}
	return ""
}

// subtract returns the elements of a that are not in b.
// askNSD asks NSD at target, up to three times: UDP on loopback, a retry
// is cheap.
func askNSD(c *dns.Client, q *dns.Msg, target string) (got *dns.Msg, err error) {
	for range 3 {
		if got, _, err = c.Exchange(q, target); err == nil {
			return got, nil
		}
	}
	return nil, err
}

// extendsLab reports whether NSD's reply got, which answers more than the
// lab's want (it follows a CNAME further), starts with the lab's answer,
// with the same rcode and AA bit; missing is what of the lab's answer it
// lacks.
func extendsLab(got, want *dns.Msg) (missing []string, ok bool) {
	missing = subtract(fullRRs(want.Answer), fullRRs(got.Answer))
	return missing, len(missing) == 0 && got.Rcode == want.Rcode && got.Authoritative == want.Authoritative
}

func subtract(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
