package trace

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"
)

//go:embed html/trace.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("trace").Parse(htmlTemplateText))

// WriteHTML writes t as one self-contained HTML page (inline style and
// SVG; nothing is loaded from anywhere): a picture of the delegation chain,
// then every step with its servers and records (expandable), the outcome,
// and the findings with their explanation and fix.
//
// The picture has one row per step, from the root down; side resolutions
// (NS names without glue, CNAME targets) are rows indented under the step
// that needed them, smaller. Each server asked is one box, the chosen one
// first in its row. The markup is stable, for tests and for styling:
//
//   - every server asked: <g class="server kind-KIND [chosen] [side]"
//     data-step="ID" data-address="ADDR">, exactly one per server of every
//     step of every resolution; KIND is Server.Kind (answer, referral, lame,
//     timeout, unreachable, error...);
//   - a step answered from the cache: <g class="cache-hit kind-KIND"
//     data-step="ID">; a step where every server failed: <g class="failure">;
//   - the path: <path class="path-arrow"> from the step's anchor (its chosen
//     server, its cache box, or its failure box) to the next step's, one per
//     pair of consecutive steps of a resolution; those of side resolutions
//     have the class side too, so the main path has len(t.Steps)-1 arrows;
//   - <path class="branch"> from a step to each of its side resolutions;
//   - findings: <section class="finding severity-SEV" data-code="CODE">;
//   - with --dnssec, a step's label has <text class="step-dnssec
//     dnssec-STATE"> (secure, insecure, bogus, indeterminate), and the
//     label of the step where the chain of trust breaks has the class
//     chain-break; the outcome has <div class="dnssec dnssec-STATE">.
func WriteHTML(w io.Writer, t *Trace) error {
	return htmlTemplate.Execute(w, newHTMLView(t))
}

// Picture geometry, in SVG user units (pixels at 100%).
const (
	svgMargin   = 16
	svgLabelW   = 250 // the left column: step id, zone, cache state
	svgBoxW     = 300
	svgBoxH     = 84
	svgSideBoxW = 250
	svgSideBoxH = 70
	svgGapX     = 18
	svgGapY     = 30 // between rows: room for the arrows' elbows
	svgIndent   = 60 // per level of side resolution
	svgPerLine  = 5  // boxes per line before a row wraps
	svgTitleH   = 30 // the title line of a side resolution
)

type htmlView struct {
	Trace    *Trace
	Network  string
	Outcome  htmlOutcome
	SVG      svgView
	Legend   []string
	DNSSEC   bool // the trace was validated: the legend explains the states
	Steps    []htmlStep
	Findings []htmlFinding
	Counts   string
	Check    *htmlCheck
}

type htmlOutcome struct {
	Class, Text string
	Records     []Record
	// DNSSEC is the outcome's security state in words (--dnssec), and
	// DNSSECState the state as a class name.
	DNSSEC, DNSSECState string
}

type htmlStep struct {
	ID, Zone, Question, Cache, Summary, Explain string
	Class                                       string // cache-hit, failed
	Servers                                     []htmlServer
	Records                                     []Record
	Notes                                       []string
	Children                                    []htmlChild
}

type htmlServer struct {
	Name, Address, Proto, RTT, Rcode, Flags, Kind, Result, Tries string
	Chosen                                                       bool
	Marks                                                        []htmlMark
}

type htmlMark struct{ Severity, Code, Symbol string }

type htmlChild struct {
	ID, Why, Question, Result string
	Steps                     []htmlStep
}

type htmlFinding struct {
	Finding
	Symbol, Where, FixAt string
}

type htmlCheck struct {
	Zone, Summary string
	Lookups       []htmlChild
	Probes        []htmlStep
}

type svgView struct {
	Width, Height int
	Labels        []svgLabel
	Titles        []svgText
	Boxes         []svgBox
	Arrows        []svgArrow
}

type svgLabel struct {
	X, Y  int
	Class string
	Lines []svgText
}

