package resolver

// DNSSEC validation core (RFC 4033, 4034, 4035; NSEC3 RFC 5155; SHA-256 DS
// RFC 4509; SHA-384 DS RFC 6605). Everything here is a pure function of its
// arguments: no network, no clock — the caller passes now.
//
// The chain of trust is walked one zone at a time:
//
//	keys, v := ValidateKeys(zone, parentDS, anchorKeys, dnskeyRRset, dnskeySigs, now)
//	v = ValidateRRset(answer, answerSigs, zone, keys, now)
//	v = ValidateNXDOMAIN(qname, zone, reply.Ns, keys, now)   // or ValidateNODATA
//	v = ValidateNoDS(child, zone, reply.Ns, keys, now)        // an unsigned delegation
//
// Every function returns a Verdict; a failure is Bogus (or Indeterminate)
// with one of the Code constants and a plain-English Reason.

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Security is the DNSSEC state of a step or a zone.
type Security uint8

const (
	SecurityUnchecked     Security = iota // DNSSEC not asked for
	SecuritySecure                        // every signature on the way verified
	SecurityInsecure                      // proven unsigned (an authenticated proof that no DS exists), or below such a cut
	SecurityBogus                         // a signature or a proof failed
	SecurityIndeterminate                 // e.g. only unsupported algorithms
)

var securityNames = [...]string{"", "secure", "insecure", "bogus", "indeterminate"}

func (s Security) String() string {
	if int(s) < len(securityNames) {
		return securityNames[s]
	}
	return fmt.Sprintf("Security(%d)", uint8(s))
}

// Finding codes carried by a Bogus or Indeterminate Verdict.
const (
	CodeDSMismatch = "DS_MISMATCH" // no DNSKEY matches the parent's DS
	// CodeTrustAnchorMismatch: no DNSKEY of the trust anchor's zone matches
	// the trust anchor (an anchor left behind by a key rollover).
	CodeTrustAnchorMismatch  = "TRUST_ANCHOR_MISMATCH"
	CodeDNSKEYMissing        = "DNSKEY_MISSING" // DS at the parent, no DNSKEY at the child
	CodeRRSIGExpired         = "RRSIG_EXPIRED"
	CodeRRSIGNotYetValid     = "RRSIG_NOT_YET_VALID"
	CodeRRSIGInvalid         = "RRSIG_INVALID"      // the signature does not verify (or a work limit was hit)
	CodeRRSIGMissing         = "RRSIG_MISSING"      // no RRSIG, or none by a trusted key
	CodeNSECProofInvalid     = "NSEC_PROOF_INVALID" // a denial of existence that does not prove what it claims
	CodeUnsupportedAlgorithm = "DNSSEC_UNSUPPORTED_ALGORITHM"
)

// Verdict is the outcome of one validation.
type Verdict struct {
	// State is the result. The zero value (SecurityUnchecked) is never
	// returned by a Validate function.
	State Security
	// Code is one of the Code constants when State is Bogus, or
	// Indeterminate because of something a server sent; "" otherwise. An
	// Indeterminate with no code (no trust anchor covers the zone, or its
	// keys could not be fetched) is not a finding: trace reports none.
	Code string
	// Reason is one plain-English sentence: what failed (key tags,
	// algorithm, owner/type, times in UTC RFC 3339), or what proved the
	// result when it did not fail.
	Reason string
	// KeyTags are the key tags involved, sorted and without duplicates: the
	// DNSKEYs that validated, or those that were tried when nothing did.
	KeyTags []uint16
	// Wildcard is set by ValidateRRset when the validating RRSIG shows the
	// RRset was synthesised from a wildcard (RFC 4035 §5.3.4): the
	// wildcard's owner, e.g. "*.example.com.". Such an answer is secure only
	// once ValidateWildcardExpansion proves the query name does not exist.
	// Empty otherwise.
	Wildcard string
}

// Work limits against hostile zones (KeyTrap, CVE-2023-50387) and costly
// NSEC3 hashing (RFC 9276).
const (
	maxSigVerifications = 8   // RRSIG verifications for one RRset
	maxKeysPerTag       = 4   // DNSKEYs tried for one key tag and algorithm
	maxNSEC3Iterations  = 150 // above this an NSEC3 proof is not hashed (RFC 9276 §3.2)
	maxDenialRecords    = 16  // NSEC or NSEC3 records considered in one reply
)

func supportedAlgorithm(alg uint8) bool {
	switch alg {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true
	}
	return false
}

func supportedDigest(t uint8) bool {
	return t == dns.SHA1 || t == dns.SHA256 || t == dns.SHA384
}

func algorithmName(alg uint8) string {
	if n, ok := dns.AlgorithmToString[alg]; ok {
		return fmt.Sprintf("algorithm %d (%s)", alg, n)
	}
	return fmt.Sprintf("algorithm %d", alg)
}

