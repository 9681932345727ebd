package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// lookupTypes are the types lookup asks for, in the order asked: A first,
// so that a name that does not exist is known after one resolution; NS
// last, because the resolver's cache takes a NODATA answer for NS as a
// zone cut without servers, which would fail every later type there.
var lookupTypes = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeTXT, dns.TypeSOA, dns.TypeCAA, dns.TypeSRV, dns.TypeHTTPS, dns.TypeNS}

// lookupOrder is the order of the rows: an alias first, then the rest.
var lookupOrder = []uint16{dns.TypeCNAME, dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypeNS, dns.TypeTXT, dns.TypeSOA, dns.TypeCAA, dns.TypeSRV, dns.TypeHTTPS}

func lookupCommand(e *env) *cli.Command {
	flags := withoutFlags(resolverFlags(), "dnssec", "trust-anchor")
	flags = append(flags, &cli.StringFlag{Name: "resolver", Usage: "ask the recursive resolver at `ADDR` (IP or IP:port, RD=1) what it has, instead of the name's own servers"})
	flags = append(flags, reportFlags()...)
	return &cli.Command{
		Name:      "lookup",
		Usage:     "every common record of a name, from its authoritative servers, in one table",
		ArgsUsage: "NAME",
		Description: "Resolves NAME from the root for each of A, AAAA, CNAME, MX, NS, TXT, SOA, CAA, SRV and HTTPS, with one " +
			"shared cache (the root and the TLD are asked once), and shows every record with its TTL and the server that " +
			"answered. A name that does not exist (NXDOMAIN) stops after the first type. With --resolver ADDR, asks that " +
			"recursive resolver instead (RD=1): what it has cached, with the TTLs it has left.\n\n" +
			"Exit status: 0 the name exists and every type was answered, 1 NXDOMAIN or a failure, 2 usage error, 130 interrupted.",
		Flags:  flags,
		Action: func(c *cli.Context) error { return runLookup(c, e) },
	}
}

// lookupRecord is one record found.
type lookupRecord struct {
	Type    string `json:"type"`
	Name    string `json:"name"` // the owner: the name, or a CNAME target on the way
	TTL     uint32 `json:"ttl"`
	Data    string `json:"data"`
	Server  string `json:"server"`  // the server that answered ("" for a record from the cache)
	Address string `json:"address"` // its address
}

// lookupError is a type that could not be resolved.
type lookupError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"` // a code: all-servers-failed, timeout, unreachable, SERVFAIL...
	Detail string `json:"detail"`
}

// lookupReport is the result of nstrace lookup, and its JSON form.
type lookupReport struct {
	Schema   int    `json:"schema"`
	Tool     string `json:"tool"`
	Network  string `json:"network"`
	Name     string `json:"name"`
	Resolver string `json:"resolver,omitempty"` // --resolver: the address asked
	// Status is "exists", "nxdomain" or "failed" (no type could be
	// resolved at all).
	Status  string         `json:"status"`
	Zone    string         `json:"zone,omitempty"` // the zone that said NXDOMAIN, or answered
	Records []lookupRecord `json:"records"`
	NoData  []string       `json:"nodata"` // types the name has no records of (NODATA)
	Errors  []lookupError  `json:"errors"`
	Queries int            `json:"queries"`
}

// typeResult is what one type gave.
type typeResult struct {
	status  string // answer, nodata, nxdomain or failed
	records []lookupRecord
	zone    string
	err     *lookupError
	queries int
	stop    bool // nothing more can be learned from this source (unreachable)
}

