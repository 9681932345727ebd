package trace

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableOptions change how WriteTable draws a trace.
type TableOptions struct {
	Color   bool // ANSI colours (only on a terminal, and never with NO_COLOR)
	AllRows bool // one row per server, even where many servers said the same
	Explain bool // before the table, each step in plain words (--explain)
}

// FoldMin is the smallest number of servers of one step whose identical
// responses are folded into one row (unless TableOptions.AllRows).
const FoldMin = 3

// The ANSI colours of nstrace's output: the renderers, and the commands
// whose results are not traces (lookup, compare, diff), paint with them.
const (
	ANSIReset  = "\x1b[0m"
	ANSIBold   = "\x1b[1m"
	ANSIRed    = "\x1b[31m"
	ANSIGreen  = "\x1b[32m"
	ANSIYellow = "\x1b[33m"
	ANSICyan   = "\x1b[36m"
	ANSIDim    = "\x1b[2m"
)

// Painter paints text with ANSI colours (true), or leaves it as it is.
type Painter bool

// Paint wraps s in the colour code, when p is set and s is not empty.
func (p Painter) Paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ANSIReset
}

// kindColour is the colour of a response kind.
func kindColour(kind string) string {
	switch kind {
	case "answer", "cname", "nxdomain", "nodata":
		return ANSIGreen
	case "referral":
		return ""
	case "skipped", "truncated":
		return ANSIDim
	case "timeout":
		return ANSIYellow
	}
	return ANSIRed
}

// WriteTable writes t as a table: one row per server asked, grouped by
// step, the path taken marked with ▶, cache hits in the CACHE column, and
// every finding marked on the row that shows it; then the outcome, the
// delegation check when there is one, and the findings.
func WriteTable(w io.Writer, t *Trace, opts TableOptions) error {
	tr := &tableRenderer{opts: opts, p: Painter(opts.Color), marks: map[string][]Finding{}}
	for _, f := range t.Findings {
		for _, ev := range f.Evidence {
			k := ev.Step + "|" + ev.Address
			if !slices.ContainsFunc(tr.marks[k], func(x Finding) bool { return x.Code == f.Code }) {
				tr.marks[k] = append(tr.marks[k], f)
			}
		}
	}
	p := tr.p
	fmt.Fprintf(w, "%s %s %s %s\n", p.Paint(ANSIBold, t.Question.Name), t.Question.Type,
		p.Paint(ANSIDim, "·"), p.Paint(ANSIDim, networkLabel(t.Network)))
	if opts.Explain {
		writeExplanations(w, t, t.Resolution, p)
	}
	if err := tr.table(w, tr.rows(t.Resolution)); err != nil {
		return err
	}
	writeOutcome(w, t, p)
	if c := t.Check; c != nil {
		fmt.Fprintf(w, "\n%s %s %s\n", p.Paint(ANSIBold, "Delegation check of"), p.Paint(ANSIBold, c.Zone), p.Paint(ANSIDim, checkSummary(c)))
		var rows [][]string
		for _, l := range c.Lookups {
			rows = append(rows, []string{p.Paint(ANSIDim, "↳ "+strings.TrimSuffix(firstStep(l), ".1")), "", "", p.Paint(ANSIDim, "address of an NS"), p.Paint(ANSIBold, l.Question.Name+" "+l.Question.Type), "", "", "= " + outcomeShort(l)})
			rows = append(rows, tr.rows(l)...)
		}
		for _, s := range c.Probes {
			rows = append(rows, []string{p.Paint(ANSIDim, s.ID), "", "", p.Paint(ANSIDim, "ask every server:"), p.Paint(ANSIBold, s.Name+" "+s.Type), "", "", p.Paint(ANSIDim, s.Probe)})
			rows = append(rows, tr.stepRows(s)...)
		}
		if err := tr.table(w, rows); err != nil {
			return err
		}
	}
	return writeFindings(w, t.Findings, p)
}

type tableRenderer struct {
	opts  TableOptions
	p     Painter
	marks map[string][]Finding // "step|address" → findings shown there
}

func (tr *tableRenderer) table(w io.Writer, rows [][]string) error {
	return WriteGrid(w, []string{"STEP", "ZONE", "CACHE", "SERVER", "ADDRESS", "PROTO", "RTT", "RESULT"}, rows)
}

// WriteGrid draws rows under header as nstrace draws every table: boxed,
// left aligned, cells never wrapped (a cell may hold lines of its own).
// The commands whose results are not traces (compare, diff, lookup) use
// it too, so that tablewriter stays in this file.
func WriteGrid(w io.Writer, header []string, rows [][]string) error {
	table := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithTrimSpace(tw.Off),
	)
	table.Header(header)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	return table.Render()
}

