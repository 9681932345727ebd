package trace

import "github.com/nstrace/nstrace/resolver"

// Finding codes: a public contract, documented in README. A code never
// changes meaning within a schema version.
const (
	CodeLame              = "LAME"
	CodeTimeout           = "TIMEOUT"
	CodeUnreachable       = "UNREACHABLE"
	CodeAllServersFailed  = "ALL_SERVERS_FAILED"
	CodeMissingGlue       = "MISSING_GLUE"
	CodeGlueMismatch      = "GLUE_MISMATCH"
	CodeNSMismatch        = "NS_MISMATCH"
	CodeNSCNAME           = "NS_CNAME"
	CodeNSAddress         = "NS_ADDRESS"
	CodeNSNoAddress       = "NS_NO_ADDRESS"
	CodeCyclicDependency  = "CYCLIC_DEPENDENCY"
	CodeSingleNS          = "SINGLE_NS"
	CodeSOASerialMismatch = "SOA_SERIAL_MISMATCH"
	CodeTTLMismatch       = "TTL_MISMATCH"
	CodeReferralLoop      = "REFERRAL_LOOP"
	CodeCNAMELoop         = "CNAME_LOOP"
	CodeCNAMEChainTooLong = "CNAME_CHAIN_TOO_LONG"
	CodeTCPFailed         = "TCP_FAILED"
	CodeBadResponse       = "BAD_RESPONSE"
	CodeOutOfBailiwick    = "OUT_OF_BAILIWICK"
	CodeQMinBroken        = "QMIN_BROKEN"
	// CodeDelegationNotAsExpected: with --expect-ns, the live delegation
	// (or the zone's own NS set) is not the one the user expects.
	CodeDelegationNotAsExpected = "DELEGATION_NOT_AS_EXPECTED"

	// DNSSEC (--dnssec): where the chain of trust breaks.
	CodeDSMismatch           = resolver.CodeDSMismatch           // no DNSKEY of the zone matches the DS at the parent
	CodeTrustAnchorMismatch  = resolver.CodeTrustAnchorMismatch  // no DNSKEY of the anchor's zone matches the trust anchor
	CodeDNSKEYMissing        = resolver.CodeDNSKEYMissing        // a DS at the parent, no DNSKEY at the zone
	CodeRRSIGExpired         = resolver.CodeRRSIGExpired         // the signatures have expired
	CodeRRSIGNotYetValid     = resolver.CodeRRSIGNotYetValid     // the signatures are not valid yet
	CodeRRSIGInvalid         = resolver.CodeRRSIGInvalid         // a signature does not verify
	CodeRRSIGMissing         = resolver.CodeRRSIGMissing         // signed data without its signature
	CodeNSECProofInvalid     = resolver.CodeNSECProofInvalid     // a denial of existence that does not prove what it claims
	CodeUnsupportedAlgorithm = resolver.CodeUnsupportedAlgorithm // signed with algorithms nstrace cannot check
)

// Severities of a finding.
const (
	SeverityError   = "error"   // the name or zone is broken, or will be when one more thing fails
	SeverityWarning = "warning" // not broken, but wrong: fix it
	SeverityInfo    = "info"    // worth knowing; nothing to fix in most cases
)

// Where a fix is made.
const (
	FixAtParent = "parent" // at the registrar: the delegation in the parent zone (NS records, glue)
	FixAtChild  = "child"  // in the zone itself, on its servers
	FixAtServer = "server" // on one server: its configuration, software, network or firewall
	FixAtAnchor = "anchor" // in the trust anchor the validation starts from (--trust-anchor, or the embedded root anchor)
)

// Finding is one problem found in a trace or a delegation check: what it
// is (Code, Severity), where (Zone, and Server/Address when it is about one
// server), the evidence, and in plain words what it means and how to fix it.
type Finding struct {
	Code     string     `json:"code"`
	Severity string     `json:"severity"`
	Zone     string     `json:"zone"`
	Server   string     `json:"server,omitempty"`
	Address  string     `json:"address,omitempty"`
	Evidence []Evidence `json:"evidence"`
	// EvidenceOmitted counts further hops that showed the same problem.
	EvidenceOmitted int    `json:"evidence_omitted,omitempty"`
	Explanation     string `json:"explanation"`
	Fix             string `json:"fix"`
	FixAt           string `json:"fix_at"` // parent, child or server
}

// Evidence is one hop that shows a finding: the step, the server asked,
// what was asked and what came back.
type Evidence struct {
	Step    string `json:"step"`
	Server  string `json:"server,omitempty"`
	Address string `json:"address,omitempty"`
	Asked   string `json:"asked,omitempty"`
	Got     string `json:"got"`
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
