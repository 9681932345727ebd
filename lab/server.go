package lab

import (
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size the lab's servers advertise.
const ednsSize = 1232

// respond is the one place where a server turns a query into a reply;
// Network and Serve both use it. It returns a nil reply when the server
// stays silent, and the extra time to wait before replying. The reply
// is not yet fitted to the transport: see fit.
func (s *server) respond(q *dns.Msg) (reply *dns.Msg, delay time.Duration) {
	b := s.behaviour
	switch b.Kind {
	case BehaviourDrop:
		return nil, 0
	case BehaviourRefuse:
		return errorReply(q, dns.RcodeRefused), 0
	case BehaviourServFail:
		return errorReply(q, dns.RcodeServerFailure), 0
	}
	reply = authoritative(s.zones, q)
	switch b.Kind {
	case BehaviourNoAA:
		reply.Authoritative = false
	case BehaviourDelay:
		delay = b.Delay
	}
	return reply, delay
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
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = false
	best.answer(m, qname, q.Question[0].Qtype)
	echoEDNS(q, m)
	return m
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