// mark returns the finding markers for a row: "✗ LAME" for errors, "⚠" for
// warnings, "ℹ" for information.
func (tr *tableRenderer) mark(step, address string) string {
	var parts []string
	for _, f := range tr.marks[step+"|"+address] {
		sym, col := severitySymbol(f.Severity)
		parts = append(parts, tr.p.Paint(ANSIBold+col, sym+" "+f.Code))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, " ")
}

func networkLabel(n string) string {
	switch n {
	case "lab":
		return "nstrace lab network (simulated, offline)"
	case "internet", "":
		return "from the root servers (embedded hints)"
	}
	return n
}

func (tr *tableRenderer) rows(r Resolution) [][]string {
	var rows [][]string
	for _, s := range r.Steps {
		rows = append(rows, tr.stepRows(s)...)
		for j, c := range s.Children {
			rows = append(rows, childRow(s.ID+childLetter(j), c, tr.p))
			rows = append(rows, tr.rows(c)...)
		}
	}
	return rows
}

func outcomeShort(r Resolution) string {
	if r.Outcome.Status == "answer" {
		return recordData(r.Outcome.Records, r.Question.Type)
	}
	return r.Outcome.Status
}

func childRow(id string, c Resolution, p Painter) []string {
	why := sideWhy(c.Purpose)
	return []string{p.Paint(ANSIDim, "↳ "+id), "", "", p.Paint(ANSIDim, why), p.Paint(ANSIBold, c.Question.Name+" "+c.Question.Type), "", "", "= " + outcomeShort(c)}
}

func (tr *tableRenderer) stepRows(s Step) [][]string {
	p := tr.p
	cache := s.Cache.State
	if s.Cache.TTL != nil {
		cache = fmt.Sprintf("hit %ds left", *s.Cache.TTL)
	}
	switch s.Cache.State {
	case "hit":
		cache = p.Paint(ANSICyan, cache)
	case "expired":
		cache = p.Paint(ANSIYellow, cache)
	}
	zone := s.Zone
	if s.FullName != "" {
		zone += "\n" + p.Paint(ANSIDim, "asked "+s.Name+" "+s.Type)
	}
	head := []string{s.ID, zone, cache}
	if s.Probe != "" {
		head = []string{"", s.Zone, ""}
	}
	if s.Cache.State == "hit" {
		rows := [][]string{append(head, p.Paint(ANSICyan, "▶ (from the cache)"), "", "", "", stepSummary(s, p)+tr.mark(s.ID, ""))}
		if d := s.DNSSEC; d != nil { // its findings are on the row above
			rows = append(rows, []string{"", "", "", dnssecLabel(d, p), "", "", "", dnssecSummary(d, p)})
		}
		return rows
	}
	var rows [][]string
	for _, g := range groups(s.Servers, tr.opts.AllRows) {
		srv, chosen, name := shown(g)
		mark := "  "
		if chosen && s.Probe == "" {
			mark = p.Paint(ANSIGreen, "▶ ")
		}
		rows = append(rows, append(head, mark+name, srv.Address, srv.Proto, rtt(srv.RTTms), serverSummary(srv, p)+tr.mark(s.ID, srv.Address)))
		head = []string{"", "", ""}
	}
	failMark, dnssecMark, otherMark := stepMarkRow(s, tr.mark(s.ID, ""))
	if s.Failure != "" {
		rows = append(rows, append(head, p.Paint(ANSIRed, "✗ "+s.Failure), "", "", "", p.Paint(ANSIRed, s.Detail)+failMark))
		head = []string{"", "", ""}
	}
	// NS left out are shown even when the step failed: the failure may
	// be that of the few that were looked up.
	switch {
	case len(s.GluelessSkipped) > 0:
		rows = append(rows, append(head, p.Paint(ANSIYellow, "not looked up"), "", "", "", fmt.Sprintf("%d NS without glue skipped (limit)", len(s.GluelessSkipped))+otherMark))
	case s.Failure != "":
		// said above, with the step's marks
	case s.NotAsked > 0:
		rows = append(rows, append(head, p.Paint(ANSIDim, fmt.Sprintf("%d more addresses", s.NotAsked)), "", "", "", p.Paint(ANSIDim, "not asked: an answer came first")+otherMark))
	case otherMark != "":
		rows = append(rows, append(head, "", "", "", "", strings.TrimSpace(otherMark)))
	}
	if d := s.DNSSEC; d != nil {
		rows = append(rows, []string{"", "", "", dnssecLabel(d, p), "", "", "", dnssecSummary(d, p) + dnssecMark})
	}
	return rows
}

