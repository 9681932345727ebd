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

// realCannotImitate lists the lab domains that depend on a server
// misbehaviour real authoritative software cannot reproduce (drop, delay,
// upward, selfref, refer, garbage, cut-off, wrong ID or question, broken
// TCP, poison, an endless chain, NXDOMAIN for empty non-terminals): the
// exports leave those servers out, so
// their traces differ by design.
var realCannotImitate = []string{
	"halfdead.com.", "allfail.com.", "loop.com.", "tcfail.com.", "badid.com.", "poison.com.",
	"garbage.com.", "cutoff.com.", "badquestion.com.", "slow.com.", "veryslow.com.", "selfref.com.",
	"pingpong-a.com.", "www.endless.com.", "tcdrop.com.", "tcpartial.com.", "manyns.com.", "a.b.qminbroken.com.",
}

// realAnswersDiffer lists the lab domains where real servers put a
// different number of links of a CNAME chain inside one zone into one reply
// (NSD all of them, Knot at most 5, the lab at most 8), so the steps differ
// while the outcome and the findings do not.
var realAnswersDiffer = []string{"c0.longchain.com."}

// realServer is one implementation of authoritative DNS software that can
// serve the exported lab world.
type realServer struct {
	name, binary string
	export       func(w *lab.World, dir string, port int) error
	start        func(dir string) (stop func(), err error)
}

// serve exports w for the server software and starts it on a free port,
// stopped when the test ends; it skips, saying so, when the software is
// not installed or the lab's loopback addresses cannot be bound.
func (impl realServer) serve(t *testing.T, w *lab.World) (dir string, port int) {
	t.Helper()
	if _, err := exec.LookPath(impl.binary); err != nil {
		t.Skipf("SKIP: %s not installed (apt-get install %s): nstrace is not compared with real %s servers", impl.binary, impl.name, impl.name)
	}
	port, err := lab.FreePort(w)
	if err != nil {
		t.Skipf("SKIP: %v (loopback addresses needed)", err)
	}
	dir = t.TempDir()
	if err := impl.export(w, dir, port); err != nil {
		t.Fatal(err)
	}
	stop, err := impl.start(dir)
	if err != nil {
		t.Fatalf("starting %s: %v", impl.name, err)
	}
	t.Cleanup(stop)
	return dir, port
}

var realServers = []realServer{
	{"nsd", "nsd", lab.Export, func(dir string) (func(), error) {
		n, err := lab.StartNSD(dir, 20*time.Second)
		if err != nil {
			return nil, err
		}
		return n.Stop, nil
	}},
	{"knot", "knotd", lab.ExportKnot, func(dir string) (func(), error) {
		k, err := lab.StartKnot(dir, 20*time.Second)
		if err != nil {
			return nil, err
		}
		return k.Stop, nil
	}},
}

