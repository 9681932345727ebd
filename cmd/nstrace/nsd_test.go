//go:build unix

package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/trace"
)

// nsdCannotImitate lists the lab domains that depend on a server
// misbehaviour NSD cannot reproduce (drop, upward, tc-notcp, wrong-id,
// poison): lab.Export leaves those servers out, so their findings differ
// on NSD by design.
var nsdCannotImitate = []string{"halfdead.com.", "allfail.com.", "loop.com.", "tcfail.com.", "badid.com.", "poison.com."}

// TestCheckOnNSDMatchesLab serves the lab world with real NSD processes
// (one per server, on its own 127.0.x.y address) and checks that
// nstrace check, pointed at them with --hints and --port, reports exactly
// the finding codes it reports on the in-memory lab — among them LAME
// (REFUSED), NS_MISMATCH, GLUE_MISMATCH, MISSING_GLUE and healthy zones.
func TestCheckOnNSDMatchesLab(t *testing.T) {
	if _, err := exec.LookPath("nsd"); err != nil {
		t.Skip("SKIP: nsd not installed (apt-get install nsd): nstrace check is not compared on real NSD servers")
	}
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	port, err := lab.FreePort(w)
	if err != nil {
		t.Skipf("SKIP: %v (loopback addresses needed)", err)
	}
	dir := t.TempDir()
	if err := lab.Export(w, dir, port); err != nil {
		t.Fatal(err)
	}
	nsd, err := lab.StartNSD(dir, 20*time.Second)
	if err != nil {
		t.Fatalf("starting NSD: %v", err)
	}
	t.Cleanup(nsd.Stop)
	hints := filepath.Join(dir, "named.root")
	compared := 0
	for _, d := range w.Domains() {
		if slices.Contains(nsdCannotImitate, d.Name) {
			continue
		}
		compared++
		t.Run(d.Name, func(t *testing.T) {
			_, out, stderr := run(t, "check", "--hints", hints, "--port", strconv.Itoa(port), "-4", "--timeout", "500ms", "--format", "json", d.Name)
			var tr trace.Trace
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatalf("bad JSON (%s): %v", stderr, err)
			}
			got, want := findingCodes(tr.Findings), slices.Clone(d.Findings)
			slices.Sort(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				for _, f := range tr.Findings {
					t.Logf("%s %s %s: %s", f.Code, f.Server, f.Address, f.Explanation)
				}
				t.Errorf("on NSD: findings %v, in the lab %v", got, want)
			}
		})
	}
	for _, must := range []string{"lame.com.", "nsmismatch.com.", "gluemismatch.com.", "missingglue.com.", "mydomain.com."} {
		if slices.Contains(nsdCannotImitate, must) {
			t.Errorf("%s must be compared on NSD", must)
		}
	}
	t.Logf("%d lab domains checked on NSD", compared)
}
