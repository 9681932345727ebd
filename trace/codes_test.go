package trace

import (
	"os"
	"strings"
	"testing"
)

// TestEveryCodeDocumented keeps the public contract written down: every
// finding code has its words (explanation and fix) and a row in README's
// table of codes, with its severity.
func TestEveryCodeDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(wordings) < 30 {
		t.Fatalf("only %d finding codes have words", len(wordings))
	}
	for code, w := range wordings {
		if w.explain == nil || w.fix == nil || w.severity == "" || w.fixAt == "" {
			t.Errorf("%s: incomplete words", code)
		}
		if fixPlace[w.fixAt] == "" {
			t.Errorf("%s: fix_at %q has no words for the place of the fix", code, w.fixAt)
		}
		if row := "| `" + code + "` | " + w.severity + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README has no row %q", row)
		}
	}
}

// TestNoDoubleFullStops: a detail or a name that ends with a final dot
// ("pingpong-a.com.") never makes a sentence end in two.
func TestNoDoubleFullStops(t *testing.T) {
	names := []string{"ns1.example.net.", "ns2.example.net."}
	f := facts{zone: "example.com.", server: "ns1.example.net.", address: "127.0.0.1", parent: "com.",
		detail: "sideways referral to other.com., which is not below example.com.: the server does not serve example.com.",
		names:  names, parentOnly: names, childOnly: names, values: []string{"3600", "86400"}, target: "www.example.org.",
		expected: names, childNS: names, serving: names, side: "parent"}
	for code, w := range wordings {
		for what, text := range map[string]string{"explanation": w.explain(f.human()), "fix": w.fix(f.human())} {
			if i := strings.Index(strings.ReplaceAll(text, "...", ""), ".."); i >= 0 {
				t.Errorf("%s: the %s has \"..\": %s", code, what, text)
			}
		}
	}
}