type svgText struct {
	X, Y        int
	Class, Text string
}

type svgBox struct {
	X, Y, W, H int
	Class      string
	Step       string
	Address    string // servers only
	Title      string // the tooltip: everything about the box
	Lines      []svgText
}

type svgArrow struct {
	Class, D string
}

func newHTMLView(t *Trace) *htmlView {
	v := &htmlView{Trace: t, Network: networkLabel(t.Network)}
	marks := findingMarks(t.Findings)
	o := t.Outcome
	switch o.Status {
	case "answer":
		v.Outcome = htmlOutcome{Class: "ok", Text: fmt.Sprintf("Answer from %s", o.Zone), Records: o.Records}
	case "nxdomain":
		v.Outcome = htmlOutcome{Class: "ok", Text: fmt.Sprintf("NXDOMAIN: %s does not exist (said %s)", t.Question.Name, o.Zone), Records: o.Records}
	case "nodata":
		v.Outcome = htmlOutcome{Class: "ok", Text: fmt.Sprintf("NODATA: %s exists but has no %s records (said %s)", t.Question.Name, t.Question.Type, o.Zone), Records: o.Records}
	default:
		v.Outcome = htmlOutcome{Class: "fail", Text: fmt.Sprintf("SERVFAIL (%s): %s", o.Reason, o.Detail), Records: o.Records}
	}
	if d := o.DNSSEC; d != nil {
		v.Outcome.DNSSEC = fmt.Sprintf("DNSSEC %s %s: %s", dnssecSymbol(d.State), d.State, d.Reason)
		v.Outcome.DNSSECState = kindClass(d.State)
	}
	lay := &svgLayout{marks: marks, y: svgMargin}
	lay.resolution(t.Resolution, 0, true)
	lay.view.Width = lay.maxX + svgMargin
	lay.view.Height = lay.y - svgGapY + svgMargin
	v.SVG = lay.view
	v.Legend = []string{"answer", "referral", "cname", "nxdomain", "nodata", "lame", "timeout", "unreachable", "error"}
	v.DNSSEC = o.DNSSEC != nil
	hv := &htmlSteps{t: t, marks: marks}
	v.Steps = hv.resolution(t.Resolution)
	for _, f := range t.Findings {
		sym, _ := severitySymbol(f.Severity)
		v.Findings = append(v.Findings, htmlFinding{Finding: f, Symbol: sym, Where: findingWhere(f, " · "), FixAt: fixPlace[f.FixAt]})
	}
	v.Counts = findingCounts(t.Findings)
	if c := t.Check; c != nil {
		hc := &htmlCheck{Zone: c.Zone, Summary: strings.TrimPrefix(checkSummary(c), "· ")}
		for _, l := range c.Lookups {
			hc.Lookups = append(hc.Lookups, htmlChild{ID: strings.TrimSuffix(firstStep(l), ".1"), Why: "address of an NS",
				Question: l.Question.Name + " " + l.Question.Type, Result: outcomeShort(l), Steps: hv.resolution(l)})
		}
		for _, s := range c.Probes {
			hs := hv.step(s)
			hs.Summary = "ask every server: " + s.Name + " " + s.Type + " · " + s.Probe
			hc.Probes = append(hc.Probes, hs)
		}
		v.Check = hc
	}
	return v
}

// svgLayout places the rows of the picture, top to bottom.
type svgLayout struct {
	marks map[string][]Finding
	view  svgView
	y     int // the top of the next row
	maxX  int
}