// TestRealServersMatchLab serves the lab world with real authoritative
// software — NSD and Knot DNS, one process per lab server, each on its own
// 127.0.x.y address — and checks that nstrace, pointed at them with --hints
// and --port, gives the same results as on the in-memory lab: the same
// outcome and steps for trace, and exactly the same finding codes for
// check — among them LAME (REFUSED), NS_MISMATCH, GLUE_MISMATCH,
// MISSING_GLUE and the healthy zones.
func TestRealServersMatchLab(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"lame.com.", "nsmismatch.com.", "gluemismatch.com.", "missingglue.com.", "mydomain.com."} {
		if slices.Contains(realCannotImitate, must) {
			t.Fatalf("%s must be compared on real servers", must)
		}
	}
	_, memOut, _ := run(t, append([]string{"trace", "--lab", "--format", "json"}, domainNames(w)...)...)
	mem := decodeTraces(t, memOut)
	for _, impl := range realServers {
		t.Run(impl.name, func(t *testing.T) {
			dir, port := impl.serve(t, w)
			hints, p := filepath.Join(dir, "named.root"), strconv.Itoa(port)
			args := []string{"--hints", hints, "--port", p, "-4", "--timeout", "500ms", "--format", "json"}
			// Traces: all domains in one run, one shared cache, as in memory.
			_, realOut, _ := run(t, append(append([]string{"trace"}, args...), domainNames(w)...)...)
			real := decodeTraces(t, realOut)
			if len(real) != len(mem) {
				t.Fatalf("%d traces on %s, %d in memory", len(real), impl.name, len(mem))
			}
			compared := 0
			for i, d := range w.Domains() {
				if slices.Contains(realCannotImitate, d.Name) {
					continue
				}
				compared++
				if slices.Contains(realAnswersDiffer, d.Name) {
					if real[i].Outcome.Status != mem[i].Outcome.Status || real[i].Outcome.Reason != mem[i].Outcome.Reason {
						t.Errorf("trace %s: outcome %s/%s on %s, %s/%s in memory", d.Name, real[i].Outcome.Status, real[i].Outcome.Reason, impl.name, mem[i].Outcome.Status, mem[i].Outcome.Reason)
					}
				} else if got, want := shape(real[i].Resolution), shape(mem[i].Resolution); got != want {
					t.Errorf("trace %s on %s differs from the in-memory lab:\n--- %s\n%s--- memory\n%s", d.Name, impl.name, impl.name, got, want)
				}
				_, out, stderr := run(t, append(append([]string{"check"}, args...), d.Name)...)
				var tr trace.Trace
				if err := json.Unmarshal([]byte(out), &tr); err != nil {
					t.Fatalf("check %s: bad JSON (%s): %v", d.Name, stderr, err)
				}
				got, want := findingCodes(tr.Findings), sorted(d.Findings)
				if d.DNSSEC {
					want = nil // a DNSSEC domain's findings need --dnssec: below
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					for _, f := range tr.Findings {
						t.Logf("%s %s %s: %s", f.Code, f.Server, f.Address, f.Explanation)
					}
					t.Errorf("check %s on %s: findings %v, in the lab %v", d.Name, impl.name, got, want)
				}
				if d.DNSSEC {
					compareDNSSEC(t, impl.name, d, append([]string{"trace", "--dnssec", "--trust-anchor", filepath.Join(dir, lab.TrustAnchorFile)}, args...))
				}
			}
			t.Logf("%d lab domains compared on %s", compared, impl.name)
		})
	}
}

// realProofUnbroken are the DNSSEC domains whose breakage the lab makes
// when it answers (nope.badnsec3.com: the NSEC3 proof is swapped in the
// reply), so that real servers serving the exported zone answer correctly.
var realProofUnbroken = []string{"nope.badnsec3.com."}

// realRace are the DNSSEC domains whose state depends on which server
// answers first, which over real sockets is a race: www.stalesig.com has
// a server with a stale signed copy. Whichever answers, RRSIG_EXPIRED is
// found (on that server's reply, or on the zone's keys).
var realRace = []string{"www.stalesig.com."}

// compareDNSSEC traces a DNSSEC lab domain with validation on real servers
// (the zones the lab signed, exported, and the lab's trust anchor) and
// checks the same findings and security state as in the lab.
func compareDNSSEC(t *testing.T, impl string, d lab.Domain, args []string) {
	t.Helper()
	_, out, stderr := run(t, append(args, d.Name, d.Type)...)
	var tr trace.Trace
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trace --dnssec %s: bad JSON (%s): %v", d.Name, stderr, err)
	}
	want, state := sorted(d.Findings), dnssecState(d)
	if slices.Contains(realProofUnbroken, d.Name) {
		want, state = nil, "secure"
	}
	if slices.Contains(realRace, d.Name) && tr.Outcome.DNSSEC != nil && tr.Outcome.DNSSEC.State == "bogus" {
		state = "bogus" // the stale server answered first
	}
	if got := findingCodes(tr.Findings); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("trace --dnssec %s on %s: findings %v, in the lab %v", d.Name, impl, got, want)
	}
	if tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != state {
		t.Errorf("trace --dnssec %s on %s: DNSSEC %+v, want %s", d.Name, impl, tr.Outcome.DNSSEC, state)
	}
}

func domainNames(w *lab.World) []string {
	var names []string
	for _, d := range w.Domains() {
		names = append(names, d.Name)
	}
	return names
}
