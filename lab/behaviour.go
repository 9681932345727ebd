package lab

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BehaviourKind is the closed set of ways a lab server can behave.
// New misbehaviours are added here, in ParseBehaviour, in String and in
// the respond function of server.go.
type BehaviourKind int

// The behaviours a server can have.
const (
	// BehaviourOK answers normally. It is the default.
	BehaviourOK BehaviourKind = iota
	// BehaviourRefuse answers REFUSED to every query.
	BehaviourRefuse
	// BehaviourServFail answers SERVFAIL to every query.
	BehaviourServFail
	// BehaviourDrop never answers: the client times out.
	BehaviourDrop
	// BehaviourNoAA answers normally but with the AA bit cleared.
	BehaviourNoAA
	// BehaviourDelay answers normally, Behaviour.Delay later.
	BehaviourDelay
	// BehaviourUpward answers every query with an upward referral:
	// NOERROR, AA=0, no answer, the root's NS RRset in authority and
	// their addresses from the root zone in additional.
	BehaviourUpward
	// BehaviourWrongID answers normally, but with the message ID of the
	// query plus one (wrapping at 65535).
	BehaviourWrongID
	// BehaviourWrongQuestion answers normally, but with another name in
	// the question section ("forged." prepended to the query name).
	BehaviourWrongQuestion
	// BehaviourTCNoTCP answers every UDP query with TC=1 and empty
	// sections, and refuses TCP connections.
	BehaviourTCNoTCP
	// BehaviourPoison answers normally, but adds out-of-bailiwick records
	// to authoritative replies (AA=1): an A record for www.mydomain.com
	// in additional and an NS RRset for com in authority.
	BehaviourPoison
	// BehaviourGarbage answers every query with bytes that are not a DNS
	// message: 37 fixed pseudo-random bytes (over TCP with a length
	// prefix announcing 37).
	BehaviourGarbage
	// BehaviourCutoff answers with its reply cut to its first 20 bytes (or
	// fewer, so that what is left never parses): a message cut short, not
	// one with the TC bit.
	BehaviourCutoff
	// BehaviourSelfRef answers every query for a name in its zones with a
	// referral to the very zone it is asked about: NOERROR, AA=0, the
	// zone's apex NS RRset in authority and its glue in additional.
	BehaviourSelfRef
	// BehaviourRefer answers every query with a sideways referral to
	// Behaviour.Zone: NOERROR, AA=0, the NS RRset that the zone's parent
	// in the world publishes, and the parent's glue for it.
	BehaviourRefer
	// BehaviourEndlessCNAME answers every name nK.ZONE (K a number, ZONE
	// a zone it hosts) with a CNAME to n(K+1).ZONE, AA=1: a CNAME chain
	// without end. Other names are answered normally.
	BehaviourEndlessCNAME
	// BehaviourTCDropTCP answers every UDP query with TC=1 and empty
	// sections, and accepts TCP connections only to reset them at once.
	BehaviourTCDropTCP
	// BehaviourTCPPartial answers every UDP query with TC=1 and empty
	// sections; over TCP it announces the full reply in the length prefix
	// but sends only its first half, then closes the connection.
	BehaviourTCPPartial
	// BehaviourENTNXDomain answers normally, except that NODATA becomes
	// NXDOMAIN: an empty non-terminal (a name with no records but names
	// below it) is said not to exist — the classic server bug that breaks
	// QNAME minimisation (RFC 8020, RFC 9156).
	BehaviourENTNXDomain
)

// behaviourNames maps each kind to its keyword in world.conf.
var behaviourNames = map[BehaviourKind]string{
	BehaviourOK:       "ok",
	BehaviourRefuse:   "refuse",
	BehaviourServFail: "servfail",
	BehaviourDrop:     "drop",
	BehaviourNoAA:     "noaa",
	BehaviourDelay:    "delay",

	BehaviourUpward:        "upward",
	BehaviourWrongID:       "wrong-id",
	BehaviourWrongQuestion: "wrong-question",
	BehaviourTCNoTCP:       "tc-notcp",
	BehaviourPoison:        "poison",
	BehaviourGarbage:       "garbage",
	BehaviourCutoff:        "cutoff",
	BehaviourSelfRef:       "selfref",
	BehaviourRefer:         "refer",
	BehaviourEndlessCNAME:  "endless-cname",
	BehaviourTCDropTCP:     "tc-droptcp",
	BehaviourTCPPartial:    "tcp-partial",
	BehaviourENTNXDomain:   "ent-nxdomain",
}

