package trace

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// TreeOptions change how WriteTree draws a trace.
type TreeOptions struct {
	Color   bool // ANSI colours (only on a terminal, and never with NO_COLOR)
	Explain bool // before each step, what happens there and why (StepExplanation)
}

// explainWidth is the column at which --explain comments are wrapped.
const explainWidth = 100

// WriteTree writes t as an indented tree, like dig +trace but with every
// server asked at each zone cut: the path taken marked with ▶, identical
// answers of FoldMin or more servers folded into one line, side
// resolutions (NS names without glue, CNAME targets) nested under the step
// that needed them, cache hits marked ◆, and each finding marked on the
// line that shows it; then the outcome, the delegation check when there is
// one, and the findings with their explanation and fix.
func WriteTree(w io.Writer, t *Trace, opts TreeOptions) error {
	tr := &treeRenderer{t: t, opts: opts, tab: &tableRenderer{p: Painter(opts.Color), marks: findingMarks(t.Findings)}}
	p := tr.tab.p
	root := &treeNode{line: fmt.Sprintf("%s %s %s %s", p.Paint(ANSIBold, t.Question.Name), t.Question.Type,
		p.Paint(ANSIDim, "·"), p.Paint(ANSIDim, networkLabel(t.Network)))}
	root.kids = tr.resolution(t.Resolution)
	var b strings.Builder
	root.write(&b, "", "", true)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	writeOutcome(w, t, p)
	if c := t.Check; c != nil {
		head := &treeNode{line: fmt.Sprintf("%s %s %s", p.Paint(ANSIBold, "Delegation check of"), p.Paint(ANSIBold, c.Zone), p.Paint(ANSIDim, checkSummary(c)))}
		for _, l := range c.Lookups {
			n := &treeNode{line: fmt.Sprintf("%s %s %s %s", p.Paint(ANSIDim, "↳ "+strings.TrimSuffix(firstStep(l), ".1")),
				p.Paint(ANSIDim, "address of an NS:"), p.Paint(ANSIBold, l.Question.Name+" "+l.Question.Type), "= "+outcomeShort(l))}
			n.kids = tr.resolution(l)
			head.kids = append(head.kids, n)
		}
		for _, s := range c.Probes {
			n := &treeNode{line: fmt.Sprintf("%s %s %s %s %s", p.Paint(ANSIDim, s.ID), s.Zone, p.Paint(ANSIDim, "ask every server:"),
				p.Paint(ANSIBold, s.Name+" "+s.Type), p.Paint(ANSIDim, s.Probe))}
			n.kids = tr.servers(s)
			head.kids = append(head.kids, n)
		}
		b.Reset()
		b.WriteString("\n")
		head.write(&b, "", "", true)
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return writeFindingList(w, t.Findings, p)
}

// findingMarks indexes the findings by the hop that shows them: "step|address"
// (address empty for a finding about the whole step).
func findingMarks(fs []Finding) map[string][]Finding {
	marks := map[string][]Finding{}
	for _, f := range fs {
		for _, ev := range f.Evidence {
			k := ev.Step + "|" + ev.Address
			if !slices.ContainsFunc(marks[k], func(x Finding) bool { return x.Code == f.Code }) {
				marks[k] = append(marks[k], f)
			}
		}
	}
	return marks
}

type treeRenderer struct {
	t    *Trace
	opts TreeOptions
	tab  *tableRenderer // for its marks and painter
}

// treeNode is one line of the tree, the comment lines printed before it
// (--explain), and the lines nested under it.
type treeNode struct {
	comment string
	line    string
	kids    []*treeNode
}

// write draws n: its line after prefix+branch, its comment above it, its
// children under it with prefix extended.
func (n *treeNode) write(b *strings.Builder, prefix, branch string, last bool) {
	if n.comment != "" {
		// the comment sits between siblings: the vertical line above it continues
		cont := prefix
		if branch != "" {
			cont += "│  "
		}
		width := max(explainWidth-utf8.RuneCountInString(cont)-2, 40)
		for _, l := range wrapWords(n.comment, width) {
			b.WriteString(strings.TrimRight(cont+"# "+l, " ") + "\n")
		}
	}
	b.WriteString(prefix + branch + n.line + "\n")
	if branch != "" {
		if last {
			prefix += "   "
		} else {
			prefix += "│  "
		}
	}
	for i, k := range n.kids {
		br := "├─ "
		if i == len(n.kids)-1 {
			br = "└─ "
		}
		k.write(b, prefix, br, i == len(n.kids)-1)
	}
}

// wrapWords splits s into lines of at most width runes, at spaces (a word
// longer than width gets a line of its own).
func wrapWords(s string, width int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
				line += " " + word
			default:
				lines = append(lines, line)
				line = word
			}
		}
		lines = append(lines, line)
	}
	return lines
}

