package trace

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileTrace is a small trace whose names and details carry characters
// that each output format must escape.
func hostileTrace() *Trace {
	s := rootStep(2, true)
	s.Servers[2].Detail = `REFUSED | "quoted" <b>bold</b> \ back`
	s.Servers[2].Name = `a|b.<x>"y".`
	s.Children = []Resolution{{Purpose: "glueless", Question: Question{Name: "ns|1.x.", Type: "A"}, Outcome: Outcome{Status: "servfail"},
		Steps: []Step{{ID: "1a.1", Zone: ".", Name: "ns|1.x.", Type: "A", Cache: Cache{State: "miss"}, Kind: "failed",
			Failure: "all-servers-failed", Detail: "x | y", Servers: []Server{}}}}}
	return &Trace{Schema: Schema, Network: "lab", Resolution: Resolution{
		Question: Question{Name: "x.com.", Type: "A"},
		Outcome:  Outcome{Status: "servfail", Reason: "r|s", Detail: `<script>alert(1)</script>`},
		Steps:    []Step{s},
	}, Findings: []Finding{{Code: CodeLame, Severity: SeverityError, Zone: "x.com.", Server: `a|b.<x>"y".`, Address: "127.0.1.99",
		Evidence:    []Evidence{{Step: "1", Address: "127.0.1.99", Got: "REFUSED"}},
		Explanation: "it | is <lame>", Fix: "fix | it", FixAt: FixAtParent}}}
}

func TestTreePlainAndColour(t *testing.T) {
	tr := hostileTrace()
	var plain, colour bytes.Buffer
	if err := WriteTree(&plain, tr, TreeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteTree(&colour, tr, TreeOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("colour without TreeOptions.Color:\n%s", plain.String())
	}
	if !strings.Contains(colour.String(), ANSIRed) {
		t.Errorf("no red for the lame server with Color set")
	}
	out := plain.String()
	for _, want := range []string{"├─ ▶ a.root-servers.net.", "lame: REFUSED", "✗ LAME", "↳ 1a NS without glue", "✗ all-servers-failed: x | y", "Fix — registrar (parent zone): fix | it"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree lacks %q:\n%s", want, out)
		}
	}
	// the mark is on the line of the server it concerns
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "✗ LAME") && !strings.Contains(l, "127.0.1.99") && !strings.HasPrefix(strings.TrimSpace(l), "✗ LAME") {
			t.Errorf("LAME marked on a line of another server: %q", l)
		}
	}
	// with no explanation to give, --explain changes nothing
	var explained bytes.Buffer
	if err := WriteTree(&explained, tr, TreeOptions{Explain: true}); err != nil {
		t.Fatal(err)
	}
	if StepExplanation(tr, tr.Steps[0]) == "" && explained.String() != out {
		t.Errorf("--explain with empty explanations changed the tree")
	}
}

func TestTreeCacheHitAndFold(t *testing.T) {
	ttl := uint32(3590)
	hit := Step{ID: "1", Zone: ".", Cache: Cache{State: "hit", TTL: &ttl}, Kind: "referral", Servers: []Server{},
		Referral: &Referral{Zone: "com.", NS: []Record{{Name: "com.", Type: "NS", Data: "a."}}}}
	s2 := rootStep(13, false)
	s2.ID = "2"
	tr := &Trace{Resolution: Resolution{Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "answer"}, Steps: []Step{hit, s2}}}
	var b bytes.Buffer
	if err := WriteTree(&b, tr, TreeOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "◆ cache hit, 3590s left: referral → com. (1 NS)") {
		t.Errorf("cache hit not shown:\n%s", out)
	}
	if !strings.Contains(out, "13 servers · same referral · fastest a.root-servers.net.") {
		t.Errorf("identical answers not folded:\n%s", out)
	}
}

func TestTreeComment(t *testing.T) {
	n := &treeNode{line: "root", kids: []*treeNode{
		{line: "1 .", comment: strings.Repeat("word ", 60)},
		{line: "2 com.", comment: "short"},
	}}
	var b strings.Builder
	n.write(&b, "", "", true)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var comments int
	for _, l := range lines {
		if strings.Contains(l, "# ") {
			comments++
			if !strings.HasPrefix(strings.TrimLeft(l, "│ "), "# ") {
				t.Errorf("comment line %q does not start as a comment", l)
			}
		}
		if n := utf8.RuneCountInString(l); n > explainWidth {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	if comments < 4 || !strings.HasSuffix(b.String(), "# short\n├─ 2 com.\n") && !strings.Contains(b.String(), "# short\n└─ 2 com.\n") {
		t.Errorf("comments not wrapped before their step:\n%s", b.String())
	}
	if got := wrapWords("a b c", 3); strings.Join(got, "|") != "a b|c" {
		t.Errorf("wrapWords: %q", got)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, hostileTrace()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		// both tables have 7 columns: 8 unescaped pipes a row
		if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 8 {
			t.Errorf("row has %d cell separators, want 8: %q", n, l)
		}
	}
	if strings.Contains(out, "<b>") || strings.Contains(out, "<script>") {
		t.Errorf("HTML passed through into Markdown:\n%s", out)
	}
	if !strings.Contains(out, `a\|b.&lt;x&gt;"y".`) {
		t.Errorf("server name not escaped:\n%s", out)
	}
}

func TestDOTQuotes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDOT(&b, hostileTrace()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "digraph nstrace {\n") || !strings.HasSuffix(out, "}\n") {
		t.Errorf("not a digraph:\n%s", out)
	}
	if !strings.Contains(out, `\"quoted\"`) || !strings.Contains(out, `\\ back`) {
		t.Errorf("quotes and backslashes not escaped:\n%s", out)
	}
	if got := dotQuote("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("dotQuote: %s", got)
	}
}

func TestHTMLEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileTrace()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>alert") || strings.Contains(out, "<b>bold") || strings.Contains(out, "<lame>") {
		t.Errorf("data not escaped in the HTML")
	}
	if strings.Count(out, `class="server `) != 3 || !strings.Contains(out, `class="failure side"`) {
		t.Errorf("want 3 server boxes and a side failure box")
	}
	if !strings.Contains(out, `<section class="finding severity-error" data-code="LAME">`) {
		t.Errorf("finding element missing")
	}
}