// resolution lays out the steps of r at the given depth of side
// resolution, and returns the anchor of its first step (nil if none).
func (l *svgLayout) resolution(r Resolution, depth int, main bool) *svgBox {
	var first, prev *svgBox
	for _, s := range r.Steps {
		anchor, bottom := l.step(s, depth)
		if prev != nil {
			cls := "path-arrow"
			if !main {
				cls += " side"
			}
			// out of the left edge of the previous anchor, down along a
			// spine left of the boxes, into the left edge of this one
			sx := prev.X - 16
			l.view.Arrows = append(l.view.Arrows, svgArrow{cls, fmt.Sprintf("M%d %d H%d V%d H%d",
				prev.X, prev.Y+prev.H/2, sx, anchor.Y+anchor.H/2, anchor.X-3)})
		}
		if first == nil {
			first = anchor
		}
		prev = anchor
		for j, c := range s.Children {
			id := s.ID + childLetter(j)
			x := svgMargin + svgLabelW + (depth+1)*svgIndent
			l.view.Titles = append(l.view.Titles, svgText{x, l.y + 20, "side-title",
				fmt.Sprintf("↳ %s · %s: %s = %s", id, sideWhy(c.Purpose), c.Question.Name+" "+c.Question.Type, truncate(outcomeShort(c), 60))})
			l.y += svgTitleH
			if a := l.resolution(c, depth+1, false); a != nil {
				bx := anchor.X + 22
				l.view.Arrows = append(l.view.Arrows, svgArrow{"branch", fmt.Sprintf("M%d %d V%d H%d",
					bx, bottom, a.Y+a.H/2, a.X-3)})
			}
		}
	}
	return first
}