func rrTypeName(t uint16) string {
	if n, ok := dns.TypeToString[t]; ok {
		return n
	}
	return fmt.Sprintf("TYPE%d", t)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// isNilRR reports whether r is nil or a typed nil pointer, which would panic
// on Header().
func isNilRR(r dns.RR) bool {
	if r == nil {
		return true
	}
	v := reflect.ValueOf(r)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// sameName compares two domain names case-insensitively (ASCII only, RFC
// 4343), treating a missing final dot as present.
func sameName(a, b string) bool {
	a, b = strings.TrimSuffix(a, "."), strings.TrimSuffix(b, ".")
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// atOrBelow reports whether name is zone or below it.
func atOrBelow(name, zone string) bool {
	return dns.IsSubDomain(dns.Fqdn(zone), dns.Fqdn(name))
}

// stripLabel is name without its first label; the root is its own parent.
func stripLabel(name string) string {
	name = dns.Fqdn(name)
	idx := dns.Split(name)
	if len(idx) < 2 {
		return "."
	}
	return name[idx[1]:]
}

// lastLabels is the name made of the last n labels of name.
func lastLabels(name string, n int) string {
	name = dns.CanonicalName(name)
	idx := dns.Split(name)
	if n <= 0 || len(idx) == 0 {
		return "."
	}
	if n >= len(idx) {
		return name
	}
	return name[idx[len(idx)-n]:]
}

// canonicalLabels are the labels of name in wire form (escapes resolved),
// lower-cased, root last. ok is false for a name that does not pack.
func canonicalLabels(name string) (labels [][]byte, ok bool) {
	var buf [256]byte
	n, err := dns.PackDomainName(dns.Fqdn(name), buf[:], 0, nil, false)
	if err != nil {
		return nil, false
	}
	for off := 0; off < n && buf[off] != 0; {
		l := int(buf[off])
		if off+1+l > n {
			return nil, false
		}
		label := make([]byte, l)
		for i := range l {
			label[i] = lowerASCII(buf[off+1+i])
		}
		labels = append(labels, label)
		off += 1 + l
	}
	return labels, true
}

// canonicalCompare orders two names as RFC 4034 §6.1 does: label by label
// from the right, each label as a lower-cased octet string, a name sorting
// before its descendants. It returns -1, 0 or +1. Names that do not pack
// fall back to a plain comparison of their lower-cased text.
func canonicalCompare(a, b string) int {
	la, oka := canonicalLabels(a)
	lb, okb := canonicalLabels(b)
	if !oka || !okb {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	}
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := bytes.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	switch {
	case len(la) < len(lb):
		return -1
	case len(la) > len(lb):
		return 1
	}
	return 0
}

// nsecCovers reports whether the NSEC interval (owner, next) strictly
// contains name in canonical order. When next does not sort after owner the
// record is the last of its zone and wraps around to the apex: it covers
// every name after owner (and before next).
func nsecCovers(owner, next, name string) bool {
	afterOwner := canonicalCompare(owner, name) < 0
	beforeNext := canonicalCompare(name, next) < 0
	if canonicalCompare(owner, next) < 0 {
		return afterOwner && beforeNext
	}
	return afterOwner || beforeNext
}

// dnsKey is a trusted DNSKEY with its key tag computed once.
type dnsKey struct {
	key *dns.DNSKEY
	tag uint16
}

// usableKey: a zone key (RFC 4034 §2.1.1), protocol 3 (§2.1.2), not revoked
// (RFC 5011 §2.1).
func usableKey(k *dns.DNSKEY) bool {
	return k != nil && k.Flags&dns.ZONE != 0 && k.Protocol == 3 && k.Flags&dns.REVOKE == 0
}

func trustedKeys(keys []*dns.DNSKEY, signer string) []dnsKey {
	var out []dnsKey
	for _, k := range keys {
		if usableKey(k) && sameName(k.Hdr.Name, signer) {
			out = append(out, dnsKey{key: k, tag: k.KeyTag()})
		}
	}
	return out
}

func sortedTags(tags []uint16) []uint16 {
	if len(tags) == 0 {
		return nil
	}
	tags = slices.Clone(tags)
	slices.Sort(tags)
	return slices.Compact(tags)
}

func bogusVerdict(code, format string, a ...any) Verdict {
	return Verdict{State: SecurityBogus, Code: code, Reason: fmt.Sprintf(format, a...)}
}

// sigTime is the RRSIG time field v read with RFC 1982 serial arithmetic
// as the moment nearest to now.
func sigTime(v uint32, now time.Time) time.Time {
	n := now.Unix()
	return time.Unix(n+int64(int32(v-uint32(n))), 0).UTC()
}

// ValidateRRset checks that rrset (one owner, type and class) is signed by
// signer, the zone the RRset belongs to, with one of keys, the zone's
// trusted DNSKEYs (as ValidateKeys returns them), at now. sigs may hold
// RRSIGs for other RRsets; they are ignored. The RRSIG checks are RFC 4035
// §5.3.1: signer name, type covered, labels, algorithm and key tag of a
// trusted key, validity window (RFC 1982 serial arithmetic), then the
// cryptography — at most 8 verifications and 4 keys per key tag.
func ValidateRRset(rrset []dns.RR, sigs []*dns.RRSIG, signer string, keys []*dns.DNSKEY, now time.Time) Verdict {
	signer = dns.CanonicalName(signer)
	v, _ := verifyRRset(rrset, sigs, signer, trustedKeys(keys, signer), now, true)
	return v
}

// WildcardExpanded reports whether one of sigs shows that the RRset at owner
// was synthesised from a wildcard: its Labels field is smaller than the
// number of labels of owner (not counting a leading "*" label, RFC 4034
// §3.1.3).
func WildcardExpanded(sigs []*dns.RRSIG, owner string) bool {
	n := ownerLabels(owner)
	for _, s := range sigs {
		if s != nil && sameName(s.Hdr.Name, owner) && int(s.Labels) < n {
			return true
		}
	}
	return false
}

// ownerLabels counts the labels of owner as an RRSIG Labels field does: a
// leading "*" label does not count.
func ownerLabels(owner string) int {
	n := dns.CountLabel(dns.Fqdn(owner))
	if strings.HasPrefix(owner, "*.") || owner == "*" {
		n--
	}
	return n
}

// sigFailure is one RRSIG that did not validate the RRset, and why.
type sigFailure struct {
	sig  *dns.RRSIG
	why  string
	code string
}

// verifyRRset is ValidateRRset on already-trusted keys. When allowWildcard is
// false, a wildcard-expanded RRSIG is refused (NSEC and NSEC3 records are
// never synthesised). The RRSIG that validated is returned with a Secure
// verdict.
func verifyRRset(rrset []dns.RR, sigs []*dns.RRSIG, signer string, keys []dnsKey, now time.Time, allowWildcard bool) (Verdict, *dns.RRSIG) {
	set := make([]dns.RR, 0, len(rrset))
	for _, r := range rrset {
		if !isNilRR(r) {
			set = append(set, r)
		}
	}
	if len(set) == 0 {
		return bogusVerdict(CodeRRSIGInvalid, "there is no record to validate"), nil
	}
	h0 := set[0].Header()
	owner, rrtype, class := dns.CanonicalName(h0.Name), h0.Rrtype, h0.Class
	what := owner + "/" + rrTypeName(rrtype)
	exact := true
	for _, r := range set[1:] {
		h := r.Header()
		if !sameName(h.Name, owner) || h.Rrtype != rrtype || h.Class != class {
			return bogusVerdict(CodeRRSIGInvalid, "the records given as the RRset %s are not one RRset (%s/%s is among them)", what, dns.CanonicalName(h.Name), rrTypeName(h.Rrtype)), nil
		}
		exact = exact && h.Name == h0.Name
	}
	if !exact {
		// Owner names differ only in case; miekg/dns wants them identical.
		for i, r := range set {
			c := dns.Copy(r)
			c.Header().Name = owner
			set[i] = c
		}
	}
	if !atOrBelow(owner, signer) {
		return bogusVerdict(CodeRRSIGInvalid, "%s is not in the zone %s that is said to sign it", what, signer), nil
	}
	if len(keys) == 0 {
		return bogusVerdict(CodeDNSKEYMissing, "there is no trusted DNSKEY of %s to check the RRSIG of %s with", signer, what), nil
	}

	labels := dns.CountLabel(owner)
	var (
		seen, verifications int
		otherSigner         []string
		unknownKey          []string
		unsupported         []uint8
		failures            []sigFailure
		tried               []uint16
	)
	for _, sig := range sigs {
		if sig == nil || sig.TypeCovered != rrtype || !sameName(sig.Hdr.Name, owner) || sig.Hdr.Class != class {
			continue
		}
		seen++
		signerName := dns.CanonicalName(sig.SignerName)
		switch {
		case signerName != signer:
			otherSigner = append(otherSigner, signerName)
			continue
		case !supportedAlgorithm(sig.Algorithm):
			unsupported = append(unsupported, sig.Algorithm)
			continue
		case int(sig.Labels) > labels:
			failures = append(failures, sigFailure{sig, fmt.Sprintf("has a Labels field (%d) larger than the %d labels of the owner name", sig.Labels, labels), CodeRRSIGInvalid})
			continue
		case !allowWildcard && int(sig.Labels) < ownerLabels(owner):
			failures = append(failures, sigFailure{sig, "is a wildcard expansion, which an NSEC, NSEC3 or DNSKEY RRset cannot be", CodeRRSIGInvalid})
			continue
		}
		var candidates []dnsKey
		for _, k := range keys {
			if k.tag == sig.KeyTag && k.key.Algorithm == sig.Algorithm {
				candidates = append(candidates, k)
			}
		}
		if len(candidates) == 0 {
			unknownKey = append(unknownKey, fmt.Sprintf("key tag %d, %s", sig.KeyTag, algorithmName(sig.Algorithm)))
			continue
		}
		if !sig.ValidityPeriod(now) {
			inception, expiration := sigTime(sig.Inception, now), sigTime(sig.Expiration, now)
			tried = append(tried, sig.KeyTag)
			if inception.After(now) {
				failures = append(failures, sigFailure{sig, fmt.Sprintf("is not valid until %s (it is now %s)", rfc3339(inception), rfc3339(now)), CodeRRSIGNotYetValid})
			} else {
				failures = append(failures, sigFailure{sig, fmt.Sprintf("expired at %s (it is now %s)", rfc3339(expiration), rfc3339(now)), CodeRRSIGExpired})
			}
			continue
		}
		for i, k := range candidates {
			if i >= maxKeysPerTag {
				return Verdict{State: SecurityBogus, Code: CodeRRSIGInvalid, KeyTags: sortedTags(tried),
					Reason: fmt.Sprintf("the RRSIG for %s names key tag %d, shared by %d DNSKEYs of %s; validation stopped at the limit of %d keys tried per key tag (KeyTrap, CVE-2023-50387)", what, sig.KeyTag, len(candidates), signer, maxKeysPerTag)}, nil
			}
			if verifications >= maxSigVerifications {
				return Verdict{State: SecurityBogus, Code: CodeRRSIGInvalid, KeyTags: sortedTags(tried),
					Reason: fmt.Sprintf("no RRSIG for %s verified within the limit of %d signature verifications per RRset (KeyTrap, CVE-2023-50387)", what, maxSigVerifications)}, nil
			}
			verifications++
			tried = append(tried, k.tag)
			if sig.Verify(k.key, set) == nil {
				v := Verdict{State: SecuritySecure, KeyTags: []uint16{k.tag},
					Reason: fmt.Sprintf("%s is signed by key tag %d (%s) of %s, valid until %s", what, k.tag, algorithmName(k.key.Algorithm), signer, rfc3339(sigTime(sig.Expiration, now)))}
				if int(sig.Labels) < ownerLabels(owner) {
					v.Wildcard = wildcardOf(lastLabels(owner, int(sig.Labels)))
				}
				return v, sig
			}
		}
		failures = append(failures, sigFailure{sig, "does not verify", CodeRRSIGInvalid})
	}
	return sigVerdict(what, signer, seen, otherSigner, unknownKey, unsupported, failures, keys, tried), nil
}

// sigVerdict picks the most telling reason no RRSIG validated: a signature
// that fails cryptographically (or structurally), then one that fails only
// on time, then unsupported algorithms, then a missing signature.
func sigVerdict(what, signer string, seen int, otherSigner, unknownKey []string, unsupported []uint8, failures []sigFailure, keys []dnsKey, tried []uint16) Verdict {
	tags := sortedTags(tried)
	pick := func(code string) *sigFailure {
		for i := range failures {
			if failures[i].code == code {
				return &failures[i]
			}
		}
		return nil
	}
	for _, code := range []string{CodeRRSIGInvalid, CodeRRSIGExpired, CodeRRSIGNotYetValid} {
		if f := pick(code); f != nil {
			v := bogusVerdict(code, "the RRSIG for %s by key tag %d (%s) %s", what, f.sig.KeyTag, algorithmName(f.sig.Algorithm), f.why)
			v.KeyTags = tags
			return v
		}
	}
	if len(unsupported) > 0 && len(unknownKey) == 0 && len(otherSigner) == 0 {
		return Verdict{State: SecurityIndeterminate, Code: CodeUnsupportedAlgorithm,
			Reason: fmt.Sprintf("the RRSIGs for %s use only %s, which this validator does not support", what, algorithmName(unsupported[0]))}
	}
	if seen == 0 {
		return bogusVerdict(CodeRRSIGMissing, "there is no RRSIG for %s", what)
	}
	var parts []string
	if len(otherSigner) > 0 {
		parts = append(parts, fmt.Sprintf("signer %s instead of the zone %s", strings.Join(slices.Compact(otherSigner), ", "), signer))
	}
	if len(unknownKey) > 0 {
		known := make([]uint16, 0, len(keys))
		for _, k := range keys {
			known = append(known, k.tag)
		}
		parts = append(parts, fmt.Sprintf("%s, not among the trusted keys (key tags %s)", strings.Join(unknownKey, "; "), joinTags(sortedTags(known))))
	}
	if len(unsupported) > 0 {
		parts = append(parts, fmt.Sprintf("unsupported %s", algorithmName(unsupported[0])))
	}
	if seen == 1 {
		return bogusVerdict(CodeRRSIGMissing, "the only RRSIG for %s is not by a trusted key of %s (%s)", what, signer, strings.Join(parts, "; "))
	}
	return bogusVerdict(CodeRRSIGMissing, "none of the %d RRSIGs for %s is by a trusted key of %s (%s)", seen, what, signer, strings.Join(parts, "; "))
}

func joinTags(tags []uint16) string {
	s := make([]string, len(tags))
	for i, t := range tags {
		s[i] = fmt.Sprint(t)
	}
	return strings.Join(s, ", ")
}

func describeDS(d *dns.DS) string {
	return fmt.Sprintf("key tag %d, algorithm %d, digest type %d", d.KeyTag, d.Algorithm, d.DigestType)
}

// ValidateKeys authenticates the DNSKEY RRset of zone against the parent's
// DS RRset ds, or a trust anchor's DS records (ds) and keys (anchorKeys).
// keys is the DNSKEY RRset as received (anything that is not a DNSKEY of
// zone is ignored) and sigs the RRSIGs that came with it.
//
// A DS matches a DNSKEY when algorithm, key tag and digest agree and the
// key is a zone key of protocol 3 without the REVOKE flag; a SHA-1 DS is
// ignored when a SHA-256 or SHA-384 DS exists for the same key tag and
// algorithm (RFC 4509 §3). A trust anchor key matches the identical key in
// the RRset. Once a matched key has validly signed the RRset, every zone key
// of the RRset is trusted and returned.
func ValidateKeys(zone string, ds []*dns.DS, anchorKeys []*dns.DNSKEY, keys []dns.RR, sigs []*dns.RRSIG, now time.Time) ([]*dns.DNSKEY, Verdict) {
	zone = dns.CanonicalName(zone)
	var (
		set    []dns.RR
		served []dnsKey
	)
	for _, r := range keys {
		k, ok := r.(*dns.DNSKEY)
		if !ok || k == nil || !sameName(k.Hdr.Name, zone) || k.Hdr.Class != dns.ClassINET {
			continue
		}
		set = append(set, k)
		served = append(served, dnsKey{key: k, tag: k.KeyTag()})
	}

	var (
		usable      []*dns.DS
		unsupported []string
	)
	for _, d := range ds {
		if d == nil || !sameName(d.Hdr.Name, zone) {
			continue
		}
		if !supportedAlgorithm(d.Algorithm) {
			unsupported = append(unsupported, algorithmName(d.Algorithm))
			continue
		}
		if !supportedDigest(d.DigestType) {
			unsupported = append(unsupported, fmt.Sprintf("digest type %d", d.DigestType))
			continue
		}
		usable = append(usable, d)
	}
	usable = dropSHA1(usable)
	var anchors []*dns.DNSKEY
	for _, k := range anchorKeys {
		if k == nil || !sameName(k.Hdr.Name, zone) {
			continue
		}
		if !supportedAlgorithm(k.Algorithm) {
			unsupported = append(unsupported, algorithmName(k.Algorithm))
			continue
		}
		if usableKey(k) {
			anchors = append(anchors, k)
		}
	}
	if len(usable) == 0 && len(anchors) == 0 {
		if len(unsupported) > 0 {
			return nil, Verdict{State: SecurityIndeterminate, Code: CodeUnsupportedAlgorithm,
				Reason: fmt.Sprintf("the DS records for %s use only %s, which this validator does not support", zone, strings.Join(slices.Compact(unsupported), " and "))}
		}
		return nil, bogusVerdict(CodeDSMismatch, "there is no DS record or trust anchor key for %s to authenticate its DNSKEY RRset with", zone)
	}
	if len(served) == 0 {
		v := bogusVerdict(CodeDNSKEYMissing, "%s has a DS (%s) at its parent but serves no DNSKEY", zone, describeDSList(usable))
		if len(usable) == 0 {
			v.Reason = fmt.Sprintf("%s has a trust anchor key but serves no DNSKEY", zone)
		}
		for _, d := range usable {
			v.KeyTags = append(v.KeyTags, d.KeyTag)
		}
		v.KeyTags = sortedTags(v.KeyTags)
		return nil, v
	}

	var (
		entry    []dnsKey
		revoked  []string
		limitTag = -1
		dsTags   []uint16
	)
	for _, d := range usable {
		dsTags = append(dsTags, d.KeyTag)
		n := 0
		for _, k := range served {
			if k.tag != d.KeyTag || k.key.Algorithm != d.Algorithm {
				continue
			}
			if n >= maxKeysPerTag {
				limitTag = int(d.KeyTag)
				break
			}
			n++
			x := k.key.ToDS(d.DigestType)
			if x == nil || !strings.EqualFold(x.Digest, d.Digest) {
				continue
			}
			if !usableKey(k.key) {
				revoked = append(revoked, fmt.Sprintf("DNSKEY key tag %d (flags %d, protocol %d)", k.tag, k.key.Flags, k.key.Protocol))
				continue
			}
			entry = appendKey(entry, k)
		}
	}
	for _, a := range anchors {
		found := false
		for _, k := range served {
			if usableKey(k.key) && sameKey(a, k.key) {
				entry = appendKey(entry, k)
				found = true
			}
		}
		if !found {
			dsTags = append(dsTags, a.KeyTag())
		}
	}
	if len(entry) == 0 {
		v := Verdict{State: SecurityBogus, Code: CodeDSMismatch, KeyTags: sortedTags(dsTags)}
		switch {
		case limitTag >= 0:
			v.Code = CodeRRSIGInvalid
			v.Reason = fmt.Sprintf("more than %d DNSKEYs of %s share key tag %d; matching them against the DS stopped at the limit (KeyTrap, CVE-2023-50387)", maxKeysPerTag, zone, limitTag)
		case len(revoked) > 0:
			v.Reason = fmt.Sprintf("the DS for %s matches %s, which is revoked or not a zone key", zone, strings.Join(revoked, ", "))
		case len(usable) == 0:
			v.Reason = fmt.Sprintf("the trust anchor key for %s (key tag %s) is none of the %d DNSKEYs %s serves", zone, joinTags(sortedTags(dsTags)), len(served), zone)
		case len(usable) == 1:
			v.Reason = fmt.Sprintf("the DS for %s (%s) matches none of the %d DNSKEYs %s serves", zone, describeDS(usable[0]), len(served), zone)
		default:
			v.Reason = fmt.Sprintf("the %d DS records for %s (%s) match none of the %d DNSKEYs %s serves", len(usable), zone, describeDSList(usable), len(served), zone)
		}
		return nil, v
	}

	v, _ := verifyRRset(set, sigs, zone, entry, now, false)
	if v.State != SecuritySecure {
		return nil, v
	}
	var trusted []*dns.DNSKEY
	for _, k := range served {
		if usableKey(k.key) {
			trusted = append(trusted, k.key)
		}
	}
	v.Reason = fmt.Sprintf("the DNSKEY RRset of %s (%d keys) is signed by key tag %s, which matches the %s", zone, len(served), joinTags(v.KeyTags), anchorOrDS(usable))
	return trusted, v
}

func anchorOrDS(usable []*dns.DS) string {
	if len(usable) == 0 {
		return "trust anchor"
	}
	return "DS"
}

func describeDSList(ds []*dns.DS) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = describeDS(d)
	}
	return strings.Join(s, "; ")
}

func appendKey(keys []dnsKey, k dnsKey) []dnsKey {
	for _, x := range keys {
		if x.key == k.key {
			return keys
		}
	}
	return append(keys, k)
}

// sameKey: same flags, protocol, algorithm and public key (whitespace in the
// base64 ignored).
func sameKey(a, b *dns.DNSKEY) bool {
	strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
	return a.Flags == b.Flags && a.Protocol == b.Protocol && a.Algorithm == b.Algorithm && strip(a.PublicKey) == strip(b.PublicKey)
}

// dropSHA1 removes SHA-1 DS records that have a SHA-256 or SHA-384 sibling
// with the same key tag and algorithm (RFC 4509 §3).
func dropSHA1(ds []*dns.DS) []*dns.DS {
	out := ds[:0:0]
	for _, d := range ds {
		if d.DigestType == dns.SHA1 && slices.ContainsFunc(ds, func(o *dns.DS) bool {
			return o.DigestType != dns.SHA1 && o.KeyTag == d.KeyTag && o.Algorithm == d.Algorithm
		}) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// rrKey names one RRset of the authority section.
type rrKey struct {
	owner  string // canonical
	rrtype uint16
}

// nsec3Record is an NSEC3 record of the zone with its hashes upper-cased.
type nsec3Record struct {
	rr     *dns.NSEC3
	owner  string // the base32hex hash of the owner's first label
	next   string // the next hashed owner name
	optOut bool
}

// denialProof holds the NSEC and NSEC3 records of one reply's authority section
// and checks their signatures lazily, once per RRset, as a proof uses them.
type denialProof struct {
	zone    string
	keys    []dnsKey
	now     time.Time
	nsec    []*dns.NSEC
	nsec3   []nsec3Record
	salt    string // NSEC3 parameters: those of the first usable NSEC3
	iter    uint16
	sets    map[rrKey][]dns.RR
	sigs    map[rrKey][]*dns.RRSIG
	checked map[rrKey]Verdict
	hashes  map[string]string
	tags    []uint16
}

func newDenialProof(zone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) *denialProof {
	zone = dns.CanonicalName(zone)
	d := &denialProof{zone: zone, keys: trustedKeys(keys, zone), now: now,
		sets: map[rrKey][]dns.RR{}, sigs: map[rrKey][]*dns.RRSIG{}, checked: map[rrKey]Verdict{}, hashes: map[string]string{}}
	for _, r := range msgNs {
		if isNilRR(r) {
			continue
		}
		owner := dns.CanonicalName(r.Header().Name)
		switch x := r.(type) {
		case *dns.RRSIG:
			if x.TypeCovered == dns.TypeNSEC || x.TypeCovered == dns.TypeNSEC3 {
				k := rrKey{owner, x.TypeCovered}
				d.sigs[k] = append(d.sigs[k], x)
			}
		case *dns.NSEC:
			if !atOrBelow(owner, zone) || len(d.nsec) >= maxDenialRecords {
				continue
			}
			d.nsec = append(d.nsec, x)
			k := rrKey{owner, dns.TypeNSEC}
			d.sets[k] = append(d.sets[k], x)
		case *dns.NSEC3:
			// RFC 5155 §8.2: ignore unknown hash algorithms and flags; the
			// owner is one hash label directly below the zone.
			if x.Hash != dns.SHA1 || x.Flags&^1 != 0 || len(d.nsec3) >= maxDenialRecords || stripLabel(owner) != zone {
				continue
			}
			idx := dns.Split(owner)
			if len(idx) < 2 {
				continue
			}
			hash := strings.ToUpper(owner[:idx[1]-1])
			next := strings.ToUpper(x.NextDomain)
			if len(hash) != 32 || len(next) != 32 {
				continue
			}
			salt := strings.ToUpper(x.Salt)
			if len(d.nsec3) == 0 {
				d.salt, d.iter = salt, x.Iterations
			} else if salt != d.salt || x.Iterations != d.iter {
				continue
			}
			d.nsec3 = append(d.nsec3, nsec3Record{rr: x, owner: hash, next: next, optOut: x.Flags&1 == 1})
			k := rrKey{owner, dns.TypeNSEC3}
			d.sets[k] = append(d.sets[k], x)
		}
	}
	return d
}

// verify checks the signature of the RRset r belongs to, once.
func (d *denialProof) verify(r dns.RR) Verdict {
	h := r.Header()
	k := rrKey{dns.CanonicalName(h.Name), h.Rrtype}
	if v, ok := d.checked[k]; ok {
		return v
	}
	v, _ := verifyRRset(d.sets[k], d.sigs[k], d.zone, d.keys, d.now, false)
	if v.State == SecuritySecure {
		d.tags = append(d.tags, v.KeyTags...)
	}
	d.checked[k] = v
	return v
}

// verifyAll verifies each record; the first failure is returned.
func (d *denialProof) verifyAll(rs ...dns.RR) (Verdict, bool) {
	for _, r := range rs {
		if v := d.verify(r); v.State != SecuritySecure {
			return v, false
		}
	}
	return Verdict{}, true
}

func (d *denialProof) result(state Security, format string, a ...any) Verdict {
	return Verdict{State: state, Reason: fmt.Sprintf(format, a...), KeyTags: sortedTags(d.tags)}
}

func (d *denialProof) fail(format string, a ...any) Verdict {
	v := bogusVerdict(CodeNSECProofInvalid, format, a...)
	v.KeyTags = sortedTags(d.tags)
	return v
}

// none is the verdict when the reply carries no usable denial records.
func (d *denialProof) none(claim string) Verdict {
	return d.fail("the reply carries no NSEC or NSEC3 record of %s to prove that %s", d.zone, claim)
}

// highIterations: RFC 9276 §3.2 lets a validator treat NSEC3 with too many
// iterations as insecure, after checking the record's signature (so the
// count was not altered).
func (d *denialProof) highIterations() (Verdict, bool) {
	if len(d.nsec3) == 0 || d.iter <= maxNSEC3Iterations {
		return Verdict{}, false
	}
	if v := d.verify(d.nsec3[0].rr); v.State != SecuritySecure {
		return v, true
	}
	return d.result(SecurityInsecure, "the NSEC3 records of %s use %d iterations, more than the %d this validator hashes, so the answer is treated as insecure (RFC 9276 §3.2)", d.zone, d.iter, maxNSEC3Iterations), true
}

func hasType(bitmap []uint16, t uint16) bool { return slices.Contains(bitmap, t) }

// --- NSEC (RFC 4035 §5.4) ---

func (d *denialProof) nsecMatching(name string) *dns.NSEC {
	for _, n := range d.nsec {
		if sameName(n.Hdr.Name, name) {
			return n
		}
	}
	return nil
}

// nsecCovering finds an NSEC whose interval strictly contains name. An NSEC
// at an ancestor of name that is a delegation (NS without SOA) or has a
// DNAME proves nothing below it (RFC 6840 §4.1) and is skipped.
func (d *denialProof) nsecCovering(name string) *dns.NSEC {
	for _, n := range d.nsec {
		owner := n.Hdr.Name
		if !nsecCovers(owner, n.NextDomain, name) {
			continue
		}
		if atOrBelow(name, owner) && !sameName(owner, d.zone) &&
			(hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA) || hasType(n.TypeBitMap, dns.TypeDNAME)) {
			continue
		}
		return n
	}
	return nil
}

// nsecEncloser is the closest encloser of name that a covering NSEC proves:
// the longer of the common ancestors of name with the NSEC's owner and next
// name, never above the zone.
func (d *denialProof) nsecEncloser(name string, n *dns.NSEC) string {
	c := max(dns.CompareDomainName(name, n.Hdr.Name), dns.CompareDomainName(name, n.NextDomain), dns.CountLabel(d.zone))
	return lastLabels(name, c)
}

func wildcardOf(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
}

// --- NSEC3 (RFC 5155 §8) ---

func (d *denialProof) hash(name string) string {
	name = dns.CanonicalName(name)
	if h, ok := d.hashes[name]; ok {
		return h
	}
	h := dns.HashName(name, dns.SHA1, d.iter, d.salt)
	d.hashes[name] = h
	return h
}

func (d *denialProof) nsec3Matching(name string) *nsec3Record {
	h := d.hash(name)
	if h == "" {
		return nil
	}
	for i := range d.nsec3 {
		if d.nsec3[i].owner == h {
			return &d.nsec3[i]
		}
	}
	return nil
}

func (d *denialProof) nsec3Covering(name string) *nsec3Record {
	h := d.hash(name)
	if h == "" {
		return nil
	}
	for i := range d.nsec3 {
		if nsec3Covers(d.nsec3[i].owner, d.nsec3[i].next, h) {
			return &d.nsec3[i]
		}
	}
	return nil
}

// nsec3Covers: the hash lies strictly between owner and next, or, for the
// last NSEC3 of the chain (next <= owner), after owner or before next.
// Base32hex keeps the order of the hashes, so upper-case strings compare
// as the binary hashes do.
func nsec3Covers(owner, next, hash string) bool {
	if owner < next {
		return owner < hash && hash < next
	}
	return hash > owner || hash < next
}

// closestEncloser is the closest encloser proof of RFC 5155 §8.3: the
// longest ancestor of name that an NSEC3 matches, and an NSEC3 covering the
// next closer name (one label longer). When name itself matches, nextCloser
// is "" and cover nil. why says what is missing.
func (d *denialProof) closestEncloser(name string) (ce, nextCloser string, match, cover *nsec3Record, why string) {
	name = dns.CanonicalName(name)
	prev := ""
	for cur := name; ; cur = stripLabel(cur) {
		if m := d.nsec3Matching(cur); m != nil {
			if prev == "" {
				return cur, "", m, nil, ""
			}
			c := d.nsec3Covering(prev)
			if c == nil {
				return cur, prev, m, nil, fmt.Sprintf("no NSEC3 record covers the next closer name %s (hash %s)", prev, d.hash(prev))
			}
			return cur, prev, m, c, ""
		}
		if cur == d.zone || cur == "." {
			break
		}
		prev = cur
	}
	return "", "", nil, nil, fmt.Sprintf("no NSEC3 record matches %s or any of its ancestors in %s (no closest encloser)", name, d.zone)
}

// checkEncloser verifies the records of a closest encloser proof and that the
// encloser is not a delegation or DNAME (RFC 5155 §8.3).
func (d *denialProof) checkEncloser(ce string, match, cover *nsec3Record) (Verdict, bool) {
	rs := []dns.RR{match.rr}
	if cover != nil {
		rs = append(rs, cover.rr)
	}
	if v, ok := d.verifyAll(rs...); !ok {
		return v, false
	}
	bm := match.rr.TypeBitMap
	if hasType(bm, dns.TypeDNAME) {
		return d.fail("the closest encloser %s has a DNAME, so names below it are redirected, not absent", ce), false
	}
	if hasType(bm, dns.TypeNS) && !hasType(bm, dns.TypeSOA) && ce != d.zone {
		return d.fail("the closest encloser %s is a delegation, so %s cannot prove anything below it", ce, d.zone), false
	}
	return Verdict{}, true
}

// --- the proofs ---

// ValidateNXDOMAIN checks the denial of existence of qname in zone: msgNs is
// the authority section of the NXDOMAIN reply (NSEC/NSEC3 records and their
// RRSIGs; anything else is ignored) and keys the zone's trusted DNSKEYs.
// With NSEC: one record covering qname and one covering the wildcard at the
// closest encloser. With NSEC3: a closest encloser proof and an NSEC3
// covering the wildcard (RFC 5155 §8.4); when the NSEC3 covering the next
// closer name has the opt-out flag the name may exist as an unsigned
// delegation, so the result is Insecure (RFC 5155 §9.2).
func ValidateNXDOMAIN(qname, zone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) Verdict {
	d := newDenialProof(zone, msgNs, keys, now)
	qname = dns.CanonicalName(qname)
	claim := qname + " does not exist"
	if !atOrBelow(qname, d.zone) {
		return d.fail("%s is not in the zone %s whose records are to prove it does not exist", qname, d.zone)
	}
	switch {
	case len(d.nsec) > 0:
		return d.nxdomainNSEC(qname)
	case len(d.nsec3) > 0:
		if v, ok := d.highIterations(); ok {
			return v
		}
		return d.nxdomainNSEC3(qname)
	}
	return d.none(claim)
}

func (d *denialProof) nxdomainNSEC(qname string) Verdict {
	if m := d.nsecMatching(qname); m != nil {
		return d.fail("the reply has an NSEC record at %s, which shows the name exists", qname)
	}
	c := d.nsecCovering(qname)
	if c == nil {
		return d.fail("no NSEC record in the reply covers %s", qname)
	}
	if v, ok := d.verifyAll(c); !ok {
		return v
	}
	ce := d.nsecEncloser(qname, c)
	wild := wildcardOf(ce)
	if m := d.nsecMatching(wild); m != nil {
		return d.fail("the NSEC record at %s shows the wildcard exists, so %s should have been answered from it", wild, qname)
	}
	w := d.nsecCovering(wild)
	if w == nil {
		return d.fail("the NSEC from %s to %s covers %s, but no NSEC record proves that the wildcard %s does not exist", dns.CanonicalName(c.Hdr.Name), dns.CanonicalName(c.NextDomain), qname, wild)
	}
	if v, ok := d.verifyAll(w); !ok {
		return v
	}
	return d.result(SecuritySecure, "the NSEC from %s to %s proves %s does not exist, and no wildcard %s exists", dns.CanonicalName(c.Hdr.Name), dns.CanonicalName(c.NextDomain), qname, wild)
}

func (d *denialProof) nxdomainNSEC3(qname string) Verdict {
	ce, nc, m, c, why := d.closestEncloser(qname)
	if why != "" {
		return d.fail("%s", why)
	}
	if nc == "" {
		return d.fail("the NSEC3 record %s matches %s, which shows the name exists", m.rr.Hdr.Name, qname)
	}
	if v, ok := d.checkEncloser(ce, m, c); !ok {
		return v
	}
	wild := wildcardOf(ce)
	if wm := d.nsec3Matching(wild); wm != nil {
		return d.fail("the NSEC3 record %s matches the wildcard %s, so %s should have been answered from it", wm.rr.Hdr.Name, wild, qname)
	}
	w := d.nsec3Covering(wild)
	if w == nil {
		return d.fail("no NSEC3 record covers the wildcard %s (hash %s) at the closest encloser %s", wild, d.hash(wild), ce)
	}
	if v, ok := d.verifyAll(w.rr); !ok {
		return v
	}
	if c.optOut {
		return d.result(SecurityInsecure, "the NSEC3 record covering the next closer name %s has the opt-out flag, so %s may exist as an unsigned delegation (RFC 5155 §9.2)", nc, qname)
	}
	return d.result(SecuritySecure, "NSEC3 proves the closest encloser of %s is %s, that %s does not exist, and that no wildcard %s exists", qname, ce, nc, wild)
}

// ValidateNODATA checks that qname exists in zone but has no record of type
// qtype. msgNs is the authority section of the NODATA reply. Accepted
// proofs: an NSEC or NSEC3 matching qname whose type bitmap has neither
// qtype nor CNAME; an empty non-terminal (NSEC whose next name is below
// qname); a wildcard NODATA (qname covered, the wildcard matched without
// qtype). For qtype DS the record must come from the parent side of the
// zone cut (no SOA bit), and for other types not from the parent side of a
// delegation (NS without SOA). An NSEC3 DS NODATA without a matching record
// but with an opt-out NSEC3 covering the next closer name is Insecure (RFC
// 5155 §8.6).
func ValidateNODATA(qname string, qtype uint16, zone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) Verdict {
	d := newDenialProof(zone, msgNs, keys, now)
	qname = dns.CanonicalName(qname)
	claim := fmt.Sprintf("%s has no %s record", qname, rrTypeName(qtype))
	if !atOrBelow(qname, d.zone) {
		return d.fail("%s is not in the zone %s whose records are to prove %s", qname, d.zone, claim)
	}
	switch {
	case len(d.nsec) > 0:
		return d.nodataNSEC(qname, qtype)
	case len(d.nsec3) > 0:
		if v, ok := d.highIterations(); ok {
			return v
		}
		return d.nodataNSEC3(qname, qtype)
	}
	return d.none(claim)
}

// bitmapNODATA checks the type bitmap of a record matching name for a
// NODATA of qtype; "" means it proves it.
func bitmapNODATA(kind, name string, qtype uint16, bm []uint16) string {
	switch {
	case hasType(bm, qtype):
		return fmt.Sprintf("the %s record at %s lists type %s, so it proves that type exists", kind, name, rrTypeName(qtype))
	case hasType(bm, dns.TypeCNAME) && qtype != dns.TypeCNAME:
		return fmt.Sprintf("the %s record at %s lists CNAME, so %s is an alias and the answer should have followed it", kind, name, name)
	case qtype == dns.TypeDS && hasType(bm, dns.TypeSOA) && name != ".":
		return fmt.Sprintf("the %s record at %s is from the child side of the zone cut (it lists SOA), so it cannot prove there is no DS", kind, name)
	case qtype != dns.TypeDS && hasType(bm, dns.TypeNS) && !hasType(bm, dns.TypeSOA):
		return fmt.Sprintf("the %s record at %s is from the parent side of a zone cut (NS without SOA), so it cannot prove %s has no %s", kind, name, name, rrTypeName(qtype))
	}
	return ""
}

func (d *denialProof) nodataNSEC(qname string, qtype uint16) Verdict {
	t := rrTypeName(qtype)
	if m := d.nsecMatching(qname); m != nil {
		if v, ok := d.verifyAll(m); !ok {
			return v
		}
		if why := bitmapNODATA("NSEC", qname, qtype, m.TypeBitMap); why != "" {
			return d.fail("%s", why)
		}
		return d.result(SecuritySecure, "the NSEC record at %s proves it has no %s record", qname, t)
	}
	c := d.nsecCovering(qname)
	if c == nil {
		return d.fail("no NSEC record in the reply matches or covers %s", qname)
	}
	if next := dns.CanonicalName(c.NextDomain); atOrBelow(next, qname) && next != qname {
		// An empty non-terminal: it exists (it has descendants) and has no
		// records at all.
		if v, ok := d.verifyAll(c); !ok {
			return v
		}
		return d.result(SecuritySecure, "the NSEC from %s to %s proves %s is an empty non-terminal, with no %s record", dns.CanonicalName(c.Hdr.Name), next, qname, t)
	}
	ce := d.nsecEncloser(qname, c)
	wild := wildcardOf(ce)
	w := d.nsecMatching(wild)
	if w == nil {
		return d.fail("no NSEC record matches %s, and the NSEC covering it comes with no NSEC for the wildcard %s (a wildcard NODATA)", qname, wild)
	}
	if v, ok := d.verifyAll(c, w); !ok {
		return v
	}
	if why := bitmapNODATA("NSEC", wild, qtype, w.TypeBitMap); why != "" {
		return d.fail("%s", why)
	}
	return d.result(SecuritySecure, "NSEC proves %s does not exist and the wildcard %s has no %s record (wildcard NODATA)", qname, wild, t)
}

func (d *denialProof) nodataNSEC3(qname string, qtype uint16) Verdict {
	t := rrTypeName(qtype)
	ce, nc, m, c, why := d.closestEncloser(qname)
	if why != "" {
		return d.fail("no NSEC3 record matches %s: %s", qname, why)
	}
	if nc == "" {
		if v, ok := d.verifyAll(m.rr); !ok {
			return v
		}
		if why := bitmapNODATA("NSEC3", qname, qtype, m.rr.TypeBitMap); why != "" {
			return d.fail("%s", why)
		}
		return d.result(SecuritySecure, "the NSEC3 record %s matches %s and proves it has no %s record", dns.CanonicalName(m.rr.Hdr.Name), qname, t)
	}
	if v, ok := d.checkEncloser(ce, m, c); !ok {
		return v
	}
	if qtype == dns.TypeDS {
		if c.optOut {
			return d.result(SecurityInsecure, "the NSEC3 record covering %s has the opt-out flag, so %s may be an unsigned delegation without a DS (RFC 5155 §8.6)", nc, qname)
		}
		return d.fail("no NSEC3 record matches %s, and the one covering the next closer name %s has no opt-out flag", qname, nc)
	}
	wild := wildcardOf(ce)
	w := d.nsec3Matching(wild)
	if w == nil {
		return d.fail("no NSEC3 record matches %s or the wildcard %s at its closest encloser %s", qname, wild, ce)
	}
	if v, ok := d.verifyAll(w.rr); !ok {
		return v
	}
	if why := bitmapNODATA("NSEC3", wild, qtype, w.rr.TypeBitMap); why != "" {
		return d.fail("%s", why)
	}
	return d.result(SecuritySecure, "NSEC3 proves %s does not exist and the wildcard %s has no %s record (wildcard NODATA)", qname, wild, t)
}

// ValidateNoDS checks an insecure delegation: that child, delegated from
// parentZone, has NS records but no DS. msgNs is the authority section of
// the referral (or of the DS NODATA reply) and keys the parent zone's
// trusted DNSKEYs. With NSEC: the record at child lists NS and neither DS
// nor SOA. With NSEC3: the same from a matching record, or an opt-out NSEC3
// covering the next closer name of child's closest encloser (RFC 5155
// §8.6). Success is State Insecure: the zone below is proven unsigned.
func ValidateNoDS(child, parentZone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) Verdict {
	d := newDenialProof(parentZone, msgNs, keys, now)
	child = dns.CanonicalName(child)
	if !atOrBelow(child, d.zone) || child == d.zone {
		return d.fail("%s is not below the zone %s, so %s cannot prove it is delegated without a DS", child, d.zone, d.zone)
	}
	switch {
	case len(d.nsec) > 0:
		m := d.nsecMatching(child)
		if m == nil {
			return d.fail("no NSEC record in the reply matches %s, so nothing proves it is delegated without a DS", child)
		}
		if v, ok := d.verifyAll(m); !ok {
			return v
		}
		if why := bitmapNoDS("NSEC", child, m.TypeBitMap); why != "" {
			return d.fail("%s", why)
		}
		return d.result(SecurityInsecure, "the NSEC record at %s proves it is delegated (NS) without a DS, so %s is unsigned", child, child)
	case len(d.nsec3) > 0:
		if v, ok := d.highIterations(); ok {
			return v
		}
		ce, nc, m, c, why := d.closestEncloser(child)
		if why != "" {
			return d.fail("no NSEC3 record matches %s: %s", child, why)
		}
		if nc == "" {
			if v, ok := d.verifyAll(m.rr); !ok {
				return v
			}
			if why := bitmapNoDS("NSEC3", child, m.rr.TypeBitMap); why != "" {
				return d.fail("%s", why)
			}
			return d.result(SecurityInsecure, "the NSEC3 record %s matches %s and proves it is delegated (NS) without a DS, so %s is unsigned", dns.CanonicalName(m.rr.Hdr.Name), child, child)
		}
		if v, ok := d.checkEncloser(ce, m, c); !ok {
			return v
		}
		if !c.optOut {
			return d.fail("no NSEC3 record matches %s, and the one covering the next closer name %s has no opt-out flag, so %s is not an unsigned delegation", child, nc, child)
		}
		return d.result(SecurityInsecure, "the NSEC3 record covering %s has the opt-out flag, so %s is an unsigned delegation of %s (RFC 5155 §8.6)", nc, child, d.zone)
	}
	return d.none(child + " is delegated without a DS")
}

func bitmapNoDS(kind, name string, bm []uint16) string {
	switch {
	case hasType(bm, dns.TypeDS):
		return fmt.Sprintf("the %s record at %s lists DS, so the delegation is signed, not insecure", kind, name)
	case hasType(bm, dns.TypeSOA):
		return fmt.Sprintf("the %s record at %s is from the child side of the zone cut (it lists SOA), so it cannot prove there is no DS", kind, name)
	case !hasType(bm, dns.TypeNS):
		return fmt.Sprintf("the %s record at %s does not list NS, so %s is not a delegation", kind, name, name)
	case hasType(bm, dns.TypeCNAME):
		return fmt.Sprintf("the %s record at %s lists CNAME, which cannot sit at a delegation", kind, name)
	}
	return ""
}

// ValidateWildcardAnswer checks the proof that must come with an answer
// synthesised from a wildcard (RFC 4035 §5.3.4, RFC 5155 §8.8): that qname
// itself does not exist. With NSEC, a record covering qname; with NSEC3, a
// record covering the next closer name of some ancestor of qname in zone.
// When the wildcard is known (Verdict.Wildcard from ValidateRRset), prefer
// ValidateWildcardExpansion, which also checks the wildcard is the one at
// qname's closest encloser.
func ValidateWildcardAnswer(qname, zone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) Verdict {
	return ValidateWildcardExpansion(qname, "", zone, msgNs, keys, now)
}

// ValidateWildcardExpansion is ValidateWildcardAnswer for an answer expanded
// from wildcard (e.g. "*.example.com."): the proof must show that the next
// closer name — the closest encloser (wildcard without its "*" label) plus
// one more label of qname — does not exist. An empty wildcard means unknown.
func ValidateWildcardExpansion(qname, wildcard, zone string, msgNs []dns.RR, keys []*dns.DNSKEY, now time.Time) Verdict {
	d := newDenialProof(zone, msgNs, keys, now)
	qname = dns.CanonicalName(qname)
	if !atOrBelow(qname, d.zone) {
		return d.fail("%s is not in the zone %s whose records are to prove the wildcard answer", qname, d.zone)
	}
	nextCloser := ""
	if wildcard != "" {
		wildcard = dns.CanonicalName(wildcard)
		ce := stripLabel(wildcard)
		if !strings.HasPrefix(wildcard, "*.") || !atOrBelow(qname, ce) || qname == ce || !atOrBelow(ce, d.zone) {
			return d.fail("the wildcard %s cannot have produced an answer for %s in %s", wildcard, qname, d.zone)
		}
		nextCloser = lastLabels(qname, dns.CountLabel(ce)+1)
	}
	claim := qname + " does not exist (the answer came from a wildcard)"
	switch {
	case len(d.nsec) > 0:
		c := d.nsecCovering(qname)
		if c == nil {
			return d.fail("the answer for %s came from a wildcard, but no NSEC record proves %s itself does not exist", qname, qname)
		}
		if nextCloser != "" && nextCloser != qname && !nsecCovers(c.Hdr.Name, c.NextDomain, nextCloser) {
			return d.fail("the NSEC from %s to %s covers %s but not the next closer name %s, so the wildcard %s should not have been used", dns.CanonicalName(c.Hdr.Name), dns.CanonicalName(c.NextDomain), qname, nextCloser, wildcard)
		}
		if v, ok := d.verifyAll(c); !ok {
			return v
		}
		return d.result(SecuritySecure, "the NSEC from %s to %s proves %s does not exist, so the wildcard answer is valid", dns.CanonicalName(c.Hdr.Name), dns.CanonicalName(c.NextDomain), qname)
	case len(d.nsec3) > 0:
		if v, ok := d.highIterations(); ok {
			return v
		}
		candidates := []string{nextCloser}
		if nextCloser == "" {
			candidates = nil
			for cur := qname; cur != d.zone && cur != "."; cur = stripLabel(cur) {
				candidates = append(candidates, cur)
			}
		}
		for _, name := range candidates {
			if c := d.nsec3Covering(name); c != nil {
				if v, ok := d.verifyAll(c.rr); !ok {
					return v
				}
				return d.result(SecuritySecure, "the NSEC3 record %s covers %s, so %s does not exist and the wildcard answer is valid", dns.CanonicalName(c.rr.Hdr.Name), name, qname)
			}
		}
		if nextCloser != "" {
			return d.fail("no NSEC3 record covers the next closer name %s (hash %s), so nothing proves %s does not exist", nextCloser, d.hash(nextCloser), qname)
		}
		return d.fail("no NSEC3 record covers %s or any of its ancestors below %s, so nothing proves it does not exist", qname, d.zone)
	}
	return d.none(claim)
}
