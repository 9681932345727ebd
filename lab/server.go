package lab

import (
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size the lab's servers advertise.
const ednsSize = 1232

// respond is the one place where a server turns a query into a reply;
// Network and Serve both use it. proto is the transport the query came
// over, "udp" or "tcp". It returns a nil reply when the server stays
// silent, and the extra time to wait before replying. The reply is not
// yet fitted to the transport: see fit.
//
// What breaks the transport rather than the message is left to the
// callers, from the reply respond gives: garbage and cutoff servers send
// other bytes than the reply (see wireBytes); a tc-notcp server never
// sees a TCP query (Network fails such an exchange with ECONNREFUSED and
// Serve does not listen on TCP for it); a tc-droptcp server resets every
// TCP connection and a tcp-partial one sends half of its TCP reply (see
// Network.Exchange and rawTCP).
func (s *server) respond(q *dns.Msg, proto string) (reply *dns.Msg, delay time.Duration) {
	b := s.behaviour
	switch b.Kind {
	case BehaviourDrop:
		return nil, 0
	case BehaviourRefuse:
		return errorReply(q, dns.RcodeRefused), 0
	case BehaviourServFail:
		return errorReply(q, dns.RcodeServerFailure), 0
	case BehaviourUpward:
		if m := malformed(q); m != nil {
			return m, 0
		}
		return s.upward(q), 0
	case BehaviourRefer:
		if m := malformed(q); m != nil {
			return m, 0
		}
		return s.sideways(q), 0
	}
	if m := malformed(q); m != nil {
		return m, 0 // a query no server can answer: no misbehaviour either
	}
	switch qt := q.Question[0].Qtype; {
	case qt == dns.TypeAXFR || qt == dns.TypeIXFR:
		reply = transfer(s.zones, q, proto)
	case b.Kind == BehaviourSelfRef:
		reply = selfReferral(s.zones, q)
	case b.Kind == BehaviourEndlessCNAME:
		reply = answerFrom(s.zones, q, endlessCNAME)
	default:
		reply = authoritative(s.zones, q)
	}
	switch b.Kind {
	case BehaviourNoAA:
		reply.Authoritative = false
	case BehaviourDelay:
		delay = b.Delay
	case BehaviourWrongID:
		reply.Id = q.Id + 1 // uint16: 65535 wraps to 0
	case BehaviourWrongQuestion:
		reply.Question[0].Name = forgedName(reply.Question[0].Name)
	case BehaviourTCNoTCP, BehaviourTCDropTCP, BehaviourTCPPartial:
		if proto == "udp" {
			reply.Truncated = true
			reply.Rcode = dns.RcodeSuccess
			reply.Answer, reply.Ns, reply.Extra = nil, nil, nil
			echoEDNS(q, reply)
		}
	case BehaviourPoison:
		if reply.Authoritative {
			reply.Ns = append(reply.Ns, dns.Copy(poisonNS))
			reply.Extra = append(reply.Extra, dns.Copy(poisonA))
		}
	case BehaviourENTNXDomain:
		if reply.Authoritative && reply.Rcode == dns.RcodeSuccess && len(reply.Answer) == 0 {
			reply.Rcode = dns.RcodeNameError
		}
	}
	return reply, delay
}

// garbage is what a garbage server sends instead of a reply: 37 fixed
// pseudo-random bytes. As a DNS message they would announce thousands of
// records in the header, which the 25 bytes after it cannot hold, so no
// DNS library can take them for a message (a test proves it).
var garbage = func() []byte {
	b := make([]byte, 37)
	x := uint32(0x6e737472) // "nstr": a fixed seed, the same bytes at every run
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x >> 7)
	}
	// QDCOUNT, ANCOUNT, NSCOUNT and ARCOUNT: far more than 37 bytes hold.
	for i := 4; i < 12; i += 2 {
		b[i] |= 0x80
	}
	return b
}()

// cutoffLen is how many bytes of its reply a cutoff server sends.
const cutoffLen = 20

// cutShort returns the first cutoffLen bytes of a packed reply, or
// fewer: never all of it, and never a prefix that still parses as a DNS
// message (a message may end early and parse, for example right after
// the question when no record follows).
func cutShort(wire []byte) []byte {
	n := min(cutoffLen, len(wire)-1)
	for ; n > 0; n-- {
		if new(dns.Msg).Unpack(wire[:n]) != nil {
			break
		}
	}
	return wire[:max(n, 0)]
}