// String returns the keyword of the kind, as written in world.conf.
func (k BehaviourKind) String() string {
	if s, ok := behaviourNames[k]; ok {
		return s
	}
	return "BehaviourKind(" + strconv.Itoa(int(k)) + ")"
}

// Behaviour is how a lab server reacts to queries: a kind plus its
// parameters. The zero value is BehaviourOK.
type Behaviour struct {
	Kind BehaviourKind
	// Delay is the extra time before an answer (BehaviourDelay only).
	Delay time.Duration
	// Zone is the zone a sideways referral points to, a lower-case FQDN
	// (BehaviourRefer only).
	Zone string
}

// maxDelay bounds the delay= parameter so that a typo cannot hang a test.
const maxDelay = time.Minute

// ParseBehaviour parses a behaviour as written in world.conf: "ok",
// "refuse", "servfail", "drop", "noaa", "upward", "wrong-id",
// "wrong-question", "tc-notcp", "poison", "garbage", "cutoff", "selfref",
// "endless-cname", "tc-droptcp", "tcp-partial", "ent-nxdomain", "delay=MS", where MS is a
// number of milliseconds ("delay=250") or a Go duration ("delay=1.5s"),
// or "refer=ZONE", ZONE a domain name. Keywords are case-insensitive.
//
// ParseBehaviour only checks the syntax of refer=ZONE; Load checks that
// some zone of the world delegates ZONE.
func ParseBehaviour(s string) (Behaviour, error) {
	word, arg, hasArg := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "=")
	for kind, name := range behaviourNames {
		if name != word {
			continue
		}
		switch kind {
		case BehaviourDelay, BehaviourRefer:
		default:
			if hasArg {
				return Behaviour{}, fmt.Errorf("behaviour %q takes no parameter", word)
			}
			return Behaviour{Kind: kind}, nil
		}
		if kind == BehaviourRefer {
			if !hasArg || arg == "" {
				return Behaviour{}, fmt.Errorf("behaviour %q needs a parameter: refer=ZONE", word)
			}
			zone, err := canonicalName(arg)
			if err != nil {
				return Behaviour{}, fmt.Errorf("behaviour %q: %v", s, err)
			}
			return Behaviour{Kind: BehaviourRefer, Zone: zone}, nil
		}
		if !hasArg {
			return Behaviour{}, fmt.Errorf("behaviour %q needs a parameter: delay=MS", word)
		}
		d, err := parseMillis(arg)
		if err != nil {
			return Behaviour{}, fmt.Errorf("behaviour %q: %v", s, err)
		}
		if d <= 0 || d > maxDelay {
			return Behaviour{}, fmt.Errorf("behaviour %q: delay must be in (0, %v]", s, maxDelay)
		}
		return Behaviour{Kind: BehaviourDelay, Delay: d}, nil
	}
	return Behaviour{}, fmt.Errorf("unknown behaviour %q (want ok, refuse, servfail, drop, noaa, upward, wrong-id, wrong-question, tc-notcp, poison, garbage, cutoff, selfref, endless-cname, tc-droptcp, tcp-partial, delay=MS or refer=ZONE)", s)
}

// String returns the behaviour in the form ParseBehaviour accepts,
// for example "drop", "delay=250ms" or "refer=example.com" (the zone
// without its final dot).
func (b Behaviour) String() string {
	switch b.Kind {
	case BehaviourDelay:
		return "delay=" + b.Delay.String()
	case BehaviourRefer:
		return "refer=" + trimDot(b.Zone)
	}
	return b.Kind.String()
}

// parseMillis parses a bare integer as milliseconds, or else a Go duration.
func parseMillis(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(maxDelay/time.Millisecond) {
			return 0, fmt.Errorf("%s ms is out of range", s)
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want milliseconds or e.g. 250ms)", s)
	}
	return d, nil
}
