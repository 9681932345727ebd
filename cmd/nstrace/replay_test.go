package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordAndReplay records lab traces (healthy, lame, a dead server, a
// glueless delegation, a CNAME chain, QNAME minimisation, DNSSEC
// validation) and replays them offline: the traces are the same, but for
// the network label. A DNSSEC recording keeps its trust anchor and its
// clock, so the same signatures validate (or fail) the same way.
func TestRecordAndReplay(t *testing.T) {
	for _, mode := range []string{"", "--qmin", "--dnssec"} {
		names := []string{"mydomain.com", "lame.com", "halfdead.com", "glueless.org", "www.shop.com", "allfail.com"}
		if mode == "--dnssec" {
			names = []string{"www.secure.com", "nope.secure3.net", "www.unsigned.secure.com", "www.dsmismatch.com", "www.expired.com"}
		}
		file := filepath.Join(t.TempDir(), "run.jsonl")
		args := []string{"trace", "--lab", "--format", "json"}
		if mode != "" {
			args = append(args, mode)
		}
		_, recorded, stderr := run(t, append(append(args, "--record", file), names...)...)
		if st, err := os.Stat(file); err != nil || st.Size() == 0 {
			t.Fatalf("no recording written (%s): %v", stderr, err)
		}
		code, replayed, stderr := run(t, append([]string{"trace", "--replay", file, "--format", "json"}, names...)...)
		if strings.Contains(stderr, "cannot answer") {
			t.Fatalf("replay missed queries: %s", stderr)
		}
		a, b := decodeTraces(t, recorded), decodeTraces(t, replayed)
		if len(a) != len(b) {
			t.Fatalf("%d traces recorded, %d replayed", len(a), len(b))
		}
		for i := range a {
			if a[i].Network != "lab" || !strings.HasPrefix(b[i].Network, "replay ") {
				t.Errorf("network labels %q, %q", a[i].Network, b[i].Network)
			}
			a[i].Network, b[i].Network = "", ""
			ja, _ := json.Marshal(a[i])
			jb, _ := json.Marshal(b[i])
			if string(ja) != string(jb) {
				t.Errorf("%q: the replay of %s differs from the recorded trace", mode, names[i])
			}
			if mode == "--dnssec" && (b[i].Outcome.DNSSEC == nil || a[i].Outcome.DNSSEC == nil) {
				t.Errorf("%s: replayed without DNSSEC validation", names[i])
			}
		}
		if code != ExitFailed { // lame.com, halfdead.com and allfail.com have error findings; dsmismatch.com and expired.com too
			t.Errorf("replay exit %d, want %d", code, ExitFailed)
		}
	}
}

// TestReplayNeverGuesses: a question the recording cannot answer is a
// clear error, never a packet.
func TestReplayNeverGuesses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run.jsonl")
	run(t, "trace", "--lab", "--record", file, "mydomain.com")
	code, _, stderr := run(t, "trace", "--replay", file, "example.test")
	if code != ExitFailed || !strings.Contains(stderr, "the recording cannot answer") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
