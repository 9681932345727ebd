package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// compareSchema is the version of compare's JSON. It changes only when a
// key that scripts read changes meaning or disappears.
const compareSchema = 1

// systemResolvConf lists the system's resolvers (its nameserver lines).
const systemResolvConf = "/etc/resolv.conf"

// publicResolvers are the well-known public resolvers of the default set.
var publicResolvers = []compareServer{
	{Name: "Google", Addr: netip.MustParseAddrPort("8.8.8.8:53")},
	{Name: "Cloudflare", Addr: netip.MustParseAddrPort("1.1.1.1:53")},
	{Name: "Quad9", Addr: netip.MustParseAddrPort("9.9.9.9:53")},
}

func compareCommand(e *env) *cli.Command {
	// A recording holds iterative queries only; compare's own resolution
	// is a plain one.
	flags := withoutFlags(resolverFlags(), "record", "replay", "dnssec", "trust-anchor")
	flags = append(flags, &cli.StringSliceFlag{Name: "resolver", Usage: "ask the recursive resolver at `ADDR` (IP, IP:port or [IPv6]:port; repeatable) instead of the default set"})
	flags = append(flags, reportFlags()...)
	return &cli.Command{
		Name:      "compare",
		Usage:     "ask recursive resolvers for a name and compare their answers with the authoritative one",
		ArgsUsage: "NAME [TYPE]",
		Description: "Resolves NAME from the root, as trace does, for the authoritative answer; asks a set of recursive " +
			"resolvers (RD=1) for the same name at the same time; and shows, per resolver, its answer, the TTL it has left, " +
			"how long ago it fetched the record at most, whether it matches, and when a stale answer expires at the latest. " +
			"The set: the system's resolvers (/etc/resolv.conf) and Google, Cloudflare and Quad9; with --lab the lab's " +
			"recursors; --resolver ADDR (repeatable) replaces it.\n\n" +
			"Exit status: 0 every resolver agrees with the authoritative answer, 1 one disagrees or fails (or the authoritative " +
			"resolution fails), 2 usage error, 130 interrupted.",
		Flags:  flags,
		Action: func(c *cli.Context) error { return runCompare(c, e) },
	}
}

// compareServer is a recursive resolver to ask.
type compareServer struct {
	Name string // "system", "Google", a lab recursor's name, or the address
	Addr netip.AddrPort
}

func runCompare(c *cli.Context, e *env) error {
	if err := checkFormat(c, reportFormats); err != nil {
		return err
	}
	args := c.Args().Slice()
	if len(args) == 0 {
		return usageError("no name given: nstrace compare [flags] NAME [TYPE]")
	}
	q, err := parseQuestion(args)
	if err != nil {
		return err
	}
	if len(q.names) > 1 {
		return usageError("compare takes one name: nstrace compare [flags] NAME [TYPE]")
	}
	if len(q.qtypes) > 1 {
		return usageError("compare takes one type: nstrace compare [flags] NAME [TYPE]")
	}
	qtype := q.qtypes[0]
	var given []netip.AddrPort
	for _, s := range c.StringSlice("resolver") {
		ap, err := parseResolverAddr(s)
		if err != nil {
			return err
		}
		if !slices.Contains(given, ap) {
			given = append(given, ap)
		}
	}
	r, net, err := openResolver(c)
	if err != nil {
		return err
	}
	var world *lab.World
	var ask resolver.Transport = &resolver.NetTransport{}
	if ln, ok := net.transport.(*lab.Network); ok {
		world = ln.World()
		ask = newRecursorTransport(ln, world, r.Config, net.hints, net.clock)
	}
	set, err := compareSet(given, world, systemResolvConf)
	if err != nil {
		return err
	}

	name := q.names[0]
	var auth *trace.Trace
	replies := make([]compareReply, len(set))
	var wg sync.WaitGroup
	wg.Add(1 + len(set))
	go func() {
		defer wg.Done()
		auth = trace.Run(c.Context, r, name, qtype, trace.Options{Tool: "nstrace " + version, Network: net.label})
	}()
	for i, s := range set {
		go func() {
			defer wg.Done()
			replies[i] = compareAsk(c.Context, ask, s, name, qtype, r.Config)
		}()
	}
	wg.Wait()

	cmp := compareAnswers(net.label, name, qtype, auth.Outcome, replies)
	if err := writeReport(c, e, cmp); err != nil {
		return err
	}
	if c.Context.Err() != nil {
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: the results so far are above")}
	}
	if !cmp.agree() {
		return silentExit(ExitFailed)
	}
	return nil
}

