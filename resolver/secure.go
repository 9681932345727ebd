package resolver

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// This file walks the chain of trust (RFC 4035 §5) along the resolution,
// when Config.DNSSEC is set: at every zone cut the resolver fetches the DS
// RRset from the parent's servers and the DNSKEY RRset from the child's,
// each as a side resolution of purpose PurposeDNSSEC under the step that
// needed it, and checks them with the functions of dnssec.go. Each step of
// the user's chain then gets a Validated event: for a referral, the state
// of the zone it leads to; for an answer, NXDOMAIN or NODATA, the state of
// that data.

// zoneSec is the DNSSEC state of one zone: whether its data can be
// validated, and with which keys.
type zoneSec struct {
	zone string
	// v is how the state was reached. v.Code is set only at the zone where
	// the chain broke; zones below it inherit the state without a code.
	v    Verdict
	keys []*dns.DNSKEY // the trusted keys, when secure
	// from is the zone whose state this one inherits (an unsigned or
	// broken delegation above), or "".
	from string
}

// Validated is the DNSSEC verdict of one step, sent only when
// Config.DNSSEC is set, after the step's StepFinished (and after the side
// resolutions that fetched the keys it needed).
type Validated struct {
	Step int
	// Zone is the zone whose keys were checked (a referral: the child) or
	// whose keys signed the data (an answer, NXDOMAIN or NODATA).
	Zone string
	// What was validated: "keys" (the delegated zone's DS and DNSKEY
	// RRsets), "answer", "cname", "nxdomain" or "nodata".
	What    string
	Verdict Verdict
	// Inherited is set when the state comes from a zone above (an unsigned
	// or broken delegation there), not from a check of this step's data.
	Inherited bool
	// Cached is set when the zone's keys, or the answer's verdict, came
	// from the cache.
	Cached bool
}

func (Validated) event() {}

// rootAnchor is the embedded root trust anchor, parsed once for the
// process: zone checks only read it. (RootTrustAnchor parses it again at
// each call, so that its callers get a copy of their own.)
var rootAnchor = sync.OnceValue(RootTrustAnchor)

// anchor returns the trust anchor of the run.
func (rn *run) anchor() *TrustAnchor {
	if rn.cfg.TrustAnchor != nil {
		return rn.cfg.TrustAnchor
	}
	return rootAnchor()
}

// keyTags returns the key tags of the anchor's DS records and keys,
// sorted and without duplicates.
func (ta *TrustAnchor) keyTags() []uint16 {
	var tags []uint16
	for _, d := range ta.DS {
		tags = append(tags, d.KeyTag)
	}
	for _, k := range ta.Keys {
		tags = append(tags, k.KeyTag())
	}
	return sortedTags(tags)
}

// validating reports whether a resolution of purpose p checks DNSSEC: only
// the user's own chain (the name and its CNAME targets) is validated; side
// lookups of NS addresses and the fetches of keys are not.
func (rn *run) validating(p Purpose) bool {
	return rn.cfg.DNSSEC && (p == PurposeQuery || p == PurposeCNAME)
}

// keysFor returns the DNSSEC state of zone, fetching and checking what it
// needs (the parent's state first, then the zone's DS and DNSKEY RRsets)
// in side resolutions of step. cached tells whether it came from the cache.
func (rn *run) keysFor(ctx context.Context, zone string, step, depth int, stack []question) (zs zoneSec, cached bool) {
	if zs, ok := rn.cache.zoneSecurity(zone); ok {
		return zs, true
	}
	// Concurrent resolutions sharing the cache (an audit) need the same
	// zones' keys: one fetches, the others wait and read the cache.
	claimed, wait := rn.cache.claim(flightKey{zone: zone})
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
		}
		if zs, ok := rn.cache.zoneSecurity(zone); ok {
			return zs, true
		}
	}
	defer claimed.release() // nothing when this one waited: it claimed nothing
	zs, ttl := rn.checkZone(ctx, zone, step, depth, stack)
	rn.cache.storeZoneSecurity(zs, ttl)
	return zs, false
}

// negativeKeysTTL is how long a state reached without any TTL to go by
// (a fetch that failed) is kept.
const negativeKeysTTL = 60

