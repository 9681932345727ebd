package trace

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
)

// Recorder turns the resolver's events into a Trace. It is a
// resolver.Observer, safe for concurrent use.
type Recorder struct {
	mu sync.Mutex
	// The nodes in the order started. A recording holds a few of each:
	// slices searched from the newest beat maps.
	resolutions []*resNode
	steps       []*stepNode
	top         *resNode
	// The nodes are handed out of these, a block at a time (see take);
	// the first blocks are part of the Recorder.
	resPool   []resNode
	stepPool  []stepNode
	firstRes  [1]resNode
	firstStep [1]stepNode
	// room for the first nodes of resolutions and steps
	resRoom  [4]*resNode
	stepRoom [8]*stepNode
}

type resNode struct {
	id       int
	r        Resolution
	steps    []*stepNode
	stepRoom [4]*stepNode // room for the first steps
}

type stepNode struct {
	id       int
	s        Step
	servers  []*serverNode  // a step asks a few servers: a slice beats a map
	room     [4]*serverNode // room for the first servers
	pool     []serverNode   // where servers come from (see take)
	children []*resNode
	chosen   netip.AddrPort
	// The RRs of the response the step used, whose records s holds:
	// the chosen server's reply has the same ones (see fillServer).
	usedNS     []*dns.NS
	usedGlue   []dns.RR
	usedAnswer []dns.RR
	usedSOA    *dns.SOA
	referral   []Record // NS then glue: s.Referral's NS and Glue
	hint       int      // how many servers the step may ask
}

type serverNode struct {
	addr     netip.AddrPort
	attempts []resolver.Exchanged
	first    [1]resolver.Exchanged // attempts' room for the first (often the only) one
	dnssec   *ServerDNSSEC
}

// take hands out a zeroed node from *pool, and when it is used up, a new
// block twice as big: a node is not one allocation each. The nodes never
// move (a full block is left as it is), so pointers to them stay valid.
func take[T any](pool *[]T) *T {
	if len(*pool) == cap(*pool) {
		*pool = make([]T, 0, max(2*cap(*pool), 1))
	}
	*pool = (*pool)[:len(*pool)+1]
	return &(*pool)[len(*pool)-1]
}

// server returns the node of the server at addr, if it was asked.
func (st *stepNode) server(addr netip.AddrPort) (*serverNode, bool) {
	for _, sn := range st.servers {
		if sn.addr == addr {
			return sn, true
		}
	}
	return nil, false
}

// step returns the node of step id, if it was started.
func (rec *Recorder) step(id int) (*stepNode, bool) {
	for i := len(rec.steps) - 1; i >= 0; i-- {
		if rec.steps[i].id == id {
			return rec.steps[i], true
		}
	}
	return nil, false
}

// resolution returns the node of resolution id, if it was started.
func (rec *Recorder) resolution(id int) (*resNode, bool) {
	for i := len(rec.resolutions) - 1; i >= 0; i-- {
		if rec.resolutions[i].id == id {
			return rec.resolutions[i], true
		}
	}
	return nil, false
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	rec := &Recorder{}
	rec.resPool, rec.stepPool = rec.firstRes[:0], rec.firstStep[:0]
	rec.resolutions, rec.steps = rec.resRoom[:0], rec.stepRoom[:0]
	return rec
}