// compareSet picks the resolvers to ask. The addresses given with
// --resolver replace every default; each is named after the lab recursor
// or the well-known resolver at that address, if any. Without them, a lab
// world's recursors are asked; on the real network, the system's
// resolvers (the nameserver lines of resolvConf, when it can be read)
// and the public ones, each address once.
func compareSet(given []netip.AddrPort, w *lab.World, resolvConf string) ([]compareServer, error) {
	var known []compareServer
	if w != nil {
		for _, rc := range w.Recursors() {
			known = append(known, compareServer{Name: rc.Name, Addr: netip.AddrPortFrom(rc.Addr, 53)})
		}
	} else {
		known = publicResolvers
	}
	if len(given) > 0 {
		set := make([]compareServer, 0, len(given))
		for _, ap := range given {
			s := compareServer{Name: addrString(ap), Addr: ap}
			for _, k := range known {
				if k.Addr.Addr() == ap.Addr() {
					s.Name = k.Name
				}
			}
			set = append(set, s)
		}
		return set, nil
	}
	if w != nil {
		if len(known) == 0 {
			return nil, usageError("this lab world has no recursor lines: name the resolvers to ask with --resolver ADDR")
		}
		return known, nil
	}
	var set []compareServer
	for _, ap := range systemResolversFrom(resolvConf) {
		set = append(set, compareServer{Name: "system", Addr: ap})
	}
	for _, p := range publicResolvers {
		if !slices.ContainsFunc(set, func(s compareServer) bool { return s.Addr == p.Addr }) {
			set = append(set, p)
		}
	}
	return set, nil
}

// systemResolversFrom reads the nameserver lines of a resolv.conf file; none
// when it cannot be read.
func systemResolversFrom(path string) []netip.AddrPort {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil
	}
	port, err := strconv.ParseUint(cc.Port, 10, 16)
	if err != nil || port == 0 {
		port = 53
	}
	var out []netip.AddrPort
	for _, s := range cc.Servers {
		if a, err := netip.ParseAddr(s); err == nil {
			if ap := netip.AddrPortFrom(a, uint16(port)); !slices.Contains(out, ap) {
				out = append(out, ap)
			}
		}
	}
	return out
}

// compareReply is what came back from one recursive resolver.
type compareReply struct {
	server compareServer
	reply  *dns.Msg      // nil when err is set
	rtt    time.Duration // of the try that was answered
	tries  int
	wait   time.Duration // the timeout of each try
	err    error
}

// compareAsk asks server for name/qtype with RD=1 and EDNS0: over UDP,
// over TCP after a truncated reply within the same try, again after a
// timeout (cfg.Retries times), each try for at most cfg.Timeout. A reply
// counts only when its ID and question match the query (RFC 5452 §9.1).
// Unlike lookup's lookupRecursive, it ignores --tcp and a try is a round
// of UDP and TCP: its timeout and RTT are what the table shows.
func compareAsk(ctx context.Context, t resolver.Transport, server compareServer, name string, qtype uint16, cfg resolver.Config) compareReply {
	q := recursiveQuery(name, qtype, cfg.EDNSSize)
	out := compareReply{server: server, wait: cfg.Timeout}
	for {
		out.tries++
		tctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		out.reply, out.rtt, out.err = t.Exchange(tctx, resolver.UDP, server.Addr, q)
		if out.err == nil && out.reply.Truncated {
			var rtt time.Duration
			out.reply, rtt, out.err = t.Exchange(tctx, resolver.TCP, server.Addr, q)
			out.rtt += rtt
		}
		cancel()
		if out.err == nil && !resolver.Matches(q, out.reply) {
			out.reply, out.err = nil, fmt.Errorf("%w: the reply's ID or question does not match the query", resolver.ErrBadResponse)
		}
		if out.err == nil || !compareTimedOut(out.err) || out.tries > cfg.Retries || ctx.Err() != nil {
			if out.err != nil {
				out.reply = nil
			}
			return out
		}
	}
}

func compareTimedOut(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}

