package resolver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/miekg/dns"
)

// Kind is what one server's response meant for the resolution. Every
// response is classified once, by Classify or ClassifyError, and everything
// else switches on the Kind.
type Kind uint8

// The closed set of response kinds.
const (
	KindAnswer      Kind = iota + 1 // authoritative answer for the name and type
	KindReferral                    // NS records for a zone strictly below the server's zone, at or above the name
	KindCNAME                       // authoritative alias: the name is a CNAME, to be followed
	KindNXDomain                    // authoritative: the name does not exist
	KindNoData                      // authoritative: the name exists, but has no records of this type
	KindLame                        // the server answered, but not with authority for its zone
	KindTruncated                   // a UDP reply with TC=1: to be asked again over TCP
	KindTimeout                     // no answer in time
	KindUnreachable                 // nothing listens at the address
	KindSkipped                     // not asked: this machine has no route for that address family
	KindError                       // anything else: a broken reply, an unexpected rcode, a local error
)

var kindNames = map[Kind]string{
	KindAnswer: "answer", KindReferral: "referral", KindCNAME: "cname", KindNXDomain: "nxdomain",
	KindNoData: "nodata", KindLame: "lame", KindTruncated: "truncated", KindTimeout: "timeout",
	KindUnreachable: "unreachable", KindSkipped: "skipped", KindError: "error",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Usable reports whether a response of this kind moves the resolution on.
func (k Kind) Usable() bool {
	switch k {
	case KindAnswer, KindReferral, KindCNAME, KindNXDomain, KindNoData:
		return true
	}
	return false
}

// Response is a classified reply: its Kind, why (Detail), and the records
// that mattered, already filtered by bailiwick.
type Response struct {
	Kind   Kind
	Detail string // why a lame or error reply was classified so, e.g. "REFUSED"

	Rcode     int  // the reply's RCODE
	AA, TC    bool // the reply's flags
	BadReply  bool // the reply did not match the query, or could not be parsed
	Size      int  // the reply's size in octets
	Referral  string
	NS        []*dns.NS    // referral: the NS RRset of the delegated zone
	Glue      []dns.RR     // referral: A/AAAA records for the NS names, in bailiwick
	Answer    []dns.RR     // answer or cname: the records for the name (and the in-bailiwick CNAME chain)
	Target    string       // cname: the alias target to follow
	SOA       *dns.SOA     // nxdomain, nodata: the SOA from the authority section
	NegTTL    uint32       // nxdomain, nodata: min(SOA TTL, SOA MINIMUM), RFC 2308 §5
	Ignored   []dns.RR     // records outside the bailiwick of the server's zone: never cached or used
	Beyond    []dns.RR     // a CNAME chain's records beyond the server's zone: not used, but not suspect
	Authority []dns.RR     // every in-bailiwick record of the authority section, for display
	Sigs      []*dns.RRSIG // in-bailiwick RRSIGs of the answer section (DNSSEC)
}

// Classify classifies reply, the answer to query from a server of zone.
// Records whose owner is not within zone (outside the server's bailiwick)
// are put in Ignored and play no part: this is how a resolver keeps a server
// from poisoning its cache with names it has no authority for.
func Classify(query, reply *dns.Msg, zone string) Response {
	r := Response{Rcode: reply.Rcode, AA: reply.Authoritative, TC: reply.Truncated}
	r.Size = reply.Len()
	zone = canonical(zone)
	if !Matches(query, reply) {
		r.Kind, r.BadReply = KindError, true
		r.Detail = "reply does not match the query (ID, QR flag or question)"
		return r
	}
	if reply.Truncated {
		r.Kind, r.Detail = KindTruncated, "TC=1: reply truncated"
		return r
	}
	q := query.Question[0]
	qname := canonical(q.Name)
	inZone := func(rr dns.RR) bool { return InDomain(zone, canonical(rr.Header().Name)) }

	// A CNAME chain may run on into another zone the server also serves
	// (RFC 1034 §4.3.2): those answer records are not used — the resolver
	// asks that zone's servers itself — but they are no attempt at
	// poisoning either, so they are not counted as ignored.
	var chainNames map[string]bool // nil (reads as empty) without a chain
	if raw, _ := followChain(reply.Answer, qname, q.Qtype); len(raw) > 0 {
		chainNames = make(map[string]bool, len(raw))
		for _, rr := range raw {
			chainNames[canonical(rr.(*dns.CNAME).Target)] = true
		}
	}
	// Split every section by bailiwick once, into one backing array: each
	// section's records fit in its own part of it.
	na, nn := len(reply.Answer), len(reply.Ns)
	all := make([]dns.RR, 0, na+nn+len(reply.Extra))
	answer, authority, additional := all[0:0:na], all[na:na:na+nn], all[na+nn:na+nn]
	for _, sec := range []struct {
		in  []dns.RR
		out *[]dns.RR
	}{{reply.Answer, &answer}, {reply.Ns, &authority}, {reply.Extra, &additional}} {
		for _, rr := range sec.in {
			if rr.Header().Rrtype == dns.TypeOPT {
				continue
			}
			switch {
			case inZone(rr):
				*sec.out = append(*sec.out, rr)
			case sec.out == &answer && chainNames[canonical(rr.Header().Name)]:
				r.Beyond = append(r.Beyond, rr)
			default:
				r.Ignored = append(r.Ignored, rr)
			}
		}
		if len(*sec.out) == 0 {
			*sec.out = nil // as when nothing was appended
		}
	}
	r.Authority = authority
	for _, rr := range answer {
		if sig, ok := rr.(*dns.RRSIG); ok {
			r.Sigs = append(r.Sigs, sig)
		}
	}

	switch reply.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeRefused, dns.RcodeServerFailure, dns.RcodeNotAuth:
		r.Kind, r.Detail = KindLame, dns.RcodeToString[reply.Rcode]
		return r
	default:
		r.Kind, r.Detail = KindError, "unexpected RCODE "+RcodeName(reply.Rcode)
		return r
	}

	// Answer section: the records for qname, or a CNAME chain from it.
	chain, final := followChain(answer, qname, q.Qtype)
	for _, rr := range answer {
		if canonical(rr.Header().Name) == final && (rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY) {
			if final == qname {
				if r.Answer == nil {
					r.Answer = make([]dns.RR, 0, len(answer))
				}
				r.Answer = append(r.Answer, rr)
			} else {
				chain = append(chain, rr)
			}
		}
	}
	if len(r.Answer) > 0 {
		if !reply.Authoritative {
			r.Kind, r.Detail, r.Answer = KindLame, "answer without AA: the server is not authoritative", nil
			return r
		}
		r.Kind = KindAnswer
		return r
	}
	if len(chain) > 0 {
		if !reply.Authoritative {
			r.Kind, r.Detail = KindLame, "CNAME without AA: the server is not authoritative"
			return r
		}
		r.Kind, r.Answer = KindCNAME, chain
		r.Target = canonical(chain[0].(*dns.CNAME).Target)
		return r
	}

	soa := findSOA(authority, qname)
	if reply.Rcode == dns.RcodeNameError {
		if !reply.Authoritative {
			r.Kind, r.Detail = KindLame, "NXDOMAIN without AA: the server is not authoritative"
			return r
		}
		r.Kind, r.SOA = KindNXDomain, soa
		r.NegTTL = negTTL(soa)
		return r
	}
	if reply.Authoritative {
		r.Kind, r.SOA = KindNoData, soa
		r.NegTTL = negTTL(soa)
		return r
	}

	// Not authoritative, no answer: a referral, or lame. An upward referral's
	// NS records are outside the bailiwick by definition, so look at them all.
	var ns []*dns.NS
	for i, rr := range reply.Ns {
		if v, ok := rr.(*dns.NS); ok {
			if ns == nil {
				ns = make([]*dns.NS, 0, len(reply.Ns)-i)
			}
			ns = append(ns, v)
		}
	}
	if len(ns) == 0 {
		r.Kind, r.Detail = KindLame, "not authoritative, and neither an answer nor a referral"
		return r
	}
	child := canonical(ns[0].Hdr.Name)
	switch {
	case child == zone:
		r.Kind, r.Detail = KindLame, fmt.Sprintf("upward referral to %s itself: the server does not serve it", zone)
		return r
	case InDomain(child, zone):
		r.Kind, r.Detail = KindLame, fmt.Sprintf("upward referral to %s: the server does not serve %s", child, zone)
		return r
	case !InDomain(zone, child):
		r.Kind, r.Detail = KindLame, fmt.Sprintf("sideways referral to %s, which is not below %s: the server does not serve %s", child, zone, zone)
		return r
	case !InDomain(child, qname):
		r.Kind, r.Detail = KindLame, fmt.Sprintf("sideways referral to %s, which does not contain %s", child, qname)
		return r
	}
	r.Kind, r.Referral = KindReferral, child
	r.NS = make([]*dns.NS, 0, len(ns))
	for _, v := range ns {
		if canonical(v.Hdr.Name) == child {
			r.NS = append(r.NS, v)
		}
	}
	slices.SortStableFunc(r.NS, func(a, b *dns.NS) int { return strings.Compare(canonical(a.Ns), canonical(b.Ns)) })
	// The NS names, to pick the glue: searched in place while they are few.
	var names map[string]bool
	if len(r.NS) > 16 {
		names = make(map[string]bool, len(r.NS))
		for _, v := range r.NS {
			names[canonical(v.Ns)] = true
		}
	}
	isNS := func(name string) bool {
		if names != nil {
			return names[name]
		}
		return slices.ContainsFunc(r.NS, func(v *dns.NS) bool { return canonical(v.Ns) == name })
	}
	for _, rr := range additional {
		t := rr.Header().Rrtype
		if (t == dns.TypeA || t == dns.TypeAAAA) && isNS(canonical(rr.Header().Name)) {
			if r.Glue == nil {
				r.Glue = make([]dns.RR, 0, len(additional))
			}
			r.Glue = append(r.Glue, rr)
		}
	}
	// Servers order the additional section as they like: sort the glue so
	// that the same delegation always reads the same.
	slices.SortStableFunc(r.Glue, func(x, y dns.RR) int {
		a, b := x.Header(), y.Header()
		if ca, cb := canonical(a.Name), canonical(b.Name); ca != cb {
			return strings.Compare(ca, cb)
		}
		if a.Rrtype != b.Rrtype {
			return cmp.Compare(a.Rrtype, b.Rrtype)
		}
		return strings.Compare(x.String(), y.String())
	})
	return r
}

