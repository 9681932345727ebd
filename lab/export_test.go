package lab

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestExport(t *testing.T) {
	w := mustDefault(t)
	dir := filepath.Join(t.TempDir(), "nsd") // created by Export
	if err := Export(w, dir, 15353); err != nil {
		t.Fatal(err)
	}
	read := func(parts ...string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(append([]string{dir}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read("named.root"); got != w.HintsFile() {
		t.Errorf("named.root is not the hints file")
	}
	confs := readServersTxt(t, dir)
	readme := read("README.txt")
	for _, s := range w.Servers() {
		conf, exported := confs[s.Name]
		if exported != (s.Behaviour == "ok") {
			t.Errorf("%s (behaviour %s): exported %v", s.Name, s.Behaviour, exported)
		}
		if !exported {
			if !strings.Contains(readme, strings.TrimSuffix(s.Name, ".")) || !strings.Contains(readme, "behaviour "+s.Behaviour) {
				t.Errorf("README.txt does not list skipped server %s (%s)", s.Name, s.Behaviour)
			}
			if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(s.Name, "."))); err == nil {
				t.Errorf("skipped server %s has a directory", s.Name)
			}
			continue
		}
		sdir := filepath.Join(dir, strings.TrimSuffix(s.Name, "."))
		if conf != filepath.Join(sdir, "nsd.conf") {
			t.Errorf("%s: conf %s", s.Name, conf)
		}
		text := read(strings.TrimSuffix(s.Name, "."), "nsd.conf")
		for _, want := range []string{
			"\tip-address: " + s.Addr.String() + "@15353\n", "\tusername: \"\"\n", "\tdatabase: \"\"\n", "\tchroot: \"\"\n",
			"\tserver-count: 1\n", "\tverbosity: 0\n", "\trrl-ratelimit: 0\n", "\trrl-whitelist-ratelimit: 0\n",
			"\tminimal-responses: yes\n", "\tpidfile: \"" + sdir + "/nsd.pid\"\n", "\tlogfile: \"" + sdir + "/nsd.log\"\n",
			"\tzonelistfile: \"" + sdir + "/zone.list\"\n", "\txfrdfile: \"" + sdir + "/xfrd.state\"\n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: nsd.conf lacks %q", s.Name, want)
			}
		}
		if strings.Count(text, "ip-address:") != 1 {
			t.Errorf("%s: nsd.conf listens on more than one address", s.Name)
		}
		// Every zone, of the right variant, with an absolute path, and
		// the file holds exactly the zone's records.
		for _, ref := range s.Zones {
			name, variant, _ := strings.Cut(ref, "@")
			file := filepath.Join(sdir, zoneFileName(name))
			if !strings.Contains(text, "\tname: \""+name+"\"\n\tzonefile: \""+file+"\"\n") {
				t.Errorf("%s: nsd.conf has no zone %s at %s", s.Name, name, file)
			}
			zp := dns.NewZoneParser(strings.NewReader(read(strings.TrimSuffix(s.Name, "."), zoneFileName(name))), "", file)
			var got []string
			first := true
			for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
				if first && rr.Header().Rrtype != dns.TypeSOA {
					t.Errorf("%s: the first record is not the SOA: %v", file, rr)
				}
				first = false
				got = append(got, rr.String())
			}
			if err := zp.Err(); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			recs, err := w.ZoneRecordsVariant(name, variant)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, rr := range recs {
				want = append(want, rr.String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: records differ from zone %s:\n got %q\nwant %q", file, ref, got, want)
			}
		}
	}
	if !strings.Contains(readme, "ns2.stale.com") || !strings.Contains(read("ns2.stale.com", "stale.com.zone"), " 2025112401 ") {
		t.Error("ns2.stale.com does not get the old variant of stale.com")
	}
	if !strings.Contains(read("a.root-servers.net", "nsd.conf"), "name: \".\"") {
		t.Error("the root zone is not exported")
	}
}

