package trace

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableOptions change how WriteTable draws a trace.
type TableOptions struct {
	Color   bool // ANSI colours (only on a terminal, and never with NO_COLOR)
	AllRows bool // one row per server, even where many servers said the same
}

// FoldMin is the smallest number of servers of one step whose identical
// responses are folded into one row (unless TableOptions.AllRows).
const FoldMin = 3

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

// kindColour is the colour of a response kind.
func kindColour(kind string) string {
	switch kind {
	case "answer", "cname", "nxdomain", "nodata":
		return ansiGreen
	case "referral":
		return ""
	case "skipped", "truncated":
		return ansiDim
	case "timeout":
		return ansiYellow
	}
	return ansiRed
}

// WriteTable writes t as a table: one row per server asked, grouped by
// step, the path taken marked with ▶, cache hits in the CACHE column, then
// the outcome.
func WriteTable(w io.Writer, t *Trace, opts TableOptions) error {
	p := painter(opts.Color)
	fmt.Fprintf(w, "%s %s %s %s\n", p.paint(ansiBold, t.Question.Name), t.Question.Type,
		p.paint(ansiDim, "·"), p.paint(ansiDim, networkLabel(t.Network)))
	table := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithTrimSpace(tw.Off),
	)
	table.Header("STEP", "ZONE", "CACHE", "SERVER", "ADDRESS", "PROTO", "RTT", "RESULT")
	rows := tableRows(t.Resolution, opts, p)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	writeOutcome(w, t, p)
	return nil
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

func tableRows(r Resolution, opts TableOptions, p painter) [][]string {
	var rows [][]string
	for _, s := range r.Steps {
		rows = append(rows, stepRows(s, opts, p)...)
		for j, c := range s.Children {
			rows = append(rows, childRow(s.ID+childLetter(j), c, p))
			rows = append(rows, tableRows(c, opts, p)...)
		}
	}
	return rows
}

func childRow(id string, c Resolution, p painter) []string {
	why := "side lookup"
	switch c.Purpose {
	case "glueless":
		why = "NS without glue: look up its address"
	case "cname":
		why = "follow the CNAME"
	}
	res := c.Outcome.Status
	if c.Outcome.Status == "answer" {
		res = recordData(c.Outcome.Records, c.Question.Type)
	}
	return []string{p.paint(ansiDim, "↳ "+id), "", "", p.paint(ansiDim, why), p.paint(ansiBold, c.Question.Name+" "+c.Question.Type), "", "", "= " + res}
}

func stepRows(s Step, opts TableOptions, p painter) [][]string {
	cache := s.Cache.State
	if s.Cache.TTL != nil {
		cache = fmt.Sprintf("hit %ds left", *s.Cache.TTL)
	}
	switch s.Cache.State {
	case "hit":
		cache = p.paint(ansiCyan, cache)
	case "expired":
		cache = p.paint(ansiYellow, cache)
	}
	head := []string{s.ID, s.Zone, cache}
	if s.Cache.State == "hit" {
		return [][]string{append(head, p.paint(ansiCyan, "▶ (from the cache)"), "", "", "", stepSummary(s, p))}
	}
	var rows [][]string
	for _, g := range groups(s.Servers, opts.AllRows) {
		srv := g[0]
		for _, x := range g {
			if x.Chosen {
				srv = x
			}
		}
		mark := "  "
		if srv.Chosen {
			mark = p.paint(ansiGreen, "▶ ")
		}
		name, addr := srv.Name, srv.Address
		if len(g) > 1 {
			fastest := g[0]
			for _, x := range g {
				if x.RTTms < fastest.RTTms {
					fastest = x
				}
			}
			srv = fastest
			name = fmt.Sprintf("%d servers · same %s · fastest %s", len(g), srv.Kind, srv.Name)
			addr = srv.Address
		}
		rows = append(rows, append(head, mark+name, addr, srv.Proto, rtt(srv.RTTms), serverSummary(srv, p)))
		head = []string{"", "", ""}
	}
	if s.Failure != "" {
		rows = append(rows, append(head, p.paint(ansiRed, "✗ "+s.Failure), "", "", "", p.paint(ansiRed, s.Detail)))
	} else if len(s.GluelessSkipped) > 0 {
		rows = append(rows, append(head, p.paint(ansiYellow, "not looked up"), "", "", "", fmt.Sprintf("%d NS without glue skipped (limit)", len(s.GluelessSkipped))))
	}
	return rows
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
	// keep the table in server order: sort groups by their first server's position
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
func serverSummary(s Server, p painter) string {
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
	out = p.paint(kindColour(s.Kind), out)
	if s.TC {
		out += p.paint(ansiDim, " · TC=1, retried over TCP")
	}
	if n := len(s.Ignored); n > 0 {
		out += p.paint(ansiYellow, fmt.Sprintf(" · %d out-of-bailiwick record(s) ignored", n))
	}
	return out
}

// stepSummary says what a step taken from the cache knew.
func stepSummary(s Step, p painter) string {
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
	return p.paint(ansiCyan, out)
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
		parts = append(parts, r.Type+" "+r.Data)
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("+%d more", len(parts)-3))
	}
	return strings.Join(parts, ", ")
}

func cnameTarget(recs []Record) string {
	for _, r := range recs {
		if r.Type == "CNAME" {
			return r.Data
		}
	}
	return "?"
}

func writeOutcome(w io.Writer, t *Trace, p painter) {
	o := t.Outcome
	fmt.Fprintln(w)
	for _, r := range o.Records {
		fmt.Fprintf(w, "  %s\t%d\tIN\t%s\t%s\n", r.Name, r.TTL, r.Type, r.Data)
	}
	var status string
	switch o.Status {
	case "answer":
		status = p.paint(ansiGreen, fmt.Sprintf("answer from %s", o.Zone))
	case "nxdomain":
		status = p.paint(ansiGreen, fmt.Sprintf("NXDOMAIN: %s does not exist (said %s)", t.Question.Name, o.Zone))
	case "nodata":
		status = p.paint(ansiGreen, fmt.Sprintf("NODATA: %s exists but has no %s records (said %s)", t.Question.Name, t.Question.Type, o.Zone))
	default:
		status = p.paint(ansiRed, fmt.Sprintf("SERVFAIL (%s): %s", o.Reason, o.Detail))
	}
	fmt.Fprintf(w, "%s %s %s\n", p.paint(ansiBold, "Outcome:"), status, p.paint(ansiDim, fmt.Sprintf("· %d queries", t.Queries)))
}
