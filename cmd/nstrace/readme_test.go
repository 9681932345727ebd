package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExamples runs every `console` block of README.md whose command
// is `go run ./cmd/nstrace ...` and checks that the program prints what the
// block shows. A line "…" in a block stands for any number of lines.
func TestREADMEExamples(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(text), "```console\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("README has no console examples")
	}
	for _, b := range blocks {
		body, _, _ := strings.Cut(b, "```")
		cmdLine, want, _ := strings.Cut(body, "\n")
		args, ok := strings.CutPrefix(cmdLine, "$ go run ./cmd/nstrace ")
		if !ok {
			t.Errorf("console block does not start with '$ go run ./cmd/nstrace': %q", cmdLine)
			continue
		}
		t.Run(args, func(t *testing.T) {
			_, got, _ := run(t, strings.Fields(args)...)
			if msg := matchLines(strings.Split(strings.TrimRight(want, "\n"), "\n"), strings.Split(strings.TrimRight(got, "\n"), "\n")); msg != "" {
				t.Errorf("README example differs from the program's output: %s\n--- program printed:\n%s", msg, got)
			}
		})
	}
}

// matchLines matches want against got line by line; "…" in want stands
// for any number of lines. It returns "" on a match, or what went wrong.
func matchLines(want, got []string) string {
	if len(want) == 0 {
		if len(got) == 0 {
			return ""
		}
		return "the program printed more lines than README shows, from: " + got[0]
	}
	if want[0] == "…" {
		msg := ""
		for g := 0; g <= len(got); g++ {
			if msg = matchLines(want[1:], got[g:]); msg == "" {
				return ""
			}
		}
		return msg
	}
	if len(got) == 0 {
		return "output ends before README line: " + want[0]
	}
	if want[0] != got[0] {
		return "README line " + want[0] + "\n  printed: " + got[0]
	}
	return matchLines(want[1:], got[1:])
}
