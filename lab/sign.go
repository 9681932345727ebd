package lab

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// The lab signs the zones whose zone line says dnssec=nsec or
// dnssec=nsec3, at load time, with keys and signatures that are the same
// at every load of the same world (so that golden files are stable):
//
//   - keys are ED25519 (algorithm 15) made from a seed, the SHA-256 of
//     "nstrace-lab/ROLE/ZONE" (ROLE "ksk" or "zsk", ZONE the lower-case
//     FQDN); ED25519 signatures are deterministic (RFC 8032);
//   - a KSK (flags 257) signs the DNSKEY RRset, a ZSK (flags 256) every
//     other authoritative RRset: not the NS RRset of a delegation, not glue;
//   - every signature has the inception and expiration of labInception
//     and labExpiration unless the zone line says otherwise;
//   - denial of existence is an NSEC chain, or NSEC3 (SHA-1, no extra
//     iteration, empty salt, RFC 9276; no opt-out) with an NSEC3PARAM at
//     the apex;
//   - a signed parent zone gets a DS (digest type 2, SHA-256) for each of
//     its children that the lab signs (or that carries a KSK of its own in
//     its zone file), computed from the child's KSK.
//
// Options on the zone line break the result on purpose; see signing.

// The validity window of the lab's signatures, unless a zone line says
// otherwise: every RRSIG the lab makes is valid from labInception to
// labExpiration.
var (
	labInception  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	labExpiration = time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Key flags: a zone key, and a zone key with the SEP bit (a KSK).
const (
	flagsZSK = dns.ZONE
	flagsKSK = dns.ZONE | dns.SEP
)

// denial is how a signed zone proves that names and types do not exist.
type denial int

const (
	denialNSEC  denial = iota + 1 // an NSEC chain (RFC 4034)
	denialNSEC3                   // NSEC3, hashed names (RFC 5155)
)

// rrsetRef names one RRset of a zone: its owner (lower-case FQDN) and type.
type rrsetRef struct {
	name   string
	rrtype uint16
}

func (r rrsetRef) String() string { return r.name + "/" + dns.TypeToString[r.rrtype] }

// signing is how the lab signs one zone, from the options of its zone
// line. The zero value is not used: a zone the lab does not sign has a
// nil *signing.
type signing struct {
	denial denial
	// algorithm is dns.ED25519 or dns.ED448. ED448 keys and signatures
	// are fake (bytes of the right length that verify nothing): the
	// validator does not support the algorithm, and must say so.
	algorithm uint8
	// inception and expiration are the validity window of every RRSIG.
	inception, expiration time.Time
	// dsMismatch: the parent's DS is made from a key the zone does not
	// have (break=ds-mismatch).
	dsMismatch bool
	// unsigned: the lab makes the keys and the parent gets its DS, but
	// the zone is served unsigned, without DNSKEY (break=unsigned).
	unsigned bool
	// alter lists RRsets whose first record is changed after signing, so
	// that its RRSIG no longer verifies (break=alter:NAME/TYPE).
	alter []rrsetRef
	// noSig lists RRsets served without their RRSIG (break=nosig:NAME/TYPE).
	noSig []rrsetRef
	// badNXProof: in NXDOMAIN replies, the NSEC (or NSEC3) that covers
	// the query name (the next closer name) is replaced by another, validly
	// signed record of the chain that does not cover it (break=nxproof).
	badNXProof bool
}

// parseZoneOptions parses the KEY=VALUE options of a zone line (after
// NAME and FILE). It returns nil when the zone is not to be signed.
func parseZoneOptions(args []string, origin string) (*signing, error) {
	if len(args) == 0 {
		return nil, nil
	}
	sg := &signing{algorithm: dns.ED25519, inception: labInception, expiration: labExpiration}
	seen := map[string]bool{}
	for _, arg := range args {
		key, val, ok := strings.Cut(arg, "=")
		key = strings.ToLower(key)
		if !ok || val == "" {
			return nil, fmt.Errorf("bad zone option %q (want KEY=VALUE)", arg)
		}
		if seen[key] && key != "break" {
			return nil, fmt.Errorf("zone option %s= given twice", key)
		}
		seen[key] = true
		switch key {
		case "dnssec":
			switch strings.ToLower(val) {
			case "nsec":
				sg.denial = denialNSEC
			case "nsec3":
				sg.denial = denialNSEC3
			default:
				return nil, fmt.Errorf("bad dnssec=%s (want nsec or nsec3)", val)
			}
		case "algorithm":
			switch strings.ToLower(val) {
			case "ed25519", "15":
				sg.algorithm = dns.ED25519
			case "ed448", "16":
				sg.algorithm = dns.ED448
			default:
				return nil, fmt.Errorf("bad algorithm=%s (want ed25519 or ed448)", val)
			}
		case "inception", "expiration":
			t, err := parseDate(val)
			if err != nil {
				return nil, fmt.Errorf("bad %s=%s (want a date, 2025-06-01, or an RFC 3339 time)", key, val)
			}
			if key == "inception" {
				sg.inception = t
			} else {
				sg.expiration = t
			}
		case "break":
			for b := range strings.SplitSeq(val, ",") {
				if err := sg.addBreak(b, origin); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("unknown zone option %q (want dnssec=, algorithm=, inception=, expiration= or break=)", key)
		}
	}
	if sg.denial == 0 {
		return nil, fmt.Errorf("zone options %s need dnssec=nsec or dnssec=nsec3", strings.Join(args, " "))
	}
	if !sg.inception.Before(sg.expiration) {
		return nil, fmt.Errorf("inception %s is not before expiration %s", sg.inception.Format(time.RFC3339), sg.expiration.Format(time.RFC3339))
	}
	return sg, nil
}

// addBreak parses one breakage of break=.
func (sg *signing) addBreak(b, origin string) error {
	kind, arg, hasArg := strings.Cut(strings.ToLower(b), ":")
	switch kind {
	case "ds-mismatch", "unsigned", "nxproof":
		if hasArg {
			return fmt.Errorf("break=%s takes no argument", kind)
		}
		switch kind {
		case "ds-mismatch":
			sg.dsMismatch = true
		case "unsigned":
			sg.unsigned = true
		default:
			sg.badNXProof = true
		}
		return nil
	case "alter", "nosig":
		name, typ, ok := strings.Cut(arg, "/")
		t, known := dns.StringToType[strings.ToUpper(typ)]
		if !hasArg || !ok || !known {
			return fmt.Errorf("bad break=%s (want break=%s:NAME/TYPE, e.g. %s:www/A)", b, kind, kind)
		}
		owner, err := relativeName(name, origin)
		if err != nil {
			return fmt.Errorf("break=%s: %v", b, err)
		}
		ref := rrsetRef{owner, t}
		if kind == "alter" {
			if t != dns.TypeA && t != dns.TypeTXT {
				return fmt.Errorf("break=%s: only A and TXT records can be altered", b)
			}
			sg.alter = append(sg.alter, ref)
		} else {
			sg.noSig = append(sg.noSig, ref)
		}
		return nil
	}
	return fmt.Errorf("bad break=%s (want ds-mismatch, unsigned, nxproof, alter:NAME/TYPE or nosig:NAME/TYPE)", b)
}

// relativeName resolves a name written on a zone line: "@" is the apex, a
// name without a final dot is relative to the apex.
func relativeName(name, origin string) (string, error) {
	switch {
	case name == "@":
		return origin, nil
	case strings.HasSuffix(name, "."):
	case origin == ".":
		name += "."
	default:
		name += "." + origin
	}
	n, err := canonicalName(name)
	if err != nil {
		return "", err
	}
	if !dns.IsSubDomain(origin, n) {
		return "", fmt.Errorf("%s is outside the zone %s", n, origin)
	}
	return n, nil
}

// parseDate parses 2025-06-01 (midnight UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// labKey is one key of a zone: its DNSKEY record and what signs with it.
type labKey struct {
	dnskey *dns.DNSKEY
	tag    uint16
	priv   ed25519.PrivateKey // nil for ED448: its signatures are fake
	seed   [32]byte
}

// Keys and signatures are the same at every load of a world, and loading
// is frequent (tests load worlds many times): both are made once per
// process. A key is immutable once made; a cached RRSIG is copied out.
var (
	keyCache sync.Map // labKeyID -> *labKey
	sigCache sync.Map // string (see sign) -> *dns.RRSIG
)

type labKeyID struct {
	zone, role string
	algorithm  uint8
	flags      uint16
	ttl        uint32
}

// newLabKey makes the key of a role ("ksk", "zsk", or "ksk-mismatch" for
// the key behind a DS that matches nothing) of zone: the same key at
// every call.
func newLabKey(zone, role string, algorithm uint8, flags uint16, ttl uint32) *labKey {
	id := labKeyID{zone, role, algorithm, flags, ttl}
	if k, ok := keyCache.Load(id); ok {
		return k.(*labKey)
	}
	k := makeLabKey(zone, role, algorithm, flags, ttl)
	keyCache.Store(id, k)
	return k
}

func makeLabKey(zone, role string, algorithm uint8, flags uint16, ttl uint32) *labKey {
	k := &labKey{seed: sha256.Sum256([]byte("nstrace-lab/" + role + "/" + zone))}
	var pub []byte
	switch algorithm {
	case dns.ED25519:
		k.priv = ed25519.NewKeyFromSeed(k.seed[:])
		pub = k.priv.Public().(ed25519.PublicKey)
	default: // ED448: 57 bytes of public key, made up
		pub = fakeBytes(k.seed, "public key", 57)
	}
	k.dnskey = &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: ttl},
		Flags:     flags,
		Protocol:  3,
		Algorithm: algorithm,
		PublicKey: base64.StdEncoding.EncodeToString(pub),
	}
	k.tag = k.dnskey.KeyTag()
	return k
}

