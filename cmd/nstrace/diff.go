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

// diffTypes are the record types diff compares, in the order of its rows.
// NS and SOA are shown for reference: a new provider's differ by design.
var diffTypes = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeTXT, dns.TypeCAA, dns.TypeSRV, dns.TypeNS, dns.TypeSOA}

// commonNames are the names below a zone that diff always checks, relative
// to the zone: hosts, mail set-up (DMARC, common DKIM selectors,
// autodiscovery) and SRV records of common services.
var commonNames = []string{
	"www", "mail", "webmail", "smtp", "imap", "pop", "ftp", "autodiscover", "autoconfig", "m", "api",
	"_dmarc", "_domainkey", "default._domainkey", "google._domainkey", "selector1._domainkey", "selector2._domainkey",
	"k1._domainkey", "k2._domainkey", "mail._domainkey", "dkim._domainkey", "s1._domainkey", "s2._domainkey",
	"_mta-sts", "_smtp._tls",
	"_sip._tls", "_sipfederationtls._tcp", "_autodiscover._tcp", "_submission._tcp", "_imaps._tcp", "_caldavs._tcp", "_carddavs._tcp",
}

// Diff limits.
const (
	diffConcurrency = 8    // names probed at once
	maxAXFRNames    = 5000 // names taken from a zone transfer, at most
	maxNamesFile    = 5000 // names read from --names, at most
)

// Verdicts of a diff row.
const (
	verdictSame       = "same"
	verdictMissing    = "missing_on_new"
	verdictDifferent  = "different"
	verdictOnlyNew    = "only_on_new"
	verdictUnanswered = "unanswered" // no server of one side gave a usable reply
	verdictReference  = "reference"  // the apex NS and SOA: expected to differ
)

func diffCommand(e *env) *cli.Command {
	flags := withoutFlags(resolverFlags(), "dnssec", "trust-anchor", "qmin", "record", "replay")
	flags = append(flags,
		&cli.StringSliceFlag{Name: "old", Usage: "a server of the current provider: a `NAME` (resolved from the root) or an address; repeat for several"},
		&cli.StringSliceFlag{Name: "new", Usage: "a server of the new provider: a `NAME` or an address; repeat for several"},
		&cli.StringFlag{Name: "names", Usage: "also check the names in `FILE`, one per line, relative to the zone or absolute (# comments)"},
	)
	flags = append(flags, reportFlags()...)
	return &cli.Command{
		Name:      "diff",
		Usage:     "before moving a zone to new name servers, compare what the old and the new servers serve",
		ArgsUsage: "ZONE --old SERVER --new SERVER",
		Description: "Asks the old and the new provider's servers directly (no recursion) for the same records — A, AAAA, CNAME, MX, " +
			"TXT (SPF), CAA and SRV, and NS and SOA for reference — and reports what is missing or different on the new side. " +
			"Names checked: the zone's apex, common names (www, mail, _dmarc, DKIM selectors, autodiscover, SRV records...), " +
			"every name of a zone transfer (AXFR over TCP from the first old server, when it allows one; a refusal is a note), " +
			"and the names of --names FILE. Rows where neither side has records are counted, not shown.\n\n" +
			"Exit status: 0 every record is the same on the new side, 1 something is missing, different or unanswered, 2 usage error, 130 interrupted.",
		Flags:  flags,
		Action: func(c *cli.Context) error { return runDiff(c, e) },
	}
}

// serverSpec is a server as given on the command line: a name to resolve,
// or an address (and maybe a port).
type serverSpec struct {
	arg  string
	name string         // lower-case FQDN, or "" for an address
	addr netip.AddrPort // port 0: the --port
}

func parseServerSpec(flag, s string) (serverSpec, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return serverSpec{arg: s, addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return serverSpec{arg: s, addr: netip.AddrPortFrom(a.Unmap(), 0)}, nil
	}
	n, err := parseName(s)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return serverSpec{}, usageError("--%s %q: neither an address nor a server name: %v", flag, s, ee.err)
		}
		return serverSpec{}, err
	}
	if n == "." {
		return serverSpec{}, usageError("--%s %q: neither an address nor a server name", flag, s)
	}
	return serverSpec{arg: s, name: n}, nil
}

// diffServer is one server address asked, in the JSON output.
type diffServer struct {
	Server  string `json:"server"` // the name given, or the address
	Address string `json:"address"`
}

