package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/trace"
)

const goldenDir = "../../testdata/golden"

// expectStatus maps the lab's expected outcomes to trace outcome statuses.
var expectStatus = map[string]string{"NOERROR": "answer", "NXDOMAIN": "nxdomain", "NODATA": "nodata", "FAIL": "servfail"}

func TestLabTraceGolden(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.Domains() {
		t.Run(d.Name, func(t *testing.T) {
			args := []string{"trace", "--lab"}
			if d.DNSSEC {
				args = append(args, "--dnssec")
			}
			code, out, stderr := run(t, append(args, "--format", "json", d.Name, d.Type)...)
			var tr trace.Trace
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatalf("JSON output does not parse: %v", err)
			}
			if tr.Schema != trace.Schema || tr.Outcome.Status != expectStatus[d.Expect] {
				t.Errorf("schema %d, status %q; want %d, %q", tr.Schema, tr.Outcome.Status, trace.Schema, expectStatus[d.Expect])
			}
			// A trace sees a subset of what the full delegation check finds;
			// for a DNSSEC domain, the lab's findings are the trace's own.
			for _, c := range findingCodes(tr.Findings) {
				if !slices.Contains(d.Findings, c) {
					t.Errorf("trace found %s, which the lab does not expect for %s (expected %v)", c, d.Name, d.Findings)
				}
			}
			if got := findingCodes(tr.Findings); d.DNSSEC && strings.Join(got, " ") != strings.Join(sorted(d.Findings), " ") {
				t.Errorf("trace --dnssec found %v, want exactly %v", got, d.Findings)
			}
			if d.DNSSEC && (tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != dnssecState(d)) {
				t.Errorf("DNSSEC outcome %+v, want %s", tr.Outcome.DNSSEC, dnssecState(d))
			}
			wantCode := ExitOK
			if d.Expect == "FAIL" || trace.HasErrors(tr.Findings) {
				wantCode = ExitFailed
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d (%s)", code, wantCode, stderr)
			}
			golden(t, filepath.Join(goldenDir, "trace", strings.TrimSuffix(d.Name, ".")+".json"), out)

			code, out, _ = run(t, append(args, "--no-color", d.Name, d.Type)...)
			if code != wantCode {
				t.Errorf("table: exit %d, want %d", code, wantCode)
			}
			if strings.Contains(out, "\x1b[") {
				t.Errorf("colour codes in piped output")
			}
			golden(t, filepath.Join(goldenDir, "trace", strings.TrimSuffix(d.Name, ".")+".txt"), out)
		})
	}
}

// TestLabCheckGolden runs nstrace check on every lab domain and asserts
// exactly the finding codes the lab promises for it: no more, no less.
func TestLabCheckGolden(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.Domains() {
		t.Run(d.Name, func(t *testing.T) {
			args := []string{"check", "--lab"}
			if d.DNSSEC {
				args = append(args, "--dnssec")
			}
			code, out, stderr := run(t, append(args, "--format", "json", d.Name)...)
			var tr trace.Trace
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatalf("JSON output does not parse: %v (%s)", err, stderr)
			}
			got, want := findingCodes(tr.Findings), sorted(d.Findings)
			if d.DNSSEC {
				// The check of the zone validates its chain of trust and
				// SOA, not the name's own records: a subset.
				var sub []string
				for _, c := range got {
					if slices.Contains(want, c) {
						sub = append(sub, c)
					}
				}
				want = sub
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				for _, f := range tr.Findings {
					t.Logf("%s %s %s %s: %s", f.Code, f.Zone, f.Server, f.Address, f.Explanation)
				}
				t.Errorf("findings %v, want exactly %v", got, want)
			}
			wantCode := ExitOK
			if trace.HasErrors(tr.Findings) {
				wantCode = ExitFailed
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d", code, wantCode)
			}
			golden(t, filepath.Join(goldenDir, "check", strings.TrimSuffix(d.Name, ".")+".json"), out)
			_, out, _ = run(t, append(args, "--no-color", d.Name)...)
			golden(t, filepath.Join(goldenDir, "check", strings.TrimSuffix(d.Name, ".")+".txt"), out)
		})
	}
}