// fakeBytes returns n bytes derived from seed and what: a stand-in for
// the key material and signatures of an algorithm the lab cannot compute.
func fakeBytes(seed [32]byte, what string, n int) []byte {
	var out []byte
	for i := uint32(0); len(out) < n; i++ {
		h := sha256.New()
		h.Write(seed[:])
		h.Write([]byte(what))
		h.Write(binary.BigEndian.AppendUint32(nil, i))
		out = h.Sum(out)
	}
	return out[:n]
}

// sign returns the RRSIG of rrset (records of one owner and type, as the
// zone holds them) made with k, valid in the window of sg.
func (k *labKey) sign(rrset []dns.RR, signer string, sg *signing) (*dns.RRSIG, error) {
	h := rrset[0].Header()
	sig := &dns.RRSIG{
		Hdr:        dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		Algorithm:  k.dnskey.Algorithm,
		KeyTag:     k.tag,
		SignerName: signer,
		Inception:  uint32(sg.inception.Unix()),
		Expiration: uint32(sg.expiration.Unix()),
	}
	if k.priv == nil {
		sig.TypeCovered = h.Rrtype
		sig.Labels = uint8(dns.CountLabel(h.Name))
		sig.OrigTtl = h.Ttl
		sig.Signature = base64.StdEncoding.EncodeToString(fakeBytes(k.seed, h.Name+"/"+dns.TypeToString[h.Rrtype], 114))
		return sig, nil
	}
	// The signature depends on the key, the RRSIG fields and the RRset
	// (its records, owner, type and TTL): all are in the cache key.
	var id strings.Builder
	fmt.Fprintf(&id, "%s %d %d %d %s", k.dnskey.PublicKey, k.tag, sig.Inception, sig.Expiration, signer)
	for _, rr := range rrset {
		id.WriteString("\n" + rr.String())
	}
	if cached, ok := sigCache.Load(id.String()); ok {
		return dns.Copy(cached.(*dns.RRSIG)).(*dns.RRSIG), nil
	}
	if err := sig.Sign(k.priv, rrset); err != nil {
		return nil, fmt.Errorf("signing %s %s: %w", h.Name, dns.TypeToString[h.Rrtype], err)
	}
	sigCache.Store(id.String(), dns.Copy(sig))
	return sig, nil
}

