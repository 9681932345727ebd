package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
)

// Diagnose returns the findings shown by t: in every step of the trace and
// of its side resolutions, and in the delegation check when there is one.
// It is a pure function of the trace. Findings about the same problem (the
// same code, zone and server) are merged, with all their evidence; errors
// come first, then warnings, then information, each in the order found.
func Diagnose(t *Trace) []Finding {
	d := &diagnosis{index: map[string]int{}}
	d.resolution(&t.Resolution, true)
	d.outcome(&t.Resolution)
	if t.Check != nil {
		d.check(t.Check, t.Steps)
	}
	return d.findings()
}

type diagnosis struct {
	list  []*pending
	index map[string]int
}

type pending struct {
	code    string
	facts   facts
	ev      []Evidence
	omitted int
}

// MaxEvidence is how many hops one finding lists as evidence; the rest are
// counted in Finding.EvidenceOmitted.
const MaxEvidence = 8

// add records a finding, or more evidence for one already found.
func (d *diagnosis) add(code string, f facts, ev Evidence) {
	key := code + "|" + f.zone + "|" + f.server + "|" + f.address
	if i, ok := d.index[key]; ok {
		p := d.list[i]
		switch {
		case slices.Contains(p.ev, ev):
		case len(p.ev) < MaxEvidence:
			p.ev = append(p.ev, ev)
		default:
			p.omitted++
		}
		for _, n := range f.names {
			if !slices.Contains(p.facts.names, n) {
				p.facts.names = append(p.facts.names, n)
			}
		}
		return
	}
	d.index[key] = len(d.list)
	d.list = append(d.list, &pending{code: code, facts: f, ev: []Evidence{ev}})
}

func (d *diagnosis) findings() []Finding {
	out := []Finding{}
	for _, sev := range []string{SeverityError, SeverityWarning, SeverityInfo} {
		for _, p := range d.list {
			w := wordings[p.code]
			if w.severity != sev {
				continue
			}
			out = append(out, Finding{
				Code: p.code, Severity: w.severity, Zone: p.facts.zone, Server: p.facts.server, Address: p.facts.address,
				Evidence: p.ev, EvidenceOmitted: p.omitted, Explanation: w.explain(p.facts.human()), Fix: w.fix(p.facts.human()), FixAt: w.fixAt,
			})
		}
	}
	return out
}

// resolution looks at every step of r. mainPath is true for the user's own
// name and the CNAMEs it leads to, false for side resolutions of NS
// addresses: the quality of a delegation (SINGLE_NS, MISSING_GLUE) is
// judged only on the main path, where it is what the user asked about.
func (d *diagnosis) resolution(r *Resolution, mainPath bool) {
	prevZone := ""
	for i := range r.Steps {
		s := &r.Steps[i]
		if i+1 < len(r.Steps) && qminFallback(s, &r.Steps[i+1]) {
			d.qminBroken(s, &r.Steps[i+1])
			prevZone = s.Zone
			continue
		}
		d.step(s, prevZone, mainPath)
		d.dnssec(s)
		if s.Referral != nil && s.Cache.State != "hit" && mainPath {
			d.referral(s)
		}
		d.children(s)
		for j := range s.Children {
			d.resolution(&s.Children[j], mainPath && s.Children[j].Purpose == "cname")
		}
		prevZone = s.Zone
	}
}

