package trace

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes t as GitHub-flavoured Markdown to paste into a
// ticket or a chat: a table with one row per server asked (every server,
// never folded), a row per side resolution before its steps, and a row per
// cache hit; then the outcome, the delegation check when there is one, and
// the findings as a second table.
func WriteMarkdown(w io.Writer, t *Trace) error {
	var b strings.Builder
	marks := findingMarks(t.Findings)
	fmt.Fprintf(&b, "### nstrace: `%s` %s\n\n", mdCode(t.Question.Name), mdCell(t.Question.Type))
	fmt.Fprintf(&b, "%s · %d queries", mdCell(networkLabel(t.Network)), t.Queries)
	if t.Tool != "" {
		fmt.Fprintf(&b, " · %s", mdCell(t.Tool))
	}
	b.WriteString("\n\n")
	mdHeader(&b)
	mdResolution(&b, t.Resolution, marks)
	b.WriteString("\n")
	mdOutcome(&b, t)
	if c := t.Check; c != nil {
		fmt.Fprintf(&b, "\n**Delegation check of `%s`** %s\n\n", mdCode(c.Zone), mdCell(strings.TrimPrefix(checkSummary(c), "· ")))
		mdHeader(&b)
		for _, l := range c.Lookups {
			fmt.Fprintf(&b, "| ↳ %s | | | *address of an NS* | `%s` | | = %s |\n", mdCell(strings.TrimSuffix(firstStep(l), ".1")),
				mdCode(l.Question.Name+" "+l.Question.Type), mdCell(outcomeShort(l)))
			mdResolution(&b, l, marks)
		}
		for _, s := range c.Probes {
			fmt.Fprintf(&b, "| %s | %s | | *ask every server:* | `%s` | | %s |\n", mdCell(s.ID), mdCell(s.Zone), mdCode(s.Name+" "+s.Type), mdCell(s.Probe))
			mdStep(&b, s, marks)
		}
	}
	mdFindings(&b, t.Findings)
	_, err := io.WriteString(w, b.String())
	return err
}

func mdHeader(b *strings.Builder) {
	b.WriteString("| Step | Zone | Cache | Server | Address | RTT | Result |\n")
	b.WriteString("|---|---|---|---|---|--:|---|\n")
}

func mdResolution(b *strings.Builder, r Resolution, marks map[string][]Finding) {
	for _, s := range r.Steps {
		mdStep(b, s, marks)
		for j, c := range s.Children {
			fmt.Fprintf(b, "| ↳ %s | | | *%s* | `%s` | | = %s |\n", mdCell(s.ID+childLetter(j)), mdCell(sideWhy(c.Purpose)),
				mdCode(c.Question.Name+" "+c.Question.Type), mdCell(outcomeShort(c)))
			mdResolution(b, c, marks)
		}
	}
}

// mdStep writes the rows of one step: one per server, the chosen one
// marked ▶ and in bold.
func mdStep(b *strings.Builder, s Step, marks map[string][]Finding) {
	cache := s.Cache.State
	if s.Cache.TTL != nil {
		cache = fmt.Sprintf("hit, %ds left", *s.Cache.TTL)
	}
	if s.Cache.State == "hit" {
		fmt.Fprintf(b, "| %s | %s | %s | ▶ *(from the cache)* | | | %s%s |\n", mdCell(s.ID), mdCell(s.Zone), mdCell(cache),
			mdCell(stepSummary(s, false)), mdMarks(marks[s.ID+"|"]))
		mdDNSSEC(b, s, "")
		return
	}
	for i, srv := range s.Servers {
		id, zone, c := mdCell(s.ID), mdCell(s.Zone), mdCell(cache)
		if i > 0 {
			id, zone, c = "", "", ""
		}
		name := mdCell(srv.Name)
		if srv.Chosen && s.Probe == "" {
			name = "▶ **" + name + "**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s%s |\n", id, zone, c, name, mdCell(srv.Address),
			mdCell(rtt(srv.RTTms)), mdCell(serverSummary(srv, false)), mdMarks(marks[s.ID+"|"+srv.Address]))
	}
	id, zone, c := mdCell(s.ID), mdCell(s.Zone), mdCell(cache)
	if len(s.Servers) > 0 {
		id, zone, c = "", "", ""
	}
	failMark, dnssecMark, otherMark := stepMarkRow(s, mdMarks(marks[s.ID+"|"]))
	if s.Failure != "" {
		fmt.Fprintf(b, "| %s | %s | %s | ✗ **%s** | | | %s%s |\n", id, zone, c, mdCell(s.Failure), mdCell(s.Detail), failMark)
		id, zone, c = "", "", ""
	}
	// NS left out are shown even when the step failed: the failure may
	// be that of the few that were looked up.
	switch {
	case len(s.GluelessSkipped) > 0:
		fmt.Fprintf(b, "| %s | %s | %s | *not looked up* | | | %d NS without glue skipped (limit): %s%s |\n", id, zone, c, len(s.GluelessSkipped), mdCell(shortList(s.GluelessSkipped)), otherMark)
	case s.Failure != "":
		// said above, with the step's marks
	case s.NotAsked > 0:
		fmt.Fprintf(b, "| %s | %s | %s | *%d more addresses* | | | not asked: an answer came first%s |\n", id, zone, c, s.NotAsked, otherMark)
	case otherMark != "":
		fmt.Fprintf(b, "| %s | %s | %s | | | | %s |\n", id, zone, c, strings.TrimSpace(otherMark))
	}
	mdDNSSEC(b, s, dnssecMark)
}

