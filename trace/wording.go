package trace

import (
	"fmt"
	"strings"
)

// All the words of the findings live in this file, so that they are easy
// to review, edit and, one day, translate. Each code has a severity, the
// place where it is fixed, and two sentences built from the facts of one
// finding: what is wrong, and what to do.

// facts are what a finding's sentences are built from.
type facts struct {
	zone, server, address string
	parent                string   // the parent zone (the registrar's side)
	detail                string   // what the server said, e.g. "REFUSED"
	names                 []string // NS names, record names, or servers involved
	parentOnly, childOnly []string // NS_MISMATCH
	values                []string // serials, addresses, TTLs, as "who: value"
	target                string   // a CNAME target
	// DELEGATION_NOT_AS_EXPECTED: the NS set expected, the zone's own NS
	// set, the expected servers found serving the zone, and which side
	// differs ("parent" or "child").
	expected, childNS, serving []string
	side                       string
}

type wording struct {
	severity, fixAt string
	explain, fix    func(f facts) string
}

var wordings = map[string]wording{
	CodeDelegationNotAsExpected: {SeverityError, FixAtParent,
		func(f facts) string {
			if f.side == "child" {
				return fmt.Sprintf("The registrar delegates %s to the servers you expect (%s), but the zone's own NS records still list %s. Resolvers that trust the zone's NS set (most do, once they have asked it) keep using those servers.", f.zone, list(f.expected), list(f.childNS))
			}
			s := fmt.Sprintf("The registrar still delegates %s to %s (%s says so), not to the servers you expect (%s).", f.zone, list(f.names), zoneWords(f.parent), list(f.expected))
			switch {
			case len(f.serving) == len(f.expected):
				s += fmt.Sprintf(" Those servers do serve %s, but nobody is sent to them yet: none of the records you set up there are live.", f.zone)
			case len(f.serving) > 0:
				s += fmt.Sprintf(" Of those, only %s serves %s; nobody is sent to them yet: none of the records you set up there are live.", list(f.serving), f.zone)
			default:
				s += fmt.Sprintf(" The expected servers do not serve %s yet either (no authoritative answer for its SOA): create the zone there first.", f.zone)
			}
			return s
		},
		func(f facts) string {
			if f.side == "child" {
				return fmt.Sprintf("At your DNS provider, set the NS records of %s to %s.", f.zone, list(f.expected))
			}
			return fmt.Sprintf("At the registrar of %s, replace the nameservers %s with %s; the change reaches resolvers as the old delegation's TTL runs out (nstrace lab story migration shows how).", f.zone, list(f.names), list(f.expected))
		}},
	CodeQMinBroken: {SeverityWarning, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("Asked only about %s (QNAME minimisation, RFC 9156), %s answered %s, yet the full name %s resolves: the server mishandles the empty non-terminal %s. Resolvers that minimise (most do by default) must fall back to the full name, and some give up.", f.target, who(f), f.detail, f.names[0], f.target)
		},
		func(f facts) string {
			return fmt.Sprintf("Fix or upgrade the DNS software of %s: a name that has no records but names below it must be answered NOERROR with no records (NODATA), never NXDOMAIN (RFC 8020).", f.server)
		}},
	CodeLame: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("%s is named as a nameserver of %s but does not serve it: asked about the zone, it answered %s. This is a lame delegation (RFC 1912 §2.8): resolvers that ask it waste time or fail.", who(f), f.zone, f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Either configure %s to serve %s, or remove it from the NS records of %s at the registrar (in %s) and in the zone itself.", f.server, f.zone, f.zone, zoneWords(f.parent))
		}},
	CodeTimeout: {SeverityError, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("%s, a nameserver of %s, never answered (%s).", who(f), f.zone, f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Check that the DNS server at %s is running and reachable on UDP and TCP port 53 (firewall, routing); if it is gone for good, remove it from the delegation at the registrar and from the zone's NS records.", f.address)
		}},
	CodeUnreachable: {SeverityError, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("Nothing listens at %s, the address of %s, a nameserver of %s (%s).", f.address, f.server, f.zone, f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Start the DNS server on %s, or correct the address of %s (its glue at the registrar and its A/AAAA record) if it moved.", f.address, f.server)
		}},
	CodeAllServersFailed: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("No server of %s gave a usable answer (%s), so nothing in %s can be resolved.", f.zone, f.detail, f.zone)
		},
		func(f facts) string {
			return "Make at least one of the zone's nameservers answer with authority; the other findings name each broken server and what is wrong with it."
		}},
	CodeMissingGlue: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("%s is inside %s, but the servers of %s give no address (glue) for it, so a resolver can only find it by asking %s itself: the zone depends on its own other servers, or cannot be reached at all.", f.server, f.zone, zoneWords(f.parent), f.zone)
		},
		func(f facts) string {
			return fmt.Sprintf("At the registrar of %s, register the host %s with its IP address so that %s publishes glue for it.", f.zone, f.server, zoneWords(f.parent))
		}},
	CodeGlueMismatch: {SeverityWarning, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("The servers of %s give %s as the address of %s (glue), but the name's own zone says %s. Resolvers that use the glue reach a different server than the zone intends.", zoneWords(f.parent), list(f.values[:1]), f.server, list(f.values[1:]))
		},
		func(f facts) string {
			return fmt.Sprintf("Update the IP address of the host %s at the registrar of %s to match its A/AAAA records (or correct the records, if the glue is right).", f.server, f.zone)
		}},
	CodeNSMismatch: {SeverityWarning, FixAtParent,
		func(f facts) string {
			var parts []string
			if len(f.parentOnly) > 0 {
				parts = append(parts, fmt.Sprintf("only at the parent (%s): %s", zoneWords(f.parent), list(f.parentOnly)))
			}
			if len(f.childOnly) > 0 {
				parts = append(parts, fmt.Sprintf("only in the zone: %s", list(f.childOnly)))
			}
			return fmt.Sprintf("The NS records of %s at the parent (the delegation) and in the zone itself differ: %s. Resolvers use either list, so the zone is served unevenly.", f.zone, strings.Join(parts, "; "))
		},
		func(f facts) string {
			return fmt.Sprintf("Make the two lists the same: set the nameservers at the registrar of %s and the NS records in the zone to one list, of servers that all serve the zone.", f.zone)
		}},
	CodeNSCNAME: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("The nameserver name %s of %s is an alias (CNAME to %s); NS records must name a host, never an alias (RFC 2181 §10.3), and some resolvers will not follow it.", f.server, f.zone, f.target)
		},
		func(f facts) string {
			return fmt.Sprintf("Replace %s by the canonical name %s in the NS records of %s, at the registrar and in the zone.", f.server, f.target, f.zone)
		}},
	CodeNSAddress: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("An NS record of %s names %s: an IP address written as a name. An NS record must name a host (RFC 1035 §3.3.11); this name does not exist, so the server can never be reached through it.", f.zone, f.server)
		},
		func(f facts) string {
			return fmt.Sprintf("Replace %s with the host name of that server in the NS records of %s, at the registrar and in the zone.", f.server, f.zone)
		}},
	CodeNSNoAddress: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("The nameserver %s of %s has no address: %s. It can never be asked.", f.server, f.zone, f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Create the A/AAAA records of %s in its zone, or remove it from the NS records of %s at the registrar and in the zone.", f.server, f.zone)
		}},
	CodeCyclicDependency: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("The nameservers of %s (%s) can only be found by resolving names that themselves depend on %s, and no glue breaks the cycle: the zone cannot be resolved from a cold cache.", f.zone, list(f.names), f.zone)
		},
		func(f facts) string {
			return fmt.Sprintf("Give %s at least one nameserver whose name does not depend on it (or on a zone that depends on it), or register its nameserver hosts with their addresses at the registrar so that glue is published.", f.zone)
		}},
	CodeSingleNS: {SeverityWarning, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("%s has only one nameserver (%s): when it fails, the whole zone disappears. RFC 2182 asks for at least two, on different networks.", f.zone, list(f.names))
		},
		func(f facts) string {
			return fmt.Sprintf("Add a second nameserver for %s, in another network, to the zone's NS records and at the registrar.", f.zone)
		}},
	CodeSOASerialMismatch: {SeverityWarning, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The servers of %s answer with different SOA serials (%s): a zone transfer is failing, or a server serves an old copy of the zone.", f.zone, strings.Join(f.values, ", "))
		},
		func(f facts) string {
			return "Check zone transfers (NOTIFY, AXFR/IXFR) from the primary to the servers with the lower serial, and their logs."
		}},
	CodeTTLMismatch: {SeverityInfo, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The TTL of the NS records of %s is %s at the parent but %s in the zone. Resolvers may keep either, so a change of nameservers takes effect after the longer one.", f.zone, f.values[0], f.values[1])
		},
		func(f facts) string {
			return "Usually nothing to do. Before changing nameservers, lower the TTLs on both sides and wait for the old TTL to pass."
		}},
	CodeReferralLoop: {SeverityError, FixAtParent,
		func(f facts) string {
			to, _, _ := strings.Cut(strings.TrimPrefix(f.detail, "upward referral "), ":")
			return fmt.Sprintf("Asked about %s, %s referred back up %s instead of answering: the referral leads back to a zone already visited, so resolution would go round in circles.", f.zone, who(f), to)
		},
		func(f facts) string {
			return fmt.Sprintf("Configure %s to serve %s with authority, or remove it from the delegation of %s at the registrar.", f.server, f.zone, f.zone)
		}},
	CodeCNAMELoop: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The CNAME chain loops: %s. The name can never be resolved.", f.detail)
		},
		func(f facts) string {
			return "Change one CNAME of the loop so that the chain ends at a name with real records."
		}},
	CodeCNAMEChainTooLong: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The CNAME chain from %s is longer than resolvers follow (%s); they give up with SERVFAIL.", f.server, f.detail)
		},
		func(f facts) string {
			return "Shorten the chain: point the first CNAME straight at the final name."
		}},
	CodeTCPFailed: {SeverityError, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("%s said its answer did not fit in UDP (TC=1), but the retry over TCP failed (%s): large answers from it cannot be had.", who(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Allow DNS over TCP port 53 on %s and any firewall in front of it; RFC 7766 requires TCP.", f.address)
		}},
	CodeBadResponse: {SeverityWarning, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("%s sent a reply that cannot be used: %s. It was ignored, as a resolver must (RFC 5452), so the server counts as not answering.", who(f), f.detail)
		},
		func(f facts) string {
			return "Check the server software, and any middlebox (NAT, firewall, DNS proxy or load balancer) in front of it that rewrites DNS replies."
		}},
	CodeOutOfBailiwick: {SeverityInfo, FixAtServer,
		func(f facts) string {
			return fmt.Sprintf("%s, a server of %s, added records for names outside %s (%s). They were ignored and never cached, as resolvers do to avoid cache poisoning.", who(f), f.zone, f.zone, list(f.names))
		},
		func(f facts) string {
			return fmt.Sprintf("Remove data for other zones from the configuration of %s; a server should only send records of the zones it serves.", f.server)
		}},
}

