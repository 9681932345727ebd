package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDiffGolden runs nstrace diff on the lab's migration pair: the old
// provider (hostingprovider.com, which allows a zone transfer) and the
// new one (newdns.net, which refuses it), whose copy of mydomain.com
// forgot the MX record and carries another SPF record.
func TestDiffGolden(t *testing.T) {
	names := filepath.Join(goldenDir, "diff", "names.input")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"mydomain.com", []string{"--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "mydomain.com"}, ExitFailed},
		{"both-servers", []string{"--old", "ns1.hostingprovider.com", "--old", "ns2.hostingprovider.com", "--new", "ns1.newdns.net,ns2.newdns.net", "mydomain.com"}, ExitFailed},
		// Old and new reversed: newdns.net refuses the zone transfer.
		{"axfr-refused", []string{"--old", "ns1.newdns.net", "--new", "127.0.3.1", "mydomain.com"}, ExitFailed},
		{"names-file", []string{"--old", "ns1.newdns.net", "--new", "ns1.hostingprovider.com", "--names", names, "mydomain.com"}, ExitFailed},
		// The same servers on both sides: every record is the same.
		{"same", []string{"--old", "ns1.hostingprovider.com", "--new", "ns2.hostingprovider.com", "mydomain.com"}, ExitOK},
		// A new server that is not set up yet (REFUSED), and one that is dead.
		{"new-lame", []string{"--old", "ns1.hostingprovider.com", "--new", "ns.oldhost.net", "mydomain.com"}, ExitFailed},
		{"new-dead", []string{"--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "--new", "ns.deadhost.net", "mydomain.com"}, ExitFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, out, stderr := run(t, append([]string{"diff", "--lab", "--format", "json"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("json: exit %d, want %d (%s)", code, tc.code, stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the lab never waits", d)
			}
			var rep diffReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("JSON output does not parse: %v", err)
			}
			if rep.Schema != 1 || rep.Zone != "mydomain.com." || len(rep.Old) == 0 || len(rep.New) == 0 || rep.Rows == nil || rep.AXFR.Names == nil {
				t.Errorf("report %+v lacks its keys", rep)
			}
			golden(t, filepath.Join(goldenDir, "diff", tc.name+".json"), out)
			code, out, _ = run(t, append([]string{"diff", "--lab"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("table: exit %d, want %d", code, tc.code)
			}
			golden(t, filepath.Join(goldenDir, "diff", tc.name+".txt"), out)
		})
	}
}

