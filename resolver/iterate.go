package resolver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Resolver resolves names iteratively from the root hints, as RFC 1034
// §5.3.3 describes, reporting every step to its Observer. Set the fields,
// then call Resolve; a Resolver may be used by several goroutines at once.
type Resolver struct {
	// Transport reaches the servers. Required.
	Transport Transport
	// Config holds every limit; validate it with Config.Validate. The zero
	// Config is invalid: start from DefaultConfig.
	Config Config
	// Hints are the root servers; nil means DefaultHints().
	Hints *Hints
	// Cache is shared by every Resolve call; nil means each call starts
	// with an empty cache of its own.
	Cache *Cache
	// Clock is used for a cache the resolver makes itself; nil means
	// SystemClock. A Cache that is set reads its own clock.
	Clock Clock
	// Observer receives every event; nil discards them.
	Observer Observer
	// NewID returns the ID of each query; nil means a random ID from a
	// cryptographically seeded generator (RFC 5452 §4).
	NewID func() uint16
}

// Result is what Resolve returns: the outcome and the number of queries
// sent, nested resolutions included.
type Result struct {
	Outcome
	Queries int
}

// simulated is implemented by transports whose replies are instant and
// whose RTTs are simulated (the lab's in-memory network). With them every
// server of a step is waited for and the fastest usable reply is used, so
// that a trace is the same at every run.
type simulated interface{ Simulated() bool }

// Resolve resolves name (a fully qualified domain name) and qtype from the
// root, following referrals, glueless NS names and CNAMEs. NXDOMAIN and
// NODATA are outcomes, not errors; a resolution that fails has
// Status == StatusServFail and a Reason. When ctx is cancelled, Resolve
// returns at once with ReasonCancelled. Late replies to servers that were
// still being asked when the resolution moved on are waited for (each
// until its own timeout) before Resolve returns, so that the observer sees
// every server's reply.
func (r *Resolver) Resolve(ctx context.Context, name string, qtype uint16) Result {
	rn, err := r.newRun()
	if err != nil {
		return Result{Outcome: Outcome{Status: StatusServFail, Detail: err.Error()}}
	}
	ctx, cancel := context.WithTimeout(ctx, rn.cfg.Deadline)
	defer cancel()
	q := question{canonical(name), qtype}
	out := rn.resolve(ctx, q, 0, PurposeQuery, 0, nil, nil)
	rn.late.Wait()
	rn.validateServers()
	return Result{Outcome: out, Queries: int(rn.queries.Load())}
}

// newRun prepares the state of one call, filling in the defaults of the
// Resolver's nil fields.
func (r *Resolver) newRun() (*run, error) {
	if err := r.Config.Validate(); err != nil {
		return nil, err
	}
	rn := &run{r: r, cfg: r.Config, obs: r.Observer, cache: r.Cache, hints: r.Hints, newID: r.NewID}
	if rn.obs == nil {
		rn.obs = ObserverFunc(func(Event) {})
	}
	if rn.cache == nil {
		clock := r.Clock
		if clock == nil {
			clock = SystemClock{}
		}
		rn.cache = NewCache(clock)
	}
	if rn.hints == nil {
		rn.hints = DefaultHints()
	}
	if rn.newID == nil {
		rn.newID = func() uint16 { return uint16(rand.Uint32()) }
	}
	if s, ok := r.Transport.(simulated); ok && s.Simulated() {
		rn.simulated = true
	}
	rn.budget.Store(int64(rn.cfg.MaxQueries))
	return rn, nil
}

// reserve takes up to n queries from the budget and returns how many it got.
func (rn *run) reserve(n int64) int64 {
	for {
		left := rn.budget.Load()
		got := min(n, left)
		if got <= 0 {
			return 0
		}
		if rn.budget.CompareAndSwap(left, left-got) {
			return got
		}
	}
}

// Target is one server address to ask.
type Target struct {
	Name string         // the NS name
	Addr netip.AddrPort // one of its addresses
}

// ProbeReply is one server's final reply to a probe.
type ProbeReply struct {
	Target
	RTT      time.Duration
	Response Response
}

// Probe asks every target about name/qtype, as servers of zone (whose
// bailiwick applies), waits for all of them, and returns each one's final
// reply in target order. It is one step of a resolution of purpose
// PurposeCheck, reported to the Observer like any other; nothing is
// cached. The delegation check uses it to put the same question to every
// server of a zone.
func (r *Resolver) Probe(ctx context.Context, zone, name string, qtype uint16, targets []Target) []ProbeReply {
	rn, err := r.newRun()
	if err != nil {
		return nil
	}
	rn.waitAll = true
	ctx, cancel := context.WithTimeout(ctx, rn.cfg.Deadline)
	defer cancel()
	zone = canonical(zone)
	q := question{canonical(name), qtype}
	res := int(rn.resolutions.Add(1))
	rn.obs.Observe(ResolutionStarted{Resolution: res, Purpose: PurposeCheck, Name: q.name, Type: q.qtype})
	id := int(rn.steps.Add(1))
	ts := make([]target, len(targets))
	names := make([]string, len(targets))
	for i, t := range targets {
		ts[i] = target{canonical(t.Name), t.Addr}
		names[i] = ts[i].name
	}
	slices.Sort(names)
	rn.obs.Observe(StepStarted{Step: id, Resolution: res, Zone: zone, Name: q.name, Type: q.qtype, NS: slices.Compact(names)})
	fin := StepFinished{Step: id, Cache: CacheMiss}
	var replies []ProbeReply
	var out Outcome
	if len(ts) == 0 {
		fin.Failure, fin.Detail = ReasonNoAddress, "no server address to ask"
	} else {
		best, all, notAsked := rn.fanOut(ctx, id, zone, q, ts)
		fin.NotAsked = notAsked
		replies = make([]ProbeReply, len(ts))
		for _, a := range all {
			replies[a.idx] = ProbeReply{Target: Target{a.t.name, a.t.addr}, RTT: time.Duration(a.rtt), Response: a.resp}
		}
		if best != nil {
			fin.Server, fin.Addr, fin.Response = best.t.name, best.t.addr, best.resp
			out = Outcome{Status: StatusAnswer, Records: best.resp.Answer, Zone: zone}
		} else {
			fin.Failure, fin.Detail = rn.whyFailed(ctx, zone, all)
		}
	}
	if fin.Failure != ReasonNone {
		out = failed(fin.Failure, zone, "%s", fin.Detail)
	}
	rn.obs.Observe(fin)
	rn.obs.Observe(ResolutionFinished{Resolution: res, Outcome: out})
	return replies
}

