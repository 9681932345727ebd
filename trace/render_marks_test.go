package trace

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestStepMarksShownOnce: a finding about a whole step is marked on exactly
// one row of the table, the tree and the Markdown report, whatever else the
// step has to show (a failure, NS left out, addresses not asked); the
// step's DNSSEC row is shown in every case, and so are NS left out, even
// when the step failed.
func TestStepMarksShownOnce(t *testing.T) {
	dnssec := &StepDNSSEC{State: "bogus", What: "keys", Zone: "com.", Code: "DS_MISMATCH", Reason: "no DNSKEY matches the DS"}
	cases := []struct {
		name   string
		mod    func(*Step)
		dnssec bool
	}{
		{"failure", func(s *Step) { s.Failure, s.Detail = "no answer", "every server timed out" }, false},
		{"failure and DNSSEC", func(s *Step) { s.Failure, s.Detail = "no answer", "every server timed out"; s.DNSSEC = dnssec }, true},
		{"failure and glueless skipped", func(s *Step) {
			s.Failure, s.Detail = "no-address", "no address found for any NS"
			s.GluelessSkipped = []string{"ns9.example.net."}
		}, false},
		{"glueless skipped", func(s *Step) { s.GluelessSkipped = []string{"ns9.example.net."} }, false},
		{"glueless skipped and DNSSEC", func(s *Step) { s.GluelessSkipped = []string{"ns9.example.net."}; s.DNSSEC = dnssec }, true},
		{"not asked", func(s *Step) { s.NotAsked = 3 }, false},
		{"not asked and DNSSEC", func(s *Step) { s.NotAsked = 3; s.DNSSEC = dnssec }, true},
		{"DNSSEC only", func(s *Step) { s.DNSSEC = dnssec }, true},
		{"nothing else", func(s *Step) {}, false},
	}
	for _, c := range cases {
		s := rootStep(2, false)
		c.mod(&s)
		tr := &Trace{Schema: Schema, Network: "lab", Resolution: Resolution{
			Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "servfail", Reason: "x", Detail: "y"},
			Steps: []Step{s},
		}, Findings: []Finding{{Code: "STEPWIDE", Severity: "error", Zone: ".", Evidence: []Evidence{{Step: "1", Got: "z"}}}}}
		var tree, md bytes.Buffer
		if err := WriteTree(&tree, tr, TreeOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, tr); err != nil {
			t.Fatal(err)
		}
		for _, out := range []struct{ format, text, mark string }{
			{"table", render(t, tr, TableOptions{}), "✗ STEPWIDE"},
			{"tree", tree.String(), "✗ STEPWIDE"},
			{"markdown", md.String(), "✗ **STEPWIDE**"},
		} {
			steps, _, _ := strings.Cut(out.text, "Findings:") // not the list of findings
			if n := strings.Count(steps, out.mark); n != 1 {
				t.Errorf("%s, %s: the step's finding is marked %d times, want once:\n%s", c.name, out.format, n, out.text)
			}
			if got, want := strings.Contains(out.text, "NS without glue skipped"), s.GluelessSkipped != nil; got != want {
				t.Errorf("%s, %s: NS left out shown: %v, want %v:\n%s", c.name, out.format, got, want, out.text)
			}
			if got := strings.Contains(out.text, "no DNSKEY matches the DS"); got != c.dnssec {
				t.Errorf("%s, %s: DNSSEC row shown: %v, want %v:\n%s", c.name, out.format, got, c.dnssec, out.text)
			}
		}
	}
}

// TestShortList: the renderers show at most shownNames NS names, then
// how many more; the JSON keeps them all.
func TestShortList(t *testing.T) {
	var names []string
	for i := range shownNames + 2 {
		names = append(names, fmt.Sprintf("ns%d.", i))
	}
	if got := shortList(names[:2]); got != "ns0., ns1." {
		t.Errorf("two names: %q", got)
	}
	if got := shortList(names[:shownNames]); strings.Contains(got, "more") {
		t.Errorf("%d names: %q, want them all", shownNames, got)
	}
	if got, want := shortList(names), "ns9. and 2 more"; !strings.HasSuffix(got, want) || strings.Contains(got, "ns10.") {
		t.Errorf("%d names: %q, want the first %d and %q", len(names), got, shownNames, want)
	}
	s := rootStep(2, false)
	s.GluelessSkipped = names
	tr := &Trace{Schema: Schema, Resolution: Resolution{Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "answer"}, Steps: []Step{s}}}
	var tree, md bytes.Buffer
	WriteTree(&tree, tr, TreeOptions{})
	WriteMarkdown(&md, tr)
	for format, out := range map[string]string{"tree": tree.String(), "markdown": md.String()} {
		if !strings.Contains(out, "and 2 more") || strings.Contains(out, "ns11.") {
			t.Errorf("%s: the NS left out are not shortened:\n%s", format, out)
		}
	}
}

// TestFoldedFailuresHaveNoFastest: servers that gave no reply fold into a
// row that names the first of them, not a "fastest".
func TestFoldedFailuresHaveNoFastest(t *testing.T) {
	s := rootStep(0, false)
	for i := range FoldMin + 1 {
		s.Servers = append(s.Servers, Server{Name: fmt.Sprintf("ns%d.example.", i), Address: fmt.Sprintf("127.0.9.%d", i+1), Proto: "udp", Kind: "timeout", Detail: "no reply"})
	}
	tr := &Trace{Resolution: Resolution{Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "servfail"}, Steps: []Step{s}}}
	out := render(t, tr, TableOptions{})
	if want := fmt.Sprintf("%d servers · same timeout · first ns0.example.", FoldMin+1); !strings.Contains(out, want) || strings.Contains(out, "fastest") {
		t.Errorf("want %q and no \"fastest\":\n%s", want, out)
	}
}
