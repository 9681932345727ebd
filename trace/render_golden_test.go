package trace_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/render from the renderers' output")

const renderGoldenDir = "../testdata/golden/render"

// renderDomains are the lab traces the renderers are checked on: a healthy
// chain, a lame server, NS names without glue, a CNAME chain ending in a
// cache hit, every server failing, a timeout next to a good server, and,
// validated (+dnssec), a secure chain and one broken by a DS mismatch.
var renderDomains = []string{"mydomain.com.", "lame.com.", "glueless.org.", "www.shop.com.", "allfail.com.", "halfdead.com.",
	"www.secure.com.+dnssec", "www.dsmismatch.com.+dnssec"}

// goldenBase is the file name stem of a renderDomains entry.
func goldenBase(name string) string {
	if n, ok := strings.CutSuffix(name, ".+dnssec"); ok {
		return n + "-dnssec"
	}
	return strings.TrimSuffix(name, ".")
}

// labTrace traces name (type A) over the in-memory lab from a cold cache,
// as nstrace trace --lab does: simulated time, so the trace is the same at
// every run. A name ending in "+dnssec" is validated from the lab's trust
// anchor, with the lab's clock (lab.Epoch).
func labTrace(t testing.TB, name string) *trace.Trace {
	t.Helper()
	name, dnssec := strings.CutSuffix(name, "+dnssec")
	r := labResolver(t)
	r.Cache = resolver.NewCache(resolver.NewManualClock(time.Unix(1_700_000_000, 0)))
	if dnssec {
		validating(t, r)
		r.Cache = resolver.NewCache(resolver.NewManualClock(lab.Epoch))
	}
	return trace.Run(context.Background(), r, name, dns.TypeA, trace.Options{Tool: "nstrace test", Network: "lab"})
}

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
		t.Fatalf("golden file missing (run: go test ./trace -run Golden -update): %v", err)
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
	t.Errorf("output differs from %s (regenerate with: go test ./trace -run Golden -update, then review the diff):\n%s", path, strings.Join(diff, "\n"))
}

// TestRenderGolden renders each lab trace of renderDomains as a tree (plain
// and coloured), Markdown, DOT and HTML, and compares with the golden files.
func TestRenderGolden(t *testing.T) {
	renderers := []struct {
		ext   string
		write func(*bytes.Buffer, *trace.Trace) error
	}{
		{"tree.txt", func(b *bytes.Buffer, tr *trace.Trace) error { return trace.WriteTree(b, tr, trace.TreeOptions{}) }},
		{"tree.ansi", func(b *bytes.Buffer, tr *trace.Trace) error {
			return trace.WriteTree(b, tr, trace.TreeOptions{Color: true})
		}},
		{"md", func(b *bytes.Buffer, tr *trace.Trace) error { return trace.WriteMarkdown(b, tr) }},
		{"dot", func(b *bytes.Buffer, tr *trace.Trace) error { return trace.WriteDOT(b, tr) }},
		{"html", func(b *bytes.Buffer, tr *trace.Trace) error { return trace.WriteHTML(b, tr) }},
	}
	for _, name := range renderDomains {
		t.Run(name, func(t *testing.T) {
			tr := labTrace(t, name)
			for _, r := range renderers {
				if r.ext == "tree.ansi" && name != "lame.com." {
					continue // one coloured sample is enough
				}
				var b bytes.Buffer
				if err := r.write(&b, tr); err != nil {
					t.Fatalf("%s: %v", r.ext, err)
				}
				golden(t, filepath.Join(renderGoldenDir, goldenBase(name)+"."+r.ext), b.String())
			}
		})
	}
}

// TestDOTRendersWithGraphviz renders the DOT of each lab trace of
// renderDomains with Graphviz (dot -Tsvg) to prove it parses.
func TestDOTRendersWithGraphviz(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("SKIP: graphviz not installed (apt-get install graphviz): the DOT output is not checked with dot")
	}
	for _, name := range renderDomains {
		t.Run(name, func(t *testing.T) {
			var in bytes.Buffer
			if err := trace.WriteDOT(&in, labTrace(t, name)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-Tsvg")
			var out, stderr bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, &out, &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Fatalf("dot -Tsvg: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(out.String(), "</svg>") {
				t.Errorf("dot wrote no SVG")
			}
		})
	}
}
