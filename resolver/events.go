package resolver

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Observer receives the resolver's events as they happen. Observe may be
// called from several goroutines at once: servers of one zone cut are asked
// concurrently, and late answers arrive after the resolution has moved on.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// Event is one of ResolutionStarted, StepStarted, Exchanged, StepFinished
// and ResolutionFinished. Events are plain values: everything a renderer
// needs is in them.
type Event interface{ event() }

// Purpose says why a resolution was started.
type Purpose uint8

// The purposes of a resolution.
const (
	PurposeQuery    Purpose = iota // the name the user asked for
	PurposeGlueless                // the address of an NS name that came without glue
	PurposeCNAME                   // the target of a CNAME
	PurposeCheck                   // a probe of every server of a zone (the delegation check)
	PurposeDNSSEC                  // a DS or DNSKEY RRset for the chain of trust (Config.DNSSEC)
)

func (p Purpose) String() string {
	switch p {
	case PurposeGlueless:
		return "glueless"
	case PurposeCNAME:
		return "cname"
	case PurposeCheck:
		return "check"
	case PurposeDNSSEC:
		return "dnssec"
	}
	return "query"
}

// ResolutionStarted opens a resolution of Name/Type. ParentStep is the step
// that needed it (0 for the user's own query).
type ResolutionStarted struct {
	Resolution int
	ParentStep int
	Purpose    Purpose
	Name       string
	Type       uint16
}

// StepStarted opens a step: one zone cut, whose servers are asked about
// Name/Type, or one answer taken from the cache (Cache == CacheHit).
type StepStarted struct {
	Step       int
	Resolution int
	Zone       string   // the zone whose servers are asked, or that the cached data came from
	Name       string   // the name sent
	Type       uint16   // the type sent
	FullName   string   // the name being resolved, when a minimised Name was sent (RFC 9156)
	NS         []string // the zone's NS names, sorted
}

// Exchanged is one query to one server address and what came of it: a
// classified reply, or a failure (Response.Kind timeout, unreachable,
// skipped, error). Retries and the TCP retry after TC=1 are separate
// events with a higher Attempt.
type Exchanged struct {
	Step     int
	Server   string         // the NS name
	Addr     netip.AddrPort // the address asked
	Proto    string         // "udp" or "tcp"
	Attempt  int            // 1 for the first query to this address in this step
	RTT      time.Duration  // round trip; the timeout for a timeout
	Response Response
}

// StepFinished closes a step. Kind is what moved the resolution on; when
// no server gave a usable answer, Failure says why and Kind is zero.
type StepFinished struct {
	Step     int
	Cache    CacheState
	TTL      uint32         // for a cache hit: seconds left
	Server   string         // the server whose response was used (empty for a cache hit)
	Addr     netip.AddrPort // its address
	Response Response       // the response used (for a cache hit: rebuilt from the cache)
	// GluelessSkipped lists NS names without glue that were not looked up,
	// because of MaxGluelessPerReferral or MaxDepth.
	GluelessSkipped []string
	// Cyclic lists NS names whose lookup would have needed the resolution
	// already in progress (a cyclic dependency).
	Cyclic []string
	// NotAsked counts server addresses not asked: a usable answer came
	// before their wave (more than MaxInFlight addresses), or the resolution
	// had to stop.
	NotAsked int
	Failure  Reason
	Detail   string // plain words for Failure
}

// ResolutionFinished closes a resolution with its Outcome.
type ResolutionFinished struct {
	Resolution int
	Outcome    Outcome
}

func (ResolutionStarted) event()  {}
func (StepStarted) event()        {}
func (Exchanged) event()          {}
func (StepFinished) event()       {}
func (ResolutionFinished) event() {}

// Status is how a resolution ended.
type Status uint8

// The statuses of an Outcome.
const (
	StatusServFail Status = iota // the name could not be resolved; Reason says why
	StatusAnswer                 // records were found
	StatusNXDomain               // the name does not exist
	StatusNoData                 // the name exists but has no records of the type
)

func (s Status) String() string {
	switch s {
	case StatusAnswer:
		return "answer"
	case StatusNXDomain:
		return "nxdomain"
	case StatusNoData:
		return "nodata"
	}
	return "servfail"
}

// Reason says why a resolution or a step failed.
type Reason uint8

// The closed set of failure reasons.
const (
	ReasonNone              Reason = iota
	ReasonAllServersFailed         // no server of the zone gave a usable answer
	ReasonNoAddress                // no NS of the zone has an address that can be asked
	ReasonCyclicDependency         // the NS addresses can only be found through the zone itself
	ReasonReferralLoop             // referrals lead back up or to a zone already visited
	ReasonTooManyReferrals         // more than MaxReferrals zone cuts
	ReasonTooDeep                  // side resolutions nested deeper than MaxDepth
	ReasonCNAMELoop                // a CNAME chain comes back to a name already in it
	ReasonCNAMEChainTooLong        // more than MaxCNAMEChain CNAMEs
	ReasonQueryBudget              // MaxQueries spent
	ReasonDeadline                 // the overall deadline passed
	ReasonCancelled                // the caller cancelled (Ctrl-C)
)

var reasonNames = map[Reason]string{
	ReasonNone: "", ReasonAllServersFailed: "all-servers-failed", ReasonNoAddress: "no-address",
	ReasonCyclicDependency: "cyclic-dependency", ReasonReferralLoop: "referral-loop",
	ReasonTooManyReferrals: "too-many-referrals", ReasonTooDeep: "too-deep", ReasonCNAMELoop: "cname-loop",
	ReasonCNAMEChainTooLong: "cname-chain-too-long", ReasonQueryBudget: "query-budget",
	ReasonDeadline: "deadline", ReasonCancelled: "cancelled",
}

func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Outcome is the end of a resolution.
type Outcome struct {
	Status  Status
	Records []dns.RR // the answer: CNAMEs followed, then the final RRset
	Reason  Reason   // why it failed (StatusServFail only)
	Detail  string   // the failure in plain words
	Zone    string   // the zone that answered, or where it failed
	SOA     *dns.SOA // for nxdomain and nodata, when the server sent it
	// Sigs are the RRSIGs that came with Records, and Authority the
	// authority section of a negative answer (its NSEC or NSEC3 proof):
	// what a DNSSEC check of the outcome needs. Set only when asked with
	// the DO bit (Config.DNSSEC).
	Sigs      []*dns.RRSIG
	Authority []dns.RR
	// Security is the DNSSEC verdict of the outcome (Config.DNSSEC, the
	// user's chain only): the worst of its steps' data, CNAMEs included.
	Security Verdict
}
