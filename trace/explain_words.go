package trace

import (
	"fmt"
	"strings"
)

// All the words of --explain live in this file, so that they are easy to
// review, edit and, one day, translate. Each step gets one or two
// sentences built from its own data: what the resolver does, why, and
// what the servers said. The RFC 1034 §5.3.3 loop gives the order: look in
// the cache, find the best servers, ask them, analyse the answer.

func explainStep(t *Trace, s Step) string {
	var b []string
	switch s.Cache.State {
	case "hit":
		return strings.Join(nonEmpty([]string{explainHit(s), explainDNSSEC(s)}), " ")
	case "expired":
		b = append(b, fmt.Sprintf("The cache had this, but its TTL had run out, so the resolver must ask the servers of %s again.", zoneName(s.Zone)))
	default:
		b = append(b, explainWhy(s))
	}
	if names := gluelessNames(s); len(names) > 0 {
		what, it := "that name lies", "it"
		if len(names) > 1 {
			what, it = "those names lie", "them"
		}
		b = append(b, fmt.Sprintf("First it must find the address of %s: %s outside %s, so the referral could not carry %s as glue, and the resolver looks %s up from the root (the indented lines).", list(humanNames(names)), what, zoneName(s.Zone), it, it))
	}
	if s.FullName != "" {
		b = append(b, fmt.Sprintf("With QNAME minimisation it sends only %s %s, not the whole name %s: a server is told no more than it needs to give a referral (RFC 9156), so the rest of the name stays private.", humanName(s.Name), s.Type, humanName(s.FullName)))
	}
	b = append(b, explainBroken(s)...)
	b = append(b, explainResult(s), explainDNSSEC(s))
	return strings.Join(nonEmpty(b), " ")
}

// explainDNSSEC says what the DNSSEC check of a step (--dnssec) found,
// and what that means.
func explainDNSSEC(s Step) string {
	d := s.DNSSEC
	if d == nil {
		return ""
	}
	zone := zoneName(d.Zone)
	if d.What == "keys" {
		switch {
		case d.Inherited:
			return fmt.Sprintf("DNSSEC: %s is %s, like the zone above it: %s.", zone, d.State, d.Reason)
		case d.State == "secure":
			return fmt.Sprintf("DNSSEC: the resolver fetched the DS record of %s from its parent and the keys (DNSKEY) of %s from its own servers: a key matches the DS and signs the key set, so the chain of trust now reaches %s (%s).", zone, zone, zone, d.Reason)
		case d.State == "insecure":
			return fmt.Sprintf("DNSSEC: the parent proves, with a signed NSEC or NSEC3 record, that %s has no DS: it is not signed, and nothing in it can be validated (%s).", zone, d.Reason)
		}
		return fmt.Sprintf("DNSSEC: the chain of trust breaks at %s: %s.", zone, d.Reason)
	}
	switch {
	case d.Inherited:
		return fmt.Sprintf("DNSSEC: this data is %s: %s.", d.State, d.Reason)
	case d.State == "secure":
		return fmt.Sprintf("DNSSEC: the data's signatures (RRSIG) verify with the keys of %s, which the chain of trust vouches for: it is authentic (%s).", zone, d.Reason)
	}
	return fmt.Sprintf("DNSSEC: the data is %s: %s.", d.State, d.Reason)
}

// explainWhy says why the servers of this step are the ones asked.
func explainWhy(s Step) string {
	n := len(s.Servers)
	servers := fmt.Sprintf("its %d servers", n)
	if n == 1 {
		servers = "its only server"
	}
	if s.Probe != "" {
		return fmt.Sprintf("The check asks every server of %s the same question (%s %s), to compare their answers: %s.", zoneName(s.Zone), humanName(s.Name), s.Type, s.Probe)
	}
	name := s.Name
	if s.FullName != "" {
		name = s.FullName
	}
	if s.Zone == "." {
		return fmt.Sprintf("The resolver has no cached servers closer to %s, so it starts at the root: it asks %s (their names and addresses come from the built-in root hints).", humanName(name), servers)
	}
	if s.Zone == name {
		return fmt.Sprintf("Now the resolver knows the servers of %s itself, and asks %s at once, so that a broken one shows up even when its siblings answer.", zoneName(s.Zone), servers)
	}
	return fmt.Sprintf("Now the resolver knows the servers of %s, the closest zone to %s, and asks %s at once, so that a broken one shows up even when its siblings answer.", zoneName(s.Zone), humanName(name), servers)
}