// step lays out one row: the label, then a box per server (the chosen one
// first), or the cache box, and the failure box. It returns the row's
// anchor and the bottom of its first column.
func (l *svgLayout) step(s Step, depth int) (*svgBox, int) {
	side := depth > 0
	bw, bh, fs := svgBoxW, svgBoxH, ""
	if side {
		bw, bh, fs = svgSideBoxW, svgSideBoxH, " side"
	}
	x0 := svgMargin + svgLabelW + depth*svgIndent
	label := svgLabel{X: svgMargin + depth*14, Y: l.y, Class: "step-label" + fs}
	cache := s.Cache.State
	if s.Cache.TTL != nil {
		cache = fmt.Sprintf("cache hit, %ds left", *s.Cache.TTL)
	} else if cache == "expired" {
		cache = "cache expired: asked"
	} else if cache == "miss" {
		cache = "asked"
	}
	label.Lines = []svgText{
		{0, 0, "step-id", "step " + s.ID},
		{0, 0, "step-zone", truncate(s.Zone, 26-depth)},
		{0, 0, "step-cache", cache},
	}
	if d := s.DNSSEC; d != nil {
		text, breaks := dnssecMark(d)
		if breaks {
			label.Class += " chain-break"
		}
		label.Lines = append(label.Lines, svgText{0, 0, "step-dnssec dnssec-" + kindClass(d.State), truncate(text, 30-depth)})
	}
	var boxes []svgBox
	if s.Cache.State == "hit" {
		boxes = append(boxes, svgBox{Class: "cache-hit kind-" + kindClass(s.Kind) + fs, Step: s.ID,
			Title: fmt.Sprintf("step %s: %s from the cache (%s)", s.ID, s.Zone, stepSummary(s, false)),
			Lines: []svgText{{Class: "name", Text: "◆ from the cache"}, {Class: "addr", Text: strings.TrimPrefix(cache, "cache ")}, {Class: "result", Text: stepSummary(s, false)}}})
	}
	var chosen, others []Server
	for _, srv := range s.Servers {
		if srv.Chosen {
			chosen = append(chosen, srv)
		} else {
			others = append(others, srv)
		}
	}
	for _, srv := range append(chosen, others...) {
		cls := "server kind-" + kindClass(srv.Kind)
		name := srv.Name
		if srv.Chosen {
			cls += " chosen"
			name = "▶ " + name
		}
		result := boxResult(srv)
		var mk []string
		for _, f := range l.marks[s.ID+"|"+srv.Address] {
			sym, _ := severitySymbol(f.Severity)
			mk = append(mk, sym+" "+f.Code)
		}
		if len(mk) > 0 {
			cls += " has-finding"
			result = strings.Join(mk, " ") + " · " + result
		}
		addr := srv.Address
		if r := rtt(srv.RTTms); r != "" {
			addr += " · " + r
		}
		boxes = append(boxes, svgBox{Class: cls + fs, Step: s.ID, Address: srv.Address,
			Title: fmt.Sprintf("step %s: %s %s (%s, %s): %s", s.ID, srv.Name, srv.Address, srv.Proto, rtt(srv.RTTms), serverSummary(srv, false)),
			Lines: []svgText{{Class: "name", Text: name}, {Class: "addr", Text: addr}, {Class: "result", Text: result}}})
	}
	if s.Failure != "" {
		boxes = append(boxes, svgBox{Class: "failure" + fs, Step: s.ID, Title: s.Failure + ": " + s.Detail,
			Lines: []svgText{{Class: "name", Text: "✗ " + s.Failure}, {Class: "result", Text: s.Detail}}})
	}
	if len(boxes) == 0 { // nothing asked and nothing cached: keep the row
		boxes = append(boxes, svgBox{Class: "empty" + fs, Step: s.ID, Title: s.Kind,
			Lines: []svgText{{Class: "name", Text: s.Kind}}})
	}
	// the anchor (the chosen server, else the failure, else the cache box
	// or the first server) comes first: the arrows reach it from the left
	// without crossing the other boxes
	ai := 0
	for i, b := range boxes {
		if strings.Contains(" "+b.Class+" ", " chosen ") {
			ai = i
			break
		}
		if strings.HasPrefix(b.Class, "failure") {
			ai = i
		}
	}
	boxes = append(append([]svgBox{boxes[ai]}, boxes[:ai]...), boxes[ai+1:]...)
	lines := (len(boxes) + svgPerLine - 1) / svgPerLine
	rowH := lines*bh + (lines-1)*12
	chars := (bw - 20) / 10 // about 10 units per character of the name's bold 17px
	if side {
		chars = (bw - 16) / 9
	}
	for i := range boxes {
		b := &boxes[i]
		b.X = x0 + (i%svgPerLine)*(bw+svgGapX)
		b.Y = l.y + (i/svgPerLine)*(bh+12)
		b.W, b.H = bw, bh
		for j := range b.Lines {
			b.Lines[j].X = 10
			b.Lines[j].Y = bh*(2*j+1)/6 + 6
			b.Lines[j].Text = truncate(b.Lines[j].Text, chars)
		}
		l.maxX = max(l.maxX, b.X+b.W)
	}
	l.view.Boxes = append(l.view.Boxes, boxes...)
	anchor := &boxes[0]
	a := *anchor
	for i := range label.Lines {
		label.Lines[i].Y = 22 + i*22
	}
	l.view.Labels = append(l.view.Labels, label)
	bottom := l.y + rowH
	l.y += rowH + svgGapY
	return &a, bottom
}

// boxResult says in a few words what a server answered, for its box.
func boxResult(s Server) string {
	switch s.Kind {
	case "referral":
		zone := ""
		for _, r := range s.Records {
			if r.Type == "NS" {
				zone = r.Name
				break
			}
		}
		return "referral → " + zone
	case "answer", "nxdomain", "nodata", "cname":
		out := serverSummary(s, false)
		if s.AA {
			out = strings.TrimSuffix(out, " (AA)")
		}
		return out
	case "timeout":
		return "timeout: no reply"
	}
	if s.Detail != "" {
		return s.Kind + ": " + s.Detail
	}
	return s.Kind
}

