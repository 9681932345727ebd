package resolver

import (
	"errors"
	"fmt"
	"time"
)

// Config holds every limit of the resolver. Start from DefaultConfig and
// change what you need; Validate says what is wrong with a Config. No limit
// of the iterative loop is written anywhere else.
type Config struct {
	// Timeout is how long one query to one server address may take before
	// it counts as unanswered. Must be positive.
	Timeout time.Duration
	// Retries is how many more times a server that did not answer is asked
	// (over the same transport). Zero means ask once.
	Retries int
	// Deadline bounds a whole resolution, nested ones included. Must be
	// positive.
	Deadline time.Duration
	// MaxQueries is the query budget of one resolution, counting every
	// query of nested resolutions (glueless NS names, CNAME targets).
	MaxQueries int
	// MaxReferrals is how many referrals (zone cuts) one resolution may
	// follow before it gives up.
	MaxReferrals int
	// MaxDepth is how deeply side resolutions may nest (a glueless NS name
	// whose own NS are glueless, and so on).
	MaxDepth int
	// MaxCNAMEChain is the longest CNAME chain that is followed.
	MaxCNAMEChain int
	// MaxGluelessPerReferral caps how many NS names without glue one
	// referral may make the resolver look up (the NXNSAttack defence).
	MaxGluelessPerReferral int
	// MaxInFlight caps the queries in flight at once for one zone cut. A
	// zone with at most this many server addresses has all of them asked at
	// once; the addresses beyond are asked in further waves of this size,
	// only while no usable answer has come.
	MaxInFlight int
	// EDNSSize is the EDNS0 UDP payload size advertised (RFC 6891); 1232 is
	// the DNS Flag Day 2020 value. Zero sends no EDNS0.
	EDNSSize uint16
	// Port is the server port asked, normally 53.
	Port uint16
	// IPv4 and IPv6 select the address families asked. At least one must be
	// set.
	IPv4, IPv6 bool
	// TCP sends every query over TCP instead of UDP first.
	TCP bool
	// QMin sends each zone's servers only the next label of the name
	// (QNAME minimisation, RFC 9156), falling back to the full name when a
	// server answers a minimised question wrongly.
	QMin bool
	// DNSSEC asks with the DO bit set and validates the chain of trust
	// from TrustAnchor along the resolution (RFC 4035): every step of the
	// user's chain gets a Validated event.
	DNSSEC bool
	// TrustAnchor is where the chain of trust starts; nil means the
	// embedded IANA root anchor (RootTrustAnchor).
	TrustAnchor *TrustAnchor
}

// Defaults used by DefaultConfig, documented in README.
const (
	DefaultTimeout                = 2 * time.Second
	DefaultRetries                = 1
	DefaultDeadline               = 30 * time.Second
	DefaultMaxQueries             = 200
	DefaultMaxReferrals           = 24
	DefaultMaxDepth               = 6
	DefaultMaxCNAMEChain          = 16
	DefaultMaxGluelessPerReferral = 4
	DefaultMaxInFlight            = 32
	DefaultEDNSSize               = 1232
)

// DefaultConfig returns the documented defaults: both address families,
// UDP first, port 53.
func DefaultConfig() Config {
	return Config{
		Timeout:                DefaultTimeout,
		Retries:                DefaultRetries,
		Deadline:               DefaultDeadline,
		MaxQueries:             DefaultMaxQueries,
		MaxReferrals:           DefaultMaxReferrals,
		MaxDepth:               DefaultMaxDepth,
		MaxCNAMEChain:          DefaultMaxCNAMEChain,
		MaxGluelessPerReferral: DefaultMaxGluelessPerReferral,
		MaxInFlight:            DefaultMaxInFlight,
		EDNSSize:               DefaultEDNSSize,
		Port:                   53,
		IPv4:                   true,
		IPv6:                   true,
	}
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid resolver configuration")

// Validate reports the first limit that cannot work.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	switch {
	case c.Timeout <= 0:
		return bad("timeout must be positive, not %v", c.Timeout)
	case c.Retries < 0:
		return bad("retries must be zero or more, not %d", c.Retries)
	case c.Deadline <= 0:
		return bad("deadline must be positive, not %v", c.Deadline)
	case c.MaxQueries < 1:
		return bad("query budget must be at least 1, not %d", c.MaxQueries)
	case c.MaxReferrals < 1:
		return bad("max referrals must be at least 1, not %d", c.MaxReferrals)
	case c.MaxDepth < 0:
		return bad("max depth must be zero or more, not %d", c.MaxDepth)
	case c.MaxCNAMEChain < 0:
		return bad("max CNAME chain must be zero or more, not %d", c.MaxCNAMEChain)
	case c.MaxGluelessPerReferral < 0:
		return bad("max glueless NS per referral must be zero or more, not %d", c.MaxGluelessPerReferral)
	case c.MaxInFlight < 1:
		return bad("max in flight must be at least 1, not %d", c.MaxInFlight)
	case c.EDNSSize != 0 && c.EDNSSize < 512:
		return bad("EDNS buffer size must be 0 or at least 512, not %d", c.EDNSSize)
	case c.Port == 0:
		return bad("port must be between 1 and 65535")
	case c.DNSSEC && c.EDNSSize == 0:
		return bad("DNSSEC needs EDNS0 (the DO bit): the EDNS buffer size must not be 0")
	case !c.IPv4 && !c.IPv6:
		return bad("at least one address family (IPv4 or IPv6) must be enabled")
	}
	return nil
}