// keys returns the KSK and ZSK of a zone the lab signs.
func (z *zone) labKeys() (ksk, zsk *labKey) {
	ttl := z.nodes[z.name][dns.TypeNS][0].Header().Ttl
	return newLabKey(z.name, "ksk", z.signing.algorithm, flagsKSK, ttl),
		newLabKey(z.name, "zsk", z.signing.algorithm, flagsZSK, ttl)
}

// dsRecords returns the DS records (digest type 2) a parent publishes for
// zone z at its cut, with TTL ttl: from the lab's KSK of z (or from a key
// z does not have, with break=ds-mismatch), or from the KSKs in z's own
// zone file (a presigned zone). None for a zone that is not signed.
func (z *zone) dsRecords(ttl uint32) []dns.RR {
	var ksks []*dns.DNSKEY
	switch {
	case z.signing != nil && z.signing.dsMismatch:
		ksks = append(ksks, newLabKey(z.name, "ksk-mismatch", z.signing.algorithm, flagsKSK, ttl).dnskey)
	case z.signing != nil:
		ksk, _ := z.labKeys()
		ksks = append(ksks, ksk.dnskey)
	default:
		for _, rr := range z.nodes[z.name][dns.TypeDNSKEY] {
			if k := rr.(*dns.DNSKEY); k.Flags&dns.SEP != 0 {
				ksks = append(ksks, k)
			}
		}
	}
	var out []dns.RR
	for _, k := range ksks {
		if ds := k.ToDS(dns.SHA256); ds != nil {
			ds.Hdr.Ttl = ttl
			out = append(out, ds)
		}
	}
	return out
}

