package trace

import "fmt"

// The words of the DNSSEC findings (--dnssec). f.detail is the
// validator's own sentence, which names the keys, the records and the
// times; f.target says what was checked ("keys", "answer", ...).
func init() {
	for code, w := range dnssecWordings {
		wordings[code] = w
	}
}

var dnssecWordings = map[string]wording{
	CodeDSMismatch: {SeverityError, FixAtParent,
		func(f facts) string {
			return fmt.Sprintf("The chain of trust breaks between %s and %s: %s. Validating resolvers (most public resolvers, many ISPs') treat every name in %s as bogus and answer SERVFAIL.", zoneWords(f.parent), f.zone, f.detail, f.zone)
		},
		func(f facts) string {
			return fmt.Sprintf("Publish at the registrar of %s the DS record of the key %s actually uses (from its current KSK), or, if the zone was re-signed with new keys or moved to another DNS host, put the old key back until the DS is updated. To turn DNSSEC off, remove the DS first and wait for its TTL.", f.zone, f.zone)
		}},
	CodeTrustAnchorMismatch: {SeverityError, FixAtAnchor,
		func(f facts) string {
			return fmt.Sprintf("The trust anchor that validation starts from matches no key of %s: %s. Nothing under it can be validated: a validating resolver with this anchor answers SERVFAIL for every signed name. The anchor is out of date (the zone rolled its keys), or it is for another zone or another key.", zoneWords(f.zone), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Update the trust anchor to the key %s uses now: for the root zone, the current IANA root anchor (nstrace's embedded one comes with each release; a resolver keeps its own up to date by RFC 5011); with --trust-anchor FILE, the DS or DNSKEY of the zone's current KSK in FILE. If the zone changed its keys without a rollover, its operator must put the old key back.", zoneWords(f.zone))
		}},
	CodeDNSKEYMissing: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("%s holds a DS record for %s, so %s must be signed, but the zone serves no DNSKEY record (%s). Validating resolvers answer SERVFAIL for every name in %s. This is typical of a zone moved to a DNS host that does not sign it, with the old DS left at the registrar.", zoneWords(f.parent), f.zone, f.zone, f.detail, f.zone)
		},
		func(f facts) string {
			return fmt.Sprintf("Either sign %s on its current servers and update the DS at the registrar to the new key, or remove the DS record of %s at the registrar (then the zone is simply unsigned).", f.zone, f.zone)
		}},
	CodeRRSIGExpired: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The signatures of %s%s have expired: %s. Validating resolvers reject the data as bogus and answer SERVFAIL. Signatures are only valid for a period: the zone must be re-signed before it ends.", f.zone, servedBy(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Re-sign %s and make sure re-signing runs automatically (the signer's cron job or inline signing), well before the signatures' expiration; then reload every server of the zone.", f.zone)
		}},
	CodeRRSIGNotYetValid: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("The signatures of %s%s are not valid yet: %s. Validating resolvers reject the data as bogus. The signer's clock is probably ahead, or the zone was signed with a future inception time.", f.zone, servedBy(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Check the clock of the machine that signs %s (NTP), re-sign the zone with an inception time in the past, and reload its servers.", f.zone)
		}},
	CodeRRSIGInvalid: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("A signature in %s%s does not verify: %s. The data was changed after it was signed, or signed with another key than the one published. Validating resolvers answer SERVFAIL.", f.zone, servedBy(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Re-sign %s from its current data (never edit a signed zone file by hand), and check that every server of the zone serves the same signed version.", f.zone)
		}},
	CodeRRSIGMissing: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("%s is signed, yet some of its data%s comes without a usable signature: %s. Validating resolvers treat it as bogus.", f.zone, servedBy(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Re-sign %s completely and reload every server; a server that serves an unsigned copy of a signed zone must get the signed one (zone transfer, or its signing configuration).", f.zone)
		}},
	CodeNSECProofInvalid: {SeverityError, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("%s denies that something exists, but its NSEC/NSEC3 records%s do not prove it: %s. A validating resolver cannot tell the denial from an attack and answers SERVFAIL.", f.zone, servedBy(f), f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Re-sign %s so that its NSEC or NSEC3 chain is complete and current (the signer rebuilds it), and check that all its servers serve the same version.", f.zone)
		}},
	CodeUnsupportedAlgorithm: {SeverityInfo, FixAtChild,
		func(f facts) string {
			return fmt.Sprintf("%s is signed with algorithms nstrace cannot check: %s. Its state is indeterminate here; validating resolvers that do not know the algorithm treat the zone as unsigned (RFC 4035 §5.2).", f.zone, f.detail)
		},
		func(f facts) string {
			return fmt.Sprintf("Nothing is broken. To be validated everywhere, sign %s with a widely supported algorithm: 13 (ECDSA P-256) or 8 (RSA/SHA-256), as RFC 8624 recommends.", f.zone)
		}},
}

// servedBy names the server whose reply a DNSSEC finding is about, when it
// is about one server's reply rather than the zone's keys.
func servedBy(f facts) string {
	if f.server == "" {
		return ""
	}
	return " as " + who(f) + " serves it"
}