// The statuses of a resolver's row: the first four are DNS answers, the
// rest say why there is none. The authoritative outcome (trace's
// Outcome.Status) has the first four.
const (
	cmpStatusAnswer      = "answer"
	cmpStatusNXDomain    = "nxdomain"
	cmpStatusNoData      = "nodata"
	cmpStatusServFail    = "servfail"
	cmpStatusRefused     = "refused"
	cmpStatusTimeout     = "timeout"
	cmpStatusUnreachable = "unreachable"
	cmpStatusError       = "error" // a bad response, another RCODE, no recursion, ...
)

// comparison is what compare found, and its JSON form (schema 1).
type comparison struct {
	Schema        int            `json:"schema"`
	Network       string         `json:"network"` // "lab", "internet" or "hints FILE"
	Question      trace.Question `json:"question"`
	Authoritative compareAuth    `json:"authoritative"`
	Resolvers     []compareRow   `json:"resolvers"`
}

// compareAuth is the outcome of nstrace's own resolution.
type compareAuth struct {
	Status  string         `json:"status"`  // answer, nxdomain, nodata or servfail
	Records []trace.Record `json:"records"` // CNAMEs followed, then the final RRset
	// TTL is the final RRset's TTL, or the negative TTL (RFC 2308) of
	// nxdomain and nodata; null when the resolution failed.
	TTL    *uint32 `json:"ttl"`
	Zone   string  `json:"zone"`             // the zone that answered, or where it failed
	Detail string  `json:"detail,omitempty"` // servfail only: why
}

// compareRow is one resolver's row.
type compareRow struct {
	Name    string         `json:"name"`
	Address string         `json:"address"` // the IP, with :port when not 53
	Status  string         `json:"status"`  // cmpStatusAnswer ... cmpStatusError
	Records []trace.Record `json:"records"` // the answer section as it came: CNAMEs, then the final RRset
	// TTL is what the resolver has left of the final RRset (of the SOA
	// for nxdomain and nodata); null without a DNS answer.
	TTL *uint32 `json:"ttl"`
	// AgeS is how long ago, at most, the resolver fetched its answer: the
	// authoritative TTL minus TTL. Null when that is unknown (no answer,
	// or TTL above the authoritative TTL).
	AgeS *int64 `json:"age_s"`
	// ExpiresInS is, for an answer that does not match, the seconds after
	// which the resolver must drop it at the latest (its TTL); null
	// otherwise.
	ExpiresInS *int64 `json:"expires_in_s"`
	// Matches is true when the resolver's status and final RRset (RDATA,
	// in any order, TTLs ignored) are the authoritative ones.
	Matches bool     `json:"matches"`
	RTTms   *float64 `json:"rtt_ms"` // of the try that was answered; null without a reply
	Error   *string  `json:"error"`  // what went wrong; null when the resolver answered
}

func (c *comparison) agree() bool {
	for _, r := range c.Resolvers {
		if !r.Matches {
			return false
		}
	}
	return c.Authoritative.Status != cmpStatusServFail
}

// compareAnswers compares each reply with the authoritative outcome.
func compareAnswers(network, name string, qtype uint16, auth trace.Outcome, replies []compareReply) *comparison {
	cmp := &comparison{Schema: compareSchema, Network: network,
		Question:      trace.Question{Name: name, Type: compareTypeName(qtype)},
		Authoritative: compareAuth{Status: auth.Status, Records: auth.Records, Zone: auth.Zone, Detail: auth.Detail},
		Resolvers:     []compareRow{}}
	if cmp.Authoritative.Records == nil {
		cmp.Authoritative.Records = []trace.Record{}
	}
	var authFinal []dns.RR
	var authTTL uint32
	switch auth.Status {
	case cmpStatusAnswer:
		var rrs []dns.RR
		for _, rec := range auth.Records {
			if rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", rec.Name, rec.TTL, rec.Type, rec.Data)); err == nil && rr != nil {
				rrs = append(rrs, rr)
			}
		}
		authFinal = compareFinalRRset(rrs, name, qtype)
		if len(authFinal) > 0 {
			authTTL = rrsetTTL(authFinal)
			cmp.Authoritative.TTL = &authTTL
		}
	case cmpStatusNXDomain, cmpStatusNoData:
		if auth.SOA != nil {
			if rr, err := dns.NewRR(fmt.Sprintf("%s %d IN SOA %s", auth.SOA.Name, auth.SOA.TTL, auth.SOA.Data)); err == nil {
				if soa, ok := rr.(*dns.SOA); ok {
					authTTL = min(soa.Hdr.Ttl, soa.Minttl)
					cmp.Authoritative.TTL = &authTTL
				}
			}
		}
	}
	for _, rep := range replies {
		ra := compareRow{Name: rep.server.Name, Address: addrString(rep.server.Addr), Records: []trace.Record{}}
		var final []dns.RR
		ra.Status, final, ra.TTL, ra.Error = classifyCompareReply(rep, name, qtype)
		if rep.reply != nil {
			ms := float64(rep.rtt.Microseconds()) / 1000
			ra.RTTms = &ms
			for _, rr := range rep.reply.Answer {
				ra.Records = append(ra.Records, compareRecord(rr))
			}
		}
		dnsAnswer := ra.Status == cmpStatusAnswer || ra.Status == cmpStatusNXDomain || ra.Status == cmpStatusNoData
		ra.Matches = dnsAnswer && ra.Status == auth.Status && sameRDATASet(final, authFinal)
		if dnsAnswer && ra.TTL != nil && cmp.Authoritative.TTL != nil && *ra.TTL <= authTTL {
			age := int64(authTTL) - int64(*ra.TTL)
			ra.AgeS = &age
		}
		if dnsAnswer && !ra.Matches && ra.TTL != nil && auth.Status != cmpStatusServFail {
			left := int64(*ra.TTL)
			ra.ExpiresInS = &left
		}
		cmp.Resolvers = append(cmp.Resolvers, ra)
	}
	return cmp
}