// signZone signs z as z.signing says: DNSKEY (and NSEC3PARAM) at the apex,
// the NSEC or NSEC3 chain, an RRSIG for every authoritative RRset, then
// the breakages asked for. The DS records of its children must already
// be in the zone. It runs once, inside Load: the zone is immutable after.
func signZone(z *zone) error {
	sg := z.signing
	if sg.unsigned {
		return nil // keys for the parent's DS only
	}
	ksk, zsk := z.labKeys()
	apex := z.nodes[z.name]
	apex[dns.TypeDNSKEY] = []dns.RR{ksk.dnskey, zsk.dnskey}
	if sg.denial == denialNSEC3 {
		apex[dns.TypeNSEC3PARAM] = []dns.RR{&dns.NSEC3PARAM{
			Hdr:  dns.RR_Header{Name: z.name, Rrtype: dns.TypeNSEC3PARAM, Class: dns.ClassINET, Ttl: 0},
			Hash: dns.SHA1,
		}}
	}
	negTTL := z.negativeSOA().Header().Ttl
	names := z.authoritativeNames()
	if sg.denial == denialNSEC {
		for i, n := range names {
			types := append(sortedTypes(z.nodes[n]), dns.TypeNSEC, dns.TypeRRSIG)
			slices.Sort(types)
			z.nodes[n][dns.TypeNSEC] = []dns.RR{&dns.NSEC{
				Hdr:        dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: negTTL},
				NextDomain: names[(i+1)%len(names)],
				TypeBitMap: types,
			}}
		}
		z.nsecNames = names
	}
	z.sigs = map[string]map[uint16][]dns.RR{}
	for _, n := range names {
		for _, t := range sortedTypes(z.nodes[n]) {
			if z.cuts[n] && t != dns.TypeDS && t != dns.TypeNSEC {
				continue // the delegation's NS RRset is not signed (RFC 4035 2.2)
			}
			k := zsk
			if t == dns.TypeDNSKEY {
				k = ksk
			}
			if err := z.addSig(z.nodes[n][t], k); err != nil {
				return err
			}
		}
	}
	if sg.denial == denialNSEC3 {
		var recs []*dns.NSEC3
		for _, n := range z.nsec3Names(names) {
			var types []uint16
			if rrsets := z.nodes[n]; len(rrsets) > 0 {
				types = sortedTypes(rrsets)
				if !z.cuts[n] || len(rrsets[dns.TypeDS]) > 0 {
					types = append(types, dns.TypeRRSIG)
					slices.Sort(types)
				}
			}
			recs = append(recs, &dns.NSEC3{
				Hdr:        dns.RR_Header{Name: strings.ToLower(dns.HashName(n, dns.SHA1, 0, "")) + "." + strings.TrimPrefix(z.name, "."), Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: negTTL},
				Hash:       dns.SHA1,
				HashLength: sha1Len,
				TypeBitMap: types,
			})
		}
		c := newNSEC3Chain(recs)
		for i, r := range c.recs {
			r.NextDomain = nsec3Hash(c.recs[(i+1)%len(c.recs)])
			if err := z.addSig([]dns.RR{r}, zsk); err != nil {
				return err
			}
		}
		z.nsec3 = c
	}
	return z.applyBreaks()
}

// sha1Len is the length of a SHA-1 digest, the hash of NSEC3.
const sha1Len = 20

