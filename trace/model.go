package trace

// Schema is the version of the JSON form of a Trace. It changes only when a
// key that scripts read changes meaning or disappears.
const Schema = 1

// Trace is the record of one resolution: the question, how it ended, and
// every step on the way, with the side resolutions each step needed. It is
// plain data: renderers read it and nothing else.
type Trace struct {
	Schema  int    `json:"schema"`
	Tool    string `json:"tool"`    // "nstrace" and its version
	Network string `json:"network"` // "internet", "lab", or "hints FILE"
	Resolution
	Queries  int       `json:"queries"`  // queries sent, side resolutions and checks included
	Findings []Finding `json:"findings"` // what is wrong, found in the steps (never nil)
	// Check is the delegation check of a zone (nstrace check only).
	Check *Check `json:"check,omitempty"`
}

// Check is what nstrace check asked, beyond the trace to the zone: every
// parent server for the delegation, the addresses of every NS name, and
// every server of the zone for its SOA and NS.
type Check struct {
	Zone     string       `json:"zone"`
	Parent   string       `json:"parent"`
	ParentNS []Record     `json:"parent_ns"` // the delegation: NS records at the parent
	Glue     []Record     `json:"glue"`      // the addresses the parent gives for them
	ChildNS  []Record     `json:"child_ns"`  // the NS records at the zone's apex
	Lookups  []Resolution `json:"lookups"`   // the addresses of every NS name, resolved from the root
	// LookupsSkipped counts NS names not looked up, beyond MaxNSLookups.
	LookupsSkipped int    `json:"lookups_skipped,omitempty"`
	Probes         []Step `json:"probes"` // one question put to every server of a zone
	// ExpectedNS is the NS set the user said to expect (--expect-ns), and
	// ExpectedProbe the ID of the probe that asked those servers for the
	// zone's SOA (when some of them are not in the delegation).
	ExpectedNS    []string `json:"expected_ns,omitempty"`
	ExpectedProbe string   `json:"expected_probe,omitempty"`
}

// Resolution is one name resolved from the cache or the root.
type Resolution struct {
	Purpose  string   `json:"purpose"` // "query", "glueless" (an NS address) or "cname" (an alias target)
	Question Question `json:"question"`
	Outcome  Outcome  `json:"outcome"`
	Steps    []Step   `json:"steps"`
}

// Question is a name and a type.
type Question struct {
	Name string `json:"name"` // fully qualified, lower case, ASCII (IDNA)
	Type string `json:"type"` // a mnemonic such as "A"
}

// Outcome is how a resolution ended.
type Outcome struct {
	Status  string   `json:"status"`           // answer, nxdomain, nodata or servfail
	Records []Record `json:"records"`          // the answer: CNAMEs followed, then the final records
	Zone    string   `json:"zone,omitempty"`   // the zone that answered, or where it failed
	Reason  string   `json:"reason,omitempty"` // servfail only: a code such as "all-servers-failed"
	Detail  string   `json:"detail,omitempty"` // servfail only: the failure in plain words
	SOA     *Record  `json:"soa,omitempty"`    // nxdomain and nodata: the zone's SOA, when sent
	// DNSSEC is the security state of the outcome (--dnssec only): the
	// worst of its data's verdicts, CNAMEs included.
	DNSSEC *OutcomeDNSSEC `json:"dnssec,omitempty"`
}

// OutcomeDNSSEC is the security state of an outcome.
type OutcomeDNSSEC struct {
	State  string `json:"state"` // secure, insecure, bogus or indeterminate
	Reason string `json:"reason"`
}

// Record is one resource record in presentation form.
type Record struct {
	Name string `json:"name"`
	TTL  uint32 `json:"ttl"`
	Type string `json:"type"`
	Data string `json:"data"` // the RDATA in zone-file syntax
}

// Step is one zone cut on the way: the servers of Zone asked about
// Name/Type, or (Cache.State "hit") what the cache already knew.
type Step struct {
	ID   string `json:"id"`    // "3"; inside the side resolutions of step 3: "3a.1", "3a.2", "3b.1"
	Zone string `json:"zone"`  // the zone whose servers are asked, or the cached data came from
	Name string `json:"qname"` // the name sent
	// FullName is the name being resolved, when QNAME minimisation sent a
	// shorter one (RFC 9156).
	FullName string `json:"full_qname,omitempty"`
	Type     string `json:"qtype"` // the type sent
	Cache    Cache  `json:"cache"`
	Kind     string `json:"kind"`             // the response kind used, or "failed"
	Server   string `json:"server,omitempty"` // the server whose response was used
	// Address is the address of Server.
	Address  string    `json:"address,omitempty"`
	Servers  []Server  `json:"servers"`            // every server asked, sorted by name and address
	Referral *Referral `json:"referral,omitempty"` // kind referral
	Answer   []Record  `json:"answer,omitempty"`   // kind answer or cname
	Target   string    `json:"target,omitempty"`   // kind cname: the alias target
	SOA      *Record   `json:"soa,omitempty"`      // kind nxdomain or nodata
	// NegativeTTL is how long the negative answer may be cached (RFC 2308).
	NegativeTTL *uint32 `json:"negative_ttl,omitempty"`
	// GluelessSkipped lists NS names without glue that were not looked up (limits).
	GluelessSkipped []string `json:"glueless_skipped,omitempty"`
	// Cyclic lists NS names that could only be resolved through the zone itself.
	Cyclic []string `json:"cyclic,omitempty"`
	// NotAsked counts server addresses not asked: more than the resolver
	// asks at once, and an answer came first (or the resolution stopped).
	NotAsked int `json:"not_asked,omitempty"`
	// Probe says what a delegation-check step asked every server (nstrace check only).
	Probe    string       `json:"probe,omitempty"`
	Failure  string       `json:"failure,omitempty"` // why no server gave a usable answer
	Detail   string       `json:"detail,omitempty"`
	Children []Resolution `json:"children,omitempty"` // side resolutions: glueless NS addresses, CNAME targets, DNSSEC keys
	// DNSSEC is the step's security state (--dnssec only).
	DNSSEC *StepDNSSEC `json:"dnssec,omitempty"`
}