func runLookup(c *cli.Context, e *env) error {
	name, err := nameArg(c, "name", "nstrace lookup NAME")
	if err != nil {
		return err
	}
	var recursive netip.AddrPort
	if c.IsSet("resolver") {
		if recursive, err = parseResolverAddr(c.String("resolver")); err != nil {
			return err
		}
	}
	r, net, err := openResolver(c)
	if err != nil {
		return err
	}
	rep := &lookupReport{Schema: 1, Tool: "nstrace " + version, Network: net.label, Name: name,
		Records: []lookupRecord{}, NoData: []string{}, Errors: []lookupError{}}
	var ask func(uint16) typeResult
	if recursive.IsValid() {
		rep.Resolver = recursive.String()
		ask = func(t uint16) typeResult {
			return lookupRecursive(c.Context, net.transport, r.Config, recursive, name, t)
		}
	} else {
		seen := &serverIndex{by: map[string]serverAt{}}
		ask = func(t uint16) typeResult { return resolveType(c.Context, r, seen, name, t) }
	}
	answered := 0
	for _, t := range lookupTypes {
		if c.Context.Err() != nil {
			break
		}
		res := ask(t)
		rep.Queries += res.queries
		switch res.status {
		case "answer", "nodata":
			answered++
			for _, rec := range res.records {
				if !slices.ContainsFunc(rep.Records, func(x lookupRecord) bool {
					return x.Type == rec.Type && x.Name == rec.Name && x.Data == rec.Data
				}) {
					rep.Records = append(rep.Records, rec)
				}
			}
			if !slices.ContainsFunc(res.records, func(x lookupRecord) bool { return x.Type == dns.TypeToString[t] }) {
				rep.NoData = append(rep.NoData, dns.TypeToString[t])
			}
			if rep.Zone == "" {
				rep.Zone = res.zone
			}
		case "nxdomain":
			rep.Status, rep.Zone = "nxdomain", res.zone
		default:
			rep.Errors = append(rep.Errors, *res.err)
		}
		if rep.Status == "nxdomain" || res.stop {
			break
		}
	}
	if rep.Status == "" {
		rep.Status = "exists"
		if answered == 0 {
			rep.Status = "failed"
		}
	}
	slices.SortStableFunc(rep.Records, func(a, b lookupRecord) int {
		return slices.Index(lookupOrder, dns.StringToType[a.Type]) - slices.Index(lookupOrder, dns.StringToType[b.Type])
	})
	if err := writeReport(c, e, rep); err != nil {
		return err
	}
	if c.Context.Err() != nil {
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: the records so far are above")}
	}
	if err := net.finish(nil); err != nil {
		return err
	}
	if rep.Status != "exists" || len(rep.Errors) > 0 {
		return silentExit(ExitFailed)
	}
	return nil
}

// serverAt is the server a record came from.
type serverAt struct {
	name string
	addr netip.AddrPort
}

// serverIndex remembers which server sent which record, across the
// resolutions of one lookup: a record a later resolution takes from the
// cache still shows the server it came from.
type serverIndex struct {
	mu sync.Mutex
	by map[string]serverAt // recordKey → server
}

func recordKey(rr dns.RR) string {
	h := rr.Header()
	return strings.ToLower(h.Name) + " " + dns.TypeToString[h.Rrtype] + " " + rdataOf(rr)
}

// resolveType resolves name/qtype from the root (or the cache) and says
// which server sent each record of the outcome.
func resolveType(ctx context.Context, r *resolver.Resolver, seen *serverIndex, name string, qtype uint16) typeResult {
	rr := *r
	rr.Observer = resolver.ObserverFunc(func(ev resolver.Event) {
		fin, ok := ev.(resolver.StepFinished)
		if !ok || fin.Server == "" {
			return
		}
		seen.mu.Lock()
		defer seen.mu.Unlock()
		for _, rec := range fin.Response.Answer {
			seen.by[recordKey(rec)] = serverAt{fin.Server, fin.Addr}
		}
	})
	res := rr.Resolve(ctx, name, qtype)
	out := typeResult{queries: res.Queries, zone: res.Zone}
	switch res.Status {
	case resolver.StatusAnswer:
		out.status = "answer"
	case resolver.StatusNoData:
		out.status = "nodata"
	case resolver.StatusNXDomain:
		out.status = "nxdomain"
		return out
	default:
		out.status = "failed"
		out.err = &lookupError{Type: dns.TypeToString[qtype], Reason: res.Reason.String(), Detail: res.Detail}
		return out
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for _, rec := range res.Records {
		at := seen.by[recordKey(rec)]
		out.records = append(out.records, newLookupRecord(rec, at.name, at.addr))
	}
	return out
}

func newLookupRecord(rr dns.RR, server string, addr netip.AddrPort) lookupRecord {
	h := rr.Header()
	rec := lookupRecord{Type: dns.TypeToString[h.Rrtype], Name: strings.ToLower(h.Name), TTL: h.Ttl, Data: rdataText(rr), Server: server}
	if addr.IsValid() {
		rec.Address = addrString(addr)
	}
	return rec
}

// lookupRecursive asks a recursive resolver (RD=1) for name/qtype over UDP,
// over TCP after TC=1, with the configured timeout and retries.
func lookupRecursive(ctx context.Context, t resolver.Transport, cfg resolver.Config, server netip.AddrPort, name string, qtype uint16) typeResult {
	q := recursiveQuery(name, qtype, cfg.EDNSSize)
	out := typeResult{}
	fail := func(reason, detail string, stop bool) typeResult {
		out.status, out.stop = "failed", stop
		out.err = &lookupError{Type: dns.TypeToString[qtype], Reason: reason, Detail: detail}
		return out
	}
	proto := resolver.UDP
	if cfg.TCP {
		proto = resolver.TCP
	}
	var reply *dns.Msg
	for retried := 0; ; {
		actx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		m, _, err := t.Exchange(actx, proto, server, q)
		cancel()
		out.queries++
		if err == nil && !resolver.Matches(q, m) {
			err = fmt.Errorf("%w: reply ID or question does not match the query", resolver.ErrBadResponse)
		}
		if err != nil {
			kind, detail := resolver.ClassifyError(err)
			if kind == resolver.KindTimeout && retried < cfg.Retries && ctx.Err() == nil {
				retried++ // only a timeout is retried: going over to TCP is not a retry
				continue
			}
			// Nothing came back: the other types would fare no better.
			stop := kind == resolver.KindTimeout || kind == resolver.KindUnreachable || kind == resolver.KindSkipped
			if errors.Is(err, context.Canceled) {
				stop = true
			}
			return fail(kind.String(), fmt.Sprintf("%s: %s", server, detail), stop)
		}
		if m.Truncated && proto == resolver.UDP {
			proto = resolver.TCP
			continue
		}
		reply = m
		break
	}
	switch reply.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		out.status = "nxdomain"
		out.zone = soaZone(reply)
		return out
	default:
		detail := fmt.Sprintf("%s answered %s", server, resolver.RcodeName(reply.Rcode))
		if !reply.RecursionAvailable {
			detail += " without RA: it does not offer recursion to us"
		}
		return fail(resolver.RcodeName(reply.Rcode), detail, reply.Rcode == dns.RcodeRefused)
	}
	out.status = "answer"
	for _, rr := range reply.Answer {
		switch rr.Header().Rrtype {
		case dns.TypeRRSIG, dns.TypeOPT:
			continue
		}
		out.records = append(out.records, newLookupRecord(rr, server.String(), server))
	}
	if len(out.records) == 0 {
		out.status = "nodata"
	}
	out.zone = soaZone(reply)
	return out
}