// addSig signs an RRset of z with k and files the signature.
func (z *zone) addSig(rrset []dns.RR, k *labKey) error {
	sig, err := k.sign(rrset, z.name, z.signing)
	if err != nil {
		return fmt.Errorf("zone %s: %w", z.name, err)
	}
	z.addRRSIG(sig)
	return nil
}

// addRRSIG files an RRSIG by owner and type covered.
func (z *zone) addRRSIG(sig *dns.RRSIG) {
	owner := strings.ToLower(sig.Hdr.Name)
	if z.sigs == nil {
		z.sigs = map[string]map[uint16][]dns.RR{}
	}
	if z.sigs[owner] == nil {
		z.sigs[owner] = map[uint16][]dns.RR{}
	}
	z.sigs[owner][sig.TypeCovered] = append(z.sigs[owner][sig.TypeCovered], sig)
}

// applyBreaks breaks the signed zone as its zone line asks.
func (z *zone) applyBreaks() error {
	z.unaltered = nil
	for _, ref := range z.signing.alter {
		rrs := z.nodes[ref.name][ref.rrtype]
		if len(rrs) == 0 || z.sigs[ref.name][ref.rrtype] == nil {
			return fmt.Errorf("zone %s: break=alter:%s: no signed RRset there", z.name, ref)
		}
		if z.unaltered == nil {
			z.unaltered = map[rrsetRef][]dns.RR{}
		}
		z.unaltered[ref] = rrs
		changed := dns.Copy(rrs[0])
		switch v := changed.(type) {
		case *dns.A:
			ip := v.A.To4()
			v.A = append(ip[:3:3], ip[3]^1) // still in 127.0.0.0/8
		case *dns.TXT:
			v.Txt = append(v.Txt, "altered after signing")
		}
		z.nodes[ref.name][ref.rrtype] = append([]dns.RR{changed}, rrs[1:]...)
	}
	for _, ref := range z.signing.noSig {
		if z.sigs[ref.name][ref.rrtype] == nil {
			return fmt.Errorf("zone %s: break=nosig:%s: no signed RRset there", z.name, ref)
		}
		delete(z.sigs[ref.name], ref.rrtype)
	}
	if z.signing.badNXProof && len(z.nsecNames)+z.nsec3.len() < 3 {
		return fmt.Errorf("zone %s: break=nxproof needs a chain of at least 3 records", z.name)
	}
	return nil
}

// authoritativeNames returns the names of z that hold authoritative data
// or a delegation (not the names below a zone cut: glue), in canonical
// order: the owners of its NSEC chain.
func (z *zone) authoritativeNames() []string {
	names := make([]string, 0, len(z.nodes))
	for n := range z.nodes {
		if c := z.findCut(n); c == "" || c == n {
			names = append(names, n)
		}
	}
	sortCanonical(names)
	return names
}

// nsec3Names returns the owners of an NSEC3 chain: the authoritative
// names and the empty non-terminals above them (RFC 5155 7.1).
func (z *zone) nsec3Names(names []string) []string {
	out := slices.Clone(names)
	for n := range z.exists {
		if _, owner := z.nodes[n]; !owner && z.findCut(n) == "" {
			out = append(out, n)
		}
	}
	return out
}

// nsec3Chain is the NSEC3 records of a zone, sorted by hashed owner.
type nsec3Chain struct {
	recs       []*dns.NSEC3 // sorted by owner hash
	byHash     map[string]*dns.NSEC3
	iterations uint16
	salt       string
}

func newNSEC3Chain(recs []*dns.NSEC3) *nsec3Chain {
	c := &nsec3Chain{byHash: map[string]*dns.NSEC3{}}
	for _, r := range recs {
		c.recs = append(c.recs, r)
		c.byHash[nsec3Hash(r)] = r
	}
	slices.SortFunc(c.recs, func(a, b *dns.NSEC3) int { return strings.Compare(nsec3Hash(a), nsec3Hash(b)) })
	if len(recs) > 0 {
		c.iterations, c.salt = recs[0].Iterations, recs[0].Salt
	}
	return c
}

func (c *nsec3Chain) len() int {
	if c == nil {
		return 0
	}
	return len(c.recs)
}

// nsec3Hash returns the hash label of an NSEC3 owner, in upper case as
// dns.HashName writes it.
func nsec3Hash(r *dns.NSEC3) string {
	label, _, _ := strings.Cut(r.Hdr.Name, ".")
	return strings.ToUpper(label)
}