// step finds what each server of s did wrong, and why s failed.
func (d *diagnosis) step(s *Step, parent string, mainPath bool) {
	asked := "" // s.Name + " " + s.Type, once needed: most steps have no finding
	ask := func() string {
		if asked == "" {
			asked = s.Name + " " + s.Type
		}
		return asked
	}
	for i := range s.Servers {
		srv := &s.Servers[i]
		f := facts{zone: s.Zone, server: srv.Name, address: srv.Address, detail: srv.Detail, parent: parentOf(s.Zone)}
		evidence := func() Evidence {
			return Evidence{Step: s.ID, Server: srv.Name, Address: srv.Address, Asked: ask(), Got: got(srv)}
		}
		tcpRetry := srv.TC && srv.Proto == "tcp" && !usable(srv.Kind)
		switch {
		case tcpRetry:
			f.detail = srv.Kind + ": " + srv.Detail
			d.add(CodeTCPFailed, f, evidence())
		case srv.Kind == "lame" && strings.HasPrefix(srv.Detail, "upward referral"):
			d.add(CodeReferralLoop, f, evidence())
		case srv.Kind == "lame":
			d.add(CodeLame, f, evidence())
		case srv.Kind == "timeout":
			f.detail = fmt.Sprintf("%d tries", max(1, len(srv.Attempts)))
			d.add(CodeTimeout, f, evidence())
		case srv.Kind == "unreachable":
			d.add(CodeUnreachable, f, evidence())
		case srv.Bad:
			f.detail = strings.TrimPrefix(srv.Detail, "bad response: ")
			d.add(CodeBadResponse, f, evidence())
		}
		if v := srv.DNSSEC; v != nil && v.Code != "" {
			// the same key as the step's own DNSSEC finding for the
			// chosen server: one finding, each server that shows it
			f := facts{zone: v.Zone, server: srv.Name, address: srv.Address, detail: v.Reason, parent: parentOf(v.Zone)}
			d.add(v.Code, f, Evidence{Step: s.ID, Server: srv.Name, Address: srv.Address, Asked: ask(), Got: v.State + ": " + v.Reason})
		}
		if len(srv.Ignored) > 0 && srv.Kind != "lame" { // a bad referral's records are all out of bailiwick: LAME or REFERRAL_LOOP says it
			f.names = nil
			for _, r := range srv.Ignored {
				if n := r.Name + " " + r.Type; !slices.Contains(f.names, n) {
					f.names = append(f.names, n)
				}
			}
			d.add(CodeOutOfBailiwick, f, evidence())
		}
	}
	evidence := func() Evidence { return Evidence{Step: s.ID, Asked: ask(), Got: s.Failure + ": " + s.Detail} }
	f := facts{zone: s.Zone, detail: s.Detail, parent: parentOf(s.Zone)}
	switch s.Failure {
	case "all-servers-failed", "no-address":
		f.detail = failureSummary(s)
		d.add(CodeAllServersFailed, f, evidence())
	case "cyclic-dependency":
		f.names = s.Cyclic
		d.add(CodeCyclicDependency, f, evidence())
	case "referral-loop":
		// each server's upward referral is already a REFERRAL_LOOP finding
	}
}

