package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestEveryLabTraceEndsWithinItsLimits traces every lab domain — the
// hostile ones (garbage, cut-off messages, forged IDs and questions, late
// replies, referrals to themselves, upward and sideways, 500 NS names with
// and without glue, endless and looping CNAMEs, TC=1 with a broken TCP,
// out-of-bailiwick records) among them — and checks that each trace ends
// within the query budget, reaches the outcome the lab promises, and says
// what happened: a failure reason and findings whenever it failed.
func TestEveryLabTraceEndsWithinItsLimits(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.Domains() {
		t.Run(d.Name, func(t *testing.T) {
			_, out, stderr := run(t, "trace", "--lab", "--format", "json", d.Name, d.Type)
			var tr trace.Trace
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatalf("bad JSON (%s): %v", stderr, err)
			}
			if tr.Queries > resolver.DefaultMaxQueries {
				t.Errorf("%d queries, over the budget of %d", tr.Queries, resolver.DefaultMaxQueries)
			}
			if tr.Outcome.Status != expectStatus[d.Expect] {
				t.Errorf("outcome %s (%s), want %s", tr.Outcome.Status, tr.Outcome.Detail, expectStatus[d.Expect])
			}
			if tr.Outcome.Status == "servfail" && (tr.Outcome.Reason == "" || tr.Outcome.Detail == "" || len(tr.Findings) == 0) {
				t.Errorf("failed without saying why: reason %q, detail %q, %d findings", tr.Outcome.Reason, tr.Outcome.Detail, len(tr.Findings))
			}
		})
	}
}

// TestPoisonIsNeverCached traces poison.com, whose servers add a forged A
// record for www.mydomain.com and a forged NS for com., then
// www.mydomain.com in the same run with the same cache: the forged data
// must be nowhere.
func TestPoisonIsNeverCached(t *testing.T) {
	_, out, _ := run(t, "trace", "--lab", "--format", "json", "poison.com", "www.mydomain.com")
	traces := decodeTraces(t, out)
	if len(traces) != 2 {
		t.Fatalf("%d traces", len(traces))
	}
	if !strings.Contains(out, "127.66.6.6") {
		t.Fatalf("the poison.com servers did not send their forged record: the test proves nothing")
	}
	second, _ := json.Marshal(traces[1].Resolution)
	if strings.Contains(string(second), "127.66.6.6") || strings.Contains(string(second), "evil") {
		t.Errorf("forged data used in the second trace: %s", second)
	}
	if recs := traces[1].Outcome.Records; len(recs) != 1 || recs[0].Data != "127.10.1.80" {
		t.Errorf("www.mydomain.com resolved to %v", recs)
	}
}

// TestGluelessFloodIsCapped: a referral to 500 NS names without glue (the
// NXNSAttack pattern) makes nstrace look up at most
// MaxGluelessPerReferral of them, and it records that it stopped.
func TestGluelessFloodIsCapped(t *testing.T) {
	_, out, _ := run(t, "trace", "--lab", "--format", "json", "nxns.com")
	tr := decodeTraces(t, out)[0]
	var step *trace.Step
	for i := range tr.Steps {
		if tr.Steps[i].Zone == "nxns.com." {
			step = &tr.Steps[i]
		}
	}
	if step == nil {
		t.Fatalf("no step for nxns.com.")
	}
	looked := map[string]bool{}
	for _, c := range step.Children {
		looked[c.Question.Name] = true
	}
	if len(looked) > resolver.DefaultMaxGluelessPerReferral || len(step.GluelessSkipped) != 500-len(looked) {
		t.Errorf("%d NS names looked up, %d recorded as skipped; want at most %d and the rest recorded", len(looked), len(step.GluelessSkipped), resolver.DefaultMaxGluelessPerReferral)
	}
}

// TestManyServersInWaves: 500 NS names with glue, two of which answer.
// Every address is asked at most once, never more than MaxInFlight at a
// time, and the answer comes.
func TestManyServersInWaves(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	n := lab.NewNetwork(w)
	hints, _ := resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	r := &resolver.Resolver{Transport: n, Config: cfg, Hints: hints}
	tr := trace.Run(context.Background(), r, "manyns.com.", dns.TypeA, trace.Options{})
	if tr.Outcome.Status != "answer" {
		t.Fatalf("outcome %s: %s", tr.Outcome.Status, tr.Outcome.Detail)
	}
	for _, s := range tr.Steps {
		seen := map[string]bool{}
		for _, srv := range s.Servers {
			if seen[srv.Address] {
				t.Errorf("step %s asked %s twice", s.ID, srv.Address)
			}
			seen[srv.Address] = true
		}
	}
	if m := n.MaxInFlight(); m > int64(cfg.MaxInFlight) {
		t.Errorf("%d queries in flight at once, over %d", m, cfg.MaxInFlight)
	}
}

// TestLateServerCannotStretchTheDeadline: both servers of veryslow.com
// answer after 10 s; with a 2 s timeout and a 3 s deadline, the trace ends
// on time and says so.
func TestLateServerCannotStretchTheDeadline(t *testing.T) {
	port, hints := serveLab(t)
	start := time.Now()
	code, out, _ := run(t, "trace", "--hints", hints, "--port", port, "-4", "--timeout", "2s", "--deadline", "3s", "--format", "json", "veryslow.com")
	if elapsed := time.Since(start); elapsed > 4500*time.Millisecond {
		t.Errorf("took %v with a 3 s deadline", elapsed)
	}
	tr := decodeTraces(t, out)[0]
	if code != ExitFailed || tr.Outcome.Status != "servfail" {
		t.Errorf("exit %d, outcome %s (%s)", code, tr.Outcome.Status, tr.Outcome.Reason)
	}
}
