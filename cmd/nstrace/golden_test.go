package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the program's output")

// golden compares got with the file at path; with -update (or
// NSTRACE_UPDATE_GOLDEN=1) it writes got there instead. On a mismatch it
// shows the first lines that differ.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update || os.Getenv("NSTRACE_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing (run: go test ./cmd/nstrace -update): %v", err)
	}
	if string(want) == got {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	var diff []string
	for i := 0; i < max(len(wl), len(gl)) && len(diff) < 12; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			diff = append(diff, "line "+strconv.Itoa(i+1)+":\n  - "+w+"\n  + "+g)
		}
	}
	t.Errorf("output differs from %s (regenerate with: go test ./cmd/nstrace -update, then review the diff):\n%s", path, strings.Join(diff, "\n"))
}