// stepMarkRow puts the marks of the findings about a whole step on one row
// only: the failure's, if the step failed; else the DNSSEC row's, if the
// step has one; else the row that says what was left out, or a row of
// their own. It returns the marks for each of those three places.
func stepMarkRow(s Step, marks string) (failure, dnssec, other string) {
	switch {
	case s.Failure != "":
		failure = marks
	case s.DNSSEC != nil:
		dnssec = marks
	default:
		other = marks
	}
	return failure, dnssec, other
}

// dnssecColour is the colour of a DNSSEC state.
func dnssecColour(state string) string {
	switch state {
	case "secure":
		return ANSIGreen
	case "bogus":
		return ANSIRed
	case "indeterminate":
		return ANSIYellow
	}
	return ANSIDim
}

// dnssecSymbol marks a DNSSEC state in text: a tick for secure, a circle
// for insecure (unsigned), a cross for bogus, a question mark otherwise.
// (Padlock emoji would be nicer, but terminals disagree on their width.)
func dnssecSymbol(state string) string {
	switch state {
	case "secure":
		return "✓"
	case "insecure":
		return "○"
	case "bogus":
		return "✗"
	}
	return "?"
}

// dnssecMark is a step's DNSSEC state as the pictures (DOT, HTML) label
// it: "✓ secure", or "✗ bogus: DS_MISMATCH" at the step where the chain of
// trust breaks, which breaks reports.
func dnssecMark(d *StepDNSSEC) (mark string, breaks bool) {
	mark = dnssecSymbol(d.State) + " " + d.State
	if d.breaksChain() {
		mark += ": " + d.Code
	}
	return mark, d.breaksChain()
}

// dnssecLabel is the SERVER cell of a step's DNSSEC row.
func dnssecLabel(d *StepDNSSEC, p Painter) string {
	what := "data"
	if d.What == "keys" {
		what = "zone " + d.Zone
	}
	return p.Paint(dnssecColour(d.State), fmt.Sprintf("%s %s (%s)", dnssecSymbol(d.State), d.State, what))
}

// dnssecSummary is the RESULT cell of a step's DNSSEC row. Its finding
// code, if the chain breaks there, is the step's finding mark.
func dnssecSummary(d *StepDNSSEC, p Painter) string {
	out := d.Reason
	if d.Cached {
		out += p.Paint(ANSIDim, " (cached)")
	}
	return out
}

// shown returns what one row shows for a group of servers that answered
// alike: the server (the fastest, when several that replied fold into the
// row; the first, when they gave no reply), whether
// the group holds the reply the resolution used, and the row's name.
func shown(g []Server) (Server, bool, string) {
	srv, chosen := g[0], false
	for _, x := range g {
		if x.Chosen {
			srv, chosen = x, true
		}
	}
	if len(g) == 1 {
		return srv, chosen, srv.Name
	}
	switch g[0].Kind {
	case "timeout", "unreachable", "skipped":
		// no reply, so no fastest: the row shows the first of them
		return g[0], chosen, fmt.Sprintf("%d servers · same %s · first %s", len(g), g[0].Kind, g[0].Name)
	}
	fastest := g[0]
	for _, x := range g {
		if x.RTTms < fastest.RTTms {
			fastest = x
		}
	}
	return fastest, chosen, fmt.Sprintf("%d servers · same %s · fastest %s", len(g), fastest.Kind, fastest.Name)
}

// groups splits servers into runs of identical responses; runs of fewer
// than FoldMin servers are split into one server each.
func groups(servers []Server, all bool) [][]Server {
	var order []string
	bySig := map[string][]Server{}
	for _, s := range servers {
		sig := signature(s)
		if _, ok := bySig[sig]; !ok {
			order = append(order, sig)
		}
		bySig[sig] = append(bySig[sig], s)
	}
	var out [][]Server
	for _, sig := range order {
		g := bySig[sig]
		if all || len(g) < FoldMin {
			for _, s := range g {
				out = append(out, []Server{s})
			}
			continue
		}
		out = append(out, g)
	}
	// The groups are in the order of their first servers (order above):
	// the table keeps the servers' order.
	return out
}

// signature is what two servers must share to fold into one row: the kind,
// the RCODE, the flags and every record (TTLs included), and the transport.
func signature(s Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%t|%t|%s|%s|%s|%d", s.Kind, s.Rcode, s.AA, s.TC, s.Detail, s.Proto, "", len(s.Ignored))
	for _, r := range s.Records {
		fmt.Fprintf(&b, "|%s %d %s %s", r.Name, r.TTL, r.Type, r.Data)
	}
	return b.String()
}