// Servers returns the servers of zone that the resolver knows without
// asking anyone: the root hints for ".", otherwise the zone's NS records
// and their addresses from the cache (glue included), in the enabled
// address families, sorted by name and address.
func (r *Resolver) Servers(zone string) []Target {
	rn, err := r.newRun()
	if err != nil {
		return nil
	}
	zone = canonical(zone)
	var out []Target
	add := func(name string, a netip.Addr) {
		if (a.Is4() && rn.cfg.IPv4) || (!a.Is4() && rn.cfg.IPv6) {
			out = append(out, Target{name, netip.AddrPortFrom(a, rn.cfg.Port)})
		}
	}
	if zone == "." {
		for _, h := range rn.hints.Servers {
			add(h.Name, h.Addr)
		}
	} else if e, state := rn.delegation(zone); state == CacheHit {
		for _, rr := range e.RRs {
			name := canonical(rr.(*dns.NS).Ns)
			for _, a := range rn.cachedAddrs(name, rn.families()...) {
				add(name, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b Target) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return slices.CompactFunc(out, func(a, b Target) bool { return a == b })
}

type question struct {
	name  string
	qtype uint16
}

// run is the state of one Resolve call.
type run struct {
	r         *Resolver
	cfg       Config
	obs       Observer
	cache     *Cache
	hints     *Hints
	newID     func() uint16
	simulated bool
	waitAll   bool // wait for every server of a step, even over a real network

	queries     atomic.Int64 // queries sent
	budget      atomic.Int64 // queries that may still be reserved (MaxQueries at the start)
	steps       atomic.Int64
	resolutions atomic.Int64
	late        sync.WaitGroup // exchanges still running after their step moved on

	// With DNSSEC: every server's data reply, by step, and the steps whose
	// data was validated; each server's reply is checked once the
	// resolution is over (see validateServers).
	replyMu   sync.Mutex
	replies   map[int][]serverReply
	dataSteps []dataStep
}

// servers is the NS set of a zone and the addresses known for its names
// (the root hints, or a referral's glue), in the order they came.
type servers struct {
	zone  string
	names []string
	glue  []Hint
}

func (rn *run) resolve(ctx context.Context, q question, parentStep int, purpose Purpose, depth int, cnames []string, stack []question) Outcome {
	id := int(rn.resolutions.Add(1))
	rn.obs.Observe(ResolutionStarted{Resolution: id, ParentStep: parentStep, Purpose: purpose, Name: q.name, Type: q.qtype})
	out := rn.iterate(ctx, id, purpose, q, depth, cnames, append(slices.Clip(stack), q))
	rn.obs.Observe(ResolutionFinished{Resolution: id, Outcome: out})
	return out
}

func failed(reason Reason, zone, format string, a ...any) Outcome {
	return Outcome{Status: StatusServFail, Reason: reason, Zone: zone, Detail: fmt.Sprintf(format, a...)}
}

// stopped reports why the resolution must stop now, if it must.
func (rn *run) stopped(ctx context.Context) (Reason, bool) {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return ReasonCancelled, true
	case ctx.Err() != nil:
		return ReasonDeadline, true
	case rn.queries.Load() >= int64(rn.cfg.MaxQueries):
		return ReasonQueryBudget, true
	}
	return ReasonNone, false
}

var stopDetail = map[Reason]string{
	ReasonCancelled:   "stopped: cancelled",
	ReasonDeadline:    "stopped: the overall deadline passed",
	ReasonQueryBudget: "stopped: the query budget is spent",
}

// iterate is the loop of RFC 1034 §5.3.3: 1 look in the cache; 2 find the
// best servers; 3 ask them; 4 analyse the response: an answer or a name
// error ends it, a referral goes back to 3 with better servers, a CNAME
// starts again with the new name, a failure drops the server.
func (rn *run) iterate(ctx context.Context, res int, purpose Purpose, q question, depth int, cnames []string, stack []question) Outcome {
	if reason, stop := rn.stopped(ctx); stop {
		return failed(reason, "", "%s", stopDetail[reason])
	}
	validating := rn.validating(purpose)
	// Step 1: the cache.
	out, done, answerExpired := rn.fromCache(ctx, res, validating, q, depth, cnames, stack)
	if done {
		return out
	}
	// Step 2: the closest enclosing zone whose servers are known.
	ns, expired, hits := rn.closest(res, q)
	if validating {
		for _, h := range hits {
			rn.validateCut(ctx, h.step, h.zone, depth, stack)
		}
	}
	// QNAME minimisation (RFC 9156): each zone's servers are asked only
	// about the next label below the zone, until the full name is reached.
	// A server that answers a minimised question wrongly (NXDOMAIN for an
	// empty non-terminal, REFUSED, no answer) makes the resolver fall back
	// to the full name, as resolvers do ("relaxed" mode).
	qmin := rn.cfg.QMin
	minimised := 0
	qzone, qlabels := "", 0 // the zone asked, and the labels of the next minimised name
	for referrals := 0; ; referrals++ {
		if referrals >= rn.cfg.MaxReferrals {
			return failed(ReasonTooManyReferrals, ns.zone, "more than %d referrals", rn.cfg.MaxReferrals)
		}
		if reason, stop := rn.stopped(ctx); stop {
			return failed(reason, ns.zone, "%s", stopDetail[reason])
		}
		sent := q
		if qmin && minimised < maxMinimise {
			if qzone != ns.zone {
				qzone, qlabels = ns.zone, dns.CountLabel(ns.zone)+1
			}
			if next, ok := ancestor(q.name, qlabels); ok {
				sent = question{next, dns.TypeA}
			}
		}
		// A resolution sharing this cache may be asking these servers for
		// the same delegation right now: wait for it, then take the
		// delegation from the cache instead of asking again.
		if testHookBeforeClaim != nil {
			testHookBeforeClaim(ns.zone, sent.name)
		}
		claimed, wait := rn.claim(ns.zone, sent.name)
		if wait != nil {
			select {
			case <-wait:
			case <-ctx.Done():
			}
		}
		// The delegation may be in the cache now: stored by the resolution
		// waited for, or by one whose claim was over after this one looked
		// in the cache and before it claimed the cut. Take it from the
		// cache rather than ask the same servers the same question again.
		if next, step, ok := rn.cachedDelegation(res, ns.zone, sent, q); ok {
			claimed.release() // nothing when this one waited: it claimed nothing
			ns = next
			if validating {
				rn.validateCut(ctx, step, ns.zone, depth, stack)
			}
			continue
		}
		// Step 3: ask the servers.
		st := rn.ask(ctx, res, ns, sent, q, depth, stack, func(resp Response) CacheState {
			if (resp.Kind == KindReferral && expired[resp.Referral]) || (resp.Kind != KindReferral && answerExpired) {
				return CacheExpired
			}
			return CacheMiss
		})
		if st.failure == ReasonNone && st.resp.Kind == KindReferral {
			rn.storeReferral(ns.zone, st.resp)
		}
		claimed.release() // the delegation, if any, is in the cache for those waiting
		if sent != q {
			minimised++
			switch {
			case st.failure == ReasonNone && st.resp.Kind == KindReferral:
				// a zone cut: go on below it
			case st.failure == ReasonNone && st.resp.Kind != KindNXDomain:
				// the name exists, with no zone cut: one more label, same servers
				qlabels++
				continue
			default:
				// NXDOMAIN or no usable answer to a minimised question:
				// ask the same servers again with the full name.
				qmin = false
				continue
			}
		}
		if st.failure != ReasonNone {
			return failed(st.failure, ns.zone, "%s", st.detail)
		}
		// Step 4: analyse.
		resp := st.resp
		var sec Verdict
		if validating && resp.Kind != KindReferral {
			sec = rn.validateStep(ctx, st.id, ns.zone, q, resp, depth, stack)
		}
		switch resp.Kind {
		case KindAnswer:
			rn.storeAnswer(resp.Answer, ns.zone, validating, sec)
			return Outcome{Status: StatusAnswer, Records: resp.Answer, Zone: ns.zone, Sigs: resp.Sigs, Security: sec}
		case KindNXDomain:
			rn.cache.StoreNegative(q.name, q.qtype, NXDomain, resp.SOA, resp.NegTTL, ns.zone)
			if validating {
				rn.cache.setVerdict(q.name, negativeKey(q.qtype, NXDomain), sec)
			}
			return Outcome{Status: StatusNXDomain, Zone: ns.zone, SOA: resp.SOA, Authority: resp.Authority, Security: sec}
		case KindNoData:
			rn.cache.StoreNegative(q.name, q.qtype, NoData, resp.SOA, resp.NegTTL, ns.zone)
			if validating {
				rn.cache.setVerdict(q.name, q.qtype, sec)
			}
			return Outcome{Status: StatusNoData, Zone: ns.zone, SOA: resp.SOA, Authority: resp.Authority, Security: sec}
		case KindCNAME:
			rn.storeAnswer(resp.Answer, ns.zone, validating, sec)
			out := rn.followCNAME(ctx, q, st.id, resp.Answer[0], depth, cnames, stack)
			if validating && out.Status != StatusServFail { // a failure has no data to be secure
				out.Security = worse(sec, out.Security)
			}
			return out
		case KindReferral:
			if validating {
				rn.validateCut(ctx, st.id, resp.Referral, depth, stack)
			}
			next := servers{zone: resp.Referral, names: make([]string, len(resp.NS))}
			for i, v := range resp.NS {
				next.names[i] = canonical(v.Ns)
			}
			if len(resp.Glue) > 0 {
				next.glue = make([]Hint, len(resp.Glue))
				for i, rr := range resp.Glue {
					next.glue[i] = Hint{canonical(rr.Header().Name), rrAddr(rr)}
				}
			}
			ns = next
		}
	}
}

// storeAnswer caches the RRsets of an answer (or of a CNAME chain),
// learned from a server of zone, each with the step's DNSSEC verdict when
// the resolution validates.
func (rn *run) storeAnswer(rrs []dns.RR, zone string, validating bool, sec Verdict) {
	for _, set := range rrsets(rrs) {
		rn.cache.Store(set, RankAnswer, zone)
		if validating {
			rn.cache.setVerdict(set[0].Header().Name, set[0].Header().Rrtype, sec)
		}
	}
}

// storeReferral caches a referral's NS records and glue, learned from a
// server of zone.
func (rn *run) storeReferral(zone string, resp Response) {
	nsRRs := make([]dns.RR, len(resp.NS))
	for i, v := range resp.NS {
		nsRRs[i] = v
	}
	rn.cache.storeReferral(nsRRs, rrsets(resp.Glue), zone)
}

// claim registers that this resolution is about to ask zone's servers
// about name, keyed by the delegation it may lead to (the name one label
// below zone); see Cache.claim.
func (rn *run) claim(zone, name string) (claimed flight, wait <-chan struct{}) {
	return rn.cache.claim(flightKey{zone, cutChild(zone, name)})
}

// cutChild is the delegation a question about name to zone's servers may
// lead to: the name one label below zone on the way to name, or name
// itself when it is no deeper.
func cutChild(zone, name string) string {
	if child, ok := ancestor(name, dns.CountLabel(zone)+1); ok {
		return child
	}
	return name
}

// testHookBeforeClaim, set by tests only, is called before a resolution
// claims a zone cut, after it looked in the cache.
var testHookBeforeClaim func(zone, name string)

// cachedDelegation looks, once the cut is claimed or another resolution's
// claim was waited for, for the delegation one label below zone on the way
// to sent.name: if the cache has it now, it is reported as a cache-hit step
// and its servers returned.
func (rn *run) cachedDelegation(res int, zone string, sent, q question) (servers, int, bool) {
	child := cutChild(zone, sent.name)
	if q.qtype == dns.TypeDS && child == q.name {
		return servers{}, 0, false
	}
	e, state := rn.delegation(child)
	if state != CacheHit || child == zone {
		return servers{}, 0, false
	}
	resp, next := cachedReferral(child, e)
	step := rn.hitStep(res, zone, q, e, resp)
	return next, step, true
}

// cachedReferral is a delegation to zone taken from the cache (its NS
// RRset, e): the referral a cache-hit step reports, and the servers to ask
// next. Their addresses are looked up when they are asked.
func cachedReferral(zone string, e Entry) (Response, servers) {
	resp := Response{Kind: KindReferral, Referral: zone}
	next := servers{zone: zone}
	if len(e.RRs) > 0 {
		resp.NS = make([]*dns.NS, len(e.RRs))
		next.names = make([]string, len(e.RRs))
		for i, rr := range e.RRs {
			v := rr.(*dns.NS)
			resp.NS[i] = v
			next.names[i] = canonical(v.Ns)
		}
	}
	return resp, next
}

// maxMinimise caps the minimised questions of one resolution; after it,
// the full name is sent (RFC 9156 §2.3 MAX_MINIMISE_COUNT).
const maxMinimise = 10

// fromCache is step 1: an answer, a CNAME or a negative answer from the
// cache ends (or redirects) the resolution without asking anyone.
func (rn *run) fromCache(ctx context.Context, res int, validating bool, q question, depth int, cnames []string, stack []question) (out Outcome, done, expired bool) {
	e, state := rn.cache.Lookup(q.name, q.qtype, RankAnswer)
	expired = state == CacheExpired
	if state == CacheHit {
		if e.Negative == NXDomain { // a DS denied by the parent (negativeKey)
			step := rn.hitStep(res, e.Zone, q, e, Response{Kind: KindNXDomain, SOA: e.SOA, NegTTL: e.TTL, Rcode: dns.RcodeNameError})
			sec := rn.cachedVerdict(validating, step, e, "nxdomain")
			return Outcome{Status: StatusNXDomain, Zone: e.Zone, SOA: e.SOA, Security: sec}, true, false
		}
		if e.Negative == NoData {
			step := rn.hitStep(res, e.Zone, q, e, Response{Kind: KindNoData, SOA: e.SOA, NegTTL: e.TTL})
			sec := rn.cachedVerdict(validating, step, e, "nodata")
			return Outcome{Status: StatusNoData, Zone: e.Zone, SOA: e.SOA, Security: sec}, true, false
		}
		step := rn.hitStep(res, e.Zone, q, e, Response{Kind: KindAnswer, Answer: e.RRs, AA: true})
		sec := rn.cachedVerdict(validating, step, e, "answer")
		return Outcome{Status: StatusAnswer, Records: e.RRs, Zone: e.Zone, Security: sec}, true, false
	}
	if q.qtype != dns.TypeCNAME {
		e, state = rn.cache.Lookup(q.name, dns.TypeCNAME, RankAnswer)
		expired = expired || state == CacheExpired
		if state == CacheHit && len(e.RRs) > 0 {
			c := e.RRs[0].(*dns.CNAME)
			step := rn.hitStep(res, e.Zone, q, e, Response{Kind: KindCNAME, Answer: e.RRs, Target: canonical(c.Target), AA: true})
			sec := rn.cachedVerdict(validating, step, e, "cname")
			out := rn.followCNAME(ctx, q, step, c, depth, cnames, stack)
			if validating && out.Status != StatusServFail { // a failure has no data to be secure
				out.Security = worse(sec, out.Security)
			}
			return out, true, false
		}
	}
	e, state = rn.cache.Lookup(q.name, typeNXDomain, RankAnswer)
	expired = expired || state == CacheExpired
	if state == CacheHit {
		step := rn.hitStep(res, e.Zone, q, e, Response{Kind: KindNXDomain, SOA: e.SOA, NegTTL: e.TTL, Rcode: dns.RcodeNameError})
		sec := rn.cachedVerdict(validating, step, e, "nxdomain")
		return Outcome{Status: StatusNXDomain, Zone: e.Zone, SOA: e.SOA, Security: sec}, true, false
	}
	return Outcome{}, false, expired
}

// hitStep reports a step answered from the cache and returns its ID.
func (rn *run) hitStep(res int, zone string, q question, e Entry, resp Response) int {
	id := int(rn.steps.Add(1))
	rn.obs.Observe(StepStarted{Step: id, Resolution: res, Zone: zone, Name: q.name, Type: q.qtype})
	rn.obs.Observe(StepFinished{Step: id, Cache: CacheHit, TTL: e.TTL, Response: resp})
	return id
}

// closest is step 2: start from the root hints and walk down the name's
// ancestors, taking every delegation the cache still holds (each shown as a
// cache hit). It also returns the delegations that had expired.
func (rn *run) closest(res int, q question) (servers, map[string]bool, []cut) {
	var hits []cut
	// The hints are only read: ask sorts a copy of the names.
	ns := servers{zone: ".", names: rn.hints.Names, glue: rn.hints.Servers}
	var expired map[string]bool // nil (reads as empty) until one has expired
	var buf [8]string
	for _, zone := range ancestors(q.name, buf[:0]) {
		if q.qtype == dns.TypeDS && zone == q.name {
			break // a DS RRset lives on the parent's side of the cut (RFC 4035 §3.1.4.1)
		}
		e, state := rn.delegation(zone)
		switch state {
		case CacheExpired:
			if expired == nil {
				expired = map[string]bool{}
			}
			expired[zone] = true
		case CacheHit:
			resp, next := cachedReferral(zone, e)
			hits = append(hits, cut{rn.hitStep(res, ns.zone, q, e, resp), zone})
			ns = next
		}
	}
	return ns, expired, hits
}

// cut is a step that led to a zone: a referral, asked or from the cache.
type cut struct {
	step int
	zone string
}

// stepResult is what step 3 found.
type stepResult struct {
	id      int
	resp    Response
	failure Reason
	detail  string
}

type target struct {
	name string
	addr netip.AddrPort
}

// ask is step 3: find an address for every NS of the zone (resolving NS
// names that came without glue, within limits), ask every address at once,
// and pick the fastest usable response. state says, from the response,
// whether what it brought had expired in the cache.
func (rn *run) ask(ctx context.Context, res int, ns servers, q, full question, depth int, stack []question, state func(Response) CacheState) stepResult {
	id := int(rn.steps.Add(1))
	names := slices.Clone(ns.names)
	slices.Sort(names)
	names = slices.Compact(names)
	started := StepStarted{Step: id, Resolution: res, Zone: ns.zone, Name: q.name, Type: q.qtype, NS: names}
	if q != full {
		started.FullName = full.name
	}
	rn.obs.Observe(started)
	fin := StepFinished{Step: id, Cache: CacheMiss}

	targets := make([]target, 0, 2*len(names))
	var seen map[netip.AddrPort]bool // once there are too many targets to search them
	add := func(name string, a netip.Addr) {
		if (a.Is4() && !rn.cfg.IPv4) || (!a.Is4() && !rn.cfg.IPv6) {
			return
		}
		ap := netip.AddrPortFrom(a, rn.cfg.Port)
		if seen == nil && len(targets) >= 16 {
			seen = make(map[netip.AddrPort]bool, 2*len(targets))
			for _, t := range targets {
				seen[t.addr] = true
			}
		}
		if seen != nil {
			if seen[ap] {
				return
			}
			seen[ap] = true
		} else if slices.ContainsFunc(targets, func(t target) bool { return t.addr == ap }) {
			return
		}
		targets = append(targets, target{name, ap})
	}
	var glueless []string
	for _, name := range names {
		found := false
		for _, h := range ns.glue {
			if h.Name == name {
				add(name, h.Addr)
				found = true
			}
		}
		if !found {
			found = rn.forCachedAddrs(name, rn.families(), func(a netip.Addr) { add(name, a) })
		}
		if !found {
			glueless = append(glueless, name)
		}
	}
	tooDeep := false
	// A zone whose servers are being looked up further up this branch
	// cannot be needed again: that is a cyclic dependency. The stack holds
	// such zones as question{zone, 0} (type 0 is never asked).
	if waiting := (question{ns.zone, 0}); slices.Contains(stack, waiting) {
		fin.Cyclic, glueless = glueless, nil
	} else if len(glueless) > 0 {
		stack = append(slices.Clip(stack), waiting)
	}
	for i, name := range glueless {
		if i >= rn.cfg.MaxGluelessPerReferral || depth+1 > rn.cfg.MaxDepth {
			tooDeep = depth+1 > rn.cfg.MaxDepth
			fin.GluelessSkipped = append(fin.GluelessSkipped, glueless[i:]...)
			break
		}
		if _, stop := rn.stopped(ctx); stop {
			fin.GluelessSkipped = append(fin.GluelessSkipped, glueless[i:]...)
			break
		}
		for _, t := range rn.families() {
			g := question{name, t}
			if slices.Contains(stack, g) {
				if !slices.Contains(fin.Cyclic, name) {
					fin.Cyclic = append(fin.Cyclic, name)
				}
				continue
			}
			out := rn.resolve(ctx, g, id, PurposeGlueless, depth+1, nil, stack)
			if out.Reason == ReasonCyclicDependency && !slices.Contains(fin.Cyclic, name) {
				fin.Cyclic = append(fin.Cyclic, name)
			}
			found := false
			for _, rr := range out.Records {
				if a := rrAddr(rr); a.IsValid() && a.Is4() == (t == dns.TypeA) {
					add(name, a)
					found = true
				}
			}
			if !found {
				// The name's own servers did not answer, but the referral
				// to its zone may have carried glue for it: use that, as
				// resolvers do, so that the server is still asked.
				rn.forCachedAddrs(name, []uint16{t}, func(a netip.Addr) { add(name, a) })
			}
		}
	}

	if len(targets) == 0 {
		switch reason, stop := rn.stopped(ctx); {
		case stop:
			fin.Failure, fin.Detail = reason, stopDetail[reason]
		case len(fin.Cyclic) > 0:
			fin.Failure = ReasonCyclicDependency
			fin.Detail = fmt.Sprintf("the addresses of %s can only be found through %s itself, and no glue was given", strings.Join(fin.Cyclic, ", "), ns.zone)
		case tooDeep:
			fin.Failure = ReasonTooDeep
			fin.Detail = fmt.Sprintf("finding the addresses of the NS of %s would nest side resolutions deeper than %d", ns.zone, rn.cfg.MaxDepth)
		case len(fin.GluelessSkipped) > 0:
			fin.Failure = ReasonNoAddress
			fin.Detail = fmt.Sprintf("no address found for the NS of %s that were looked up; %d more were not looked up (limit)", ns.zone, len(fin.GluelessSkipped))
		default:
			fin.Failure = ReasonNoAddress
			fin.Detail = fmt.Sprintf("no address found for any NS of %s", ns.zone)
		}
		rn.obs.Observe(fin)
		return stepResult{id: id, failure: fin.Failure, detail: fin.Detail}
	}

	best, all, notAsked := rn.fanOut(ctx, id, ns.zone, q, targets)
	fin.NotAsked = notAsked
	if best == nil {
		fin.Failure, fin.Detail = rn.whyFailed(ctx, ns.zone, all)
		rn.obs.Observe(fin)
		return stepResult{id: id, failure: fin.Failure, detail: fin.Detail}
	}
	fin.Server, fin.Addr, fin.Response = best.t.name, best.t.addr, best.resp
	fin.Cache = state(best.resp)
	rn.obs.Observe(fin)
	return stepResult{id: id, resp: best.resp}
}

func (rn *run) whyFailed(ctx context.Context, zone string, all []*exchangeResult) (Reason, string) {
	if reason, stop := rn.stopped(ctx); stop {
		return reason, stopDetail[reason]
	}
	upward := 0
	for _, r := range all {
		if r.resp.Kind == KindLame && strings.HasPrefix(r.resp.Detail, "upward referral") {
			upward++
		}
	}
	if upward > 0 && upward == len(all) {
		return ReasonReferralLoop, fmt.Sprintf("every server of %s referred back up instead of answering", zone)
	}
	kinds := map[string]int{}
	for _, r := range all {
		kinds[r.resp.Kind.String()]++
	}
	var parts []string
	for _, k := range []Kind{KindLame, KindTimeout, KindUnreachable, KindSkipped, KindError} {
		if n := kinds[k.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return ReasonAllServersFailed, fmt.Sprintf("no server of %s gave a usable answer (%s)", zone, strings.Join(parts, ", "))
}

// The address types of the enabled families, shared: only read.
var (
	typesBoth = []uint16{dns.TypeA, dns.TypeAAAA}
	typesA    = typesBoth[:1:1]
	typesAAAA = typesBoth[1:]
)

func (rn *run) families() []uint16 {
	switch {
	case rn.cfg.IPv4 && rn.cfg.IPv6:
		return typesBoth
	case rn.cfg.IPv4:
		return typesA
	case rn.cfg.IPv6:
		return typesAAAA
	}
	return nil
}

// cachedAddrs returns the cached addresses of name (glue included) of the
// given types.
func (rn *run) cachedAddrs(name string, types ...uint16) []netip.Addr {
	var out []netip.Addr
	rn.forCachedAddrs(name, types, func(a netip.Addr) { out = append(out, a) })
	return out
}

// forCachedAddrs calls f with each cached address of name (glue included)
// of the given types, as cachedAddrs lists them, and reports whether there
// was any. The cached records are read in place, not copied.
func (rn *run) forCachedAddrs(name string, types []uint16, f func(netip.Addr)) bool {
	found := false
	for _, t := range types {
		if rrs, state := rn.cache.peek(name, t, RankGlue); state == CacheHit {
			for _, rr := range rrs {
				if a := rrAddr(rr); a.IsValid() {
					f(a)
					found = true
				}
			}
		}
	}
	return found
}

type exchangeResult struct {
	idx  int
	t    target
	resp Response
	rtt  int64
}

// fanOut asks the targets in waves of at most MaxInFlight at once and
// returns the usable response to use, every response received by then,
// and how many targets were never asked. A zone with at most MaxInFlight
// addresses has every address asked at once; beyond that, a further wave
// is sent only while no usable response has come (unless waitAll), so a
// referral to hundreds of servers cannot become a flood.
//
// Over a real network it returns at the first usable response; the other
// exchanges of its wave go on until their own timeouts and their events
// still reach the observer. Over a simulated network it waits for the
// whole wave and takes the fastest, so that traces do not depend on
// goroutine scheduling.
func (rn *run) fanOut(ctx context.Context, step int, zone string, q question, targets []target) (*exchangeResult, []*exchangeResult, int) {
	// Each exchange writes its own slot and sends only its index: the
	// results are not copied through the channel, nor after it. A slot is
	// read once its index came: its exchange is done with it (those still
	// running write only their own).
	n := len(targets)
	slots := make([]exchangeResult, n)
	all := make([]*exchangeResult, 0, n)
	done := make(chan int, n)
	var best *exchangeResult
	var small [32]int64
	for start := 0; start < n; start += rn.cfg.MaxInFlight {
		end := min(start+rn.cfg.MaxInFlight, n)
		// Each exchange of the wave reserves its queries (the first, its
		// retries and a TCP retry) before any of them starts, in target
		// order, so which servers a nearly spent budget still covers does
		// not depend on goroutine scheduling.
		var allowances []int64
		if end-start <= len(small) {
			allowances = small[:end-start]
		} else {
			allowances = make([]int64, end-start)
		}
		for i := range allowances {
			allowances[i] = rn.reserve(int64(2 + rn.cfg.Retries))
		}
		for i := start; i < end; i++ {
			allowance := allowances[i-start]
			if allowance == 0 {
				slots[i] = exchangeResult{idx: i, t: targets[i], resp: Response{Kind: KindError, Rcode: -1, Detail: "not asked: " + stopDetail[ReasonQueryBudget]}}
				done <- i
				continue
			}
			rn.late.Add(1)
			tk := exchangeTask{rn, ctx, step, zone, q, i, targets[i], allowance, &slots[i], done}
			if rn.simulated {
				// Instant replies, every one waited for: a goroutine
				// that ends with its exchange leaves none behind.
				go runExchange(tk)
			} else {
				startExchange(tk)
			}
		}
		for range end - start {
			r := &slots[<-done]
			all = append(all, r)
			if r.resp.Kind.Usable() && (best == nil || r.rtt < best.rtt || (r.rtt == best.rtt && r.idx < best.idx)) {
				best = r
			}
			if best != nil && !rn.simulated && !rn.waitAll {
				return best, all, n - end
			}
		}
		if _, stop := rn.stopped(ctx); stop || (best != nil && !rn.waitAll) {
			return best, all, n - end
		}
	}
	return best, all, 0
}

// exchangeTask is one exchange of fanOut: it writes the result to slot and
// sends idx on done.
type exchangeTask struct {
	rn        *run
	ctx       context.Context
	step      int
	zone      string
	q         question
	idx       int
	t         target
	allowance int64
	slot      *exchangeResult
	done      chan<- int
}

func runExchange(tk exchangeTask) { tk.run() }

func (tk *exchangeTask) run() {
	defer tk.rn.late.Done()
	tk.rn.exchange(tk.ctx, tk.step, tk.zone, tk.q, tk.idx, tk.t, tk.allowance, tk.slot)
	tk.done <- tk.idx
}

// idleExchangers hands a task to an exchange goroutine that is waiting for
// one.
var idleExchangers = make(chan exchangeTask)

// exchangerIdle is how long an exchange goroutine waits for another task
// before it ends.
const exchangerIdle = 20 * time.Millisecond

// startExchange runs tk in a goroutine of its own: one that finished an
// exchange lately and waits for another (for exchangerIdle at most), or a
// new one. A new goroutine starts with a small stack that an exchange (the
// transport, Classify, the observer) grows, copying it each time: in an
// audit that cost a fifth of the CPU (BenchmarkAudit). A goroutine that
// waits keeps its grown stack.
func startExchange(tk exchangeTask) {
	select {
	case idleExchangers <- tk:
	default:
		go exchanger(tk)
	}
}

func exchanger(tk exchangeTask) {
	var idle *time.Timer
	for {
		tk.run()
		tk = exchangeTask{} // nothing of the finished exchange is kept while waiting
		if idle == nil {
			idle = time.NewTimer(exchangerIdle)
		} else {
			idle.Reset(exchangerIdle)
		}
		select {
		case tk = <-idleExchangers:
		case <-idle.C:
			return
		}
	}
}

// exchange asks one address, retrying after a timeout and over TCP after
// TC=1. Every attempt is an event.
//
// allowance is how many queries it may send, reserved from the budget; what
// it does not use goes back.
func (rn *run) exchange(ctx context.Context, step int, zone string, q question, idx int, t target, allowance int64, res *exchangeResult) {
	proto := UDP
	if rn.cfg.TCP {
		proto = TCP
	}
	*res = exchangeResult{idx: idx, t: t}
	defer func() { rn.budget.Add(allowance) }() // return what was not used
	for attempt, tries := 1, 0; tries <= rn.cfg.Retries; attempt++ {
		if allowance == 0 {
			return // the last attempt's result stands
		}
		allowance--
		rn.queries.Add(1)
		query := rn.query(q)
		reply, rtt, err := exchangeTimeout(ctx, rn.r.Transport, proto, t.addr, query, rn.cfg.Timeout)
		resp := &res.resp // written in place: a Response is large
		*resp = Response{}
		if err != nil {
			resp.Kind, resp.Detail = ClassifyError(err)
			resp.Rcode = -1
			resp.BadReply = isBadResponse(err)
			if resp.Kind == KindTimeout {
				rtt = rn.cfg.Timeout
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					resp.Kind, resp.Detail = KindError, "stopped: the overall deadline passed"
				}
			}
		} else {
			*resp = Classify(query, reply, zone)
			if resp.BadReply {
				// Not a reply to this query (RFC 5452): as if none came.
				resp.Rcode, resp.AA, resp.TC = -1, false, false
			}
			if resp.Kind == KindTruncated && proto == TCP {
				resp.Kind, resp.Detail = KindError, "TC=1 over TCP"
			}
		}
		rn.obs.Observe(Exchanged{Step: step, Server: t.name, Addr: t.addr, Proto: proto, Attempt: attempt, RTT: rtt, Response: *resp})
		if rn.cfg.DNSSEC {
			rn.keepReply(step, t, *resp)
		}
		res.rtt = int64(rtt)
		switch {
		case resp.Kind == KindTruncated:
			proto = TCP // the same server, over TCP; not a retry
		case resp.Kind == KindTimeout && ctx.Err() == nil:
			tries++
		default:
			return
		}
	}
}

// queryMsg is a query with its question and OPT record, allocated at once.
type queryMsg struct {
	msg      dns.Msg
	question [1]dns.Question
	extra    [1]dns.RR
	opt      dns.OPT
}

func (rn *run) query(q question) *dns.Msg {
	b := new(queryMsg)
	m := &b.msg
	m.Id = rn.newID()
	m.RecursionDesired = false
	b.question[0] = dns.Question{Name: q.name, Qtype: q.qtype, Qclass: dns.ClassINET}
	m.Question = b.question[:]
	if rn.cfg.EDNSSize > 0 {
		// What m.SetEdns0(rn.cfg.EDNSSize, rn.cfg.DNSSEC) adds.
		o := &b.opt
		o.Hdr.Name = "."
		o.Hdr.Rrtype = dns.TypeOPT
		o.SetUDPSize(rn.cfg.EDNSSize)
		if rn.cfg.DNSSEC {
			o.SetDo()
		}
		b.extra[0] = o
		m.Extra = b.extra[:]
	}
	return m
}

// followCNAME restarts the resolution at the CNAME's target, as a side
// resolution of the step that found it.
func (rn *run) followCNAME(ctx context.Context, q question, step int, c dns.RR, depth int, cnames []string, stack []question) Outcome {
	target := canonical(c.(*dns.CNAME).Target)
	cnames = append(slices.Clip(cnames), q.name)
	if slices.Contains(cnames, target) {
		return Outcome{Status: StatusServFail, Reason: ReasonCNAMELoop, Records: []dns.RR{c},
			Detail: fmt.Sprintf("CNAME loop: %s points back to %s", q.name, target)}
	}
	if len(cnames) > rn.cfg.MaxCNAMEChain {
		return Outcome{Status: StatusServFail, Reason: ReasonCNAMEChainTooLong, Records: []dns.RR{c},
			Detail: fmt.Sprintf("CNAME chain longer than %d", rn.cfg.MaxCNAMEChain)}
	}
	out := rn.resolve(ctx, question{target, q.qtype}, step, PurposeCNAME, depth, cnames, stack)
	out.Records = append([]dns.RR{c}, out.Records...)
	return out
}

// rrsets groups records by owner and type, keeping their order.
func rrsets(rrs []dns.RR) [][]dns.RR {
	if len(rrs) == 0 {
		return nil
	}
	if len(rrs) == 1 {
		return [][]dns.RR{rrs[:1:1]}
	}
	out := make([][]dns.RR, 0, len(rrs))
	keys := make([]question, 0, len(rrs))
	var idx map[question]int // once there are too many sets to search them
	for _, rr := range rrs {
		k := question{canonical(rr.Header().Name), rr.Header().Rrtype}
		i := -1
		if idx != nil {
			if j, ok := idx[k]; ok {
				i = j
			}
		} else {
			i = slices.Index(keys, k)
		}
		if i >= 0 {
			out[i] = append(out[i], rr)
			continue
		}
		if idx == nil && len(keys) == 16 {
			idx = make(map[question]int, len(rrs))
			for j, k := range keys {
				idx[k] = j
			}
		}
		if idx != nil {
			idx[k] = len(out)
		}
		keys = append(keys, k)
		out = append(out, []dns.RR{rr})
	}
	return out
}

func rrAddr(rr dns.RR) netip.Addr {
	switch v := rr.(type) {
	case *dns.A:
		if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
			return a
		}
	case *dns.AAAA:
		if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && !a.Is4In6() {
			return a
		}
	}
	return netip.Addr{}
}

// delegation looks up the cached NS RRset of zone. A cached NODATA for NS
// (asked about a name that is no zone cut) is no delegation: it must not
// make the name look like a zone without servers.
func (rn *run) delegation(zone string) (Entry, CacheState) {
	e, state := rn.cache.Lookup(zone, dns.TypeNS, RankReferral)
	if state == CacheHit && (e.Negative != 0 || len(e.RRs) == 0) {
		return Entry{}, CacheMiss
	}
	return e, state
}