// failureSummary counts what the servers of a failed step did.
func failureSummary(s *Step) string {
	counts := map[string]int{}
	var kinds []string
	for i := range s.Servers {
		srv := &s.Servers[i]
		if counts[srv.Kind] == 0 {
			kinds = append(kinds, srv.Kind)
		}
		counts[srv.Kind]++
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	if len(parts) == 0 {
		return "no server had an address"
	}
	return strings.Join(parts, ", ")
}

// referral judges the delegation a step received.
func (d *diagnosis) referral(s *Step) {
	ref := s.Referral
	hasGlue := func(n string) bool {
		for _, g := range ref.Glue {
			if canonicalName(g.Name) == n {
				return true
			}
		}
		return false
	}
	names := make([]string, len(ref.NS))
	for i, ns := range ref.NS {
		names[i] = canonicalName(ns.Data)
	}
	var ev *Evidence // written once needed: most delegations are fine
	evidence := func() Evidence {
		if ev == nil {
			ev = &Evidence{Step: s.ID, Server: s.Server, Address: s.Address, Asked: s.Name + " " + s.Type, Got: "NS " + list(names)}
		}
		return *ev
	}
	for _, n := range names {
		f := facts{zone: ref.Zone, server: n, parent: s.Zone}
		switch {
		case isAddressName(n):
			d.add(CodeNSAddress, f, evidence())
		case resolver.InDomain(ref.Zone, n) && !hasGlue(n):
			d.add(CodeMissingGlue, f, evidence())
		}
	}
	if len(names) == 1 {
		d.add(CodeSingleNS, facts{zone: ref.Zone, names: names, parent: s.Zone}, evidence())
	}
}

// resolutionsOf returns the resolutions of rs whose question is name (and,
// unless purpose is empty, whose purpose is purpose), in order: a part of
// rs when they are next to each other, as a check's lookups of one name
// are, and a copy otherwise.
func resolutionsOf(rs []Resolution, name, purpose string) []Resolution {
	match := func(r *Resolution) bool {
		return r.Question.Name == name && (purpose == "" || r.Purpose == purpose)
	}
	first, last, n := -1, -1, 0
	for i := range rs {
		if match(&rs[i]) {
			if first < 0 {
				first = i
			}
			last = i
			n++
		}
	}
	switch {
	case n == 0:
		return nil
	case last-first+1 == n:
		return rs[first : last+1 : last+1]
	}
	out := make([]Resolution, 0, n)
	for i := range rs {
		if match(&rs[i]) {
			out = append(out, rs[i])
		}
	}
	return out
}

// children judges the side resolutions of NS addresses a step needed.
func (d *diagnosis) children(s *Step) {
	var order []string
	for i := range s.Children {
		if c := &s.Children[i]; c.Purpose == "glueless" && !slices.Contains(order, c.Question.Name) {
			order = append(order, c.Question.Name)
		}
	}
	for _, name := range order {
		d.nsAddress(s.Zone, name, resolutionsOf(s.Children, name, "glueless"))
	}
}

// nsAddress judges the lookups of the addresses of one NS name of zone.
func (d *diagnosis) nsAddress(zone, name string, lookups []Resolution) {
	if isAddressName(name) {
		return // NS_ADDRESS says it all
	}
	noAddress := true
	var why []string
	for _, l := range lookups {
		for _, r := range l.Outcome.Records {
			if r.Type == "CNAME" && canonicalName(r.Name) == canonicalName(name) {
				ev := Evidence{Step: lastStep(l), Asked: l.Question.Name + " " + l.Question.Type, Got: l.Outcome.Status}
				d.add(CodeNSCNAME, facts{zone: zone, server: name, target: r.Data}, ev)
			}
		}
		switch l.Outcome.Status {
		case "nxdomain":
			why = append(why, "the name does not exist (NXDOMAIN)")
		case "nodata":
			why = append(why, "it has no "+l.Question.Type+" record")
		default:
			noAddress = false
		}
	}
	if noAddress && len(lookups) > 0 {
		l := lookups[0]
		ev := Evidence{Step: lastStep(l), Asked: l.Question.Name + " " + l.Question.Type, Got: l.Outcome.Status}
		slices.Sort(why)
		d.add(CodeNSNoAddress, facts{zone: zone, server: name, detail: strings.Join(slices.Compact(why), "; ")}, ev)
	}
}

// outcome finds the CNAME problems that ended a resolution.
func (d *diagnosis) outcome(r *Resolution) {
	switch r.Outcome.Reason {
	case "cname-loop", "cname-chain-too-long":
	default:
		return
	}
	zone, step := cnameZone(*r)
	f := facts{zone: zone, server: r.Question.Name, detail: r.Outcome.Detail}
	ev := Evidence{Step: step, Asked: r.Question.Name + " " + r.Question.Type, Got: r.Outcome.Detail}
	if r.Outcome.Reason == "cname-loop" {
		f.detail = cnameChain(r.Outcome.Records, r.Question.Name)
		d.add(CodeCNAMELoop, f, ev)
	} else {
		d.add(CodeCNAMEChainTooLong, f, ev)
	}
}

// cnameZone finds the zone and step of the last CNAME followed in r.
func cnameZone(r Resolution) (string, string) {
	zone, id := "", ""
	var walk func(r Resolution)
	walk = func(r Resolution) {
		for _, s := range r.Steps {
			if s.Kind == "cname" {
				zone, id = s.Zone, s.ID
			}
			for _, c := range s.Children {
				if c.Purpose == "cname" {
					walk(c)
				}
			}
		}
	}
	walk(r)
	return zone, id
}

func cnameChain(recs []Record, start string) string {
	parts := []string{start}
	for _, r := range recs {
		if r.Type == "CNAME" {
			parts = append(parts, r.Data)
		}
	}
	return strings.Join(parts, " → ")
}

// check judges what the delegation check found; steps are the trace's own.
func (d *diagnosis) check(c *Check, steps []Step) {
	var expected *Step
	if c.ExpectedProbe != "" {
		// Servers the user expects, asked although nothing delegates to
		// them: they are judged only against the expectation.
		cc := *c
		cc.Probes = nil
		for i, p := range c.Probes {
			if p.ID == c.ExpectedProbe {
				expected = &c.Probes[i]
			} else {
				cc.Probes = append(cc.Probes, p)
			}
		}
		c = &cc
	}
	for i := range c.Probes {
		p := &c.Probes[i]
		d.step(p, c.Parent, true)
		if p.Referral != nil && p.Zone == c.Parent {
			d.referral(p)
		}
	}
	for i := range c.Lookups {
		d.resolution(&c.Lookups[i], false)
	}
	// The addresses of the NS names, resolved from the root.
	parent, child := namesOf(c.ParentNS), namesOf(c.ChildNS)
	names := slices.Clip(parent)
	for _, n := range child {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		d.nsAddress(c.Zone, n, resolutionsOf(c.Lookups, n, ""))
	}
	d.glue(c)
	d.nsSets(c, parent, child)
	d.serials(c, steps)
	if len(c.ParentNS) == 1 {
		d.add(CodeSingleNS, facts{zone: c.Zone, names: namesOf(c.ParentNS), parent: c.Parent}, Evidence{Step: probeID(c, c.Parent, "NS"), Got: "NS " + list(namesOf(c.ParentNS))})
	}
	d.expectations(c, expected, steps, parent, child)
}

// glue compares the parent's glue with the addresses the NS names' own
// zones publish.
func (d *diagnosis) glue(c *Check) {
	canon := make([]string, len(c.Glue)) // the glue's names
	var order []string
	for i, g := range c.Glue {
		canon[i] = canonicalName(g.Name)
		if !slices.Contains(order, canon[i]) {
			order = append(order, canon[i])
		}
	}
	for _, n := range order {
		lookups := resolutionsOf(c.Lookups, n, "")
		for _, typ := range [...]string{"A", "AAAA"} {
			var fromGlue, fromZone []string
			for i, g := range c.Glue {
				if canon[i] == n && g.Type == typ {
					fromGlue = append(fromGlue, g.Data)
				}
			}
			answered := false
			var step string
			for _, l := range lookups {
				if l.Question.Type != typ || (l.Outcome.Status != "answer" && l.Outcome.Status != "nodata") {
					continue
				}
				answered, step = true, lastStep(l)
				for _, r := range l.Outcome.Records {
					if r.Type == typ {
						fromZone = append(fromZone, r.Data)
					}
				}
			}
			if !answered || len(fromGlue) == 0 {
				continue
			}
			slices.Sort(fromGlue)
			slices.Sort(fromZone)
			if !slices.Equal(fromGlue, fromZone) {
				zone := "none"
				if len(fromZone) > 0 {
					zone = list(fromZone)
				}
				f := facts{zone: c.Zone, server: n, parent: c.Parent, values: []string{list(fromGlue), zone}}
				d.add(CodeGlueMismatch, f, Evidence{Step: step, Server: n, Asked: n + " " + typ, Got: "glue " + list(fromGlue) + "; zone " + zone})
			}
		}
	}
}

// nsSets compares the NS set at the parent with the one at the apex, and
// the apex sets of the zone's servers with each other; parent and child
// are the names of c.ParentNS and c.ChildNS.
func (d *diagnosis) nsSets(c *Check, parent, child []string) {
	if len(c.ParentNS) == 0 || len(c.ChildNS) == 0 {
		return
	}
	var parentOnly, childOnly []string
	for _, n := range parent {
		if !slices.Contains(child, n) {
			parentOnly = append(parentOnly, n)
		}
	}
	for _, n := range child {
		if !slices.Contains(parent, n) {
			childOnly = append(childOnly, n)
		}
	}
	if len(parentOnly)+len(childOnly) > 0 {
		f := facts{zone: c.Zone, parent: c.Parent, parentOnly: parentOnly, childOnly: childOnly}
		d.add(CodeNSMismatch, f, Evidence{Step: probeID(c, c.Zone, "NS"), Got: "parent: " + list(parent) + "; zone: " + list(child)})
	}
	// Servers of the zone that publish a different apex NS set.
	for _, p := range c.Probes {
		if p.Zone != c.Zone || p.Type != "NS" {
			continue
		}
		for _, srv := range p.Servers {
			if srv.Kind != "answer" {
				continue
			}
			var names []string
			for _, r := range srv.Records {
				if r.Type == "NS" {
					names = append(names, canonicalName(r.Data))
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, child) {
				f := facts{zone: c.Zone, parent: c.Parent, childOnly: diff(names, child), parentOnly: diff(child, names)}
				d.add(CodeNSMismatch, f, Evidence{Step: p.ID, Server: srv.Name, Address: srv.Address, Asked: p.Name + " NS", Got: "NS " + list(names)})
			}
		}
	}
	if pt, ct := c.ParentNS[0].TTL, c.ChildNS[0].TTL; pt != ct {
		f := facts{zone: c.Zone, parent: c.Parent, values: []string{fmt.Sprintf("%d s", pt), fmt.Sprintf("%d s", ct)}}
		d.add(CodeTTLMismatch, f, Evidence{Step: probeID(c, c.Zone, "NS"), Got: fmt.Sprintf("parent TTL %d, zone TTL %d", pt, ct)})
	}
}

// serials compares the SOA serials the zone's servers answer with, in the
// steps that asked every server of the zone for its SOA.
func (d *diagnosis) serials(c *Check, trace []Step) {
	for _, steps := range [2][]Step{trace, c.Probes} {
		for i := range steps {
			if p := &steps[i]; p.Zone == c.Zone && p.Type == "SOA" && p.Name == c.Zone && p.Cache.State != "hit" {
				d.serialsAt(c, p)
			}
		}
	}
}

// serialsAt compares the SOA serials the servers of step p answered with.
func (d *diagnosis) serialsAt(c *Check, p *Step) {
	// Most zones have one serial: the values are written only when
	// there are two.
	first, two := "", false
	for i := range p.Servers {
		if srv := &p.Servers[i]; srv.Kind == "answer" {
			for _, r := range srv.Records {
				if serial, ok := soaSerial(r); ok {
					if first == "" {
						first = serial
					} else if serial != first {
						two = true
					}
				}
			}
		}
	}
	if !two {
		return
	}
	var values []string
	for i := range p.Servers {
		if srv := &p.Servers[i]; srv.Kind == "answer" {
			for _, r := range srv.Records {
				if serial, ok := soaSerial(r); ok {
					values = append(values, srv.Name+" ("+srv.Address+"): "+serial)
				}
			}
		}
	}
	d.add(CodeSOASerialMismatch, facts{zone: c.Zone, values: values}, Evidence{Step: p.ID, Asked: p.Name + " SOA", Got: strings.Join(values, "; ")})
}

// soaSerial is the serial of r, a SOA record: its third field.
func soaSerial(r Record) (string, bool) {
	if r.Type != "SOA" {
		return "", false
	}
	i := 0
	for f := range strings.FieldsSeq(r.Data) {
		if i == 2 {
			return f, true
		}
		i++
	}
	return "", false
}

func probeID(c *Check, zone, typ string) string {
	for _, p := range c.Probes {
		if p.Zone == zone && p.Type == typ {
			return p.ID
		}
	}
	return ""
}

func namesOf(recs []Record) []string {
	n := 0
	for i := range recs {
		if recs[i].Type == "NS" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, r := range recs {
		if r.Type == "NS" {
			out = append(out, canonicalName(r.Data))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// lastStep is the step that gave a resolution its outcome (the answer, the
// CNAME, the NXDOMAIN or NODATA): the evidence of what it found. The steps
// before it are referrals.
func lastStep(r Resolution) string {
	if len(r.Steps) > 0 {
		return r.Steps[len(r.Steps)-1].ID
	}
	return ""
}

func firstStep(r Resolution) string {
	if len(r.Steps) > 0 {
		return r.Steps[0].ID
	}
	return ""
}

// canonicalName is dns.CanonicalName(name): lower case, fully qualified.
// A name that is so already, as the names of a trace mostly are, comes
// back as it is without the rune by rune copy dns.CanonicalName makes.
func canonicalName(name string) string {
	if name == "" || name[len(name)-1] != '.' {
		return dns.CanonicalName(name)
	}
	for i := 0; i < len(name); i++ {
		// escapes (a final escaped dot is no FQDN) and non-ASCII bytes
		// (strings.Map rewrites invalid UTF-8) take the long way
		if c := name[i]; c >= 'A' && c <= 'Z' || c == '\\' || c >= 0x80 {
			return dns.CanonicalName(name)
		}
	}
	return name
}

// isAddressName reports whether an NS target is an IP address written as a
// name, such as "192.0.2.1.".
func isAddressName(name string) bool {
	if !strings.Contains(name, ":") {
		// Only an IPv4 address then, digits and dots: a host name is
		// turned down here without the error ParseAddr would build.
		for i := 0; i < len(name); i++ {
			if c := name[i]; c != '.' && (c < '0' || c > '9') {
				return false
			}
		}
	}
	_, err := netip.ParseAddr(strings.TrimSuffix(name, "."))
	return err == nil
}

// parentOf is the name one label up: the usual parent zone of a zone.
func parentOf(zone string) string {
	if zone == "." || zone == "" {
		return ""
	}
	// The rest of the name after its first label (an escaped dot is
	// part of the label): no allocation, as Diagnose asks for every server.
	zone = dns.Fqdn(zone)
	next, end := dns.NextLabel(zone, 0)
	if end || next >= len(zone) {
		return "."
	}
	return zone[next:]
}

func usable(kind string) bool {
	switch kind {
	case "answer", "referral", "cname", "nxdomain", "nodata":
		return true
	}
	return false
}

// got says in a few words what a server answered.
func got(s *Server) string {
	switch {
	case s.Rcode != "" && s.Kind == "lame" && s.Detail != s.Rcode:
		return s.Rcode + " (" + s.Detail + ")"
	case s.Kind == "lame":
		return s.Rcode
	case s.Detail != "":
		return s.Kind + ": " + s.Detail
	}
	return s.Kind
}

// qminFallback reports whether s sent a minimised name that its servers
// answered with NXDOMAIN or not at all, and next asked the same zone the
// full name, which worked: the servers broke QNAME minimisation.
func qminFallback(s, next *Step) bool {
	return s.FullName != "" && (s.Kind == "nxdomain" || s.Kind == "failed") &&
		next.Zone == s.Zone && next.FullName == "" && usable(next.Kind) && next.Kind != "nxdomain"
}

func (d *diagnosis) qminBroken(s, next *Step) {
	for i := range s.Servers {
		if srv := &s.Servers[i]; srv.Kind == "nxdomain" || !usable(srv.Kind) {
			f := facts{zone: s.Zone, server: srv.Name, address: srv.Address, detail: got(srv), target: s.Name, names: []string{next.Name}}
			if srv.Kind == "nxdomain" {
				f.detail = "NXDOMAIN"
			}
			d.add(CodeQMinBroken, f, Evidence{Step: s.ID, Server: srv.Name, Address: srv.Address, Asked: s.Name + " " + s.Type, Got: f.detail})
		}
	}
}

// dnssec reports where the chain of trust breaks: the step whose own check
// failed (the steps below it inherit its state without a code).
func (d *diagnosis) dnssec(s *Step) {
	v := s.DNSSEC
	if v == nil || !v.breaksChain() {
		return
	}
	// The data of a step came from its chosen server; a zone's keys came
	// from side resolutions at the parent and the child: a finding about
	// the zone.
	server, address := s.Server, s.Address
	if v.What == "keys" {
		server, address = "", ""
	}
	f := facts{zone: v.Zone, server: server, address: address, detail: v.Reason, parent: parentOf(v.Zone), target: v.What}
	d.add(v.Code, f, Evidence{Step: s.ID, Server: server, Address: address, Asked: s.Name + " " + s.Type, Got: v.State + ": " + v.Reason})
}

// expectations compares the delegation and the zone's own NS set (parent
// and child, the sorted names of c.ParentNS and c.ChildNS) with the set
// the user expects (--expect-ns). probe is the step that asked the
// expected servers not in the delegation for the zone's SOA, if any.
func (d *diagnosis) expectations(c *Check, probe *Step, steps []Step, parent, child []string) {
	if len(c.ExpectedNS) == 0 {
		return
	}
	delegation := probeID(c, c.Parent, "NS")
	for _, s := range steps {
		if s.Referral != nil && s.Referral.Zone == c.Zone {
			delegation = s.ID
		}
	}
	f := facts{zone: c.Zone, parent: c.Parent, names: parent, expected: c.ExpectedNS, childNS: child}
	if probe != nil {
		for _, srv := range probe.Servers {
			if srv.Kind == "answer" && srv.AA && !slices.Contains(f.serving, srv.Name) {
				f.serving = append(f.serving, srv.Name)
			}
		}
	}
	switch {
	case !slices.Equal(parent, c.ExpectedNS):
		f.side = "parent"
		d.add(CodeDelegationNotAsExpected, f, Evidence{Step: delegation, Got: "delegated to " + list(parent) + "; expected " + list(c.ExpectedNS)})
	case len(child) > 0 && !slices.Equal(child, c.ExpectedNS):
		f.side = "child"
		d.add(CodeDelegationNotAsExpected, f, Evidence{Step: probeID(c, c.Zone, "NS"), Got: "the zone lists " + list(child) + "; expected " + list(c.ExpectedNS)})
	}
}