func soaZone(m *dns.Msg) string {
	for _, rr := range m.Ns {
		if rr.Header().Rrtype == dns.TypeSOA {
			return strings.ToLower(rr.Header().Name)
		}
	}
	return ""
}

// writeTable writes the records as a table, then the status of the name.
func (rep *lookupReport) writeTable(w io.Writer, p trace.Painter) error {
	source := networkWords(rep.Network)
	if rep.Resolver != "" {
		source = "recursive resolver " + rep.Resolver + " (RD=1), " + source
	}
	fmt.Fprintf(w, "%s %s %s\n", p.Paint(trace.ANSIBold, rep.Name), p.Paint(trace.ANSIDim, "·"), p.Paint(trace.ANSIDim, source))
	var rows [][]string
	for _, r := range rep.Records {
		server := r.Server
		if server == "" {
			server = "(cache)"
		}
		rows = append(rows, []string{r.Type, r.Name, strconv.FormatUint(uint64(r.TTL), 10), r.Data, server, r.Address})
	}
	if len(rows) > 0 {
		if err := trace.WriteGrid(w, []string{"TYPE", "NAME", "TTL", "DATA", "SERVER", "ADDRESS"}, rows); err != nil {
			return err
		}
	}
	switch rep.Status {
	case "nxdomain":
		from := ""
		if rep.Zone != "" {
			from = " (the zone " + rep.Zone + " says so)"
		}
		fmt.Fprintf(w, "%s %s\n", p.Paint(trace.ANSIBold, "Status:"), p.Paint(trace.ANSIYellow, "NXDOMAIN: "+rep.Name+" does not exist"+from))
	case "failed":
		fmt.Fprintf(w, "%s %s\n", p.Paint(trace.ANSIBold, "Status:"), p.Paint(trace.ANSIRed, "failed: no type could be resolved"))
	default:
		if len(rep.NoData) > 0 {
			fmt.Fprintf(w, "No records (NODATA): %s\n", strings.Join(rep.NoData, ", "))
		}
		fmt.Fprintf(w, "%s %s\n", p.Paint(trace.ANSIBold, "Status:"), p.Paint(trace.ANSIGreen, "the name exists"))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "%s %s %s: %s\n", p.Paint(trace.ANSIRed, "✗"), e.Type, e.Reason, e.Detail)
	}
	fmt.Fprintf(w, "%d %s\n", rep.Queries, plural(rep.Queries, "query", "queries"))
	return nil
}