// sorted returns a sorted copy of codes.
func sorted(codes []string) []string {
	out := slices.Clone(codes)
	slices.Sort(out)
	return out
}

// dnssecState is the DNSSEC state a lab domain's trace must end in: bogus
// with an error finding, indeterminate with an unsupported algorithm,
// insecure for a name below an unsigned delegation, else secure.
func dnssecState(d lab.Domain) string {
	switch {
	case d.Name == "www.stalesig.com.":
		return "secure" // the answer used is the fresh server's; the stale one is the finding
	case slices.Contains(d.Findings, trace.CodeUnsupportedAlgorithm):
		return "indeterminate"
	case len(d.Findings) > 0:
		return "bogus"
	case strings.Contains(d.Description, "unsigned") || strings.Contains(d.Description, "insecure"):
		return "insecure"
	}
	return "secure"
}

// findingCodes returns the distinct codes of fs, sorted.
func findingCodes(fs []trace.Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

// TestSharedCacheAcrossNames traces two names of one zone in one run: the
// second trace takes the root and com steps from the cache.
func TestSharedCacheAcrossNames(t *testing.T) {
	code, out, stderr := run(t, "trace", "--lab", "--format", "json", "mydomain.com", "www.mydomain.com")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var traces []trace.Trace
	for dec.More() {
		var tr trace.Trace
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		traces = append(traces, tr)
	}
	if len(traces) != 2 {
		t.Fatalf("%d traces, want 2", len(traces))
	}
	first, second := traces[0], traces[1]
	for _, s := range first.Steps {
		if s.Cache.State != "miss" {
			t.Errorf("first trace step %s is %q, want miss", s.ID, s.Cache.State)
		}
	}
	var states []string
	for _, s := range second.Steps {
		states = append(states, s.Zone+"="+s.Cache.State)
		if s.Cache.State == "hit" && (s.Cache.TTL == nil || len(s.Servers) != 0) {
			t.Errorf("cache hit step %s: ttl %v, %d servers asked", s.ID, s.Cache.TTL, len(s.Servers))
		}
	}
	if got := strings.Join(states, " "); got != ".=hit com.=hit mydomain.com.=miss" {
		t.Errorf("second trace cache states %q, want root and com from the cache", got)
	}
	if second.Queries >= first.Queries {
		t.Errorf("second trace sent %d queries, first %d: the cache saved nothing", second.Queries, first.Queries)
	}
	code, out, _ = run(t, "trace", "--lab", "--no-color", "mydomain.com", "www.mydomain.com")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, filepath.Join(goldenDir, "trace", "shared-cache.txt"), out)
}