// zoneWords names a zone in a sentence: "the com zone", "the root zone".
func zoneWords(z string) string {
	if z == "the root zone" || z == "" {
		return "the root zone"
	}
	return "the " + z + " zone"
}

func who(f facts) string {
	if f.address != "" {
		return fmt.Sprintf("%s (%s)", f.server, f.address)
	}
	return f.server
}

func list(s []string) string { return strings.Join(s, ", ") }

// shownNames is how many names a rendered list of NS names shows before it
// says how many more there are: a delegation may have hundreds (nxns.com).
// The JSON has them all.
const shownNames = 10

// shortList is list for the renderers: at most shownNames names, then how
// many more.
func shortList(s []string) string {
	if len(s) <= shownNames {
		return list(s)
	}
	return fmt.Sprintf("%s and %d more", list(s[:shownNames]), len(s)-shownNames)
}

// human returns the facts with names written as people write them: no
// final dot, and "the root zone" for ".".
func (f facts) human() facts {
	f.zone, f.server, f.parent, f.target = humanName(f.zone), humanName(f.server), humanName(f.parent), humanName(f.target)
	f.names, f.parentOnly, f.childOnly = humanNames(f.names), humanNames(f.parentOnly), humanNames(f.childOnly)
	f.expected, f.childNS, f.serving = humanNames(f.expected), humanNames(f.childNS), humanNames(f.serving)
	// The sentences put a full stop after the detail: one that ends with
	// a name's final dot would end in two.
	f.detail = strings.TrimSuffix(f.detail, ".")
	return f
}

func humanName(n string) string {
	if n == "." {
		return "the root zone"
	}
	return strings.TrimSuffix(n, ".")
}

func humanNames(ns []string) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		// "www.example.com. A" (a name and a type) keeps its type.
		name, rest, _ := strings.Cut(n, " ")
		out[i] = strings.TrimSpace(humanName(name) + " " + rest)
	}
	return out
}