// wireBytes returns what a garbage or cutoff server sends in place of
// reply, already fitted to its transport, and says so; for any other
// server it returns false and the caller sends the reply as it is.
func (s *server) wireBytes(reply *dns.Msg) ([]byte, bool, error) {
	switch s.behaviour.Kind {
	case BehaviourGarbage:
		return garbage, true, nil
	case BehaviourCutoff:
		wire, err := reply.Pack()
		if err != nil {
			return nil, true, err
		}
		return cutShort(wire), true, nil
	}
	return nil, false, nil
}

// The records a poison server adds to its authoritative replies: both
// are outside the bailiwick of any zone but the root and com.
var (
	poisonA  = mustRR("www.mydomain.com. 86400 IN A 127.66.6.6")
	poisonNS = mustRR("com. 86400 IN NS ns.evil.poison.com.")
)

func mustRR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}

// forgedName returns a name that is not name: name with "forged."
// prepended, or "forged." alone when that would be too long.
func forgedName(name string) string {
	if f := "forged." + name; len(f) <= 254 {
		if _, ok := dns.IsDomainName(f); ok {
			return f
		}
	}
	return "forged."
}

// upward answers q with an upward referral: the root's NS RRset and the
// root zone's addresses for those names, NOERROR, AA=0. This is what
// some misconfigured servers send for names they do not serve.
func (s *server) upward(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	if s.root != nil {
		s.root.referral(m, ".")
	}
	echoEDNS(q, m)
	return m
}

// sideways answers q with a referral to the zone of a refer=ZONE
// server: ZONE's NS RRset as its parent zone in the world publishes it,
// with the glue the parent holds, NOERROR, AA=0. It is a referral that
// leads neither down nor up, but sideways.
func (s *server) sideways(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	if s.referFrom != nil {
		s.referFrom.referral(m, s.behaviour.Zone)
	}
	echoEDNS(q, m)
	return m
}