func rtt(ms float64) string {
	if ms == 0 {
		return ""
	}
	if ms < 10 && ms != float64(int64(ms)) {
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}

// serverSummary says in a few words what one server answered.
func serverSummary(s Server, p Painter) string {
	var out string
	switch s.Kind {
	case "referral":
		out = referralSummary(s.Records)
	case "answer":
		out = "answer " + recordData(s.Records, "")
	case "cname":
		out = "CNAME → " + cnameTarget(s.Records)
	case "nxdomain":
		out = "NXDOMAIN: no such name"
	case "nodata":
		out = "NODATA: no " + "records of this type"
	case "lame":
		out = "lame: " + s.Detail
	case "timeout":
		out = "timeout: no reply"
		if n := len(s.Attempts); n > 1 {
			out = fmt.Sprintf("timeout: no reply to %d tries", n)
		}
	default:
		out = s.Kind + ": " + s.Detail
	}
	if s.Kind == "answer" || s.Kind == "cname" || s.Kind == "nxdomain" || s.Kind == "nodata" {
		if s.AA {
			out += " (AA)"
		}
	}
	out = p.Paint(kindColour(s.Kind), out)
	if s.TC {
		out += p.Paint(ANSIDim, " · TC=1, retried over TCP")
	}
	if n := len(s.Ignored); n > 0 {
		out += p.Paint(ANSIYellow, fmt.Sprintf(" · %d out-of-bailiwick record(s) ignored", n))
	}
	return out
}

// stepSummary says what a step taken from the cache knew.
func stepSummary(s Step, p Painter) string {
	var out string
	switch s.Kind {
	case "referral":
		out = fmt.Sprintf("referral → %s (%d NS)", s.Referral.Zone, len(s.Referral.NS))
	case "answer":
		out = "answer " + recordData(s.Answer, "")
	case "cname":
		out = "CNAME → " + s.Target
	case "nxdomain":
		out = "NXDOMAIN: no such name (negative cache)"
	case "nodata":
		out = "NODATA (negative cache)"
	default:
		out = s.Kind
	}
	return p.Paint(ANSICyan, out)
}

func referralSummary(recs []Record) string {
	zone, ns, glue := "", 0, 0
	for _, r := range recs {
		switch r.Type {
		case "NS":
			zone = r.Name
			ns++
		case "A", "AAAA":
			glue++
		}
	}
	g := "no glue"
	if glue > 0 {
		g = fmt.Sprintf("%d glue", glue)
	}
	return fmt.Sprintf("referral → %s (%d NS, %s)", zone, ns, g)
}

// recordData lists the data of the records of type typ (all types when
// typ is empty), at most three.
func recordData(recs []Record, typ string) string {
	var parts []string
	for _, r := range recs {
		if typ != "" && r.Type != typ {
			continue
		}
		data := r.Data
		if serial, ok := soaSerial(r); ok {
			data = "serial " + serial // the rest is in the JSON and the outcome
		} else if short, ok := dnssecData(r); ok {
			data = short
		} else if len(data) > 48 {
			data = data[:45] + "..."
		}
		parts = append(parts, r.Type+" "+data)
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("+%d more", len(parts)-3))
	}
	return strings.Join(parts, ", ")
}

// dnssecData says in a few words what a DNSKEY or DS record is: its role
// and key tag, its algorithm and digest type; the keys and digests
// themselves are in the JSON.
func dnssecData(r Record) (string, bool) {
	f := strings.Fields(r.Data)
	switch {
	case r.Type == "DNSKEY" && len(f) >= 4:
		rr, err := dns.NewRR(r.Name + " 0 IN DNSKEY " + r.Data)
		k, ok := rr.(*dns.DNSKEY)
		if err != nil || !ok {
			return "", false
		}
		role := "ZSK"
		if k.Flags&dns.SEP != 0 {
			role = "KSK"
		}
		return fmt.Sprintf("%s %d (%s)", role, k.KeyTag(), algorithmName(k.Algorithm)), true
	case r.Type == "DS" && len(f) >= 4:
		alg, err1 := strconv.Atoi(f[1])
		dt, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || alg > 255 || alg < 0 {
			return "", false
		}
		digest := map[int]string{1: "SHA-1", 2: "SHA-256", 4: "SHA-384"}[dt]
		if digest == "" {
			digest = "digest type " + f[2]
		}
		return fmt.Sprintf("key %s (%s), %s", f[0], algorithmName(uint8(alg)), digest), true
	}
	return "", false
}