// diffAXFR is what the zone transfer from the first old server gave.
type diffAXFR struct {
	Server  string `json:"server"`
	Address string `json:"address"`
	// Status is "transferred", "refused" (the server said no: REFUSED,
	// NOTAUTH...) or "failed" (no transfer: timeout, connection refused,
	// a broken or incomplete reply).
	Status  string   `json:"status"`
	Detail  string   `json:"detail,omitempty"`
	Records int      `json:"records"`
	Names   []string `json:"names"` // the names it holds (not glue, not DNSSEC-only owners)
}

// diffRow is one name and type compared.
type diffRow struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Old       []string `json:"old"` // RDATA in zone-file form, sorted
	New       []string `json:"new"`
	OldStatus string   `json:"old_status"` // answer, nodata, nxdomain, cname, referral or failed
	NewStatus string   `json:"new_status"`
	OldDetail string   `json:"old_detail,omitempty"` // failed: why, e.g. "timeout", "lame: REFUSED"
	NewDetail string   `json:"new_detail,omitempty"`
	Verdict   string   `json:"verdict"`
}

type diffSummary struct {
	Names        int `json:"names"`     // names checked
	Questions    int `json:"questions"` // name/type pairs compared
	Same         int `json:"same"`
	MissingOnNew int `json:"missing_on_new"`
	Different    int `json:"different"`
	OnlyOnNew    int `json:"only_on_new"`
	Unanswered   int `json:"unanswered"` // no server of one side gave a usable reply
	Reference    int `json:"reference"`
	NotShown     int `json:"not_shown"` // rows left out: no records on either side (NXDOMAIN or NODATA), or none on the side that answered
}

// diffReport is the result of nstrace diff, and its JSON form.
type diffReport struct {
	Schema  int          `json:"schema"`
	Tool    string       `json:"tool"`
	Network string       `json:"network"`
	Zone    string       `json:"zone"`
	Old     []diffServer `json:"old"`
	New     []diffServer `json:"new"`
	AXFR    diffAXFR     `json:"axfr"`
	Rows    []diffRow    `json:"rows"`
	Summary diffSummary  `json:"summary"`
	Notes   []string     `json:"notes"`
}