// checkZone does the work of keysFor and returns the state with the TTL
// it may be cached for.
func (rn *run) checkZone(ctx context.Context, zone string, step, depth int, stack []question) (zoneSec, uint32) {
	ta := rn.anchor()
	now := rn.cache.clock.Now()
	zs := zoneSec{zone: zone}
	if zone == ta.Zone {
		keys := rn.fetch(ctx, question{zone, dns.TypeDNSKEY}, step, depth, stack)
		if keys.Status == StatusServFail {
			zs.v = Verdict{State: SecurityIndeterminate, Reason: fmt.Sprintf("the DNSKEY RRset of the trust anchor's zone %s could not be fetched: %s", zone, keys.Detail)}
			return zs, negativeKeysTTL
		}
		zs.keys, zs.v = ValidateKeys(zone, ta.DS, ta.Keys, keys.Records, keys.Sigs, now)
		if zs.v.Code == CodeDSMismatch {
			// ValidateKeys takes a DS for the parent's: here it is the
			// trust anchor's, the validator's own, that matches no key.
			zs.v.Code = CodeTrustAnchorMismatch
			zs.v.Reason = strings.Replace(zs.v.Reason, "the DS for ", "the trust anchor's DS for ", 1)
			zs.v.Reason = strings.Replace(zs.v.Reason, " DS records for ", " DS records of the trust anchor for ", 1)
		}
		if zs.v.Code == CodeDNSKEYMissing {
			// ValidateKeys takes a DS for the parent's: here it is the
			// trust anchor's, and the zone may have no parent at all.
			tags, word := ta.keyTags(), "key tag"
			if len(tags) > 1 {
				word = "key tags"
			}
			zs.v.Reason = fmt.Sprintf("the trust anchor's zone %s serves no DNSKEY, so none can match the trust anchor (%s %s)", zone, word, keyTagList(tags))
		}
		if zs.v.State == SecuritySecure && zs.v.Reason == "" {
			zs.v.Reason = fmt.Sprintf("the DNSKEY RRset of %s is signed by a key of the trust anchor", zone)
		}
		rn.keysVerdict(zone, keys, zs.v)
		return zs, ttlOf(keys.Records, keys.Sigs, now)
	}
	if !dns.IsSubDomain(ta.Zone, zone) {
		zs.v = Verdict{State: SecurityIndeterminate, Reason: fmt.Sprintf("no trust anchor covers %s (the anchor is for %s)", zone, ta.Zone)}
		return zs, negativeKeysTTL
	}
	parent := rn.parentOf(zone)
	if parent == "" {
		zs.v = Verdict{State: SecurityIndeterminate, Reason: fmt.Sprintf("the zone above %s is not known", zone)}
		return zs, negativeKeysTTL
	}
	ps, _ := rn.keysFor(ctx, parent, step, depth, stack)
	if ps.v.State != SecuritySecure {
		zs.v = Verdict{State: ps.v.State, Reason: inheritedReason(ps)}
		zs.from = ps.origin()
		return zs, negativeKeysTTL
	}
	ds := rn.fetch(ctx, question{zone, dns.TypeDS}, step, depth, stack)
	var dsRRs []*dns.DS
	switch ds.Status {
	case StatusAnswer:
		set := onlyType(ds.Records, dns.TypeDS)
		v := ValidateRRset(set, ds.Sigs, parent, ps.keys, now)
		rn.cache.setVerdict(zone, dns.TypeDS, v) // a later question for the DS gets it from the cache
		if v.State != SecuritySecure {
			zs.v = v
			return zs, negativeKeysTTL
		}
		for _, rr := range set {
			dsRRs = append(dsRRs, rr.(*dns.DS))
		}
	case StatusNoData:
		zs.v = ValidateNoDS(zone, parent, ds.Authority, ps.keys, now)
		if zs.v.State == SecurityInsecure && zs.v.Reason == "" {
			zs.v.Reason = fmt.Sprintf("%s proves, signed, that %s has no DS: an unsigned delegation", parent, zone)
		}
		return zs, expiryCap(negTTLOf(ds), ds.Authority, now)
	case StatusNXDomain:
		zs.v = Verdict{State: SecurityBogus, Code: CodeNSECProofInvalid, Reason: fmt.Sprintf("%s says %s does not exist, yet delegates it", parent, zone)}
		return zs, negativeKeysTTL
	default:
		zs.v = Verdict{State: SecurityIndeterminate, Reason: fmt.Sprintf("the DS RRset of %s could not be fetched from %s: %s", zone, parent, ds.Detail)}
		return zs, negativeKeysTTL
	}
	keys := rn.fetch(ctx, question{zone, dns.TypeDNSKEY}, step, depth, stack)
	if keys.Status == StatusServFail {
		zs.v = Verdict{State: SecurityIndeterminate, Reason: fmt.Sprintf("the DNSKEY RRset of %s could not be fetched: %s", zone, keys.Detail)}
		return zs, negativeKeysTTL
	}
	zs.keys, zs.v = ValidateKeys(zone, dsRRs, nil, keys.Records, keys.Sigs, now)
	rn.keysVerdict(zone, keys, zs.v)
	return zs, min(ttlOf(keys.Records, keys.Sigs, now), ttlOf(ds.Records, ds.Sigs, now))
}

