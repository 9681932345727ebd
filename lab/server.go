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
// A tc-notcp server never sees a TCP query: Network fails such an
// exchange with ECONNREFUSED and Serve does not listen on TCP for it.
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
	}
	if m := malformed(q); m != nil {
		return m, 0 // a query no server can answer: no misbehaviour either
	}
	reply = authoritative(s.zones, q)
	switch b.Kind {
	case BehaviourNoAA:
		reply.Authoritative = false
	case BehaviourDelay:
		delay = b.Delay
	case BehaviourWrongID:
		reply.Id = q.Id + 1 // uint16: 65535 wraps to 0
	case BehaviourWrongQuestion:
		reply.Question[0].Name = forgedName(reply.Question[0].Name)
	case BehaviourTCNoTCP:
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
	}
	return reply, delay
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
	if m := malformed(q); m != nil {
		return m
	}
	qname := strings.ToLower(q.Question[0].Name)
	var best *zone
	for _, z := range zones {
		if dns.IsSubDomain(z.name, qname) && (best == nil || dns.CountLabel(z.name) > dns.CountLabel(best.name)) {
			best = z
		}
	}
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
	best.answer(m, qname, q.Question[0].Qtype)
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
// TCP it is only compressed.
func fit(reply, q *dns.Msg, proto string) {
	reply.Compress = true
	if proto != "udp" {
		return
	}
	size := dns.MinMsgSize
	if opt := q.IsEdns0(); opt != nil {
		size = max(size, int(opt.UDPSize()))
	}
	reply.Truncate(size)
}