func (c *nsec3Chain) hash(name string) string {
	return dns.HashName(name, dns.SHA1, c.iterations, c.salt)
}

// match returns the NSEC3 record whose owner is the hash of name, or nil.
func (c *nsec3Chain) match(name string) *dns.NSEC3 { return c.byHash[c.hash(name)] }

// cover returns the index of the NSEC3 record whose interval holds the
// hash of name: the last one whose hash is below it (or, if none is, the
// last of the chain, which wraps around).
func (c *nsec3Chain) cover(name string) int {
	h := c.hash(name)
	i, _ := slices.BinarySearchFunc(c.recs, h, func(r *dns.NSEC3, h string) int { return strings.Compare(nsec3Hash(r), h) })
	if i == 0 {
		return len(c.recs) - 1
	}
	return i - 1
}

// signed reports whether the zone serves DNSSEC records to DO=1 queries.
func (z *zone) signed() bool { return len(z.sigs) > 0 }

// dnssecOnly reports whether records of type t are shown only to queries
// with DO=1, whatever the query type (RFC 4035 3.1).
func dnssecOnly(t uint16) bool {
	return t == dns.TypeRRSIG || t == dns.TypeNSEC || t == dns.TypeNSEC3
}

// dnssecType reports whether t is a type of DNSSEC: left out of ANY
// answers to queries with DO=0, so that a signed zone answers those as
// it did unsigned.
func dnssecType(t uint16) bool {
	switch t {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeDNSKEY, dns.TypeDS, dns.TypeNSEC3PARAM:
		return true
	}
	return false
}

// appendRRset appends copies of an RRset of z (owner, type) to a section,
// followed, for do (a query with DO=1), by copies of its RRSIGs with the
// TTL of the RRset.
func (z *zone) appendRRset(dst []dns.RR, rrs []dns.RR, do bool) []dns.RR {
	dst = appendCopies(dst, rrs)
	if do && len(rrs) > 0 {
		h := rrs[0].Header()
		for _, sig := range z.sigs[strings.ToLower(h.Name)][h.Rrtype] {
			c := dns.Copy(sig)
			c.Header().Ttl = h.Ttl
			dst = append(dst, c)
		}
	}
	return dst
}

// delegationProof adds to a referral to cut, for a query with DO=1 to a
// signed zone, the DS RRset and its RRSIG, or the NSEC/NSEC3 record that
// proves there is none (RFC 4035 3.1.4).
func (z *zone) delegationProof(m *dns.Msg, cut string) {
	if ds := z.nodes[cut][dns.TypeDS]; len(ds) > 0 {
		m.Ns = z.appendRRset(m.Ns, ds, true)
		return
	}
	m.Ns = append(m.Ns, z.denial(cut, false)...)
}

// denial returns the records of z, with their RRSIGs, that prove for
// name (inside the zone, not below a cut) either that it does not exist
// (nx: NXDOMAIN; no wildcard could have answered either) or that it has
// no RRset of the type asked for (NODATA).
func (z *zone) denial(name string, nx bool) []dns.RR {
	var recs []dns.RR
	add := func(rr dns.RR) {
		if rr == nil {
			return
		}
		for _, have := range recs {
			if have == rr {
				return
			}
		}
		recs = append(recs, rr)
	}
	switch {
	case z.nsec3 != nil:
		c := z.nsec3
		if !nx {
			if r := c.match(name); r != nil {
				add(r)
			} else {
				add(c.recs[c.cover(name)]) // cannot happen in a chain the lab made
			}
			break
		}
		// The closest encloser proof (RFC 5155 7.2.1): the closest
		// encloser exists, the next closer name does not; nor does the
		// wildcard at the closest encloser (7.2.2).
		ce, next := z.closestEncloser(name)
		add(c.match(ce))
		add(c.recs[c.cover(next)])
		add(c.recs[c.cover("*."+ce)])
		if z.signing != nil && z.signing.badNXProof {
			recs = c.breakProof(recs, next)
		}
	case len(z.nsecNames) > 0:
		if !nx {
			if r := z.nodes[name][dns.TypeNSEC]; len(r) > 0 {
				add(r[0])
			} else { // an empty non-terminal: the NSEC that covers it
				add(z.nsecAt(z.nsecCover(name)))
			}
			break
		}
		ce, _ := z.closestEncloser(name)
		i := z.nsecCover(name)
		if z.signing != nil && z.signing.badNXProof {
			i = (i + 1) % len(z.nsecNames)
		}
		add(z.nsecAt(i))
		add(z.nsecAt(z.nsecCover("*." + ce)))
	}
	var out []dns.RR
	for _, rr := range recs {
		out = z.appendRRset(out, []dns.RR{rr}, true)
	}
	return out
}