// TestTraceSeveralTypes: NAME... TYPE... traces each name for each type,
// names first, types in the order given, through one cache.
func TestTraceSeveralTypes(t *testing.T) {
	code, out, stderr := run(t, "trace", "--lab", "--format", "json", "mydomain.com", "www.shop.com", "MX", "A")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var got []string
	for dec.More() {
		var tr trace.Trace
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		root := tr.Steps[0].Cache.State
		got = append(got, tr.Question.Name+" "+tr.Question.Type+" "+tr.Outcome.Status+" root="+root)
	}
	want := []string{
		"mydomain.com. MX answer root=miss",
		"mydomain.com. A answer root=hit",
		"www.shop.com. MX nodata root=hit", // a CNAME to a name with no MX
		"www.shop.com. A answer root=hit",
	}
	if !slices.Equal(got, want) {
		t.Errorf("traces:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStaleTrustAnchor: a trust anchor that matches none of the root's
// keys (left behind by a key rollover) is named as the finding
// TRUST_ANCHOR_MISMATCH at the root, to be fixed in the anchor; trace and
// check fail with it instead of reporting a bogus answer with no finding.
func TestStaleTrustAnchor(t *testing.T) {
	stale := filepath.Join(t.TempDir(), "stale.anchor")
	os.WriteFile(stale, []byte(". 3600 IN DS 12345 15 2 "+strings.Repeat("00", 32)+"\n"), 0o644)
	for _, cmd := range []string{"trace", "check"} {
		code, out, stderr := run(t, cmd, "--lab", "--dnssec", "--trust-anchor", stale, "--format", "json", "www.secure.com")
		var tr trace.Trace
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatalf("%s: exit %d, %v: %s", cmd, code, err, stderr)
		}
		var found []string
		for _, f := range tr.Findings {
			if f.Code == trace.CodeTrustAnchorMismatch {
				found = append(found, f.Zone+" "+f.FixAt+" step "+f.Evidence[0].Step)
			}
		}
		if code != ExitFailed || !slices.Equal(found, []string{". anchor step 1"}) || tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != "bogus" {
			t.Errorf("%s: exit %d, %s findings %v, outcome %+v; want exit 1 and one at . (anchor), step 1", cmd, code, trace.CodeTrustAnchorMismatch, found, tr.Outcome.DNSSEC)
		}
	}
}

// TestEvidencePointsAtTheAnswer: the evidence of a finding about an NS
// name's addresses is the step that answered the lookup (NXDOMAIN, the
// CNAME, the zone's own address), not the first step of the lookup, which
// is a referral from the root.
func TestEvidencePointsAtTheAnswer(t *testing.T) {
	for domain, code := range map[string]string{"nsnoaddress.com": trace.CodeNSNoAddress, "nscname.com": trace.CodeNSCNAME, "gluemismatch.com": trace.CodeGlueMismatch} {
		_, out, _ := run(t, "check", "--lab", "--format", "json", domain)
		var tr trace.Trace
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatal(err)
		}
		steps := map[string]trace.Step{}
		var walk func(rs []trace.Resolution)
		walk = func(rs []trace.Resolution) {
			for _, r := range rs {
				for _, s := range r.Steps {
					steps[s.ID] = s
					walk(s.Children)
				}
			}
		}
		walk([]trace.Resolution{tr.Resolution})
		if tr.Check != nil {
			walk(tr.Check.Lookups)
		}
		found := false
		for _, f := range tr.Findings {
			if f.Code != code {
				continue
			}
			found = true
			for _, ev := range f.Evidence {
				s, ok := steps[ev.Step]
				if !ok || s.Kind == "referral" {
					t.Errorf("%s %s: evidence step %q is %q, want the step that answered", domain, code, ev.Step, s.Kind)
				}
			}
		}
		if !found {
			t.Errorf("%s: no %s finding", domain, code)
		}
	}
}

func TestLabList(t *testing.T) {
	code, out, _ := run(t, "lab", "list")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	w, _ := lab.Default()
	for _, d := range w.Domains() {
		if !strings.Contains(out, d.Name) {
			t.Errorf("lab list lacks %s", d.Name)
		}
	}
	golden(t, filepath.Join(goldenDir, "lab-list.txt"), out)
}

// TestQMinGolden traces with QNAME minimisation: every minimised step
// shows the name sent and the full name, and the lab's qminbroken.com —
// whose servers say NXDOMAIN for empty non-terminals — gets QMIN_BROKEN
// and still resolves, by falling back to the full name.
func TestQMinGolden(t *testing.T) {
	for _, name := range []string{"mydomain.com", "host.lab.eng.deep.com", "a.b.qminbroken.com"} {
		t.Run(name, func(t *testing.T) {
			code, out, _ := run(t, "trace", "--lab", "--qmin", "--format", "json", name)
			tr := decodeTraces(t, out)[0]
			if code != ExitOK || tr.Outcome.Status != "answer" {
				t.Fatalf("exit %d, outcome %s", code, tr.Outcome.Status)
			}
			minimised := 0
			for _, s := range tr.Steps {
				if s.FullName != "" {
					minimised++
					if s.FullName != tr.Question.Name || len(s.Name) >= len(s.FullName) {
						t.Errorf("step %s sent %s for %s", s.ID, s.Name, s.FullName)
					}
				}
			}
			if minimised == 0 {
				t.Errorf("no step was minimised")
			}
			broken := slices.Contains(findingCodes(tr.Findings), trace.CodeQMinBroken)
			if broken != (name == "a.b.qminbroken.com") {
				t.Errorf("QMIN_BROKEN reported: %v", broken)
			}
			_, out, _ = run(t, "trace", "--lab", "--qmin", "--explain", "--no-color", name)
			golden(t, filepath.Join(goldenDir, "qmin", name+".txt"), out)
		})
	}
}

// TestExplainGolden: --explain says, before the table, what happens at
// each step and why, in plain words built from the step's data.
func TestExplainGolden(t *testing.T) {
	for _, name := range []string{"mydomain.com", "glueless.org", "www.shop.com", "lame.com", "doesnotexist.mydomain.com"} {
		t.Run(name, func(t *testing.T) {
			_, out, _ := run(t, "trace", "--lab", "--explain", "--no-color", name)
			words := strings.Join(strings.Fields(out), " ") // explanations are wrapped
			for _, want := range []string{"starts at the root", "referral"} {
				if !strings.Contains(words, want) {
					t.Errorf("explanation lacks %q", want)
				}
			}
			golden(t, filepath.Join(goldenDir, "explain", name+".txt"), out)
		})
	}
	// The chain of trust in words: a secure hop, an unsigned delegation,
	// and where a chain breaks.
	for _, tc := range []struct{ name, want string }{
		{"www.secure.com", "a key matches the DS and signs the key set, so the chain of trust now reaches secure.com"},
		{"www.unsigned.secure.com", "with a signed NSEC or NSEC3 record, that unsigned.secure.com has no DS"},
		{"www.dsmismatch.com", "DNSSEC: the chain of trust breaks at dsmismatch.com: the DS for dsmismatch.com."},
	} {
		_, out, _ := run(t, "trace", "--lab", "--dnssec", "--explain", "--no-color", tc.name)
		if !strings.Contains(strings.Join(strings.Fields(out), " "), tc.want) {
			t.Errorf("%s: explanation lacks %q:\n%s", tc.name, tc.want, out)
		}
		if tc.name == "www.dsmismatch.com" {
			golden(t, filepath.Join(goldenDir, "explain", tc.name+"-dnssec.txt"), out)
		}
	}
	// A cache hit has its own words.
	_, out, _ := run(t, "trace", "--lab", "--explain", "--no-color", "mydomain.com", "www.mydomain.com")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "Cache hit: the resolver still remembers the servers of com") {
		t.Errorf("no cache-hit explanation:\n%s", out)
	}
}