// selfReferral answers q, as a selfref server does, with a referral to
// the zone it hosts that is the longest match of the query name: the
// zone's own apex NS RRset, and the addresses the zone holds for those
// names. A name in no zone it hosts gets REFUSED.
func selfReferral(zones []*zone, q *dns.Msg) *dns.Msg {
	best := longestMatch(zones, strings.ToLower(q.Question[0].Name))
	if best == nil {
		return errorReply(q, dns.RcodeRefused)
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	best.referral(m, best.name)
	echoEDNS(q, m)
	return m
}

// longestMatch returns the zone that is the longest match of qname (a
// lower-case FQDN) among zones, or nil.
func longestMatch(zones []*zone, qname string) *zone {
	var best *zone
	for _, z := range zones {
		if dns.IsSubDomain(z.name, qname) && (best == nil || dns.CountLabel(z.name) > dns.CountLabel(best.name)) {
			best = z
		}
	}
	return best
}

// transfer answers a zone transfer request (AXFR, or IXFR answered as
// AXFR: RFC 1995 4 allows it) for a zone the server hosts. Over TCP, for
// a zone whose zone line has the option axfr, the reply is the whole zone
// in one message (RFC 5936 2.2): its SOA, every other record (glue,
// delegations and, for a signed zone, RRSIG, NSEC and NSEC3 records
// included), and the SOA again, AA=1. Serve splits a large one into
// several messages. Otherwise:
//
//   - AXFR over UDP: FORMERR (RFC 5936 4.2: a transfer needs TCP); IXFR
//     over UDP: the SOA alone, which tells the client to retry over TCP
//     (RFC 1995 2);
//   - a name that is not the apex of a zone the server hosts, or a zone
//     without axfr: REFUSED, as servers do for clients not on their
//     allow-transfer list.
func transfer(zones []*zone, q *dns.Msg, proto string) *dns.Msg {
	qname, qtype := strings.ToLower(q.Question[0].Name), q.Question[0].Qtype
	if proto == "udp" && qtype == dns.TypeAXFR {
		return errorReply(q, dns.RcodeFormatError)
	}
	var z *zone
	for _, hosted := range zones {
		if hosted.name == qname {
			z = hosted
		}
	}
	if z == nil || !z.axfr {
		return errorReply(q, dns.RcodeRefused)
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	m.RecursionAvailable = false
	if proto == "udp" {
		m.Answer = []dns.RR{dns.Copy(z.soa)}
		echoEDNS(q, m)
		return m
	}
	m.Answer = append(z.soaFirst(), dns.Copy(z.soa))
	echoEDNS(q, m)
	return m
}

// errorReply builds an empty reply with the given RCODE, echoing EDNS0.
func errorReply(q *dns.Msg, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	m.RecursionAvailable = false
	echoEDNS(q, m)
	return m
}

// authoritative answers q from the given zones, like an authoritative-only
// server (NSD, Knot): it never recurses and refuses names outside its zones.
func authoritative(zones []*zone, q *dns.Msg) *dns.Msg {
	return answerFrom(zones, q, nil)
}

// answerFrom is authoritative with a source of synthesized CNAMEs (nil:
// none); see zone.answer.
func answerFrom(zones []*zone, q *dns.Msg, synth cnameSynth) *dns.Msg {
	if m := malformed(q); m != nil {
		return m
	}
	qname := strings.ToLower(q.Question[0].Name)
	best := longestMatch(zones, qname)
	if best == nil {
		return errorReply(q, dns.RcodeRefused) // not ours: a lame server looks like this
	}
	// The DS RRset at a zone's apex belongs to the parent side (RFC 4035
	// 3.1.4.1): a server that also hosts an ancestor zone answers from the
	// closest one, as NSD does.
	if q.Question[0].Qtype == dns.TypeDS && qname == best.name {
		var up *zone
		for _, z := range zones {
			if z.name != qname && dns.IsSubDomain(z.name, qname) && (up == nil || dns.CountLabel(z.name) > dns.CountLabel(up.name)) {
				up = z
			}
		}
		if up != nil {
			best = up
		}
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	opt := q.IsEdns0()
	best.answer(m, qname, q.Question[0].Qtype, synth, opt != nil && opt.Do())
	echoEDNS(q, m)
	return m
}

// malformed returns the error reply to a query that is not a plain
// question of class IN (FORMERR, NOTIMP or REFUSED), or nil.
func malformed(q *dns.Msg) *dns.Msg {
	switch {
	case q.Response:
		return errorReply(q, dns.RcodeFormatError)
	case q.Opcode != dns.OpcodeQuery:
		return errorReply(q, dns.RcodeNotImplemented)
	case len(q.Question) != 1:
		return errorReply(q, dns.RcodeFormatError)
	case q.Question[0].Qclass != dns.ClassINET:
		return errorReply(q, dns.RcodeRefused)
	}
	return nil
}

// echoEDNS adds an OPT record to m if the query q had one.
func echoEDNS(q, m *dns.Msg) {
	if opt := q.IsEdns0(); opt != nil && m.IsEdns0() == nil {
		m.SetEdns0(ednsSize, opt.Do())
	}
}

// fit prepares a reply for its transport: over UDP it is truncated (TC=1)
// to the query's advertised payload size, 512 bytes without EDNS0; over
// TCP it is only compressed. See truncate.
func fit(reply, q *dns.Msg, proto string) {
	reply.Compress = true
	if proto != "udp" {
		return
	}
	size := dns.MinMsgSize
	if opt := q.IsEdns0(); opt != nil {
		size = max(size, int(opt.UDPSize()))
	}
	truncate(reply, size)
}

// truncate makes a reply fit in size bytes the way NSD and Knot do, by
// whole RRsets, never leaving part of one (RFC 2181 9): the RRsets of the
// answer and then the authority section are kept in order while they fit;
// the first one that does not sets TC=1 and ends the reply there, with
// nothing after it (no additional data either). RRsets of the additional
// section that do not fit are only left out, without TC. The OPT record
// of EDNS0 always stays.
func truncate(m *dns.Msg, size int) {
	if m.Len() <= size {
		return
	}
	var opt []dns.RR
	var extra []dns.RR
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			opt = append(opt, rr)
		} else {
			extra = append(extra, rr)
		}
	}
	answer, ns := m.Answer, m.Ns
	m.Answer, m.Ns, m.Extra = nil, nil, opt
	// fits appends one RRset to a section, and takes it back out if the
	// message then exceeds size.
	fits := func(section *[]dns.RR, rrset []dns.RR) bool {
		n := len(*section)
		*section = append(*section, rrset...)
		if m.Len() <= size {
			return true
		}
		*section = (*section)[:n]
		return false
	}
	for _, sec := range []struct {
		to   *[]dns.RR
		from []dns.RR
	}{{&m.Answer, answer}, {&m.Ns, ns}} {
		for _, rrset := range rrsets(sec.from) {
			if !fits(sec.to, rrset) {
				m.Truncated = true
				return
			}
		}
	}
	for _, rrset := range rrsets(extra) {
		fits(&m.Extra, rrset)
	}
}

// rrsets splits a section into its RRsets: runs of records with the same
// owner, type and class (the lab appends each RRset at once).
func rrsets(section []dns.RR) [][]dns.RR {
	var out [][]dns.RR
	for i := 0; i < len(section); {
		h := section[i].Header()
		j := i + 1
		for j < len(section) {
			g := section[j].Header()
			if g.Rrtype != h.Rrtype || g.Class != h.Class || !strings.EqualFold(g.Name, h.Name) {
				break
			}
			j++
		}
		out = append(out, section[i:j])
		i = j
	}
	return out
}