// kindClass makes a response kind safe as a class name.
func kindClass(kind string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(kind) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// truncate shortens s to n runes, with an ellipsis.
func truncate(s string, n int) string {
	if n < 2 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// htmlSteps builds the step list under the picture.
type htmlSteps struct {
	t     *Trace
	marks map[string][]Finding
}

func (h *htmlSteps) resolution(r Resolution) []htmlStep {
	var out []htmlStep
	for _, s := range r.Steps {
		out = append(out, h.step(s))
	}
	return out
}

func (h *htmlSteps) step(s Step) htmlStep {
	hs := htmlStep{ID: s.ID, Zone: s.Zone, Question: s.Name + " " + s.Type, Cache: s.Cache.State,
		Explain: strings.TrimSpace(StepExplanation(h.t, s))}
	if s.Cache.TTL != nil {
		hs.Cache = fmt.Sprintf("cache hit, %ds left", *s.Cache.TTL)
	}
	switch {
	case s.Cache.State == "hit":
		hs.Class = "cache-hit"
		hs.Summary = "from the cache: " + stepSummary(s, false)
	case s.Failure != "":
		hs.Class = "failed"
		hs.Summary = "✗ " + s.Failure + ": " + s.Detail
	default:
		hs.Summary = s.Kind
		for _, srv := range s.Servers {
			if srv.Chosen {
				hs.Summary = serverSummary(srv, false) + " — from " + srv.Name + " " + srv.Address
			}
		}
	}
	for _, srv := range s.Servers {
		x := htmlServer{Name: srv.Name, Address: srv.Address, Proto: srv.Proto, RTT: rtt(srv.RTTms), Rcode: srv.Rcode,
			Kind: kindClass(srv.Kind), Result: serverSummary(srv, false), Chosen: srv.Chosen && s.Probe == ""}
		var flags []string
		if srv.AA {
			flags = append(flags, "AA")
		}
		if srv.TC {
			flags = append(flags, "TC")
		}
		if srv.Bad {
			flags = append(flags, "bad response")
		}
		x.Flags = strings.Join(flags, " ")
		if len(srv.Attempts) > 1 {
			var tries []string
			for _, a := range srv.Attempts {
				tries = append(tries, strings.TrimSpace(fmt.Sprintf("%s %s %s", a.Proto, a.Kind, rtt(a.RTTms))))
			}
			x.Tries = strings.Join(tries, ", ")
		}
		for _, f := range h.marks[s.ID+"|"+srv.Address] {
			sym, _ := severitySymbol(f.Severity)
			x.Marks = append(x.Marks, htmlMark{f.Severity, f.Code, sym})
		}
		hs.Servers = append(hs.Servers, x)
	}
	switch {
	case s.Referral != nil:
		hs.Records = append(append(hs.Records, s.Referral.NS...), s.Referral.Glue...)
	case len(s.Answer) > 0:
		hs.Records = s.Answer
	}
	if s.SOA != nil {
		hs.Records = append(hs.Records, *s.SOA)
	}
	for _, f := range h.marks[s.ID+"|"] {
		sym, _ := severitySymbol(f.Severity)
		hs.Notes = append(hs.Notes, sym+" "+f.Code+": "+f.Explanation)
	}
	if d := s.DNSSEC; d != nil {
		hs.Notes = append(hs.Notes, fmt.Sprintf("DNSSEC %s %s: %s", dnssecSymbol(d.State), d.State, d.Reason))
	}
	if len(s.GluelessSkipped) > 0 {
		hs.Notes = append(hs.Notes, fmt.Sprintf("NS without glue not looked up (limit): %s", shortList(s.GluelessSkipped)))
	}
	if len(s.Cyclic) > 0 {
		hs.Notes = append(hs.Notes, fmt.Sprintf("NS names only resolvable through the zone itself: %s", list(s.Cyclic)))
	}
	if s.NotAsked > 0 {
		hs.Notes = append(hs.Notes, fmt.Sprintf("%d more addresses not asked: an answer came first", s.NotAsked))
	}
	for j, c := range s.Children {
		hs.Children = append(hs.Children, htmlChild{ID: s.ID + childLetter(j), Why: sideWhy(c.Purpose),
			Question: c.Question.Name + " " + c.Question.Type, Result: outcomeShort(c), Steps: h.resolution(c)})
	}
	return hs
}