// TestDNSSECKeysCachedAcrossNames validates two names of one signed zone in
// one run: the second takes the keys of the root, com and secure.com from
// the cache (no DS or DNSKEY fetched again) and its answer is still checked
// against them; the same name again is a cache hit that keeps its verdict.
func TestDNSSECKeysCachedAcrossNames(t *testing.T) {
	code, out, stderr := run(t, "trace", "--lab", "--dnssec", "--format", "json", "www.secure.com", "nope.secure.com", "www.secure.com")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	traces := decodeTraces(t, out)
	if len(traces) != 3 {
		t.Fatalf("%d traces, want 3", len(traces))
	}
	fetches := func(tr trace.Trace) int {
		n := 0
		for _, s := range tr.Steps {
			for _, c := range s.Children {
				if c.Purpose == "dnssec" {
					n++
				}
			}
		}
		return n
	}
	if n := fetches(traces[0]); n != 5 { // . DNSKEY, com DS and DNSKEY, secure.com DS and DNSKEY
		t.Errorf("first trace: %d DS/DNSKEY fetches, want 5", n)
	}
	for i, tr := range traces[1:] {
		if n := fetches(tr); n != 0 {
			t.Errorf("trace %d: %d DS/DNSKEY fetches, want 0 (the keys are cached)", i+2, n)
		}
		if tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != "secure" {
			t.Errorf("trace %d: DNSSEC %+v, want secure", i+2, tr.Outcome.DNSSEC)
		}
		last := tr.Steps[len(tr.Steps)-1]
		if last.DNSSEC == nil || last.DNSSEC.State != "secure" {
			t.Errorf("trace %d: last step's DNSSEC %+v, want secure", i+2, last.DNSSEC)
		}
	}
	if hits := traces[1].Steps[1]; hits.DNSSEC == nil || !hits.DNSSEC.Cached || hits.DNSSEC.What != "keys" {
		t.Errorf("second trace, step 2 (com from the cache): DNSSEC %+v, want the cached keys of secure.com", hits.DNSSEC)
	}
	if last := traces[2].Steps[len(traces[2].Steps)-1]; last.Cache.State != "hit" || !last.DNSSEC.Cached {
		t.Errorf("third trace: last step cache %q, DNSSEC %+v: want the answer and its verdict from the cache", last.Cache.State, last.DNSSEC)
	}
}