func (tr *treeRenderer) resolution(r Resolution) []*treeNode {
	var out []*treeNode
	for _, s := range r.Steps {
		out = append(out, tr.step(s))
	}
	return out
}

// step is the line of one zone cut: its id, zone and cache state, with
// its servers and side resolutions under it.
func (tr *treeRenderer) step(s Step) *treeNode {
	p := tr.tab.p
	n := &treeNode{}
	if tr.opts.Explain {
		n.comment = strings.TrimSpace(StepExplanation(tr.t, s))
	}
	what := s.Name + " " + s.Type
	switch s.Cache.State {
	case "hit":
		ttl := ""
		if s.Cache.TTL != nil {
			ttl = fmt.Sprintf(", %ds left", *s.Cache.TTL)
		}
		n.line = fmt.Sprintf("%s %s  %s %s %s%s", p.Paint(ANSIBold, s.ID), p.Paint(ANSIBold, s.Zone), p.Paint(ANSIDim, what),
			p.Paint(ANSICyan, "◆ cache hit"+ttl+":"), stepSummary(s, p), tr.tab.mark(s.ID, ""))
		if d := s.DNSSEC; d != nil {
			n.kids = append(n.kids, &treeNode{line: dnssecLabel(d, p) + ": " + dnssecSummary(d, p)})
		}
		for j, c := range s.Children {
			n.kids = append(n.kids, tr.child(s.ID+childLetter(j), c))
		}
		return n
	case "expired":
		n.line = fmt.Sprintf("%s %s  %s %s", p.Paint(ANSIBold, s.ID), p.Paint(ANSIBold, s.Zone), p.Paint(ANSIDim, what), p.Paint(ANSIYellow, "(cache expired: asked again)"))
	default:
		n.line = fmt.Sprintf("%s %s  %s", p.Paint(ANSIBold, s.ID), p.Paint(ANSIBold, s.Zone), p.Paint(ANSIDim, what))
	}
	n.kids = tr.servers(s)
	for j, c := range s.Children {
		n.kids = append(n.kids, tr.child(s.ID+childLetter(j), c))
	}
	if d := s.DNSSEC; d != nil {
		_, mark, _ := stepMarkRow(s, tr.tab.mark(s.ID, ""))
		n.kids = append(n.kids, &treeNode{line: dnssecLabel(d, p) + ": " + dnssecSummary(d, p) + mark})
	}
	return n
}

// servers are the lines of the servers of a step (folded like the table),
// then why it failed or what was left out.
func (tr *treeRenderer) servers(s Step) []*treeNode {
	p := tr.tab.p
	type row struct{ mark, name, addr, proto, rtt, result string }
	var rows []row
	for _, g := range groups(s.Servers, false) {
		srv, chosen, name := shown(g)
		mark := " "
		if chosen && s.Probe == "" {
			mark = "▶"
		}
		rows = append(rows, row{mark, name, srv.Address, srv.Proto, rtt(srv.RTTms), serverSummary(srv, p) + tr.tab.mark(s.ID, srv.Address)})
	}
	// align the columns within the step (on the plain text, before colour)
	var wn, wa, wp, wr int
	for _, r := range rows {
		wn = max(wn, utf8.RuneCountInString(r.name))
		wa = max(wa, len(r.addr))
		wp = max(wp, len(r.proto))
		wr = max(wr, len(r.rtt))
	}
	var out []*treeNode
	for _, r := range rows {
		mark := r.mark
		if mark == "▶" {
			mark = p.Paint(ANSIGreen, mark)
		}
		line := fmt.Sprintf("%s %s  %-*s  %-*s  %*s  %s", mark, pad(r.name, wn), wa, r.addr, wp, r.proto, wr, r.rtt, r.result)
		out = append(out, &treeNode{line: line})
	}
	failMark, _, otherMark := stepMarkRow(s, tr.tab.mark(s.ID, "")) // the DNSSEC line is the caller's
	if s.Failure != "" {
		out = append(out, &treeNode{line: p.Paint(ANSIRed, "✗ "+s.Failure+": "+s.Detail) + failMark})
	}
	// NS left out are shown even when the step failed: the failure may
	// be that of the few that were looked up.
	switch {
	case len(s.GluelessSkipped) > 0:
		out = append(out, &treeNode{line: p.Paint(ANSIYellow, fmt.Sprintf("not looked up: %d NS without glue skipped (limit): %s", len(s.GluelessSkipped), shortList(s.GluelessSkipped))) + otherMark})
	case s.Failure != "":
		// said above, with the step's marks
	case s.NotAsked > 0:
		out = append(out, &treeNode{line: p.Paint(ANSIDim, fmt.Sprintf("%d more addresses not asked: an answer came first", s.NotAsked)) + otherMark})
	case otherMark != "":
		out = append(out, &treeNode{line: strings.TrimSpace(otherMark)})
	}
	return out
}