// breakProof replaces in an NSEC3 proof every record that covers the
// next closer name by another record of the chain, not yet in the proof,
// that does not cover it: the broken proof of break=nxproof. (The record
// that covers the wildcard may be the one that covers the next closer
// name; then the wildcard proof breaks too.)
func (c *nsec3Chain) breakProof(proof []dns.RR, next string) []dns.RR {
	out := slices.Clone(proof)
	for i, rr := range out {
		if !rr.(*dns.NSEC3).Cover(next) {
			continue
		}
		for _, r := range c.recs {
			if !r.Cover(next) && !slices.Contains(out, dns.RR(r)) {
				out[i] = r
				break
			}
		}
	}
	return out
}

// nsecAt returns the NSEC record of the i-th name of the chain.
func (z *zone) nsecAt(i int) dns.RR { return z.nodes[z.nsecNames[i]][dns.TypeNSEC][0] }

// nsecCover returns the index of the NSEC record that covers name: the
// last owner of the chain before it in canonical order (the apex, first
// of the chain, is before every name of the zone).
func (z *zone) nsecCover(name string) int {
	i, _ := slices.BinarySearchFunc(z.nsecNames, name, compareCanonical)
	return max(i-1, 0)
}

// closestEncloser returns the longest ancestor of name that exists in
// z, and the next closer name: its child on the way to name.
func (z *zone) closestEncloser(name string) (ce, next string) {
	next = name
	for ce = parent(name); !z.exists[ce] && ce != z.name; ce = parent(ce) {
		next = ce
	}
	return ce, next
}

// TrustAnchor returns the DS records (digest type 2) of the world's root
// KSK: what a validating resolver must trust to validate the lab. None
// if the world's root zone is not signed.
func (w *World) TrustAnchor() []dns.RR {
	root := w.zones["."]
	if root == nil {
		return nil
	}
	return root.dsRecords(root.nodes["."][dns.TypeNS][0].Header().Ttl)
}

// TrustAnchorText returns TrustAnchor in zone-file form, after a comment
// line, as the lab writes it to trust-anchor.txt. It is empty (but for
// the comments) when the root is not signed.
func (w *World) TrustAnchorText() string {
	var b strings.Builder
	b.WriteString("; The trust anchor of the nstrace lab: the DS of its root KSK. NOT the Internet's root.\n")
	fmt.Fprintf(&b, "; The lab's signatures are valid from %s to %s.\n",
		labInception.Format(time.DateOnly), labExpiration.Format(time.DateOnly))
	for _, rr := range w.TrustAnchor() {
		b.WriteString(rr.String() + "\n")
	}
	return b.String()
}

// TrustAnchorFile is the name of the file holding World.TrustAnchorText
// that Export, ExportKnot and nstrace lab serve write next to named.root.
const TrustAnchorFile = "trust-anchor.txt"

// signWorld adds the DS records of signed children to every zone the lab
// signs, then signs those zones (all their variants).
func (w *World) signWorld() error {
	var all []*zone
	for name, z := range w.zones {
		all = append(all, z)
		for _, v := range w.variants[name] {
			all = append(all, v)
		}
	}
	for _, z := range all {
		if z.signing == nil || z.signing.unsigned {
			continue
		}
		for cut := range z.cuts {
			child := w.zones[cut]
			if child == nil || len(z.nodes[cut][dns.TypeDS]) > 0 {
				continue
			}
			if ds := child.dsRecords(z.nodes[cut][dns.TypeNS][0].Header().Ttl); len(ds) > 0 {
				z.nodes[cut][dns.TypeDS] = ds
			}
		}
	}
	for _, z := range all {
		if z.signing != nil {
			if err := signZone(z); err != nil {
				return err
			}
		}
	}
	return nil
}
