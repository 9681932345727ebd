package resolver

import (
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// CacheState says where a step's information came from.
type CacheState uint8

// The cache states a step can have.
const (
	CacheMiss    CacheState = iota // nothing cached: the network was asked
	CacheHit                       // answered from the cache: no server was asked
	CacheExpired                   // it was cached, but its TTL had run out: the network was asked
)

func (s CacheState) String() string {
	switch s {
	case CacheHit:
		return "hit"
	case CacheExpired:
		return "expired"
	}
	return "miss"
}

// Rank orders how much a cached RRset is trusted (RFC 2181 §5.4.1): data
// of a lower rank never replaces unexpired data of a higher rank.
type Rank uint8

// The ranks, lowest first.
const (
	RankGlue     Rank = iota + 1 // A/AAAA from a referral's additional section
	RankReferral                 // NS from a referral's authority section
	RankAnswer                   // an authoritative answer
)

// Negative marks a cached negative answer (RFC 2308).
type Negative uint8

// The kinds of cached negative answer.
const (
	Positive Negative = iota
	NXDomain          // the name does not exist (cached for every type)
	NoData            // the name has no records of the type
)

// typeNXDomain is the cache key type under which NXDOMAIN is stored: it
// applies to every type of the name.
const typeNXDomain = 0

// negativeKey is the cache key type of a negative answer to qtype.
func negativeKey(qtype uint16, neg Negative) uint16 {
	if neg == NXDomain && qtype != dns.TypeDS {
		return typeNXDomain
	}
	return qtype
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheItem struct {
	rrs      []dns.RR
	soa      *dns.SOA
	negative Negative
	rank     Rank
	zone     string
	storedAt time.Time
	ttl      uint32 // the TTL when stored; what is left is computed from now
	security Verdict
}

// Entry is what a cache lookup returns: copies of the records with their
// TTLs lowered to what is left.
type Entry struct {
	RRs      []dns.RR
	SOA      *dns.SOA
	Negative Negative
	Rank     Rank
	Zone     string // the zone whose server sent the data
	TTL      uint32 // seconds left
	Original uint32 // the TTL when stored
	// Security is the DNSSEC verdict the data was stored with (zero when
	// it was not checked).
	Security Verdict
}

// Cache holds RRsets, delegations and negative answers, each with the time
// it was stored and its original TTL; what is left of a TTL is computed from
// the Clock at every lookup. It is safe for concurrent use.
type Cache struct {
	clock Clock
	mu    sync.Mutex
	items map[cacheKey]*cacheItem
	zones map[string]*zoneSecItem // DNSSEC state of zones, by name

	flightMu sync.Mutex
	flights  map[flightKey]chan struct{} // questions being asked now
}

// Now is the time on the cache's clock: what its entries' TTLs count
// down against.
func (c *Cache) Now() time.Time { return c.clock.Now() }

// NewCache returns an empty cache reading time from clock.
func NewCache(clock Clock) *Cache {
	return &Cache{clock: clock, items: map[cacheKey]*cacheItem{}, zones: map[string]*zoneSecItem{}}
}

// Len returns how many RRsets and negative answers are cached, expired ones
// included until they are looked up.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Store caches rrs (one RRset: same owner and type) found in zone. A zero
// TTL is not cached. Data of a lower rank does not replace live data of a
// higher rank.
func (c *Cache) Store(rrs []dns.RR, rank Rank, zone string) {
	if len(rrs) == 0 {
		return
	}
	c.put(rrsetItem(rrs, rank, zone))
}

// rrsetItem is the cache key and item of rrs, a non-empty RRset.
func rrsetItem(rrs []dns.RR, rank Rank, zone string) (cacheKey, *cacheItem) {
	h := rrs[0].Header()
	ttl := h.Ttl
	for _, rr := range rrs[1:] {
		ttl = min(ttl, rr.Header().Ttl)
	}
	return cacheKey{canonical(h.Name), h.Rrtype}, &cacheItem{rrs: copyRRs(rrs), rank: rank, zone: zone, ttl: ttl}
}

// storeReferral caches a delegation found in zone: its NS RRset and the
// RRsets of its glue, all at once, so that a resolution that finds the NS
// RRset in the cache also finds the glue that came with it (stored one by
// one, a concurrent resolution could see the NS names without their
// addresses and take them for glueless).
func (c *Cache) storeReferral(ns []dns.RR, glue [][]dns.RR, zone string) {
	type kv struct {
		k  cacheKey
		it *cacheItem
	}
	items := make([]kv, 0, len(glue)+1)
	for _, set := range glue {
		if len(set) > 0 {
			k, it := rrsetItem(set, RankGlue, zone)
			items = append(items, kv{k, it})
		}
	}
	if len(ns) > 0 {
		k, it := rrsetItem(ns, RankReferral, zone)
		items = append(items, kv{k, it})
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range items {
		c.putLocked(i.k, i.it, now)
	}
}

// StoreNegative caches an NXDOMAIN (for every type of name) or a NODATA
// (for name and qtype) with the negative TTL of RFC 2308. An NXDOMAIN to a
// DS question is kept for the DS only: it comes from the parent's side of
// the cut (RFC 4035 §3.1.4.1), where a broken parent may deny a name it
// delegates, and must not hide the child zone's own data.
func (c *Cache) StoreNegative(name string, qtype uint16, neg Negative, soa *dns.SOA, ttl uint32, zone string) {
	qtype = negativeKey(qtype, neg)
	var s *dns.SOA
	if soa != nil {
		s = dns.Copy(soa).(*dns.SOA)
	}
	c.put(cacheKey{canonical(name), qtype}, &cacheItem{soa: s, negative: neg, rank: RankAnswer, zone: zone, ttl: ttl})
}

func (c *Cache) put(k cacheKey, it *cacheItem) {
	if it.ttl == 0 {
		return
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, it, now)
}

// putLocked is put with c.mu held.
func (c *Cache) putLocked(k cacheKey, it *cacheItem, now time.Time) {
	if it.ttl == 0 {
		return
	}
	it.storedAt = now
	if old, ok := c.items[k]; ok && old.rank > it.rank && !old.expired(now) {
		return
	}
	c.items[k] = it
}

func (it *cacheItem) expired(now time.Time) bool {
	return now.Sub(it.storedAt) >= time.Duration(it.ttl)*time.Second
}

// Lookup returns the cached RRset or negative answer for name and qtype
// (qtype 0 looks up a cached NXDOMAIN) if its rank is at least minRank. An
// expired item is removed and reported once as CacheExpired.
func (c *Cache) Lookup(name string, qtype uint16, minRank Rank) (Entry, CacheState) {
	it, e, state := c.get(name, qtype, minRank)
	if state != CacheHit {
		return Entry{}, state
	}
	e.RRs = copyRRs(it.rrs)
	for _, rr := range e.RRs {
		rr.Header().Ttl = e.TTL
	}
	if it.soa != nil {
		e.SOA = dns.Copy(it.soa).(*dns.SOA)
		e.SOA.Hdr.Ttl = min(e.SOA.Hdr.Ttl, e.TTL)
	}
	return e, CacheHit
}

// get is Lookup without the copies: the live item and the Entry's
// fields other than RRs and SOA. An item's records are never changed once
// stored, so they may be read without the lock.
func (c *Cache) get(name string, qtype uint16, minRank Rank) (*cacheItem, Entry, CacheState) {
	k := cacheKey{canonical(name), qtype}
	now := c.clock.Now()
	c.mu.Lock()
	it, ok := c.items[k]
	if ok && it.expired(now) {
		delete(c.items, k)
		c.mu.Unlock()
		if it.rank < minRank {
			return nil, Entry{}, CacheMiss
		}
		return nil, Entry{}, CacheExpired
	}
	if !ok || it.rank < minRank {
		c.mu.Unlock()
		return nil, Entry{}, CacheMiss
	}
	left := it.ttl - uint32(now.Sub(it.storedAt)/time.Second)
	e := Entry{Negative: it.negative, Rank: it.rank, Zone: it.zone, TTL: left, Original: it.ttl, Security: it.security}
	c.mu.Unlock()
	return it, e, CacheHit
}

// peek returns the cached records of name and qtype as Lookup finds them,
// but not copied and with their TTLs as stored: for reading only.
func (c *Cache) peek(name string, qtype uint16, minRank Rank) ([]dns.RR, CacheState) {
	it, _, state := c.get(name, qtype, minRank)
	if state != CacheHit {
		return nil, state
	}
	return it.rrs, CacheHit
}

// copyRRs returns deep copies of rrs, as dns.Copy makes them. The records
// of the types delegations are made of (NS, A, AAAA) are copied into one
// array per type, and their addresses into one array of bytes, instead of
// one allocation per record and address.
func copyRRs(rrs []dns.RR) []dns.RR {
	out := make([]dns.RR, len(rrs))
	var nNS, nA, nAAAA, ipA, ipAAAA int
	for _, rr := range rrs {
		switch v := rr.(type) {
		case *dns.NS:
			nNS++
		case *dns.A:
			nA++
			ipA += len(v.A)
		case *dns.AAAA:
			nAAAA++
			ipAAAA += len(v.AAAA)
		}
	}
	var (
		nss   []dns.NS
		as    []dns.A
		aaaas []dns.AAAA
		ips   []byte
	)
	if nNS > 1 {
		nss = make([]dns.NS, 0, nNS)
	}
	nIP := 0
	if nA > 1 {
		as = make([]dns.A, 0, nA)
		nIP += ipA
	}
	if nAAAA > 1 {
		aaaas = make([]dns.AAAA, 0, nAAAA)
		nIP += ipAAAA
	}
	if nIP > 0 {
		ips = make([]byte, nIP)
	}
	cloneIP := func(ip net.IP) net.IP {
		if len(ip) == 0 {
			return nil // as dns.Copy's clone of an empty slice
		}
		c := ips[:len(ip):len(ip)]
		copy(c, ip)
		ips = ips[len(ip):]
		return c
	}
	for i, rr := range rrs {
		switch v := rr.(type) {
		case *dns.NS:
			if nss != nil {
				nss = append(nss, dns.NS{Hdr: v.Hdr, Ns: v.Ns})
				out[i] = &nss[len(nss)-1]
				continue
			}
		case *dns.A:
			if as != nil {
				as = append(as, dns.A{Hdr: v.Hdr, A: cloneIP(v.A)})
				out[i] = &as[len(as)-1]
				continue
			}
		case *dns.AAAA:
			if aaaas != nil {
				aaaas = append(aaaas, dns.AAAA{Hdr: v.Hdr, AAAA: cloneIP(v.AAAA)})
				out[i] = &aaaas[len(aaaas)-1]
				continue
			}
		}
		out[i] = dns.Copy(rr)
	}
	return out
}

// flightKey names a question: about a zone cut, the zone asked and the
// delegation hoped for; about a zone's DNSSEC keys, the zone alone (child
// empty, which the child of a cut never is). It is a struct, not a string
// built by concatenation: a cut is claimed at every step of every
// resolution.
type flightKey struct{ zone, child string }

// flight is a claimed question; the zero flight is none.
type flight struct {
	c   *Cache
	key flightKey
	ch  chan struct{}
}

// claim registers that the caller is about to ask the question key names.
// If nobody else is asking it, claim returns the claimed flight, to
// release once the answer is in the cache. If someone is, it returns a
// channel closed when they are done, so that the caller waits and reads
// the cache instead of asking again: resolutions that share a cache
// (nstrace audit) then ask the root and a TLD a given question once, not
// once per concurrent domain.
func (c *Cache) claim(key flightKey) (claimed flight, wait <-chan struct{}) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	if ch, ok := c.flights[key]; ok {
		return flight{}, ch
	}
	if c.flights == nil {
		c.flights = map[flightKey]chan struct{}{}
	}
	ch := make(chan struct{})
	c.flights[key] = ch
	return flight{c, key, ch}, nil
}

// release ends a claim made by claim, if f is one.
func (f flight) release() {
	if f.c == nil {
		return
	}
	f.c.flightMu.Lock()
	delete(f.c.flights, f.key)
	f.c.flightMu.Unlock()
	close(f.ch)
}

type zoneSecItem struct {
	zs       zoneSec
	storedAt time.Time
	ttl      uint32
}

// zoneSecurity returns the cached DNSSEC state of zone, if it is still
// live.
func (c *Cache) zoneSecurity(zone string) (zoneSec, bool) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.zones[zone]
	if !ok {
		return zoneSec{}, false
	}
	if now.Sub(it.storedAt) >= time.Duration(it.ttl)*time.Second {
		delete(c.zones, zone)
		return zoneSec{}, false
	}
	return it.zs, true
}

// storeZoneSecurity caches the DNSSEC state of a zone for ttl seconds.
func (c *Cache) storeZoneSecurity(zs zoneSec, ttl uint32) {
	if ttl == 0 {
		return
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.zones[zs.zone] = &zoneSecItem{zs: zs, storedAt: now, ttl: ttl}
}

// setVerdict records the DNSSEC verdict of the cached data of name and
// qtype (typeNXDomain for an NXDOMAIN), stored just before.
func (c *Cache) setVerdict(name string, qtype uint16, v Verdict) {
	k := cacheKey{canonical(name), qtype}
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[k]; ok {
		it.security = v
	}
}