func runDiff(c *cli.Context, e *env) error {
	zone, err := nameArg(c, "zone", "nstrace diff --old SERVER --new SERVER ZONE")
	if err != nil {
		return err
	}
	var specs [2][]serverSpec
	for i, flag := range []string{"old", "new"} {
		vals := c.StringSlice(flag)
		if len(vals) == 0 {
			return usageError("no --%s server given: nstrace diff --old SERVER --new SERVER ZONE", flag)
		}
		for _, v := range vals {
			s, err := parseServerSpec(flag, strings.TrimSpace(v))
			if err != nil {
				return err
			}
			specs[i] = append(specs[i], s)
		}
	}
	var extra, notes []string
	if c.IsSet("names") {
		if extra, notes, err = readZoneNames(c.String("names"), zone); err != nil {
			return err
		}
	}
	r, net, err := openResolver(c)
	if err != nil {
		return err
	}
	rep := &diffReport{Schema: 1, Tool: "nstrace " + version, Network: net.label, Zone: zone, Rows: []diffRow{}, Notes: notes}
	ctx := c.Context
	var targets [2][]resolver.Target
	servers := [2]*[]diffServer{&rep.Old, &rep.New}
	for i, side := range []string{"old", "new"} {
		var ns []string
		targets[i], ns = serverTargets(ctx, r, specs[i], side)
		rep.Notes = append(rep.Notes, ns...)
		if len(targets[i]) == 0 {
			return &exitError{code: ExitFailed, err: fmt.Errorf("no address for any --%s server (%s)", side, strings.Join(ns, "; "))}
		}
		for _, t := range targets[i] {
			*servers[i] = append(*servers[i], diffServer{Server: strings.TrimSuffix(t.Name, "."), Address: addrString(t.Addr)})
		}
	}

	rep.AXFR = transferZone(ctx, net, r.Config, targets[0][0], zone)
	if rep.AXFR.Status != "transferred" {
		rep.Notes = append(rep.Notes, fmt.Sprintf("zone transfer (AXFR) from %s (%s) %s: %s; only the apex, the common names and --names were checked",
			rep.AXFR.Server, rep.AXFR.Address, rep.AXFR.Status, rep.AXFR.Detail))
	}

	names := []string{zone}
	for _, n := range commonNames {
		names = append(names, n+"."+strings.TrimPrefix(zone, "."))
	}
	names = append(names, rep.AXFR.Names...)
	names = append(names, extra...)
	for i, n := range names {
		names[i] = strings.ToLower(dns.Fqdn(n))
	}
	slices.SortFunc(names, canonicalOrder)
	names = slices.Compact(names)
	rep.Summary.Names = len(names)

	all := append(slices.Clone(targets[0]), targets[1]...)
	split := len(targets[0])
	rows := make([][]diffRow, len(names))
	failures := make([][]failure, len(names))
	// The apex first: a server that gives no usable reply to any question
	// about it (dead, lame, unreachable) is not asked about the other
	// names, so that a dead server costs a few timeouts, not hundreds.
	var asked int
	rows[0], failures[0], asked = compareName(ctx, r, zone, names[0], all, split, nil)
	dead := map[int]bool{}
	failed := map[resolver.Target]int{}
	for _, f := range failures[0] {
		if f.disagree == "" {
			failed[f.target]++
		}
	}
	for j, t := range all {
		if asked > 0 && failed[t] == asked {
			dead[j] = true
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, diffConcurrency)
	for i, name := range names[1:] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i+1], failures[i+1], _ = compareName(ctx, r, zone, name, all, split, dead)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: nothing was compared in full")}
	}
	perServer := map[resolver.Target]*failure{}
	var order []resolver.Target
	for i := range names {
		for _, row := range rows[i] {
			rep.Summary.Questions++
			switch row.Verdict {
			case "":
				rep.Summary.NotShown++
				continue
			case verdictSame:
				rep.Summary.Same++
			case verdictMissing:
				rep.Summary.MissingOnNew++
			case verdictDifferent:
				rep.Summary.Different++
			case verdictOnlyNew:
				rep.Summary.OnlyOnNew++
			case verdictUnanswered:
				rep.Summary.Unanswered++
				if len(row.Old)+len(row.New) == 0 {
					// The side that answered has no records either:
					// nothing to look at, the notes say what failed.
					rep.Summary.NotShown++
					continue
				}
			case verdictReference:
				rep.Summary.Reference++
			}
			rep.Rows = append(rep.Rows, row)
		}
		for _, f := range failures[i] {
			if f.disagree != "" {
				rep.Notes = append(rep.Notes, f.disagree)
				continue
			}
			if perServer[f.target] == nil {
				perServer[f.target] = &failure{target: f.target, detail: f.detail}
				order = append(order, f.target)
			}
			perServer[f.target].count++
		}
	}
	for _, t := range order {
		f := perServer[t]
		what := fmt.Sprintf("%d of %d questions", f.count, rep.Summary.Questions)
		if dead[slices.Index(all, t)] {
			what = fmt.Sprintf("any of the %d questions about the apex, and was not asked about the other names", f.count)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s gave no usable reply to %s (first: %s)", targetLabel(t), what, f.detail))
	}

	if err := writeReport(c, e, rep); err != nil {
		return err
	}
	if s := rep.Summary; s.MissingOnNew+s.Different+s.Unanswered > 0 {
		return silentExit(ExitFailed)
	}
	return nil
}

// readZoneNames reads --names: one name per line, absolute (with a final
// dot, or ending in the zone's name) or relative to the zone ("@" is the
// apex). Bad lines come back as notes with their line numbers.
func readZoneNames(path, zone string) (names, notes []string, err error) {
	f, err := openList(path, "--names: ", "names")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	err = readList(f, path, "names", func(line int, text string) bool {
		name, err := zoneName(text, zone)
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("%s:%d: skipped: %v", path, line, oneLine(err.Error())))
		case len(names) == maxNamesFile:
			notes = append(notes, fmt.Sprintf("%s:%d: skipped: more than %d names", path, line, maxNamesFile))
			return false
		default:
			names = append(names, name)
		}
		return true
	})
	if err != nil {
		return nil, nil, usageError("--names: %v", err)
	}
	return names, notes, nil
}