// keysVerdict records the verdict of a zone's DNSKEY RRset with the
// cached RRset, when it was an answer: a later question for it gets the
// verdict from the cache, not "cached without a DNSSEC check".
func (rn *run) keysVerdict(zone string, keys Outcome, v Verdict) {
	if keys.Status == StatusAnswer {
		rn.cache.setVerdict(zone, dns.TypeDNSKEY, v)
	}
}

// fetch resolves a DS or DNSKEY RRset as a side resolution of step.
func (rn *run) fetch(ctx context.Context, q question, step, depth int, stack []question) Outcome {
	return rn.resolve(ctx, q, step, PurposeDNSSEC, depth+1, nil, stack)
}

// origin is the zone where zs's state was reached: the zone it inherits
// the state from, or its own.
func (zs zoneSec) origin() string {
	if zs.from != "" {
		return zs.from
	}
	return zs.zone
}

// inheritedReason says why a zone below ps has ps's state.
func inheritedReason(ps zoneSec) string {
	from := ps.origin()
	switch ps.v.State {
	case SecurityInsecure:
		return fmt.Sprintf("below the unsigned delegation of %s: nothing here can be validated", from)
	case SecurityBogus:
		return fmt.Sprintf("below %s, where the chain of trust is broken", from)
	}
	return fmt.Sprintf("below %s, whose state could not be determined", from)
}

// validateData checks the data a step ended with against the keys of the
// zone that sent it.
func (rn *run) validateData(zs zoneSec, q question, resp Response) (what string, v Verdict, inherited bool) {
	switch resp.Kind {
	case KindAnswer:
		what = "answer"
	case KindCNAME:
		what = "cname"
	case KindNXDomain:
		what = "nxdomain"
	case KindNoData:
		what = "nodata"
	default:
		return "", Verdict{}, false
	}
	if zs.v.State != SecuritySecure {
		return what, Verdict{State: zs.v.State, Reason: inheritedReason(zs)}, true
	}
	now := rn.cache.clock.Now()
	switch resp.Kind {
	case KindNXDomain:
		return what, ValidateNXDOMAIN(q.name, zs.zone, resp.Authority, zs.keys, now), false
	case KindNoData:
		return what, ValidateNODATA(q.name, q.qtype, zs.zone, resp.Authority, zs.keys, now), false
	}
	var tags []uint16
	for _, set := range rrsets(resp.Answer) {
		owner := dns.CanonicalName(set[0].Header().Name)
		sv := ValidateRRset(set, resp.Sigs, zs.zone, zs.keys, now)
		if sv.State == SecuritySecure && sv.Wildcard != "" {
			// Made from a wildcard: secure only with the proof that the
			// name itself does not exist (RFC 4035 §5.3.4).
			sv = ValidateWildcardExpansion(owner, sv.Wildcard, zs.zone, resp.Authority, zs.keys, now)
		}
		if sv.State != SecuritySecure {
			return what, sv, false
		}
		tags = append(tags, sv.KeyTags...)
	}
	tags = sortedTags(tags)
	return what, Verdict{State: SecuritySecure, KeyTags: tags,
		Reason: fmt.Sprintf("the RRSIG by key tag %s of %s verifies, and the chain of trust reaches %s", keyTagList(tags), zs.zone, zs.zone)}, false
}

