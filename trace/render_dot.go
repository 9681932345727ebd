package trace

import (
	"fmt"
	"io"
	"strings"
)

// WriteDOT writes t as a Graphviz digraph (dot -Tsvg): one cluster per
// step, labelled with its id and zone; one node per server asked (name,
// address, result), filled by how it answered; a dashed node for a step
// answered from the cache and a red one for a step where every server
// failed; bold edges for the path taken, from the step's chosen server (or
// cache or failure node) to the next step's; and dashed edges to each side
// resolution, a node of its own followed by its steps. The delegation
// check of nstrace check is not drawn.
func WriteDOT(w io.Writer, t *Trace) error {
	d := &dotWriter{marks: findingMarks(t.Findings)}
	fmt.Fprintf(&d.b, "digraph nstrace {\n")
	fmt.Fprintf(&d.b, "  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, fontsize=18, newrank=true, label=%s];\n",
		dotQuote(fmt.Sprintf("%s %s · %s · %s", t.Question.Name, t.Question.Type, networkLabel(t.Network), outcomeLine(t))))
	d.b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, fillcolor=\"#ffffff\", color=\"#6e7781\"];\n")
	d.b.WriteString("  edge [color=\"#1a7f37\", penwidth=2.5];\n")
	d.resolution(t.Resolution, "  ")
	d.b.WriteString("}\n")
	_, err := io.WriteString(w, d.b.String())
	return err
}

type dotWriter struct {
	b     strings.Builder
	marks map[string][]Finding
}

// dotColours are the fill and border of a response kind.
var dotColours = map[string][2]string{
	"answer":      {"#dafbe1", "#1a7f37"},
	"cname":       {"#dafbe1", "#1a7f37"},
	"nxdomain":    {"#ddf4ff", "#0969da"},
	"nodata":      {"#ddf4ff", "#0969da"},
	"referral":    {"#eef1f5", "#6e7781"},
	"lame":        {"#ffcecb", "#cf222e"},
	"timeout":     {"#fff1c5", "#bf8700"},
	"unreachable": {"#f0d7ff", "#8250df"},
	"skipped":     {"#f6f8fa", "#8c959f"},
	"truncated":   {"#f6f8fa", "#8c959f"},
}

func dotColour(kind string) [2]string {
	if c, ok := dotColours[kind]; ok {
		return c
	}
	return [2]string{"#ffd8b5", "#bc4c00"} // error, bad responses and anything new
}

// resolution writes the clusters of r's steps and the edges between them,
// and returns the node id of its first step's anchor.
func (d *dotWriter) resolution(r Resolution, ind string) string {
	var first, prev string
	for _, s := range r.Steps {
		anchor := d.step(s, ind)
		if prev != "" {
			fmt.Fprintf(&d.b, "%s%s -> %s;\n", ind, prev, anchor)
		}
		if first == "" {
			first = anchor
		}
		prev = anchor
		for j, c := range s.Children {
			id := s.ID + childLetter(j)
			side := dotQuote("side " + id)
			fmt.Fprintf(&d.b, "%s%s [shape=note, style=filled, fillcolor=\"#f6f8fa\", label=%s];\n", ind, side,
				dotQuote(fmt.Sprintf("↳ %s %s\n%s %s\n= %s", id, sideWhy(c.Purpose), c.Question.Name, c.Question.Type, outcomeShort(c))))
			fmt.Fprintf(&d.b, "%s%s -> %s [style=dashed, color=\"#8c959f\", penwidth=1.5];\n", ind, anchor, side)
			if a := d.resolution(c, ind); a != "" {
				fmt.Fprintf(&d.b, "%s%s -> %s [style=dashed, color=\"#8c959f\", penwidth=1.5];\n", ind, side, a)
			}
		}
	}
	return first
}

// step writes the cluster of one step and returns its anchor: the chosen
// server, the cache node, the failure node, or the first server.
func (d *dotWriter) step(s Step, ind string) string {
	cache := s.Cache.State
	if s.Cache.TTL != nil {
		cache = fmt.Sprintf("cache hit, %ds left", *s.Cache.TTL)
	}
	fmt.Fprintf(&d.b, "%ssubgraph %s {\n", ind, dotQuote("cluster "+s.ID))
	in := ind + "  "
	label, border := fmt.Sprintf("step %s · %s · %s", s.ID, s.Zone, cache), "#d0d7de"
	if sec := s.DNSSEC; sec != nil {
		mark, breaks := dnssecMark(sec)
		label += " · " + mark
		if breaks {
			border = "#cf222e"
		}
	}
	fmt.Fprintf(&d.b, "%slabel=%s; labeljust=l; style=\"rounded\"; color=%s; fontsize=13;\n", in, dotQuote(label), dotQuote(border))
	anchor := ""
	var ids []string
	if s.Cache.State == "hit" {
		anchor = dotQuote(s.ID + " cache")
		fmt.Fprintf(&d.b, "%s%s [style=\"rounded,dashed\", label=%s];\n", in, anchor, dotQuote("◆ from the cache\n"+stepSummary(s, false)))
	}
	for i, srv := range s.Servers {
		id := dotQuote(fmt.Sprintf("%s %d %s", s.ID, i, srv.Address))
		c := dotColour(srv.Kind)
		label := srv.Name + "\n" + srv.Address
		if r := rtt(srv.RTTms); r != "" {
			label += " · " + r
		}
		label += "\n" + boxResult(srv)
		for _, f := range d.marks[s.ID+"|"+srv.Address] {
			sym, _ := severitySymbol(f.Severity)
			label += "\n" + sym + " " + f.Code
		}
		width := "1"
		if srv.Chosen && s.Probe == "" {
			label = "▶ " + label
			width = "3"
			anchor = id
		}
		fmt.Fprintf(&d.b, "%s%s [label=%s, fillcolor=%s, color=%s, penwidth=%s];\n", in, id, dotQuote(label), dotQuote(c[0]), dotQuote(c[1]), width)
		ids = append(ids, id)
	}
	if s.Failure != "" {
		id := dotQuote(s.ID + " failure")
		fmt.Fprintf(&d.b, "%s%s [shape=octagon, style=filled, fillcolor=\"#ffebe9\", color=\"#cf222e\", label=%s];\n", in, id, dotQuote("✗ "+s.Failure+"\n"+s.Detail))
		ids = append(ids, id)
		if anchor == "" {
			anchor = id
		}
	}
	if len(ids) > 1 { // the servers of a step side by side
		fmt.Fprintf(&d.b, "%s{ rank=same; %s; }\n", in, strings.Join(ids, "; "))
	}
	if anchor == "" {
		if len(s.Servers) > 0 {
			anchor = dotQuote(fmt.Sprintf("%s %d %s", s.ID, 0, s.Servers[0].Address))
		} else {
			anchor = dotQuote(s.ID + " empty")
			fmt.Fprintf(&d.b, "%s%s [style=dotted, label=%s];\n", in, anchor, dotQuote(s.Kind))
		}
	}
	fmt.Fprintf(&d.b, "%s}\n", ind)
	return anchor
}

// outcomeLine is the outcome in a few words.
func outcomeLine(t *Trace) string {
	switch o := t.Outcome; o.Status {
	case "answer":
		return "answer from " + o.Zone
	case "nxdomain", "nodata":
		return strings.ToUpper(o.Status) + " from " + o.Zone
	default:
		return "SERVFAIL (" + o.Reason + ")"
	}
}

// dotQuote makes s a DOT quoted string: quotes and backslashes escaped,
// line breaks as \n (centred lines).
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
