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