// classifyCompareReply reads one resolver's reply: its status, its final RRset,
// the TTL it has left and, without a DNS answer, the error in words.
func classifyCompareReply(rep compareReply, name string, qtype uint16) (status string, final []dns.RR, ttl *uint32, errText *string) {
	fail := func(s, format string, a ...any) (string, []dns.RR, *uint32, *string) {
		text := fmt.Sprintf(format, a...)
		return s, nil, nil, &text
	}
	if rep.err != nil {
		var bad interface{ BadResponse() bool }
		switch {
		case errors.Is(rep.err, context.Canceled):
			return fail(cmpStatusError, "cancelled")
		case compareTimedOut(rep.err):
			return fail(cmpStatusTimeout, "no answer after %d %s of %v", rep.tries, plural(rep.tries, "try", "tries"), rep.wait)
		case errors.As(rep.err, &bad) && bad.BadResponse():
			return fail(cmpStatusError, "bad response: %v", rep.err)
		}
		for _, errno := range []syscall.Errno{syscall.EHOSTUNREACH, syscall.ECONNREFUSED, syscall.ENETUNREACH, syscall.EAFNOSUPPORT, syscall.EADDRNOTAVAIL} {
			if errors.Is(rep.err, errno) {
				return fail(cmpStatusUnreachable, "unreachable (%v)", errno)
			}
		}
		return fail(cmpStatusError, "%v", rep.err)
	}
	m := rep.reply
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeServerFailure:
		if ede := extendedErrorText(m); ede != "" {
			return fail(cmpStatusServFail, "SERVFAIL: %s", ede)
		}
		return fail(cmpStatusServFail, "SERVFAIL")
	case dns.RcodeRefused:
		return fail(cmpStatusRefused, "REFUSED")
	default:
		return fail(cmpStatusError, "%s", resolver.RcodeName(m.Rcode))
	}
	if m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 && !m.RecursionAvailable {
		return fail(cmpStatusError, "no recursion (RA=0) and no answer: not a recursive resolver")
	}
	final = compareFinalRRset(m.Answer, name, qtype)
	if len(final) > 0 && m.Rcode == dns.RcodeSuccess {
		t := rrsetTTL(final)
		return cmpStatusAnswer, final, &t, nil
	}
	status = cmpStatusNoData
	if m.Rcode == dns.RcodeNameError {
		status = cmpStatusNXDomain
	}
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			t := soa.Hdr.Ttl
			ttl = &t
		}
	}
	return status, nil, ttl, nil
}