// TestCheckExpectNS is the migration mistake seen from the lab: mydomain.com
// is served by its old provider and, already, by newdns.net, but com still
// delegates it to the old one. Expecting the new servers is an error that
// says which side points where; expecting the live ones is none; expecting
// what the parent says while the zone lists another set blames the zone.
func TestCheckExpectNS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "expected.txt")
	os.WriteFile(file, []byte("# the new provider\nns1.newdns.net\n\nNS2.NewDNS.net.  # case and the final dot do not matter\n"), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		want   string // a part of the finding's explanation; "" for no finding
		golden string
	}{
		{"new provider, not delegated yet", []string{"--expect-ns", "ns1.newdns.net", "--expect-ns", "ns2.newdns.net", "mydomain.com"}, ExitFailed,
			"The registrar still delegates mydomain.com to ns1.hostingprovider.com, ns2.hostingprovider.com (the com zone says so), not to the servers you expect (ns1.newdns.net, ns2.newdns.net). Those servers do serve mydomain.com", "expect-ns-new"},
		{"from a file", []string{"--expect-ns-file", file, "mydomain.com"}, ExitFailed, "not to the servers you expect (ns1.newdns.net, ns2.newdns.net)", ""},
		{"as delegated", []string{"--expect-ns", "ns2.hostingprovider.com,ns1.hostingprovider.com", "mydomain.com"}, ExitOK, "", "expect-ns-live"},
		{"the zone lists another set", []string{"--expect-ns", "ns1.hostingprovider.com", "--expect-ns", "ns2.hostingprovider.com", "nsmismatch.com"}, ExitFailed,
			"but the zone's own NS records still list ns1.hostingprovider.com, ns3.hostingprovider.com", ""},
		{"a server that does not serve the zone", []string{"--expect-ns", "ns1.newdns.net", "--expect-ns", "ns.oldhost.net", "mydomain.com"}, ExitFailed,
			"Of those, only ns1.newdns.net serves mydomain.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, append([]string{"check", "--lab", "--format", "json"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			var tr trace.Trace
			if err := json.Unmarshal([]byte(out), &tr); err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, f := range tr.Findings {
				if f.Code == trace.CodeDelegationNotAsExpected {
					found = append(found, f.Explanation)
				}
			}
			switch {
			case tc.want == "" && len(found) > 0:
				t.Errorf("unexpected DELEGATION_NOT_AS_EXPECTED: %v", found)
			case tc.want != "" && (len(found) != 1 || !strings.Contains(found[0], tc.want)):
				t.Errorf("DELEGATION_NOT_AS_EXPECTED %q, want one containing %q", found, tc.want)
			}
			if tr.Check == nil || len(tr.Check.ExpectedNS) == 0 {
				t.Fatalf("no expected_ns in the check: %+v", tr.Check)
			}
			if tc.golden != "" {
				_, out, _ := run(t, append([]string{"check", "--lab", "--no-color"}, tc.args...)...)
				golden(t, filepath.Join(goldenDir, "check", tc.golden+".txt"), out)
			}
		})
	}
	// Only the expectation: no LAME for a server nothing delegates to, no
	// SOA_SERIAL_MISMATCH with the new provider's serial.
	_, out, _ := run(t, "check", "--lab", "--format", "json", "--expect-ns", "ns1.newdns.net", "--expect-ns", "ns.oldhost.net", "mydomain.com")
	var tr trace.Trace
	json.Unmarshal([]byte(out), &tr)
	if got := findingCodes(tr.Findings); strings.Join(got, " ") != "DELEGATION_NOT_AS_EXPECTED" {
		t.Errorf("findings %v, want only DELEGATION_NOT_AS_EXPECTED", got)
	}
}
