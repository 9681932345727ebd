package trace

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
)

// CheckZone is the delegation health check of the zone that holds name
// (nstrace check): it traces name's SOA from the root, then asks every
// server of the parent zone for the delegation, resolves the addresses of
// every NS name from the root, and asks every server of the zone (those of
// the delegation and those the zone itself lists) for its SOA and NS
// records. Every query is recorded; the findings cover all of it.
func CheckZone(ctx context.Context, r *resolver.Resolver, name string, opts Options) *Trace {
	name = canonicalName(name)
	t := runUndiagnosed(ctx, r, name, dns.TypeSOA, opts)
	zone, parent, ok := zoneOf(t)
	if !ok {
		zone, parent, ok = cachedZoneOf(r, t)
	}
	if !ok {
		t.Findings = Diagnose(t)
		return t // the trace never reached the zone: its findings say why
	}
	// Room for the usual probes: the delegation (when the trace's step
	// came from the cache) and the zone's NS (its SOA, the trace asked).
	c := &Check{Zone: zone, Parent: parent, ParentNS: []Record{}, Glue: []Record{}, ChildNS: []Record{}, Lookups: []Resolution{}, Probes: make([]Step, 0, 2)}
	t.Check = c
	ck := checker{ctx: ctx, r: r, t: t, c: c, opts: opts, addrs: map[string][]netip.Addr{}}

	// The parent's side: the delegation at every parent server. The trace
	// already asked them all, unless its step came from the cache.
	if step, ok := askedStep(t, parent, func(s Step) bool { return s.Referral != nil && s.Referral.Zone == zone }); ok {
		c.ParentNS, c.Glue = step.Referral.NS, step.Referral.Glue
	} else if parent != "" {
		if p, ok := ck.probe(parent, zone, dns.TypeNS, r.Servers(parent), "the delegation of "+zone+" at every server of "+parent); ok && p.Referral != nil {
			c.ParentNS, c.Glue = p.Referral.NS, p.Referral.Glue
		} else if ok && p.Kind == "answer" {
			c.ParentNS = recordsOf(p.Answer, "NS") // the parent's servers serve the zone too
		}
	}
	for _, g := range c.Glue {
		a, err := netip.ParseAddr(g.Data)
		if err == nil {
			n := canonicalName(g.Name)
			ck.addrs[n] = append(ck.addrs[n], a)
		}
	}
	// The zone's side: every server of the delegation, then any more the
	// zone itself lists.
	asked := map[string]bool{}
	names := namesOf(c.ParentNS)
	if parent == "" {
		names = nil
		for _, h := range r.Servers(".") {
			names = append(names, h.Name)
		}
	}
	for round := 0; round < 2 && len(names) > 0; round++ {
		targets := ck.targets(names)
		for _, n := range names {
			asked[n] = true
		}
		if _, asked := askedStep(t, zone, func(s Step) bool { return s.Name == zone && s.Type == "SOA" }); !asked || round > 0 {
			ck.probe(zone, zone, dns.TypeSOA, targets, "the SOA of "+zone+" at every server")
		}
		if p, ok := ck.probe(zone, zone, dns.TypeNS, targets, "the NS records of "+zone+" at every server"); ok && len(c.ChildNS) == 0 {
			c.ChildNS = recordsOf(p.Answer, "NS")
		}
		var more []string
		for _, n := range namesOf(c.ChildNS) {
			if !asked[n] {
				more = append(more, n)
			}
		}
		names = more
	}
	if len(opts.ExpectNS) > 0 {
		ck.expected(opts.ExpectNS, asked)
	}
	t.Findings = Diagnose(t)
	return t
}

// expected records the NS set the user expects and asks those of its
// servers the check has not asked yet (a new provider's, typically) for
// the zone's SOA: whether they serve the zone says what is left to do.
func (ck *checker) expected(expect []string, asked map[string]bool) {
	c := ck.c
	for _, n := range expect {
		n = canonicalName(n)
		if !slices.Contains(c.ExpectedNS, n) {
			c.ExpectedNS = append(c.ExpectedNS, n)
		}
	}
	slices.Sort(c.ExpectedNS)
	var others []string
	for _, n := range c.ExpectedNS {
		if !asked[n] {
			others = append(others, n)
		}
	}
	if len(others) == 0 {
		return
	}
	if p, ok := ck.probe(c.Zone, c.Zone, dns.TypeSOA, ck.targets(others), "the SOA of "+c.Zone+" at the expected servers not in the delegation"); ok {
		c.ExpectedProbe = p.ID
	}
}