// Observe records one event.
func (rec *Recorder) Observe(e resolver.Event) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	switch e := e.(type) {
	case resolver.ResolutionStarted:
		n := take(&rec.resPool)
		*n = resNode{id: e.Resolution, r: Resolution{Purpose: e.Purpose.String(), Question: Question{Name: e.Name, Type: typeName(e.Type)}}}
		n.steps = n.stepRoom[:0]
		if p, ok := rec.step(e.ParentStep); ok {
			p.children = append(p.children, n)
		} else if rec.top == nil {
			rec.top = n
		}
		rec.resolutions = append(rec.resolutions, n)
	case resolver.StepStarted:
		n := take(&rec.stepPool)
		n.id, n.hint = e.Step, len(e.NS)
		n.servers = n.room[:0]
		n.s = Step{Zone: e.Zone, Name: e.Name, FullName: e.FullName, Type: typeName(e.Type), Cache: Cache{State: "miss"}}
		rec.steps = append(rec.steps, n)
		if r, ok := rec.resolution(e.Resolution); ok {
			r.steps = append(r.steps, n)
		}
	case resolver.Exchanged:
		st, ok := rec.step(e.Step)
		if !ok {
			return
		}
		sn, ok := st.server(e.Addr)
		if !ok {
			if st.pool == nil {
				// a step asks the zone's NS names, often one address
				// each: one block for them all
				st.pool = make([]serverNode, 0, min(max(st.hint, 1), 8))
			}
			sn = take(&st.pool)
			sn.addr = e.Addr
			sn.attempts = sn.first[:0]
			st.servers = append(st.servers, sn)
		}
		sn.attempts = append(sn.attempts, e)
	case resolver.StepFinished:
		st, ok := rec.step(e.Step)
		if !ok {
			return
		}
		st.s.Cache.State = e.Cache.String()
		if e.Cache == resolver.CacheHit {
			ttl := e.TTL
			st.s.Cache.TTL = &ttl
		}
		st.s.GluelessSkipped = e.GluelessSkipped
		st.s.NotAsked = e.NotAsked
		st.s.Cyclic = e.Cyclic
		if e.Failure != resolver.ReasonNone {
			st.s.Kind, st.s.Failure, st.s.Detail = "failed", e.Failure.String(), e.Detail
			return
		}
		st.s.Kind = e.Response.Kind.String()
		st.s.Server = e.Server
		if e.Addr.IsValid() {
			st.s.Address = e.Addr.Addr().String()
			st.chosen = e.Addr
		}
		st.fillResponse(e.Response)
	case resolver.ValidatedServer:
		st, ok := rec.step(e.Step)
		if !ok {
			return
		}
		if sn, ok := st.server(e.Addr); ok {
			sn.dnssec = &ServerDNSSEC{State: e.Verdict.State.String(), Zone: e.Zone, Code: e.Verdict.Code, Reason: e.Verdict.Reason}
		}
	case resolver.Validated:
		st, ok := rec.step(e.Step)
		if !ok {
			return
		}
		st.s.DNSSEC = &StepDNSSEC{State: e.Verdict.State.String(), What: e.What, Zone: e.Zone, Code: e.Verdict.Code,
			Reason: e.Verdict.Reason, KeyTags: e.Verdict.KeyTags, Inherited: e.Inherited, Cached: e.Cached}
	case resolver.ResolutionFinished:
		if r, ok := rec.resolution(e.Resolution); ok {
			r.r.Outcome = outcome(e.Outcome, r.steps)
		}
	}
}

// fillResponse records in st the response its step used.
func (st *stepNode) fillResponse(resp resolver.Response) {
	s := &st.s
	st.usedNS, st.usedGlue, st.usedAnswer, st.usedSOA = resp.NS, resp.Glue, resp.Answer, resp.SOA
	switch resp.Kind {
	case resolver.KindReferral:
		// one slice for the NS and the glue, as the chosen server's
		// records are (see fillServer)
		n := len(resp.NS)
		all := referralRecords(resp.NS, resp.Glue)
		st.referral = all
		s.Referral = &Referral{Zone: resp.Referral, NS: all[:n:n], Glue: all[n:]}
	case resolver.KindAnswer:
		s.Answer = records(resp.Answer)
	case resolver.KindCNAME:
		s.Answer, s.Target = records(resp.Answer), resp.Target
	case resolver.KindNXDomain, resolver.KindNoData:
		if resp.SOA != nil {
			soa := record(resp.SOA)
			s.SOA = &soa
		}
		ttl := resp.NegTTL
		s.NegativeTTL = &ttl
	}
}

// outcome converts o, the outcome of a resolution whose steps are steps:
// records that the last of them used (the same RRs) are its own.
func outcome(o resolver.Outcome, steps []*stepNode) Outcome {
	out := Outcome{Status: o.Status.String(), Zone: o.Zone}
	var last *stepNode
	if len(steps) > 0 {
		last = steps[len(steps)-1]
	}
	if out.Records = last.answerRecords(o.Records); out.Records == nil {
		out.Records = []Record{}
	}
	if o.Status == resolver.StatusServFail {
		out.Reason, out.Detail = o.Reason.String(), o.Detail
	}
	if o.SOA != nil {
		soa := last.soaRecord(o.SOA)
		out.SOA = &soa
	}
	if o.Security.State != resolver.SecurityUnchecked {
		out.DNSSEC = &OutcomeDNSSEC{State: o.Security.State.String(), Reason: o.Security.Reason}
	}
	return out
}

// Resolution returns the recorded top-level resolution, with step IDs
// numbered and servers sorted. Call it after Resolve has returned.
func (rec *Recorder) Resolution() Resolution {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.top == nil {
		return Resolution{Purpose: "query", Steps: []Step{}}
	}
	return rec.build(rec.top, "")
}