// mdDNSSEC writes the row of a step's DNSSEC state (--dnssec), with the
// marks of the step's own findings, if they go there.
func mdDNSSEC(b *strings.Builder, s Step, marks string) {
	d := s.DNSSEC
	if d == nil {
		return
	}
	fmt.Fprintf(b, "| | | | *%s* | | | %s%s |\n", mdCell(dnssecLabel(d, false)), mdCell(dnssecSummary(d, false)), marks)
}

// mdMarks are the finding marks of a row: " ✗ **LAME**".
func mdMarks(fs []Finding) string {
	var out string
	for _, f := range fs {
		sym, _ := severitySymbol(f.Severity)
		out += " " + sym + " **" + mdCell(f.Code) + "**"
	}
	return out
}

func mdOutcome(b *strings.Builder, t *Trace) {
	o := t.Outcome
	var status string
	switch o.Status {
	case "answer":
		status = fmt.Sprintf("✅ answer from `%s`", mdCode(o.Zone))
	case "nxdomain":
		status = fmt.Sprintf("NXDOMAIN: `%s` does not exist (said `%s`)", mdCode(t.Question.Name), mdCode(o.Zone))
	case "nodata":
		status = fmt.Sprintf("NODATA: `%s` exists but has no %s records (said `%s`)", mdCode(t.Question.Name), mdCell(t.Question.Type), mdCode(o.Zone))
	default:
		status = fmt.Sprintf("❌ SERVFAIL (%s): %s", mdCell(o.Reason), mdCell(o.Detail))
	}
	fmt.Fprintf(b, "**Outcome:** %s\n", status)
	if d := o.DNSSEC; d != nil {
		fmt.Fprintf(b, "\n**DNSSEC:** %s %s: %s\n", dnssecSymbol(d.State), d.State, mdCell(d.Reason))
	}
	if len(o.Records) > 0 {
		b.WriteString("\n```\n")
		for _, r := range o.Records {
			fmt.Fprintf(b, "%s\t%d\tIN\t%s\t%s\n", r.Name, r.TTL, r.Type, strings.ReplaceAll(r.Data, "```", "`\u200b``"))
		}
		b.WriteString("```\n")
	}
}

func mdFindings(b *strings.Builder, fs []Finding) {
	if len(fs) == 0 {
		b.WriteString("\n**Findings:** none: every server asked answered as it should\n")
		return
	}
	fmt.Fprintf(b, "\n**Findings:** %s\n\n", findingCounts(fs))
	b.WriteString("| | Code | Zone | Server | Steps | What is wrong | Fix |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, f := range fs {
		sym, _ := severitySymbol(f.Severity)
		server := f.Server
		if f.Address != "" {
			server += " " + f.Address
		}
		steps := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(evidenceSteps(f)), "("), ")")
		fmt.Fprintf(b, "| %s | **%s** | %s | %s | %s | %s | **%s:** %s |\n", sym, mdCell(f.Code), mdCell(f.Zone), mdCell(server), mdCell(steps),
			mdCell(f.Explanation), mdCell(fixPlace[f.FixAt]), mdCell(f.Fix))
	}
}

// mdCell makes s safe inside a Markdown table cell: no line breaks, and
// the characters that end a cell or start markup escaped.
var mdCellEscaper = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "\r", " ", "\n", " ",
	"<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]",
)

func mdCell(s string) string { return mdCellEscaper.Replace(s) }

// mdCode makes s safe inside an inline code span in a table cell: GitHub
// still splits cells at | there, so it is escaped; backticks cannot be.
var mdCodeEscaper = strings.NewReplacer("|", "\\|", "\r", " ", "\n", " ", "`", "'")

func mdCode(s string) string { return mdCodeEscaper.Replace(s) }