// TestDiffVerdicts pins what the migration pair must show, whatever the
// golden files say.
func TestDiffVerdicts(t *testing.T) {
	verdicts := func(t *testing.T, args ...string) (diffReport, map[string]string) {
		t.Helper()
		_, out, _ := run(t, append([]string{"diff", "--lab", "--format", "json"}, args...)...)
		var rep diffReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range rep.Rows {
			m[r.Name+" "+r.Type] = r.Verdict
		}
		return rep, m
	}
	t.Run("migration pair", func(t *testing.T) {
		rep, v := verdicts(t, "--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "mydomain.com")
		want := map[string]string{
			"mydomain.com. MX":         verdictMissing,
			"mydomain.com. TXT":        verdictDifferent,
			"mydomain.com. NS":         verdictReference,
			"mydomain.com. SOA":        verdictReference,
			"mydomain.com. A":          verdictDifferent,
			"www.mydomain.com. A":      verdictDifferent,
			"mail.mydomain.com. A":     verdictSame,
			"nodata.mydomain.com. TXT": verdictSame, // found by the zone transfer only
			"_dmarc.mydomain.com. TXT": verdictOnlyNew,
		}
		for k, w := range want {
			if v[k] != w {
				t.Errorf("%s: verdict %q, want %q", k, v[k], w)
			}
		}
		if len(v) != len(want) {
			t.Errorf("%d rows shown, want %d: %v", len(v), len(want), v)
		}
		if rep.AXFR.Status != "transferred" || !slices.Contains(rep.AXFR.Names, "nodata.mydomain.com.") {
			t.Errorf("axfr %+v, want transferred with nodata.mydomain.com.", rep.AXFR)
		}
		s := rep.Summary
		if s.Questions != s.Names*len(diffTypes) || s.NotShown != s.Questions-len(want) {
			t.Errorf("summary %+v: every question is counted once", s)
		}
	})
	t.Run("refused transfer is a note", func(t *testing.T) {
		rep, v := verdicts(t, "--old", "ns1.newdns.net", "--new", "ns1.hostingprovider.com", "mydomain.com")
		if rep.AXFR.Status != "refused" || rep.AXFR.Detail != "REFUSED" || len(rep.AXFR.Names) != 0 {
			t.Errorf("axfr %+v, want refused", rep.AXFR)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "AXFR") && strings.Contains(n, "refused") }) {
			t.Errorf("notes %q: no word of the refused transfer", rep.Notes)
		}
		if v["mydomain.com. MX"] != verdictOnlyNew || v["_dmarc.mydomain.com. TXT"] != verdictMissing {
			t.Errorf("reversed verdicts %v", v)
		}
	})
	t.Run("dead and lame servers", func(t *testing.T) {
		rep, v := verdicts(t, "--old", "ns1.hostingprovider.com", "--new", "ns.oldhost.net", "mydomain.com")
		if v["mydomain.com. A"] != verdictUnanswered || v["mydomain.com. NS"] != verdictUnanswered {
			t.Errorf("lame new server: %v", v)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "ns.oldhost.net (127.0.3.51) gave no usable reply") }) {
			t.Errorf("notes %q: no word of the lame server", rep.Notes)
		}
		rep, v = verdicts(t, "--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "--new", "ns.deadhost.net", "mydomain.com")
		if v["mydomain.com. MX"] != verdictMissing {
			t.Errorf("a dead server beside a working one: %v", v)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "ns.deadhost.net") && strings.Contains(n, "timeout") }) {
			t.Errorf("notes %q: no word of the dead server", rep.Notes)
		}
	})
}

func TestDiffFailures(t *testing.T) {
	// A server name that does not exist: nothing to ask on that side.
	code, out, stderr := run(t, "diff", "--lab", "--old", "ghost.hostingprovider.com", "--new", "ns1.newdns.net", "mydomain.com")
	if code != ExitFailed || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no address for any --old server") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	// An address where nothing listens: every new row unanswered, at once.
	start := time.Now()
	code, out, _ = run(t, "diff", "--lab", "--old", "ns1.hostingprovider.com", "--new", "127.0.3.250", "mydomain.com")
	if code != ExitFailed || !strings.Contains(out, "unanswered") || !strings.Contains(out, "unreachable") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	// The same dead server as --old and --new: one server, found dead at
	// the apex, its failures counted once.
	code, out, _ = run(t, "diff", "--lab", "--format", "json", "--old", "127.0.3.250", "--new", "127.0.3.250", "mydomain.com")
	var rep diffReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, out)
	}
	var notes []string
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "127.0.3.250 gave no usable reply") {
			notes = append(notes, n)
		}
	}
	if code != ExitFailed || len(notes) != 1 || !strings.Contains(notes[0], "was not asked about the other names") {
		t.Errorf("exit %d, notes about the dead server: %q", code, notes)
	}
}

func TestDiffUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.WriteFile(bin, []byte{0x7f, 'E', 'L', 'F', 0, 1}, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no --old", []string{"--new", "ns1.newdns.net", "mydomain.com"}, "no --old server given"},
		{"no --new", []string{"--old", "ns1.hostingprovider.com", "mydomain.com"}, "no --new server given"},
		{"no zone", []string{"--old", "a.example", "--new", "b.example"}, "diff takes one zone"},
		{"two zones", []string{"--old", "a.example", "--new", "b.example", "a.com", "b.com"}, "diff takes one zone"},
		{"bad zone", []string{"--old", "a.example", "--new", "b.example", "a..com"}, "empty label"},
		{"bad server", []string{"--old", "a example", "--new", "b.example", "mydomain.com"}, `--old "a example": neither an address nor a server name`},
		{"root as server", []string{"--old", ".", "--new", "b.example", "mydomain.com"}, "neither an address nor a server name"},
		{"missing --names", []string{"--old", "a.example", "--new", "b.example", "--names", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"--names a directory", []string{"--old", "a.example", "--new", "b.example", "--names", dir, "mydomain.com"}, "is a directory"},
		{"--names binary", []string{"--old", "a.example", "--new", "b.example", "--names", bin, "mydomain.com"}, "not a text file of names"},
		{"unknown format", []string{"--format", "yaml", "--old", "a.example", "--new", "b.example", "mydomain.com"}, `unknown --format "yaml"`},
		{"flag after zone", []string{"--old", "a.example", "--new", "b.example", "mydomain.com", "--lab"}, "put flags before the zone"},
		{"lab and port", []string{"--port", "5300", "--old", "a.example", "--new", "b.example", "mydomain.com"}, "--port is for real sockets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"diff", "--lab"}, tc.args...)...)
			if code != ExitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line containing %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestZoneName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"@", "mydomain.com."},
		{"www", "www.mydomain.com."},
		{"WWW.MyDomain.com", "www.mydomain.com."},
		{"www.mydomain.com.", "www.mydomain.com."},
		{"_dmarc", "_dmarc.mydomain.com."},
		{"mydomain.com", "mydomain.com."},
		{"a.b", "a.b.mydomain.com."},
		{"www.example.com.", ""}, // absolute, outside the zone
	} {
		got, err := zoneName(tc.in, "mydomain.com.")
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("zoneName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestReadZoneNamesLimit: --names reads at most maxNamesFile names; the
// line after the last one read is a note, and the lines after it are not
// read at all.
func TestReadZoneNamesLimit(t *testing.T) {
	var b strings.Builder
	for i := range maxNamesFile + 2 {
		fmt.Fprintf(&b, "host%d\n", i)
	}
	path := filepath.Join(t.TempDir(), "names.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	names, notes, err := readZoneNames(path, "mydomain.com.")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != maxNamesFile || names[maxNamesFile-1] != fmt.Sprintf("host%d.mydomain.com.", maxNamesFile-1) {
		t.Errorf("%d names, the last %q; want the first %d", len(names), names[len(names)-1], maxNamesFile)
	}
	want := fmt.Sprintf("%s:%d: skipped: more than %d names", path, maxNamesFile+1, maxNamesFile)
	if len(notes) != 1 || notes[0] != want {
		t.Errorf("notes %q, want just %q", notes, want)
	}
}

// TestDiffServed runs diff over real loopback sockets against the served
// lab: the same rows as in memory, and the zone transfer through
// miekg/dns's Transfer.
func TestDiffServed(t *testing.T) {
	port, hints := serveLab(t)
	args := []string{"--format", "json", "--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "mydomain.com"}
	code, out, stderr := run(t, append([]string{"diff", "--hints", hints, "--port", port}, args...)...)
	if code != ExitFailed {
		t.Fatalf("exit %d (%s)", code, stderr)
	}
	_, mem, _ := run(t, append([]string{"diff", "--lab"}, args...)...)
	var real, lab diffReport
	if err := json.Unmarshal([]byte(out), &real); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mem), &lab); err != nil {
		t.Fatal(err)
	}
	if real.AXFR.Status != "transferred" || !slices.Equal(real.AXFR.Names, lab.AXFR.Names) || real.AXFR.Records != lab.AXFR.Records {
		t.Errorf("axfr over sockets %+v, in memory %+v", real.AXFR, lab.AXFR)
	}
	a, _ := json.Marshal(real.Rows)
	b, _ := json.Marshal(lab.Rows)
	if string(a) != string(b) || real.Summary != lab.Summary {
		t.Errorf("rows over sockets differ from the lab's:\n%s\n%s", a, b)
	}
	// The new provider refuses the transfer over sockets too.
	_, out, _ = run(t, "diff", "--hints", hints, "--port", port, "--format", "json", "--old", "ns1.newdns.net", "--new", "ns1.hostingprovider.com", "mydomain.com")
	if err := json.Unmarshal([]byte(out), &real); err != nil {
		t.Fatal(err)
	}
	if real.AXFR.Status != "refused" || real.AXFR.Detail != "REFUSED" {
		t.Errorf("axfr %+v, want refused", real.AXFR)
	}
}