// zoneName makes a line of --names a lower-case FQDN inside zone.
func zoneName(s, zone string) (string, error) {
	if s == "@" {
		return zone, nil
	}
	bare := strings.ToLower(strings.TrimSuffix(s, "."))
	apex := strings.TrimSuffix(zone, ".")
	if !strings.HasSuffix(s, ".") && bare != apex && !strings.HasSuffix(bare, "."+apex) && zone != "." {
		s += "." + zone // relative
	}
	n, err := parseName(s)
	if err != nil {
		return "", err
	}
	if !dns.IsSubDomain(zone, n) {
		return "", fmt.Errorf("%s is not in the zone %s", n, zone)
	}
	return n, nil
}

// serverTargets finds the addresses of the servers of one side: a name
// is resolved from the root (A, and AAAA when IPv6 is on). Names without
// an address come back as notes.
func serverTargets(ctx context.Context, r *resolver.Resolver, specs []serverSpec, side string) ([]resolver.Target, []string) {
	var out []resolver.Target
	var notes []string
	add := func(t resolver.Target) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, s := range specs {
		if s.name == "" {
			port := s.addr.Port()
			if port == 0 {
				port = r.Config.Port
			}
			add(resolver.Target{Name: s.addr.Addr().String(), Addr: netip.AddrPortFrom(s.addr.Addr(), port)})
			continue
		}
		var types []uint16
		if r.Config.IPv4 {
			types = append(types, dns.TypeA)
		}
		if r.Config.IPv6 {
			types = append(types, dns.TypeAAAA)
		}
		found := false
		var why []string
		for _, t := range types {
			res := r.Resolve(ctx, s.name, t)
			for _, rr := range res.Records {
				var a netip.Addr
				switch v := rr.(type) {
				case *dns.A:
					a, _ = netip.AddrFromSlice(v.A.To4())
				case *dns.AAAA:
					a, _ = netip.AddrFromSlice(v.AAAA.To16())
				}
				if a.IsValid() {
					add(resolver.Target{Name: s.name, Addr: netip.AddrPortFrom(a.Unmap(), r.Config.Port)})
					found = true
				}
			}
			if res.Status == resolver.StatusServFail {
				why = append(why, fmt.Sprintf("%s: %s", dns.TypeToString[t], res.Detail))
			} else if res.Status != resolver.StatusAnswer {
				why = append(why, fmt.Sprintf("%s: %s", dns.TypeToString[t], res.Status))
			}
		}
		if !found {
			notes = append(notes, fmt.Sprintf("--%s %s: no address found (%s)", side, s.arg, strings.Join(why, ", ")))
		}
	}
	return out, notes
}

// transferZone asks t for a zone transfer of zone over TCP: on the real
// network with miekg/dns's Transfer (a zone may come in many messages),
// elsewhere (the lab) through the transport, in one message.
func transferZone(ctx context.Context, net network, cfg resolver.Config, t resolver.Target, zone string) diffAXFR {
	res := diffAXFR{Server: strings.TrimSuffix(t.Name, "."), Address: addrString(t.Addr), Names: []string{}}
	q := new(dns.Msg)
	q.SetAxfr(zone)
	var rrs []dns.RR
	if _, real := net.transport.(*resolver.NetTransport); real {
		tr := &dns.Transfer{DialTimeout: cfg.Timeout, ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout}
		env, err := tr.In(q, t.Addr.String())
		if err != nil {
			res.Status, res.Detail = "failed", err.Error()
			return res
		}
		for e := range env {
			if e.Error != nil && res.Detail == "" {
				res.Status, res.Detail = "failed", e.Error.Error()
				// miekg/dns reports a refusal as "bad xfr rcode: N".
				if _, s, ok := strings.Cut(e.Error.Error(), "bad xfr rcode: "); ok {
					rc, _ := strconv.Atoi(s)
					res.Status, res.Detail = "refused", dns.RcodeToString[rc]
				}
			}
			if e.Error == nil {
				rrs = append(rrs, e.RR...)
			}
		}
		if res.Status != "" {
			return res
		}
	} else {
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
		reply, _, err := net.transport.Exchange(ctx, resolver.TCP, t.Addr, q)
		switch {
		case err != nil:
			_, detail := resolver.ClassifyError(err)
			res.Status, res.Detail = "failed", detail
			return res
		case reply.Rcode != dns.RcodeSuccess:
			res.Status, res.Detail = "refused", dns.RcodeToString[reply.Rcode]
			return res
		}
		rrs = reply.Answer
	}
	if n := len(rrs); n < 2 || rrs[0].Header().Rrtype != dns.TypeSOA || rrs[n-1].Header().Rrtype != dns.TypeSOA {
		res.Status, res.Detail = "failed", fmt.Sprintf("incomplete transfer: %d records, not framed by the SOA", n)
		return res
	}
	res.Status, res.Records = "transferred", len(rrs)
	res.Names = transferNames(rrs, zone)
	if len(res.Names) > maxAXFRNames {
		res.Detail = fmt.Sprintf("%d names; the first %d are checked", len(res.Names), maxAXFRNames)
		res.Names = res.Names[:maxAXFRNames]
	}
	return res
}

