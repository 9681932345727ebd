package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/trace"
)

func readResults(t *testing.T, path string) map[string]auditResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]auditResult{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r auditResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad result line %q: %v", sc.Text(), err)
		}
		if _, dup := out[r.Domain]; dup {
			t.Errorf("%s written twice", r.Domain)
		}
		out[r.Domain] = r
	}
	return out
}

// TestAuditEqualsCheck audits every lab domain at once, with DNSSEC
// validation, one shared cache and many workers, and checks that each
// domain gets exactly the finding codes that nstrace check gives it alone
// (the lab's findings=; for the DNSSEC domains, nstrace check --dnssec run
// on the domain alone).
func TestAuditEqualsCheck(t *testing.T) {
	w, _ := lab.Default()
	dir := t.TempDir()
	list := filepath.Join(dir, "domains.txt")
	var lines []string
	for _, d := range w.Domains() {
		lines = append(lines, d.Name)
	}
	lines = append(lines, "# a comment", "", "not a..name", "mydomain.com # again: counted once", "MyDomain.COM.")
	os.WriteFile(list, []byte(strings.Join(lines, "\n")), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	code, stdout, stderr := run(t, "audit", "--lab", "--dnssec", "--concurrency", "16", "--out", out, "--summary", filepath.Join(dir, "summary.txt"), list)
	if code != ExitFailed || stdout != "" {
		t.Errorf("exit %d (want 1: some lab domains have errors), stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, "domains.txt:") || !strings.Contains(stderr, `"not a..name"`) {
		t.Errorf("the bad line is not reported with its number: %q", stderr)
	}
	results := readResults(t, out)
	if len(results) != len(w.Domains()) {
		t.Fatalf("%d results for %d domains", len(results), len(w.Domains()))
	}
	for _, d := range w.Domains() {
		want := slices.Clone(d.Findings)
		slices.Sort(want)
		if d.DNSSEC {
			_, js, _ := run(t, "check", "--lab", "--dnssec", "--format", "json", d.Name)
			var alone trace.Trace
			if err := json.Unmarshal([]byte(js), &alone); err != nil {
				t.Fatal(err)
			}
			want = findingCodes(alone.Findings)
		}
		// every resolved SOA has a DNSSEC state (a failed one has no data)
		if r := results[d.Name]; (r.DNSSEC == "") != (r.Status == "servfail") || (d.DNSSEC && len(want) == 0 && r.DNSSEC == "bogus") {
			got := r.DNSSEC
			t.Errorf("%s: dnssec %q in the audit result, status %s", d.Name, got, r.Status)
		}
		if got := results[d.Name].Codes; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: audit found %v, check finds %v", d.Name, got, want)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	for _, want := range []string{
		fmt.Sprintf(`(?m)^domains checked +%d$`, len(w.Domains())),
		`(?m)^bad lines skipped +1$`,
		`(?m)^repeated domains skipped +2$`,
		`(?m)^domains/s +[0-9.]+$`,
	} {
		if !regexp.MustCompile(want).Match(summary) {
			t.Errorf("summary lacks %s:\n%s", want, summary)
		}
	}
}

// TestAuditResumeAndShard: an interrupted audit goes on with --resume
// without doing any domain twice; shards split a list without overlap.
func TestAuditResumeAndShard(t *testing.T) {
	w, _ := lab.Default()
	dir := t.TempDir()
	list := filepath.Join(dir, "domains.txt")
	var names []string
	for _, d := range w.Domains() {
		names = append(names, d.Name)
	}
	os.WriteFile(list, []byte(strings.Join(names, "\n")), 0o644)
	out := filepath.Join(dir, "out.jsonl")

	// Stop at once: nothing or little is done, and what is written is whole.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var so, se strings.Builder
	code := Run(ctx, []string{"nstrace", "audit", "--lab", "--out", out, list}, &so, &se)
	if code != ExitInterrupted {
		t.Errorf("cancelled audit: exit %d, want %d (%s)", code, ExitInterrupted, se.String())
	}
	first := readResults(t, out)
	run(t, "audit", "--lab", "--resume", "--out", out, list)
	all := readResults(t, out) // readResults fails on a domain written twice
	if len(all) != len(names) {
		t.Errorf("after --resume: %d results for %d domains (%d before)", len(all), len(names), len(first))
	}

	seen := map[string]int{}
	for k := 0; k < 3; k++ {
		shardOut := filepath.Join(dir, "shard.jsonl")
		run(t, "audit", "--lab", "--shard", string(rune('0'+k))+"/3", "--out", shardOut, list)
		for d := range readResults(t, shardOut) {
			seen[d]++
		}
	}
	for _, n := range names {
		if seen[n] != 1 {
			t.Errorf("%s in %d shards, want exactly 1", n, seen[n])
		}
	}
}

// TestAuditEqualsCheckOnSyntheticWorld: on 200 domains of a generated
// world (glueless, lame, dead, CNAMEs, sub-zones among them), the audit —
// concurrent, one shared cache — reports for every domain exactly the
// finding codes nstrace check reports for it alone.
func TestAuditEqualsCheckOnSyntheticWorld(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	if err := lab.Generate(world, lab.GenerateOptions{Domains: 200, Servers: 80, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	run(t, "audit", "--lab-world", world, "--concurrency", "32", "--out", out, "--summary", filepath.Join(dir, "s.txt"), filepath.Join(world, "domains.txt"))
	results := readResults(t, out)
	if len(results) != 200 {
		t.Fatalf("%d results, want 200", len(results))
	}
	withFindings := 0
	for domain, r := range results {
		_, stdout, _ := run(t, "check", "--lab-world", world, "--format", "json", domain)
		alone := decodeTraces(t, stdout)[0]
		if got, want := strings.Join(r.Codes, " "), strings.Join(findingCodes(alone.Findings), " "); got != want {
			t.Errorf("%s: audit found %q, check alone %q", domain, got, want)
		}
		if len(r.Codes) > 0 {
			withFindings++
		}
	}
	if withFindings == 0 {
		t.Errorf("no domain of the generated world has a finding: the comparison proves little")
	}
	t.Logf("200 domains, %d with findings", withFindings)
}

// TestAuditGC: during an audit the collector runs at 400% heap growth under
// a memory limit, and both settings come back afterwards; a GOGC or
// GOMEMLIMIT in the environment is left alone.
func TestAuditGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("SKIP: GOGC or GOMEMLIMIT is set, and auditGC rightly leaves them alone")
	}
	pct := debug.SetGCPercent(100)
	defer debug.SetGCPercent(pct)
	limit := debug.SetMemoryLimit(-1)
	restore := auditGC()
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("GC percent during an audit: %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != auditMemoryLimit {
		t.Errorf("memory limit during an audit: %d, want %d", got, auditMemoryLimit)
	}
	restore()
	if got := debug.SetGCPercent(pct); got != 100 {
		t.Errorf("GC percent after the audit: %d, want it restored to 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit after the audit: %d, want it restored to %d", got, limit)
	}
}

// TestAuditProfiles: the hidden --cpuprofile and --memprofile flags write
// profiles (gzipped protocol buffers, as go tool pprof reads them), and a
// profile that cannot be written is a usage error before any domain.
func TestAuditProfiles(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "domains.txt")
	os.WriteFile(list, []byte("mydomain.com\nlame.com\n"), 0o644)
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	run(t, "audit", "--lab", "--no-progress", "--cpuprofile", cpu, "--memprofile", mem, "--out", filepath.Join(dir, "out.jsonl"), list)
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, not a gzipped profile", filepath.Base(p), len(b))
		}
	}
	for _, flag := range []string{"--cpuprofile", "--memprofile"} {
		var so, se strings.Builder
		code := Run(context.Background(), []string{"nstrace", "audit", "--lab", flag, filepath.Join(dir, "no", "such", "dir"), list}, &so, &se)
		if code != ExitUsage || !strings.Contains(se.String(), flag+":") {
			t.Errorf("%s into a missing directory: exit %d, stderr %q; want %d and a line naming the flag", flag, code, se.String(), ExitUsage)
		}
	}
}