// MaxNSLookups is how many NS names of a zone the check resolves from the
// root; NS names beyond it are asked at their glue address, if they have
// one, without verifying it (a zone with hundreds of NS names must not turn
// one check into thousands of queries).
const MaxNSLookups = 16

type checker struct {
	ctx   context.Context
	r     *resolver.Resolver
	t     *Trace
	c     *Check
	opts  Options
	addrs map[string][]netip.Addr // NS name → addresses (glue, then lookups)
}

// targets returns every address of names: glue and the addresses resolved
// from the root (each name is looked up once, recorded in Check.Lookups).
func (ck *checker) targets(names []string) []resolver.Target {
	out := make([]resolver.Target, 0, len(names)) // most names have one address
	// Room for the lookups to come, at most.
	need := 0
	for _, n := range names {
		if !isAddressName(n) && !ck.looked(n) {
			need++
		}
	}
	ck.c.Lookups = slices.Grow(ck.c.Lookups, min(need, MaxNSLookups)*len(ck.families()))
	for _, n := range names {
		switch {
		case isAddressName(n) || ck.looked(n):
			// an address, or looked up already: nothing to look up
		case len(ck.c.Lookups) >= MaxNSLookups*len(ck.families()):
			ck.c.LookupsSkipped++ // too many NS names to look them all up: glue, if any, is used as it is
		default:
			for _, typ := range ck.families() {
				l, queries := ck.lookup(n, typ, "L"+strconv.Itoa(len(ck.c.Lookups)+1)+".")
				ck.c.Lookups = append(ck.c.Lookups, l)
				ck.t.Queries += queries
				for _, r := range l.Outcome.Records {
					if a, err := netip.ParseAddr(r.Data); err == nil && (r.Type == "A" || r.Type == "AAAA") {
						ck.addrs[n] = append(ck.addrs[n], a)
					}
				}
			}
		}
		first := len(out) // n's targets are out[first:]: an address is in them once
	addrs:
		for _, a := range ck.addrs[n] {
			if (a.Is4() && ck.r.Config.IPv4) || (!a.Is4() && ck.r.Config.IPv6) {
				for _, t := range out[first:] {
					if t.Addr.Addr() == a {
						continue addrs
					}
				}
				out = append(out, resolver.Target{Name: n, Addr: netip.AddrPortFrom(a, ck.r.Config.Port)})
			}
		}
	}
	return out
}

// lookup resolves an NS name's addresses from the root, its steps
// numbered under prefix, and returns the recorded resolution and the
// queries it sent; with Options.Lookups, a lookup that the cache answered
// wholly may come from another check's.
func (ck *checker) lookup(name string, qtype uint16, prefix string) (Resolution, int) {
	m, cache := ck.opts.Lookups, ck.r.Cache
	memo := m != nil && cache != nil // the memo goes by the cache's clock
	key := lookupKey{name, qtype, prefix}
	if memo {
		if l, ok := m.get(key, cache.Now()); ok {
			return l, 0
		}
	}
	l, queries := resolveRecorded(ck.ctx, ck.r, name, qtype)
	renumber(&l, prefix)
	if memo {
		m.put(key, l, queries, cache.Now())
	}
	return l, queries
}

// LookupMemo holds the lookups of NS names that a check made without a
// query, all from the cache, for the next checks to take as they are, for
// at most LookupMemoFor. An audit checks thousands of zones served by the
// same few hundred name servers: their lookups, answered by the cache,
// were a tenth of its work. What a check records is the same either way
// but for the TTLs left, which may be up to LookupMemoFor older; only the
// resolver cache decides what is asked, so the queries sent do not
// change. A LookupMemo is safe for concurrent use; its lookups are shared
// between traces and must not be changed.
type LookupMemo struct {
	mu sync.RWMutex
	m  map[lookupKey]memoLookup
}

// LookupMemoFor is how long a LookupMemo keeps a lookup, on the cache's
// clock.
const LookupMemoFor = time.Second

type lookupKey struct {
	name   string
	qtype  uint16
	prefix string // the step numbers are part of the recorded lookup
}

type memoLookup struct {
	l     Resolution
	until time.Time
}

// NewLookupMemo returns an empty LookupMemo.
func NewLookupMemo() *LookupMemo { return &LookupMemo{m: map[lookupKey]memoLookup{}} }

func (m *LookupMemo) get(k lookupKey, now time.Time) (Resolution, bool) {
	m.mu.RLock()
	e, ok := m.m[k]
	m.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return Resolution{}, false
	}
	return e.l, true
}