// followChain walks CNAME records from qname through the answer section and
// returns the chain and the name it ends at. A loop ends the walk.
func followChain(answer []dns.RR, qname string, qtype uint16) ([]dns.RR, string) {
	if qtype == dns.TypeCNAME || qtype == dns.TypeANY {
		return nil, qname
	}
	var chain []dns.RR
	name := qname
	var seen map[string]bool // made at the first CNAME: most answers have none
	for {
		var next *dns.CNAME
		for _, rr := range answer {
			if c, ok := rr.(*dns.CNAME); ok && canonical(c.Hdr.Name) == name {
				next = c
				break
			}
		}
		if next == nil {
			return chain, name
		}
		if seen == nil {
			seen = map[string]bool{name: true}
		}
		chain = append(chain, next)
		name = canonical(next.Target)
		if seen[name] {
			return chain, name
		}
		seen[name] = true
	}
}

// findSOA returns the SOA of the authority section whose owner is qname or
// an ancestor of it.
func findSOA(authority []dns.RR, qname string) *dns.SOA {
	for _, rr := range authority {
		if s, ok := rr.(*dns.SOA); ok && InDomain(canonical(s.Hdr.Name), qname) {
			return s
		}
	}
	return nil
}

// negTTL is the negative-caching TTL of RFC 2308 §5: the smaller of the
// SOA record's own TTL and its MINIMUM field. Without a SOA nothing is cached.
func negTTL(soa *dns.SOA) uint32 {
	if soa == nil {
		return 0
	}
	return min(soa.Hdr.Ttl, soa.Minttl)
}

// RcodeName is the mnemonic of an RCODE ("SERVFAIL"), or RCODEn for one
// that has none ("RCODE11"): the form every output of nstrace uses.
func RcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

// ClassifyError classifies a failed exchange: no reply at all.
func ClassifyError(err error) (Kind, string) {
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.Canceled):
		return KindError, "cancelled"
	case isBadResponse(err):
		return KindError, "bad response: " + strings.TrimPrefix(err.Error(), "bad response: ")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return KindTimeout, "no reply in time"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EAFNOSUPPORT), errors.Is(err, syscall.EADDRNOTAVAIL):
		return KindSkipped, "no route for this address family here"
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindUnreachable, "connection refused: nothing listens there"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return KindUnreachable, "host unreachable"
	case errors.As(err, &errno):
		return KindError, errno.Error()
	}
	return KindError, strings.TrimSpace(err.Error())
}