// transferNames are the owner names of a transfer worth comparing: inside
// the zone, not below one of its delegations (glue), and not owners of
// DNSSEC records only (NSEC3 hashes).
func transferNames(rrs []dns.RR, zone string) []string {
	var cuts, names []string
	for _, rr := range rrs {
		h := rr.Header()
		if h.Rrtype == dns.TypeNS && !strings.EqualFold(h.Name, zone) {
			cuts = append(cuts, strings.ToLower(h.Name))
		}
	}
	for _, rr := range rrs {
		h := rr.Header()
		name := strings.ToLower(h.Name)
		switch h.Rrtype {
		case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY:
			continue
		}
		if !dns.IsSubDomain(zone, name) || slices.ContainsFunc(cuts, func(c string) bool { return c != name && dns.IsSubDomain(c, name) }) {
			continue
		}
		names = append(names, name)
	}
	slices.SortFunc(names, canonicalOrder)
	return slices.Compact(names)
}

// canonicalOrder orders names as DNSSEC does (RFC 4034 6.1): by their
// labels from the right, so that a zone's apex comes first and every name
// is followed by the names below it.
func canonicalOrder(a, b string) int {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// sideAnswer is what one server, or one side, said about a name and type.
type sideAnswer struct {
	status string   // answer, nodata, nxdomain, cname, referral or failed
	rdata  []string // sorted; a cname answer holds "CNAME target"
	detail string   // failed: why
}

// failure is a server that gave no usable reply to a question, or
// (disagree set) two servers of one side that disagree.
type failure struct {
	target   resolver.Target
	detail   string
	count    int
	disagree string
}

// compareName asks every server of both sides (the old ones are
// targets[:split]; those in skip are not asked) about name, type by type,
// and returns one row per type (verdict "" when neither side has records),
// what failed, and how many types were asked. When no server has records
// for A and each side says NXDOMAIN or fails, the other types are not
// asked: the name does not exist (RFC 8020).
func compareName(ctx context.Context, r *resolver.Resolver, zone, name string, targets []resolver.Target, split int, skip map[int]bool) ([]diffRow, []failure, int) {
	var rows []diffRow
	var fails []failure
	var live []resolver.Target
	for j, t := range targets {
		if !skip[j] {
			live = append(live, t)
		}
	}
	for i, qtype := range diffTypes {
		if ctx.Err() != nil {
			return nil, nil, i
		}
		var replies []resolver.ProbeReply
		if len(live) > 0 {
			replies = r.Probe(ctx, zone, name, qtype, live)
		}
		per := make([]sideAnswer, len(targets))
		k := 0
		for j := range targets {
			if skip[j] {
				per[j] = sideAnswer{status: "failed", detail: "not asked: no usable reply about the apex"}
				continue
			}
			if k < len(replies) {
				per[j] = readReply(replies[k], name, qtype)
			} else {
				per[j] = sideAnswer{status: "failed", detail: "not asked"}
			}
			k++
			// A server given as both --old and --new is one server: its
			// failures count once, or it would never be found dead.
			if per[j].status == "failed" && slices.Index(targets, targets[j]) == j {
				fails = append(fails, failure{target: targets[j], detail: per[j].detail})
			}
		}
		old, oldDis := sideOf(per[:split], targets[:split], name, qtype)
		nw, newDis := sideOf(per[split:], targets[split:], name, qtype)
		for _, d := range []string{oldDis, newDis} {
			if d != "" {
				fails = append(fails, failure{disagree: d})
			}
		}
		row := diffRow{Name: name, Type: dns.TypeToString[qtype], Old: nonNil(old.rdata), New: nonNil(nw.rdata),
			OldStatus: old.status, NewStatus: nw.status, OldDetail: old.detail, NewDetail: nw.detail}
		row.Verdict = verdict(qtype, name == zone, old, nw)
		rows = append(rows, row)
		gone := func(a sideAnswer) bool { return a.status == "nxdomain" || a.status == "failed" }
		if i == 0 && gone(old) && gone(nw) && (old.status == "nxdomain" || nw.status == "nxdomain") {
			for _, t := range diffTypes[1:] {
				rest := row
				rest.Type = dns.TypeToString[t]
				rows = append(rows, rest)
			}
			return rows, fails, 1
		}
	}
	return rows, fails, len(diffTypes)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// readReply turns one server's reply into what it says about name/qtype.
func readReply(p resolver.ProbeReply, name string, qtype uint16) sideAnswer {
	resp := p.Response
	switch resp.Kind {
	case resolver.KindAnswer:
		var out []string
		for _, rr := range resp.Answer {
			if h := rr.Header(); h.Rrtype == qtype && strings.EqualFold(h.Name, name) {
				out = append(out, rdataOf(rr))
			}
		}
		slices.Sort(out)
		out = slices.Compact(out)
		if len(out) == 0 {
			return sideAnswer{status: "nodata"}
		}
		return sideAnswer{status: "answer", rdata: out}
	case resolver.KindCNAME:
		return sideAnswer{status: "cname", rdata: []string{"CNAME " + strings.ToLower(resp.Target)}}
	case resolver.KindNoData:
		return sideAnswer{status: "nodata"}
	case resolver.KindNXDomain:
		return sideAnswer{status: "nxdomain"}
	case resolver.KindReferral:
		// A delegation inside the zone: its NS records are what the
		// parent side serves; any other type lives in the child zone.
		if qtype == dns.TypeNS && strings.EqualFold(resp.Referral, name) {
			var out []string
			for _, ns := range resp.NS {
				out = append(out, strings.ToLower(ns.Ns))
			}
			slices.Sort(out)
			return sideAnswer{status: "referral", rdata: slices.Compact(out)}
		}
		return sideAnswer{status: "referral"}
	case 0:
		return sideAnswer{status: "failed", detail: "not asked"}
	}
	detail := resp.Kind.String()
	if resp.Detail != "" {
		detail += ": " + resp.Detail
	}
	return sideAnswer{status: "failed", detail: detail}
}

// sideOf is what a side says: the first server with a usable reply
// speaks for it; the others are checked against it.
func sideOf(per []sideAnswer, targets []resolver.Target, name string, qtype uint16) (sideAnswer, string) {
	first := -1
	for i, a := range per {
		if a.status != "failed" {
			first = i
			break
		}
	}
	if first < 0 {
		var details []string
		for _, a := range per {
			if !slices.Contains(details, a.detail) {
				details = append(details, a.detail)
			}
		}
		return sideAnswer{status: "failed", detail: strings.Join(details, "; ")}, ""
	}
	best := per[first]
	for i, a := range per {
		if a.status != "failed" && !slices.Equal(a.rdata, best.rdata) {
			return best, fmt.Sprintf("%s %s: %s says %s, %s says %s", strings.TrimSuffix(name, "."), dns.TypeToString[qtype],
				targetLabel(targets[first]), describe(best), targetLabel(targets[i]), describe(a))
		}
	}
	return best, ""
}

// targetLabel is a server for a note: "ns1.example.net (192.0.2.1)", or
// the address alone when it was given as one.
func targetLabel(t resolver.Target) string {
	if a := t.Addr.Addr().String(); t.Name != a {
		return strings.TrimSuffix(t.Name, ".") + " (" + a + ")"
	}
	return t.Name
}

func describe(a sideAnswer) string {
	if len(a.rdata) == 0 {
		return strings.ToUpper(a.status)
	}
	return strings.Join(a.rdata, ", ")
}

// verdict compares the two sides of a row; "" when neither has records.
func verdict(qtype uint16, apex bool, old, nw sideAnswer) string {
	if old.status == "failed" || nw.status == "failed" {
		return verdictUnanswered
	}
	if old.status == "cname" && nw.status == "cname" && qtype != dns.TypeCNAME && slices.Equal(old.rdata, nw.rdata) {
		return "" // an alias on both sides: its CNAME row says it
	}
	switch {
	case len(old.rdata) == 0 && len(nw.rdata) == 0:
		return ""
	case apex && (qtype == dns.TypeNS || qtype == dns.TypeSOA):
		return verdictReference
	case len(nw.rdata) == 0:
		return verdictMissing
	case len(old.rdata) == 0:
		return verdictOnlyNew
	case slices.Equal(old.rdata, nw.rdata):
		return verdictSame
	}
	return verdictDifferent
}

var verdictWords = map[string]string{
	verdictSame: "same", verdictMissing: "missing on new", verdictDifferent: "different", verdictOnlyNew: "only on new",
	verdictUnanswered: "unanswered", verdictReference: "reference",
}

var verdictColours = map[string]string{
	verdictSame: trace.ANSIGreen, verdictMissing: trace.ANSIBold + trace.ANSIRed, verdictDifferent: trace.ANSIBold + trace.ANSIRed, verdictOnlyNew: trace.ANSICyan,
	verdictUnanswered: trace.ANSIYellow, verdictReference: trace.ANSIDim,
}

// writeTable writes the servers and the zone transfer, the rows that
// differ or are for reference, the summary and the notes.
func (rep *diffReport) writeTable(w io.Writer, p trace.Painter) error {
	serverList := func(ss []diffServer) string {
		var parts []string
		for _, s := range ss {
			if s.Server == s.Address {
				parts = append(parts, s.Address)
			} else {
				parts = append(parts, s.Server+" "+s.Address)
			}
		}
		return strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "%s %s %s %s\n", p.Paint(trace.ANSIBold, "Migration check of"), p.Paint(trace.ANSIBold, rep.Zone), p.Paint(trace.ANSIDim, "·"), p.Paint(trace.ANSIDim, networkWords(rep.Network)))
	fmt.Fprintf(w, "  old: %s\n  new: %s\n", serverList(rep.Old), serverList(rep.New))
	x := rep.AXFR
	if x.Status == "transferred" {
		fmt.Fprintf(w, "  zone transfer (AXFR) from %s: %d records, %d names\n", x.Server, x.Records, len(x.Names))
	} else {
		fmt.Fprintf(w, "  zone transfer (AXFR) from %s: %s (%s)\n", x.Server, x.Status, x.Detail)
	}
	var rows [][]string
	prev := ""
	for _, r := range rep.Rows {
		name := r.Name
		if name == prev {
			name = ""
		}
		prev = r.Name
		rows = append(rows, []string{name, r.Type, sideCell(r.Old, r.OldStatus, r.OldDetail), sideCell(r.New, r.NewStatus, r.NewDetail),
			p.Paint(verdictColours[r.Verdict], verdictWords[r.Verdict])})
	}
	if len(rows) > 0 {
		if err := trace.WriteGrid(w, []string{"NAME", "TYPE", "OLD", "NEW", "VERDICT"}, rows); err != nil {
			return err
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "%s %d names, %d questions: %s, %s, %s, %s, %s; %d for reference; %d not shown (no records on either side, or none on the side that answered)\n",
		p.Paint(trace.ANSIBold, "Summary:"), s.Names, s.Questions,
		p.Paint(verdictColours[verdictSame], fmt.Sprintf("%d same", s.Same)),
		p.Paint(verdictColours[verdictMissing], fmt.Sprintf("%d missing on new", s.MissingOnNew)),
		p.Paint(verdictColours[verdictDifferent], fmt.Sprintf("%d different", s.Different)),
		p.Paint(verdictColours[verdictOnlyNew], fmt.Sprintf("%d only on new", s.OnlyOnNew)),
		p.Paint(verdictColours[verdictUnanswered], fmt.Sprintf("%d unanswered", s.Unanswered)),
		s.Reference, s.NotShown)
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, p.Paint(trace.ANSIBold, "Notes:"))
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	return nil
}

// sideCell is one side of a row: its records, one per line, or what the
// servers said instead.
func sideCell(rdata []string, status, detail string) string {
	switch {
	case len(rdata) > 0:
		return strings.Join(rdata, "\n")
	case status == "failed":
		return "(no answer: " + detail + ")"
	}
	return "(" + strings.ToUpper(status) + ")"
}