func (rec *Recorder) build(n *resNode, prefix string) Resolution {
	r := n.r
	r.Steps = make([]Step, len(n.steps))
	slices.SortFunc(n.steps, func(a, b *stepNode) int { return a.id - b.id })
	for i, st := range n.steps {
		s := &r.Steps[i]
		*s = st.s
		s.ID = prefix + strconv.Itoa(i+1)
		s.Servers = make([]Server, len(st.servers))
		slices.SortFunc(st.servers, func(a, b *serverNode) int {
			if c := strings.Compare(a.attempts[0].Server, b.attempts[0].Server); c != 0 {
				return c
			}
			return a.addr.Compare(b.addr)
		})
		for j, sn := range st.servers {
			srv := &s.Servers[j]
			st.fillServer(srv, sn.attempts)
			srv.DNSSEC = sn.dnssec
			srv.Chosen = sn.addr == st.chosen
		}
		if len(st.children) > 0 {
			slices.SortFunc(st.children, func(a, b *resNode) int { return a.id - b.id })
			s.Children = make([]Resolution, len(st.children))
			for j, c := range st.children {
				s.Children[j] = rec.build(c, s.ID+childLetter(j)+".")
			}
		}
	}
	return r
}

// fillServer fills s with the server of st asked in attempts. The records of
// a reply that st used are those st holds already.
func (st *stepNode) fillServer(s *Server, attempts []resolver.Exchanged) {
	if len(attempts) > 1 {
		slices.SortFunc(attempts, func(a, b resolver.Exchanged) int { return a.Attempt - b.Attempt })
	}
	last := &attempts[len(attempts)-1]
	resp := &last.Response
	address := st.s.Address
	if last.Addr != st.chosen || address == "" {
		address = last.Addr.Addr().String()
	}
	*s = Server{
		Name: last.Server, Address: address, Proto: last.Proto,
		RTTms: ms(last.RTT), AA: resp.AA, Kind: resp.Kind.String(), Detail: resp.Detail, Size: resp.Size,
		Bad: resp.BadReply,
	}
	if resp.Rcode >= 0 && (resp.Size > 0 || resp.Kind.Usable() || resp.Kind == resolver.KindLame) {
		s.Rcode = rcodeName(resp.Rcode)
	}
	switch resp.Kind {
	case resolver.KindReferral:
		if len(resp.NS)+len(resp.Glue) == 0 {
			break
		}
		if st.referral != nil && sameRRs(resp.NS, st.usedNS) && sameRRs(resp.Glue, st.usedGlue) {
			s.Records = st.referral
			break
		}
		s.Records = referralRecords(resp.NS, resp.Glue)
	case resolver.KindAnswer, resolver.KindCNAME:
		s.Records = st.answerRecords(resp.Answer)
	case resolver.KindNXDomain, resolver.KindNoData:
		if resp.SOA != nil {
			s.Records = []Record{st.soaRecord(resp.SOA)}
		}
	}
	if len(attempts) == 1 {
		s.Ignored = records(resp.Ignored)
		s.TC = resp.TC
		return
	}
	for _, a := range attempts {
		s.Ignored = append(s.Ignored, records(a.Response.Ignored)...)
		if a.Response.TC {
			s.TC = true
		}
	}
	s.Attempts = make([]Attempt, len(attempts))
	for i, a := range attempts {
		at := Attempt{Proto: a.Proto, RTTms: ms(a.RTT), Kind: a.Response.Kind.String(), Detail: a.Response.Detail}
		if a.Response.Size > 0 {
			at.Rcode = rcodeName(a.Response.Rcode)
		}
		s.Attempts[i] = at
	}
}

// referralRecords are the records of a referral: its NS, then its glue.
func referralRecords(ns []*dns.NS, glue []dns.RR) []Record {
	out := make([]Record, len(ns)+len(glue))
	for i, rr := range ns {
		out[i] = record(rr)
	}
	for i, rr := range glue {
		out[len(ns)+i] = record(rr)
	}
	return out
}

// answerRecords converts rrs; when they are the answer the step used (the
// same RRs), they are the records st holds already. st may be nil (a
// resolution with no step).
func (st *stepNode) answerRecords(rrs []dns.RR) []Record {
	if st != nil && len(rrs) > 0 && len(st.s.Answer) == len(rrs) && sameRRs(rrs, st.usedAnswer) {
		return st.s.Answer
	}
	return records(rrs)
}

// soaRecord converts soa; when it is the SOA the step used, it is the
// record st holds already. st may be nil (a resolution with no step).
func (st *stepNode) soaRecord(soa *dns.SOA) Record {
	if st != nil && soa == st.usedSOA && st.s.SOA != nil {
		return *st.s.SOA
	}
	return record(soa)
}