// pad pads s with spaces to n runes.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// child is the line of a side resolution, with its steps under it.
func (tr *treeRenderer) child(id string, c Resolution) *treeNode {
	p := tr.tab.p
	n := &treeNode{line: fmt.Sprintf("%s %s %s %s", p.Paint(ANSIDim, "↳ "+id), p.Paint(ANSIDim, sideWhy(c.Purpose)+":"),
		p.Paint(ANSIBold, c.Question.Name+" "+c.Question.Type), "= "+outcomeShort(c))}
	n.kids = tr.resolution(c)
	return n
}

// sideWhy says why a side resolution was made.
func sideWhy(purpose string) string {
	switch purpose {
	case "glueless":
		return "NS without glue: look up its address"
	case "cname":
		return "follow the CNAME"
	case "dnssec":
		return "DNSSEC: fetch for the chain of trust"
	}
	return "side lookup"
}

// writeFindingList writes the findings as a list: code, zone, server, the
// steps that show it, then what is wrong and the fix, wrapped.
func writeFindingList(w io.Writer, fs []Finding, p Painter) error {
	var b strings.Builder
	if len(fs) == 0 {
		fmt.Fprintf(&b, "%s %s\n", p.Paint(ANSIBold, "Findings:"), p.Paint(ANSIGreen, "none: every server asked answered as it should"))
	} else {
		fmt.Fprintf(&b, "\n%s %s\n", p.Paint(ANSIBold, "Findings:"), findingCounts(fs))
		for _, f := range fs {
			sym, col := severitySymbol(f.Severity)
			fmt.Fprintf(&b, "\n  %s %s  %s%s\n", p.Paint(col, sym), p.Paint(ANSIBold+col, f.Code), findingWhere(f, "  "), p.Paint(ANSIDim, evidenceSteps(f)))
			for _, l := range wrapWords(f.Explanation, explainWidth-6) {
				fmt.Fprintf(&b, "      %s\n", l)
			}
			for i, l := range wrapWords("Fix — "+fixPlace[f.FixAt]+": "+f.Fix, explainWidth-6) {
				if i == 0 {
					l = p.Paint(ANSIBold, "Fix") + strings.TrimPrefix(l, "Fix")
				}
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// findingCounts says how many findings of each severity fs holds:
// "2 errors, 1 warnings, 0 notes".
func findingCounts(fs []Finding) string {
	var errs, warns, notes int
	for _, f := range fs {
		switch f.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warns++
		case SeverityInfo:
			notes++
		}
	}
	return fmt.Sprintf("%d errors, %d warnings, %d notes", errs, warns, notes)
}

// findingWhere is a finding's zone, then sep and its server and the
// server's address, when it has them.
func findingWhere(f Finding, sep string) string {
	where := f.Zone
	if f.Server != "" {
		where += sep + f.Server
	}
	if f.Address != "" {
		where += " " + f.Address
	}
	return where
}

// severitySymbol is the mark and colour of a severity.
func severitySymbol(sev string) (string, string) {
	switch sev {
	case SeverityError:
		return "✗", ANSIRed
	case SeverityWarning:
		return "⚠", ANSIYellow
	}
	return "ℹ", ANSICyan
}

// evidenceSteps says at which steps a finding shows: "  (step 3)".
func evidenceSteps(f Finding) string {
	var ids []string
	for _, ev := range f.Evidence {
		if ev.Step != "" && !slices.Contains(ids, ev.Step) {
			ids = append(ids, ev.Step)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	s := "step"
	if len(ids) > 1 {
		s = "steps"
	}
	out := "  (" + s + " " + strings.Join(ids, ", ")
	if f.EvidenceOmitted > 0 {
		out += fmt.Sprintf(" and %d more", f.EvidenceOmitted)
	}
	return out + ")"
}