// put keeps l if the cache answered it wholly (no query), with an outcome
// that is an answer of records that outlive the memo, or a negative one.
// A failed lookup (Ctrl-C, a broken cache entry) is never kept.
func (m *LookupMemo) put(k lookupKey, l Resolution, queries int, now time.Time) {
	if queries != 0 {
		return
	}
	switch l.Outcome.Status {
	case "answer", "nxdomain", "nodata":
	default:
		return
	}
	for _, r := range l.Outcome.Records {
		if time.Duration(r.TTL)*time.Second <= LookupMemoFor {
			return
		}
	}
	m.mu.Lock()
	if len(m.m) >= maxMemoLookups { // stale ones go first; a full memo starts again
		for k, e := range m.m {
			if !now.Before(e.until) {
				delete(m.m, k)
			}
		}
		if len(m.m) >= maxMemoLookups {
			clear(m.m)
		}
	}
	m.m[k] = memoLookup{l, now.Add(LookupMemoFor)}
	m.mu.Unlock()
}

// maxMemoLookups bounds a LookupMemo.
const maxMemoLookups = 1 << 16

func (ck *checker) looked(name string) bool {
	for _, l := range ck.c.Lookups {
		if l.Question.Name == name {
			return true
		}
	}
	return false
}

func (ck *checker) families() []uint16 {
	var ts []uint16
	if ck.r.Config.IPv4 {
		ts = append(ts, dns.TypeA)
	}
	if ck.r.Config.IPv6 {
		ts = append(ts, dns.TypeAAAA)
	}
	return ts
}

// probe asks every target about name/qtype as servers of zone, records it
// as a step of the check, and returns that step.
func (ck *checker) probe(zone, name string, qtype uint16, targets []resolver.Target, what string) (Step, bool) {
	if len(targets) == 0 {
		return Step{}, false // no address to ask: the lookups' findings say why
	}
	res := recordRun(ck.r, func(r *resolver.Resolver) { r.Probe(ck.ctx, zone, name, qtype, targets) })
	if len(res.Steps) == 0 {
		return Step{}, false
	}
	s := res.Steps[0]
	s.ID = "c" + strconv.Itoa(len(ck.c.Probes)+1)
	s.Probe = what
	for _, srv := range s.Servers {
		ck.t.Queries += max(1, len(srv.Attempts))
	}
	ck.c.Probes = append(ck.c.Probes, s)
	return s, true
}

// zoneOf finds the zone that holds the traced name (the zone whose servers
// answered for it, before any CNAME was followed) and its parent (the zone
// whose servers referred to it).
func zoneOf(t *Trace) (zone, parent string, ok bool) {
	steps := t.Steps
	if len(steps) == 0 {
		return "", "", false
	}
	last := steps[len(steps)-1]
	zone = last.Zone
	if last.Kind == "referral" { // the trace stopped at a referral (it failed after it)
		return "", "", false
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if ref := steps[i].Referral; ref != nil && ref.Zone == zone {
			return zone, steps[i].Zone, true
		}
	}
	if zone == "." {
		return zone, "", true
	}
	return zone, "", false
}

// cachedZoneOf finds the zone of a trace that the cache answered in one
// step (the same name checked again with a shared cache): that step's
// zone, whose parent is the closest enclosing zone with servers in the
// cache, or the root.
func cachedZoneOf(r *resolver.Resolver, t *Trace) (zone, parent string, ok bool) {
	if len(t.Steps) != 1 || t.Steps[0].Cache.State != "hit" || t.Steps[0].Kind == "referral" || t.Steps[0].Zone == "" || t.Steps[0].Zone == "." {
		return "", "", false
	}
	zone = t.Steps[0].Zone
	for i, end := dns.NextLabel(zone, 0); !end; i, end = dns.NextLabel(zone, i) {
		if p := zone[i:]; len(r.Servers(p)) > 0 {
			return zone, p, true
		}
	}
	return zone, ".", true
}

// renumber prefixes every step ID of r (and of its side resolutions).
func renumber(r *Resolution, prefix string) {
	for i := range r.Steps {
		r.Steps[i].ID = prefix + r.Steps[i].ID
		for j := range r.Steps[i].Children {
			renumber(&r.Steps[i].Children[j], prefix)
		}
	}
}

func recordsOf(recs []Record, typ string) []Record {
	out := []Record{}
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Data, b.Data) })
	return out
}

// askedStep finds the step of t's own resolution in which every server of
// zone was asked (not a cache hit) and that matches.
func askedStep(t *Trace, zone string, match func(Step) bool) (Step, bool) {
	for _, s := range t.Steps {
		if s.Zone == zone && s.Cache.State != "hit" && len(s.Servers) > 0 && s.NotAsked == 0 && s.FullName == "" && match(s) {
			return s, true
		}
	}
	return Step{}, false
}