// extendedErrorText is the text of a reply's Extended DNS Errors (RFC 8914).
func extendedErrorText(m *dns.Msg) string {
	opt := m.IsEdns0()
	if opt == nil {
		return ""
	}
	var parts []string
	for _, o := range opt.Option {
		if ede, ok := o.(*dns.EDNS0_EDE); ok {
			s := dns.ExtendedErrorCodeToString[ede.InfoCode]
			if s == "" {
				s = "EDE " + strconv.Itoa(int(ede.InfoCode))
			}
			if ede.ExtraText != "" {
				s += " (" + ede.ExtraText + ")"
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// compareFinalRRset follows the CNAME chain from name through rrs and returns
// the records of qtype at its end: what is compared (for qtype CNAME, the
// CNAME of name itself).
func compareFinalRRset(rrs []dns.RR, name string, qtype uint16) []dns.RR {
	owner := dns.CanonicalName(name)
	if qtype != dns.TypeCNAME {
		for range resolver.DefaultConfig().MaxCNAMEChain + 1 {
			i := slices.IndexFunc(rrs, func(rr dns.RR) bool {
				return rr.Header().Rrtype == dns.TypeCNAME && dns.CanonicalName(rr.Header().Name) == owner
			})
			if i < 0 {
				break
			}
			owner = dns.CanonicalName(rrs[i].(*dns.CNAME).Target)
		}
	}
	var out []dns.RR
	for _, rr := range rrs {
		if h := rr.Header(); dns.CanonicalName(h.Name) == owner && (h.Rrtype == qtype || qtype == dns.TypeANY) {
			out = append(out, rr)
		}
	}
	return out
}

// sameRDATASet reports whether a and b hold the same records, in any order,
// TTLs and owner case ignored.
func sameRDATASet(a, b []dns.RR) bool {
	covers := func(x, y []dns.RR) bool {
		for _, rx := range x {
			if !slices.ContainsFunc(y, func(ry dns.RR) bool {
				cx, cy := dns.Copy(rx), dns.Copy(ry)
				cx.Header().Name, cy.Header().Name = "x.", "x."
				cx.Header().Ttl, cy.Header().Ttl = 0, 0
				return dns.IsDuplicate(cx, cy)
			}) {
				return false
			}
		}
		return true
	}
	return covers(a, b) && covers(b, a)
}

func rrsetTTL(rrs []dns.RR) uint32 {
	t := rrs[0].Header().Ttl
	for _, rr := range rrs[1:] {
		t = min(t, rr.Header().Ttl)
	}
	return t
}

func compareRecord(rr dns.RR) trace.Record {
	h := rr.Header()
	return trace.Record{Name: h.Name, TTL: h.Ttl, Type: compareTypeName(h.Rrtype), Data: rdataText(rr)}
}

func compareTypeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// writeTable writes the comparison for people: the authoritative answer,
// one row per resolver, then what disagrees and why.
func (cmp *comparison) writeTable(w io.Writer, p trace.Painter) error {
	network := networkWords(cmp.Network)
	if cmp.Network == "internet" {
		network = "recursive resolvers vs. the root servers (embedded hints)"
	}
	fmt.Fprintf(w, "%s %s %s %s\n", p.Paint(trace.ANSIBold, cmp.Question.Name), cmp.Question.Type, p.Paint(trace.ANSIDim, "·"), p.Paint(trace.ANSIDim, network))
	a := cmp.Authoritative
	authAnswer, ok := compareAnswerWords(a.Status, a.Records, cmp.Question)
	if !ok {
		authAnswer = "failed: " + a.Detail
	}
	authText := authAnswer
	if a.TTL != nil {
		ttlWord := "TTL"
		if a.Status != cmpStatusAnswer {
			ttlWord = "negative TTL"
		}
		authText += fmt.Sprintf(" · %s %d", ttlWord, *a.TTL)
	}
	if a.Zone != "" {
		authText += " · from " + a.Zone
	}
	fmt.Fprintf(w, "%s %s\n", p.Paint(trace.ANSIBold, "Authoritative:"), authText)

	var rows [][]string
	agree := 0
	var notes []string
	legend, unknownAge := false, false
	for _, r := range cmp.Resolvers {
		ttl, fetched, match, rtt, note := "", "", p.Paint(trace.ANSIRed, "✗ no"), "", ""
		answer, ok := compareAnswerWords(r.Status, r.Records, cmp.Question)
		if !ok {
			answer = strings.ToUpper(r.Status)
			if r.Status == cmpStatusTimeout || r.Status == cmpStatusUnreachable || r.Status == cmpStatusError {
				answer = r.Status
			}
		}
		if r.TTL != nil {
			ttl = strconv.FormatUint(uint64(*r.TTL), 10)
		}
		if r.AgeS != nil {
			fetched = "≤ " + compareDuration(*r.AgeS) + " ago"
			if *r.AgeS == 0 {
				fetched = "just now"
			}
		} else if r.TTL != nil && a.TTL != nil && *r.TTL > *a.TTL {
			fetched, unknownAge = "?", true
		}
		legend = legend || fetched != ""
		if r.Matches {
			match = p.Paint(trace.ANSIGreen, "✓ yes")
			agree++
		}
		if r.RTTms != nil {
			rtt = strconv.FormatFloat(*r.RTTms, 'f', -1, 64) + " ms"
		}
		who := r.Name
		if r.Name != r.Address {
			who += " (" + r.Address + ")"
		}
		switch {
		case r.ExpiresInS != nil:
			note = "expires in at most " + compareDuration(*r.ExpiresInS)
			if r.TTL != nil && a.TTL != nil && *r.TTL > *a.TTL {
				note += fmt.Sprintf("; TTL %d > authoritative %d", *r.TTL, *a.TTL)
			}
			notes = append(notes, fmt.Sprintf("%s answers %s, not %s: its cached answer expires in at most %s.",
				who, answer, authAnswer, compareDuration(*r.ExpiresInS)))
		case r.Error != nil:
			note = *r.Error
			notes = append(notes, fmt.Sprintf("%s: %s.", who, *r.Error))
		case !r.Matches:
			notes = append(notes, fmt.Sprintf("%s answers %s: the authoritative answer could not be found.", who, answer))
		}
		rows = append(rows, []string{r.Name, r.Address, answer, ttl, fetched, match, rtt, note})
	}
	if err := trace.WriteGrid(w, []string{"RESOLVER", "ADDRESS", "ANSWER", "TTL", "FETCHED", "MATCH", "RTT", "NOTE"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s %d of %d resolvers agree with the authoritative answer.\n", p.Paint(trace.ANSIBold, "Result:"), agree, len(cmp.Resolvers))
	for _, n := range notes {
		fmt.Fprintf(w, "  %s %s\n", p.Paint(trace.ANSIRed, "✗"), n)
	}
	if a.Status == cmpStatusServFail {
		fmt.Fprintf(w, "  %s the authoritative resolution failed (%s): nothing to compare with; see nstrace trace %s %s\n",
			p.Paint(trace.ANSIRed, "✗"), a.Detail, strings.TrimSuffix(cmp.Question.Name, "."), cmp.Question.Type)
	}
	if legend {
		text := "FETCHED: at most that long ago (the authoritative TTL minus the TTL left)"
		if unknownAge {
			text += "; ? when the TTL left is longer than the authoritative TTL"
		}
		fmt.Fprintln(w, p.Paint(trace.ANSIDim, text+"."))
	}
	return nil
}

// compareAnswerWords is a DNS answer in the table: the final RRset's RDATA,
// NXDOMAIN or NODATA; false for a status that is no DNS answer.
func compareAnswerWords(status string, recs []trace.Record, q trace.Question) (string, bool) {
	switch status {
	case cmpStatusAnswer:
		return compareFinalData(recs, q), true
	case cmpStatusNXDomain:
		return "NXDOMAIN", true
	case cmpStatusNoData:
		return "NODATA", true
	}
	return "", false
}

// compareFinalData is the RDATA of the final RRset of an answer, sorted, joined
// by ", "; with "→ TARGET " before it when a CNAME chain led there.
func compareFinalData(recs []trace.Record, q trace.Question) string {
	var data []string
	var target string
	owner := q.Name
	for _, r := range recs {
		if r.Type == "CNAME" && q.Type != "CNAME" && strings.EqualFold(r.Name, owner) {
			owner, target = r.Data, r.Data
		}
	}
	for _, r := range recs {
		if strings.EqualFold(r.Name, owner) && (r.Type == q.Type || q.Type == "ANY") {
			data = append(data, r.Data)
		}
	}
	slices.Sort(data)
	s := strings.Join(data, ", ")
	if target != "" {
		s = "→ " + target + " " + s
	}
	return s
}

// compareDuration writes seconds as 41m40s, 2m, 1h5m or 30s.
func compareDuration(s int64) string {
	if s <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		n    int64
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.n {
			fmt.Fprintf(&b, "%d%s", s/u.n, u.unit)
			s %= u.n
		}
	}
	return b.String()
}