// explainResult says what the answer used means.
func explainResult(s Step) string {
	who := humanName(s.Server)
	switch s.Kind {
	case "referral":
		ref := s.Referral
		glue := "with their addresses as glue"
		if len(ref.Glue) == 0 {
			glue = "but without their addresses (no glue), which the resolver must look up itself"
		}
		return fmt.Sprintf("%s does not know the answer, but it refers the resolver to the %d servers of %s: a referral, NS records %s. The resolver remembers them for %d s (their TTL).", who, len(ref.NS), zoneName(ref.Zone), glue, firstTTL(ref.NS))
	case "answer":
		return fmt.Sprintf("%s serves %s and answers with authority (the AA flag): %s. Resolvers may keep this answer for %d s (its TTL).", who, zoneName(s.Zone), recordData(s.Answer, s.Type), firstTTL(s.Answer))
	case "cname":
		return fmt.Sprintf("%s says that %s is an alias (CNAME) of %s: the resolver starts again with that name (the indented lines).", who, humanName(s.Name), humanName(s.Target))
	case "nxdomain":
		return fmt.Sprintf("%s answers with authority that %s does not exist (NXDOMAIN). Its SOA record tells resolvers to remember that for %d s (negative caching, RFC 2308).", who, humanName(s.Name), negTTL(s))
	case "nodata":
		return fmt.Sprintf("%s answers with authority that %s exists but has no %s records (NODATA). Resolvers remember that for %d s (RFC 2308).", who, humanName(s.Name), s.Type, negTTL(s))
	case "failed":
		return fmt.Sprintf("No server of %s gave a usable answer (%s), so the resolution cannot go on: a resolver would answer SERVFAIL.", zoneName(s.Zone), s.Detail)
	}
	return ""
}

// explainBroken names the servers that did not answer well.
func explainBroken(s Step) []string {
	var out []string
	for _, srv := range s.Servers {
		who := humanName(srv.Name)
		switch srv.Kind {
		case "lame":
			out = append(out, fmt.Sprintf("%s answered %s: it is named as a server of %s but does not serve it (a lame server).", who, lameWhat(srv), zoneName(s.Zone)))
		case "timeout":
			out = append(out, fmt.Sprintf("%s did not answer at all, even when asked again (a timeout): the resolver waited for nothing.", who))
		case "unreachable":
			out = append(out, fmt.Sprintf("Nothing listens at the address of %s (%s).", who, srv.Detail))
		case "error":
			if srv.Bad {
				out = append(out, fmt.Sprintf("%s sent something that is not a reply to the question; the resolver ignored it, as it must.", who))
			}
		}
		if srv.TC && srv.Proto == "tcp" && usable(srv.Kind) {
			out = append(out, fmt.Sprintf("%s's answer did not fit in a UDP packet (TC=1), so the resolver asked again over TCP.", who))
		}
	}
	return out
}

func explainHit(s Step) string {
	ttl := uint32(0)
	if s.Cache.TTL != nil {
		ttl = *s.Cache.TTL
	}
	switch s.Kind {
	case "referral":
		return fmt.Sprintf("Cache hit: the resolver still remembers the servers of %s (learned from %s, %d s left of their TTL), so it does not ask %s again and goes straight to them.", zoneName(s.Referral.Zone), zoneName(s.Zone), ttl, zoneName(s.Zone))
	case "answer", "cname":
		return fmt.Sprintf("Cache hit: the answer is still in the cache, %d s left of its TTL, so no server is asked at all. Until the TTL runs out, this resolver keeps giving this answer even if the zone changes: that delay is what people call propagation.", ttl)
	case "nxdomain", "nodata":
		return fmt.Sprintf("Cache hit: the resolver remembers that the answer was empty (%s), %d s left: negative caching, RFC 2308.", strings.ToUpper(s.Kind), ttl)
	}
	return ""
}

func lameWhat(srv Server) string {
	if srv.Rcode != "" && srv.Rcode != "NOERROR" {
		return srv.Rcode
	}
	return srv.Detail
}

func gluelessNames(s Step) []string {
	var out []string
	for _, c := range s.Children {
		if c.Purpose == "glueless" && !containsString(out, c.Question.Name) {
			out = append(out, c.Question.Name)
		}
	}
	return out
}

func zoneName(z string) string {
	if z == "." {
		return "the root zone"
	}
	return humanName(z)
}

func firstTTL(recs []Record) uint32 {
	if len(recs) == 0 {
		return 0
	}
	return recs[0].TTL
}

func negTTL(s Step) uint32 {
	if s.NegativeTTL != nil {
		return *s.NegativeTTL
	}
	return 0
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