// keyTagList is joinTags, with "(none)" for no tag.
func keyTagList(tags []uint16) string {
	if len(tags) == 0 {
		return "(none)"
	}
	return joinTags(tags)
}

// worse returns the worse of two verdicts: bogus, then indeterminate, then
// insecure, then secure.
func worse(a, b Verdict) Verdict {
	rank := func(s Security) int {
		switch s {
		case SecurityBogus:
			return 4
		case SecurityIndeterminate:
			return 3
		case SecurityInsecure:
			return 2
		case SecuritySecure:
			return 1
		}
		return 0
	}
	if rank(b.State) > rank(a.State) {
		return b
	}
	return a
}

func onlyType(rrs []dns.RR, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == t {
			out = append(out, rr)
		}
	}
	return out
}

// ttlOf is how long a validated RRset may be trusted: its TTL, and no
// longer than its signatures are valid.
func ttlOf(rrs []dns.RR, sigs []*dns.RRSIG, now time.Time) uint32 {
	ttl := uint32(negativeKeysTTL)
	if len(rrs) > 0 {
		ttl = rrs[0].Header().Ttl
		for _, rr := range rrs[1:] {
			ttl = min(ttl, rr.Header().Ttl)
		}
	}
	for _, s := range sigs {
		if s.TypeCovered == rrs0Type(rrs) {
			ttl = sigCap(ttl, s, now)
		}
	}
	return ttl
}

// sigCap lowers ttl to the time left before s expires.
func sigCap(ttl uint32, s *dns.RRSIG, now time.Time) uint32 {
	if left := int64(s.Expiration) - now.Unix(); left > 0 && left < int64(ttl) {
		return uint32(left)
	}
	return ttl
}

// expiryCap lowers ttl to the time left before the first RRSIG among rrs
// expires: a state proved by signatures is not kept longer than they are
// valid (as ttlOf does for positive RRsets).
func expiryCap(ttl uint32, rrs []dns.RR, now time.Time) uint32 {
	for _, rr := range rrs {
		if s, ok := rr.(*dns.RRSIG); ok {
			ttl = sigCap(ttl, s, now)
		}
	}
	return ttl
}

func rrs0Type(rrs []dns.RR) uint16 {
	if len(rrs) == 0 {
		return 0
	}
	return rrs[0].Header().Rrtype
}

func negTTLOf(o Outcome) uint32 {
	if o.SOA == nil {
		return negativeKeysTTL
	}
	return max(1, negTTL(o.SOA))
}

// validateCut reports the DNSSEC state of the zone a referral step led to.
func (rn *run) validateCut(ctx context.Context, step int, zone string, depth int, stack []question) {
	zs, cached := rn.keysFor(ctx, zone, step, depth, stack)
	if zs.from == "." && rn.parentOf(zone) == "." {
		// The root is reached from the hints, by no referral, so no step
		// reports its own keys. When they failed (they match no key of the
		// trust anchor, or could not be fetched), the step that asked the
		// root servers reports the root's own verdict, which names the
		// break, rather than a zone below it that merely inherits it.
		if root, ok := rn.cache.zoneSecurity("."); ok {
			zs, zone = root, "."
		}
	}
	v := zs.v
	inherited := zs.from != ""
	if inherited {
		v.Code = ""
	}
	rn.obs.Observe(Validated{Step: step, Zone: zone, What: "keys", Verdict: v, Inherited: inherited, Cached: cached})
}

// validateStep checks the data a step ended with (answer, CNAME, NXDOMAIN,
// NODATA) from a server of zone, reports it, and returns the verdict.
func (rn *run) validateStep(ctx context.Context, step int, zone string, q question, resp Response, depth int, stack []question) Verdict {
	zone = dataZone(zone, q, resp)
	zs, _ := rn.keysFor(ctx, zone, step, depth, stack)
	rn.replyMu.Lock()
	rn.dataSteps = append(rn.dataSteps, dataStep{step, zone, q})
	rn.replyMu.Unlock()
	what, v, inherited := rn.validateData(zs, q, resp)
	if what == "" {
		return Verdict{}
	}
	rn.obs.Observe(Validated{Step: step, Zone: zone, What: what, Verdict: v, Inherited: inherited})
	return v
}

