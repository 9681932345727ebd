package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/trace"
)

// serveLab serves the default lab world on 127.0.x.y sockets at a free
// high port and returns the port and a hints file for it.
func serveLab(t *testing.T) (string, string) {
	t.Helper()
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Serve(w, 0)
	if err != nil {
		t.Skipf("SKIP: cannot listen on 127.0.0.0/8 addresses (loopback needed): %v", err)
	}
	t.Cleanup(func() { l.Close() })
	hints := filepath.Join(t.TempDir(), "named.root")
	if err := os.WriteFile(hints, []byte(w.HintsFile()), 0o644); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(int(l.Addrs()[0].Port())), hints
}

// shape is what must be equal between a trace over real sockets and the
// same trace in memory: everything but timings, sizes, the transport, the
// server chosen among equals and the TTL left in the cache.
func shape(r trace.Resolution) string {
	var b strings.Builder
	var walk func(r trace.Resolution, indent string)
	walk = func(r trace.Resolution, indent string) {
		o := r.Outcome
		fmt.Fprintf(&b, "%s%s %s %s → %s %s %s\n", indent, r.Purpose, r.Question.Name, r.Question.Type, o.Status, o.Reason, noTTL(o.Records))
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "%s  step %s %s %s %s %s %s\n", indent, s.ID, s.Zone, s.Cache.State, s.Kind, s.Failure, s.Target)
			if d := s.DNSSEC; d != nil {
				fmt.Fprintf(&b, "%s    dnssec %s %s %s %s inherited=%t\n", indent, d.What, d.Zone, d.State, d.Code, d.Inherited)
			}
			if s.Referral != nil {
				fmt.Fprintf(&b, "%s    referral %s %s %s\n", indent, s.Referral.Zone, noTTL(s.Referral.NS), noTTL(s.Referral.Glue))
			}
			for _, srv := range s.Servers {
				fmt.Fprintf(&b, "%s    %s %s %s %s aa=%t %s\n", indent, srv.Name, srv.Address, srv.Kind, srv.Rcode, srv.AA, noTTL(srv.Records))
			}
			for _, c := range s.Children {
				walk(c, indent+"    ")
			}
		}
	}
	walk(r, "")
	return b.String()
}

// noTTL formats records without their TTLs, which count down in a cache
// that reads the real clock.
func noTTL(recs []trace.Record) string {
	var parts []string
	for _, r := range recs {
		parts = append(parts, r.Name+" "+r.Type+" "+r.Data)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func decodeTraces(t *testing.T, out string) []trace.Trace {
	t.Helper()
	var traces []trace.Trace
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var tr trace.Trace
		if err := dec.Decode(&tr); err != nil {
			t.Fatalf("bad JSON: %v", err)
		}
		traces = append(traces, tr)
	}
	return traces
}

// TestLabServeMatchesInMemory serves the lab on real UDP and TCP sockets
// and checks that tracing every lab domain there gives the same trace as
// the in-memory lab.
func TestLabServeMatchesInMemory(t *testing.T) {
	port, hints := serveLab(t)
	w, _ := lab.Default()
	var names []string
	for _, d := range w.Domains() {
		names = append(names, d.Name)
	}
	// All names in one run each, so that the shared cache is exercised too.
	_, memOut, _ := run(t, append([]string{"trace", "--lab", "--format", "json"}, names...)...)
	mem := decodeTraces(t, memOut)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			args := []string{"trace", "--hints", hints, "--port", port, "-4", "--timeout", "400ms", "--format", "json"}
			if proto == "tcp" {
				args = append(args, "--tcp")
			}
			_, realOut, stderr := run(t, append(args, names...)...)
			real := decodeTraces(t, realOut)
			if len(real) != len(mem) {
				t.Fatalf("%d traces over %s, %d in memory (%s)", len(real), proto, len(mem), stderr)
			}
			for i := range mem {
				if got, want := shape(real[i].Resolution), shape(mem[i].Resolution); got != want {
					t.Errorf("%s over %s differs from the in-memory lab:\n--- real\n%s--- memory\n%s", names[i], proto, got, want)
				}
				for _, s := range real[i].Steps {
					for _, srv := range s.Servers {
						if srv.Proto != proto && !(proto == "udp" && srv.TC) { // TC=1 over UDP is retried over TCP
							t.Errorf("%s: server %s asked over %s", names[i], srv.Address, srv.Proto)
						}
					}
				}
			}
		})
	}
}

// TestLabServeDNSSEC validates every DNSSEC lab domain over real sockets,
// with the trust anchor lab serve writes, and checks the same steps and
// the same security state at each as in memory.
func TestLabServeDNSSEC(t *testing.T) {
	port, hints := serveLab(t)
	w, _ := lab.Default()
	anchor := filepath.Join(t.TempDir(), lab.TrustAnchorFile)
	if err := os.WriteFile(anchor, []byte(w.TrustAnchorText()), 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range w.Domains() {
		if d.DNSSEC {
			names = append(names, d.Name)
		}
	}
	if len(names) < 10 {
		t.Fatalf("only %d DNSSEC domains in the lab", len(names))
	}
	_, memOut, _ := run(t, append([]string{"trace", "--lab", "--dnssec", "--format", "json"}, names...)...)
	mem := decodeTraces(t, memOut)
	_, realOut, stderr := run(t, append([]string{"trace", "--hints", hints, "--port", port, "-4", "--timeout", "400ms",
		"--dnssec", "--trust-anchor", anchor, "--format", "json"}, names...)...)
	real := decodeTraces(t, realOut)
	if len(real) != len(mem) {
		t.Fatalf("%d traces over sockets, %d in memory (%s)", len(real), len(mem), stderr)
	}
	for i := range mem {
		if got, want := shape(real[i].Resolution), shape(mem[i].Resolution); got != want && !slices.Contains(realRace, names[i]) {
			t.Errorf("%s differs from the in-memory lab:\n--- real\n%s--- memory\n%s", names[i], got, want)
		}
		if strings.Join(findingCodes(real[i].Findings), " ") != strings.Join(findingCodes(mem[i].Findings), " ") {
			t.Errorf("%s: findings %v over sockets, %v in memory", names[i], findingCodes(real[i].Findings), findingCodes(mem[i].Findings))
		}
	}
}

// TestInterruptPrintsTheTraceSoFar cancels a trace that waits on a server
// that never answers: the CLI stops at once, prints what it has, and
// exits 130.
func TestInterruptPrintsTheTraceSoFar(t *testing.T) {
	port, hints := serveLab(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(ctx, []string{"nstrace", "trace", "--hints", hints, "--port", port, "-4", "--timeout", "10s", "--no-color", "allfail.com"}, &stdout, &stderr)
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("interrupt took %v", elapsed)
	}
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d", code, ExitInterrupted)
	}
	out := stdout.String()
	if !strings.Contains(out, "referral → com.") || !strings.Contains(out, "cancelled") {
		t.Errorf("the trace so far is missing:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr %q", stderr.String())
	}
}