func TestExportErrors(t *testing.T) {
	w := mustDefault(t)
	for _, port := range []int{0, -1, 65536} {
		if err := Export(w, t.TempDir(), port); err == nil {
			t.Errorf("Export at port %d succeeded", port)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if err := Export(w, file, 5353); err == nil {
		t.Error("Export into a file succeeded")
	}
	if err := Export(w, filepath.Join(t.TempDir(), `a"b`), 5353); err == nil {
		t.Error("Export into a path with a quote succeeded")
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"ns1.example.test", true}, {"ns2-old.x_y.test", true}, {"", false}, {".hidden", false}, {"a..b", false}, {"a/b", false}, {`a\b`, false}} {
		if got := safeFileName(tc.name); got != tc.ok {
			t.Errorf("safeFileName(%q) = %v", tc.name, got)
		}
	}
}

// readServersTxt parses dir/servers.txt into server name -> nsd.conf path.
func readServersTxt(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "servers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	confs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || !filepath.IsAbs(f[2]) {
			t.Fatalf("servers.txt: bad line %q (want NAME ADDRESS /abs/path/nsd.conf)", sc.Text())
		}
		confs[f[0]] = f[2]
	}
	return confs
}

// TestExportAXFR checks that the zones with the option axfr, and only
// those, let loopback clients transfer them: in nsd.conf a provide-xfr
// line in the zone's zone: clause (NSD refuses a transfer no line allows).
// In the default world that is mydomain.com as ns1.hostingprovider.com
// serves it, and not the copy of ns1.newdns.net (mydomain.com@new).
func TestExportAXFR(t *testing.T) {
	w := mustDefault(t)
	dir := t.TempDir()
	if err := Export(w, dir, 15353); err != nil {
		t.Fatal(err)
	}
	clauses := 0
	for _, s := range w.servers {
		if s.behaviour.Kind != BehaviourOK {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, trimDot(s.name), "nsd.conf"))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, z := range s.zones {
			clause := zoneClause(text, "zone:\n\tname: \""+z.name+"\"\n", "zone:\n")
			if clause == "" {
				t.Fatalf("%s: nsd.conf has no zone: clause for %s", s.name, z.name)
			}
			if got := strings.Contains(clause, "\tprovide-xfr: 127.0.0.0/8 NOKEY\n"); got != z.axfr {
				t.Errorf("%s: zone %s (axfr %v): provide-xfr %v in\n%s", s.name, z.name, z.axfr, got, clause)
			}
		}
		clauses += strings.Count(text, "provide-xfr:")
	}
	if clauses == 0 {
		t.Error("no zone of the default world may be transferred")
	}
	if check, err := exec.LookPath("nsd-checkconf"); err == nil {
		conf := filepath.Join(dir, "ns1.hostingprovider.com", "nsd.conf")
		if out, err := exec.Command(check, conf).CombinedOutput(); err != nil {
			t.Errorf("nsd-checkconf %s: %v\n%s", conf, err, out)
		}
	}
	for _, tc := range []struct {
		server, zone string
		axfr         bool
	}{
		{"ns1.hostingprovider.com", "mydomain.com.", true},
		{"ns2.hostingprovider.com", "mydomain.com.", true},
		{"ns1.newdns.net", "mydomain.com.", false},
		{"a.gtld-servers.net", "com.", false},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.server, "nsd.conf"))
		if err != nil {
			t.Fatal(err)
		}
		clause := zoneClause(string(data), "zone:\n\tname: \""+tc.zone+"\"\n", "zone:\n")
		if got := strings.Contains(clause, "provide-xfr:"); got != tc.axfr {
			t.Errorf("%s: zone %s: provide-xfr %v, want %v", tc.server, tc.zone, got, tc.axfr)
		}
	}
}

// zoneClause returns the part of a configuration text that starts with
// start and ends before the next next (or at the end): one zone's clause.
// It returns "" if text does not hold start.
func zoneClause(text, start, next string) string {
	i := strings.Index(text, start)
	if i < 0 {
		return ""
	}
	rest := text[i+len(start):]
	if j := strings.Index(rest, next); j >= 0 {
		rest = rest[:j]
	}
	return start + rest
}