// StepDNSSEC is the DNSSEC verdict of one step (--dnssec): for a referral,
// the state of the zone it leads to, its DS at the parent and its DNSKEY
// RRset checked; for an answer, NXDOMAIN or NODATA, the state of that data,
// checked against the keys of the zone that sent it.
type StepDNSSEC struct {
	// State is "secure", "insecure" (an unsigned delegation, proven, or
	// below one), "bogus" or "indeterminate".
	State string `json:"state"`
	// What was checked: "keys", "answer", "cname", "nxdomain" or "nodata".
	What string `json:"what"`
	Zone string `json:"zone"` // the zone whose keys were checked, or signed the data
	// Code is the finding code where the chain breaks at this step, e.g.
	// "DS_MISMATCH"; empty when secure, proven insecure, or inherited.
	Code    string   `json:"code,omitempty"`
	Reason  string   `json:"reason"`
	KeyTags []uint16 `json:"key_tags,omitempty"`
	// Inherited: the state comes from a zone above, not from this step.
	Inherited bool `json:"inherited,omitempty"`
	// Cached: the zone's keys, or the data's verdict, came from the cache.
	Cached bool `json:"cached,omitempty"`
}

// breaksChain reports whether the chain of trust breaks at this step: its
// own check failed, with a finding code (the steps below it inherit its
// state without one).
func (d *StepDNSSEC) breaksChain() bool { return d.Code != "" && !d.Inherited }

// Cache is a step's cache state: "miss" (the network was asked), "hit"
// (answered from the cache, TTL seconds left, nobody asked), or "expired"
// (it was cached but the TTL had run out, so the network was asked).
type Cache struct {
	State string  `json:"state"`
	TTL   *uint32 `json:"ttl,omitempty"`
}

// Referral is a delegation: the child zone, its NS records and the glue
// that came with them.
type Referral struct {
	Zone string   `json:"zone"`
	NS   []Record `json:"ns"`
	Glue []Record `json:"glue"`
}

// Server is one server address asked in a step, with its final reply.
type Server struct {
	Name    string  `json:"name"`
	Address string  `json:"address"`
	Proto   string  `json:"transport"` // of the last attempt: udp or tcp
	RTTms   float64 `json:"rtt_ms"`
	Rcode   string  `json:"rcode,omitempty"` // empty when no reply came
	AA      bool    `json:"aa"`
	TC      bool    `json:"tc"` // some attempt came back truncated (TC=1)
	Kind    string  `json:"kind"`
	Detail  string  `json:"detail,omitempty"`
	Size    int     `json:"size,omitempty"`         // reply size in octets
	Chosen  bool    `json:"chosen"`                 // this reply moved the resolution on
	Bad     bool    `json:"bad_response,omitempty"` // the reply did not match the query or did not parse
	// Records are what the reply said: the answer, or the referral's NS and glue.
	Records []Record `json:"records,omitempty"`
	// Ignored are records outside the server's bailiwick: never cached or used.
	Ignored  []Record  `json:"ignored,omitempty"`
	Attempts []Attempt `json:"attempts,omitempty"` // every attempt, when there was more than one
	// DNSSEC is the verdict on this server's own reply, at a step whose
	// data was validated (--dnssec): a server that serves a stale or
	// broken signed copy next to good ones is named here.
	DNSSEC *ServerDNSSEC `json:"dnssec,omitempty"`
}

// ServerDNSSEC is the DNSSEC verdict on one server's reply.
type ServerDNSSEC struct {
	State  string `json:"state"`
	Zone   string `json:"zone"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
}

// Attempt is one query to a server: retries after a timeout, and the TCP
// retry after TC=1, each have one.
type Attempt struct {
	Proto  string  `json:"transport"`
	RTTms  float64 `json:"rtt_ms"`
	Kind   string  `json:"kind"`
	Rcode  string  `json:"rcode,omitempty"`
	Detail string  `json:"detail,omitempty"`
}