// algorithmName is a DNSSEC algorithm's mnemonic, or its number.
func algorithmName(alg uint8) string {
	if s, ok := dns.AlgorithmToString[alg]; ok {
		return s
	}
	return fmt.Sprintf("algorithm %d", alg)
}

func cnameTarget(recs []Record) string {
	for _, r := range recs {
		if r.Type == "CNAME" {
			return r.Data
		}
	}
	return "?"
}

func writeOutcome(w io.Writer, t *Trace, p Painter) {
	o := t.Outcome
	fmt.Fprintln(w)
	for _, r := range o.Records {
		fmt.Fprintf(w, "  %s\t%d\tIN\t%s\t%s\n", r.Name, r.TTL, r.Type, r.Data)
	}
	var status string
	switch o.Status {
	case "answer":
		status = p.Paint(ANSIGreen, fmt.Sprintf("answer from %s", o.Zone))
	case "nxdomain":
		status = p.Paint(ANSIGreen, fmt.Sprintf("NXDOMAIN: %s does not exist (said %s)", t.Question.Name, o.Zone))
	case "nodata":
		status = p.Paint(ANSIGreen, fmt.Sprintf("NODATA: %s exists but has no %s records (said %s)", t.Question.Name, t.Question.Type, o.Zone))
	default:
		status = p.Paint(ANSIRed, fmt.Sprintf("SERVFAIL (%s): %s", o.Reason, o.Detail))
	}
	fmt.Fprintf(w, "%s %s %s\n", p.Paint(ANSIBold, "Outcome:"), status, p.Paint(ANSIDim, fmt.Sprintf("· %d queries", t.Queries)))
	if d := o.DNSSEC; d != nil {
		fmt.Fprintf(w, "%s %s: %s\n", p.Paint(ANSIBold, "DNSSEC:"), p.Paint(dnssecColour(d.State), dnssecSymbol(d.State)+" "+d.State), d.Reason)
	}
}

func checkSummary(c *Check) string {
	parent := "(the root zone has no parent)"
	if c.Parent != "" {
		parent = fmt.Sprintf("delegated by %s to %s", c.Parent, shortList(namesOf(c.ParentNS)))
	}
	child := ""
	if len(c.ChildNS) > 0 {
		child = fmt.Sprintf("; the zone lists %s", shortList(namesOf(c.ChildNS)))
	}
	return "· " + parent + child
}

// writeFindings writes the findings as a short table: what is wrong, in
// plain words, and the fix.
func writeFindings(w io.Writer, fs []Finding, p Painter) error {
	if len(fs) == 0 {
		fmt.Fprintf(w, "%s %s\n", p.Paint(ANSIBold, "Findings:"), p.Paint(ANSIGreen, "none: every server asked answered as it should"))
		return nil
	}
	fmt.Fprintf(w, "\n%s %s\n", p.Paint(ANSIBold, "Findings:"), findingCounts(fs))
	table := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithColumnWidths(tw.NewMapper[int, int]().Set(4, 52).Set(5, 44)),
	)
	table.Header("", "CODE", "ZONE", "SERVER", "WHAT IS WRONG", "FIX")
	for _, f := range fs {
		sym, col := severitySymbol(f.Severity)
		server := f.Server
		if f.Address != "" {
			server += " " + f.Address
		}
		fix := fixPlace[f.FixAt] + ": " + f.Fix
		if err := table.Append([]string{p.Paint(col, sym), p.Paint(ANSIBold+col, f.Code), f.Zone, server, f.Explanation, fix}); err != nil {
			return err
		}
	}
	return table.Render()
}

var fixPlace = map[string]string{
	FixAtParent: "registrar (parent zone)",
	FixAtChild:  "zone (its servers)",
	FixAtServer: "server",
	FixAtAnchor: "your trust anchor",
}

// writeExplanations writes, step by step, what happened in plain words:
// the steps of r and of the CNAME targets it followed.
func writeExplanations(w io.Writer, t *Trace, r Resolution, p Painter) {
	for _, s := range r.Steps {
		if text := StepExplanation(t, s); text != "" {
			for i, line := range Wrap(text, 96) {
				head := "    "
				if i == 0 {
					head = fmt.Sprintf("%-4s", s.ID)
				}
				fmt.Fprintf(w, "%s%s\n", p.Paint(ANSIBold, head), line)
			}
		}
		for _, c := range s.Children {
			if c.Purpose == "cname" {
				writeExplanations(w, t, c, p)
			}
		}
	}
	fmt.Fprintln(w)
}

// Wrap breaks text into lines of at most width characters, at spaces.
func Wrap(text string, width int) []string { return wrapWords(text, width) }