// cachedVerdict reports the verdict stored with a cached answer.
func (rn *run) cachedVerdict(validating bool, step int, e Entry, what string) Verdict {
	if !validating {
		return Verdict{}
	}
	v := e.Security
	if v.State == SecurityUnchecked {
		v = Verdict{State: SecurityIndeterminate, Reason: "cached without a DNSSEC check"}
	}
	rn.obs.Observe(Validated{Step: step, Zone: e.Zone, What: what, Verdict: v, Cached: true})
	return v
}

// parentOf returns the zone above zone's cut: its closest proper ancestor
// whose delegation is in the cache, or the root.
func (rn *run) parentOf(zone string) string {
	idx := dns.Split(zone)
	for _, i := range idx[min(1, len(idx)):] {
		z := zone[i:]
		if _, state := rn.delegation(z); state == CacheHit {
			return z
		}
	}
	if zone == "." {
		return ""
	}
	return "."
}

// dataZone is the zone whose keys must sign a step's data. It is the zone
// whose servers were asked, unless the data comes from a zone below it
// that the same servers also serve (a parent and its child on one server:
// no referral is ever seen). Then the RRSIGs' signer name, or the SOA of
// a negative answer, names that zone, and its chain of trust is walked from
// zone down through the DS at its parent: a deeper zone is trusted only
// that way, never on the signer name's word alone.
func dataZone(zone string, q question, resp Response) string {
	deeper := func(z string) bool {
		z = dns.CanonicalName(z)
		return z != zone && InDomain(zone, z) && InDomain(z, q.name)
	}
	switch resp.Kind {
	case KindAnswer, KindCNAME:
		for _, sig := range resp.Sigs {
			if owner := dns.CanonicalName(sig.Hdr.Name); owner == q.name && deeper(sig.SignerName) {
				return dns.CanonicalName(sig.SignerName)
			}
		}
	case KindNXDomain, KindNoData:
		if resp.SOA != nil && deeper(resp.SOA.Hdr.Name) {
			return dns.CanonicalName(resp.SOA.Hdr.Name)
		}
	}
	return zone
}

// ValidatedServer is the DNSSEC verdict of one server's reply at a step
// whose data was validated (Config.DNSSEC): the reply the resolution used
// has its verdict in Validated; this says it of every server, so that a
// server that serves a stale or broken signed copy is named. It comes
// after the resolution's other events.
type ValidatedServer struct {
	Step    int
	Server  string
	Addr    netip.AddrPort
	Zone    string
	Verdict Verdict
}

func (ValidatedServer) event() {}

type serverReply struct {
	t    target
	resp Response
}

type dataStep struct {
	step int
	zone string
	q    question
}

// keepReply keeps a server's reply that carries data (an answer, CNAME,
// NXDOMAIN or NODATA) until the resolution is over.
func (rn *run) keepReply(step int, t target, resp Response) {
	switch resp.Kind {
	case KindAnswer, KindCNAME, KindNXDomain, KindNoData:
	default:
		return
	}
	rn.replyMu.Lock()
	defer rn.replyMu.Unlock()
	if rn.replies == nil {
		rn.replies = map[int][]serverReply{}
	}
	rn.replies[step] = append(rn.replies[step], serverReply{t, resp})
}

// validateServers checks, once every late reply is in, each server's data
// reply at the steps whose data was validated, with the keys of the zone
// that signed it, and reports each verdict.
func (rn *run) validateServers() {
	rn.replyMu.Lock()
	steps, replies := rn.dataSteps, rn.replies
	rn.replyMu.Unlock()
	for _, ds := range steps {
		zs, ok := rn.cache.zoneSecurity(ds.zone)
		if !ok {
			continue
		}
		for _, r := range replies[ds.step] {
			_, v, inherited := rn.validateData(zs, ds.q, r.resp)
			if inherited {
				v.Code = ""
			}
			rn.obs.Observe(ValidatedServer{Step: ds.step, Server: r.t.name, Addr: r.t.addr, Zone: ds.zone, Verdict: v})
		}
	}
}