// sameRRs reports whether a and b are the same slice: the same records,
// not merely equal ones.
func sameRRs[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func rcodeName(rc int) string {
	if rc >= 0 && rc < len(rcodeNames) && rcodeNames[rc] != "" {
		return rcodeNames[rc]
	}
	return resolver.RcodeName(rc)
}

func typeName(t uint16) string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// typeNames and rcodeNames hold the mnemonics of miekg/dns's tables for
// the small numbers, which a trace names millions of times: an array read
// instead of a map lookup. Other numbers go to the tables themselves.
var typeNames, rcodeNames = func() (types, rcodes [256]string) {
	for t, s := range dns.TypeToString {
		if int(t) < len(types) {
			types[t] = s
		}
	}
	for rc, s := range dns.RcodeToString {
		if rc >= 0 && rc < len(rcodes) {
			rcodes[rc] = s
		}
	}
	return types, rcodes
}()

func record(rr dns.RR) Record {
	h := rr.Header()
	return Record{Name: h.Name, TTL: h.Ttl, Type: typeName(h.Rrtype), Data: rdata(rr)}
}

// rdata is the RDATA of rr in presentation form. The types a trace is
// made of are written directly (a trace of a busy audit writes millions);
// the rest go through miekg/dns's String.
func rdata(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		if v.A != nil {
			return v.A.String()
		}
	case *dns.AAAA:
		if v.AAAA != nil {
			return v.AAAA.String()
		}
	case *dns.NS:
		if isPlainName(v.Ns) {
			return v.Ns
		}
	case *dns.CNAME:
		if isPlainName(v.Target) {
			return v.Target
		}
	case *dns.SOA:
		if isPlainName(v.Ns) && isPlainName(v.Mbox) {
			var b strings.Builder
			b.Grow(len(v.Ns) + len(v.Mbox) + 5*11)
			b.WriteString(v.Ns)
			b.WriteByte(' ')
			b.WriteString(v.Mbox)
			var digits [10]byte
			for _, n := range [...]uint32{v.Serial, v.Refresh, v.Retry, v.Expire, v.Minttl} {
				b.WriteByte(' ')
				b.Write(strconv.AppendUint(digits[:0], uint64(n), 10))
			}
			return b.String()
		}
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// isPlainName reports whether name prints as it is stored: letters,
// digits, hyphens, underscores and dots only (anything else is escaped by
// miekg/dns's String).
func isPlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return name != ""
}

func records(rrs []dns.RR) []Record {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]Record, len(rrs))
	for i, rr := range rrs {
		out[i] = record(rr)
	}
	return out
}

// Options describe where a trace runs, for its header.
type Options struct {
	Tool    string // "nstrace vX"
	Network string // "internet", "lab", "hints FILE"
	// ExpectNS is the NS set the user expects for the zone (nstrace check
	// --expect-ns): the check compares the live delegation and the zone's
	// own NS records with it, and asks the expected servers for the SOA.
	ExpectNS []string
	// Lookups, when set, shares the check's lookups of NS names between
	// the checks that use it (nstrace audit); nil: none are shared.
	Lookups *LookupMemo
}

// Run resolves name/qtype with r (its cache, transport and limits; its
// Observer is replaced for this run) and returns the trace.
func Run(ctx context.Context, r *resolver.Resolver, name string, qtype uint16, opts Options) *Trace {
	t := runUndiagnosed(ctx, r, name, qtype, opts)
	t.Findings = Diagnose(t)
	return t
}

// runUndiagnosed is Run without the diagnosis, for the check, which diagnoses
// the whole of what it asked once, at the end.
func runUndiagnosed(ctx context.Context, r *resolver.Resolver, name string, qtype uint16, opts Options) *Trace {
	t := &Trace{Schema: Schema, Tool: opts.Tool, Network: opts.Network}
	t.Resolution, t.Queries = resolveRecorded(ctx, r, name, qtype)
	return t
}

// resolveRecorded resolves name/qtype with r and returns the recorded
// resolution and the queries it sent.
func resolveRecorded(ctx context.Context, r *resolver.Resolver, name string, qtype uint16) (Resolution, int) {
	rec := NewRecorder()
	rr := *r
	rr.Observer = rec
	res := rr.Resolve(ctx, name, qtype)
	resolution := rec.Resolution()
	if resolution.Question.Name == "" { // the resolver stopped before it began (an invalid Config)
		resolution.Question = Question{Name: canonicalName(name), Type: typeName(qtype)}
		resolution.Outcome = outcome(res.Outcome, nil)
	}
	return resolution, res.Queries
}

// recordRun runs f with a fresh Recorder as the resolver's observer and
// returns what it recorded.
func recordRun(r *resolver.Resolver, f func(*resolver.Resolver)) Resolution {
	rec := NewRecorder()
	rr := *r
	rr.Observer = rec
	f(&rr)
	return rec.Resolution()
}

// childLetter names the j-th side resolution of a step: a, b, ..., z, aa, ab...
func childLetter(j int) string {
	s := ""
	for {
		s = string(rune('a'+j%26)) + s
		j = j/26 - 1
		if j < 0 {
			return s
		}
	}
}
