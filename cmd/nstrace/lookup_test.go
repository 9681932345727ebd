package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLookupGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		status string
	}{
		{"mydomain.com", ExitOK, "exists"},
		{"www.mydomain.com", ExitOK, "exists"},
		{"www.shop.com", ExitOK, "exists"}, // a CNAME chain across two zones
		{"nodata.mydomain.com", ExitOK, "exists"},
		{"doesnotexist.mydomain.com", ExitFailed, "nxdomain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, "lookup", "--lab", "--format", "json", tc.name)
			if code != tc.code {
				t.Errorf("json: exit %d, want %d (%s)", code, tc.code, stderr)
			}
			var rep lookupReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("JSON output does not parse: %v", err)
			}
			if rep.Schema != 1 || rep.Status != tc.status || rep.Records == nil || rep.NoData == nil || rep.Errors == nil {
				t.Errorf("report %+v, want schema 1, status %s and every key", rep, tc.status)
			}
			for _, r := range rep.Records {
				if r.Server == "" || r.Address == "" {
					t.Errorf("record %+v without the server that sent it", r)
				}
			}
			golden(t, filepath.Join(goldenDir, "lookup", tc.name+".json"), out)
			code, out, _ = run(t, "lookup", "--lab", tc.name)
			if code != tc.code {
				t.Errorf("table: exit %d, want %d", code, tc.code)
			}
			golden(t, filepath.Join(goldenDir, "lookup", tc.name+".txt"), out)
		})
	}
}

// TestLookupSharesCache: the root and com are asked once for all types.
func TestLookupSharesCache(t *testing.T) {
	_, out, _ := run(t, "lookup", "--lab", "--format", "json", "mydomain.com")
	var rep lookupReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// 2 root servers + 3 com servers once, then the zone's 2 servers per type.
	if want := 5 + 2*len(lookupTypes); rep.Queries != want {
		t.Errorf("%d queries, want %d", rep.Queries, want)
	}
	var types []string
	for _, r := range rep.Records {
		types = append(types, r.Type)
	}
	for _, w := range []string{"A", "MX", "NS", "TXT", "SOA"} {
		if !slices.Contains(types, w) {
			t.Errorf("no %s record in %v", w, types)
		}
	}
}

func TestLookupResolver(t *testing.T) {
	// A lab address nobody serves: unreachable at once, one query only.
	start := time.Now()
	code, out, _ := run(t, "lookup", "--lab", "--format", "json", "--resolver", "127.0.99.53", "www.mydomain.com")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	var rep lookupReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != ExitFailed || rep.Status != "failed" || rep.Resolver != "127.0.99.53:53" || len(rep.Errors) != 1 || rep.Errors[0].Reason != "unreachable" || rep.Queries != 1 {
		t.Errorf("exit %d, report %+v", code, rep)
	}
	code, out, _ = run(t, "lookup", "--lab", "--resolver", "127.0.99.53:5353", "www.mydomain.com")
	if code != ExitFailed || !strings.Contains(out, "unreachable") || !strings.Contains(out, "127.0.99.53:5353") {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
}

func TestLookupUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{}, "lookup takes one name"},
		{"two names", []string{"a.com", "b.com"}, "lookup takes one name"},
		{"bad name", []string{"a..com"}, "empty label"},
		{"resolver not an address", []string{"--resolver", "dns.example", "a.com"}, `--resolver "dns.example": not an IP address (want an IP address, IP:port or [IPv6]:port`},
		{"resolver bad port", []string{"--resolver", "192.0.2.1:99999", "a.com"}, `--resolver "192.0.2.1:99999": port 99999 is out of range (1-65535)`},
		{"resolver short", []string{"--resolver", "1.2.3", "a.com"}, `--resolver "1.2.3": not an IP address`},
		{"unknown format", []string{"--format", "tree", "a.com"}, `unknown --format "tree"`},
		{"flag after name", []string{"a.com", "--format", "json"}, "put flags before the name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"lookup", "--lab"}, tc.args...)...)
			if code != ExitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line containing %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestLookupServed runs lookup over real loopback sockets: the same
// records as in memory; and --resolver against a served lab server,
// which answers for its own zone (RD=1 ignored, AA set).
func TestLookupServed(t *testing.T) {
	port, hints := serveLab(t)
	// Over sockets the fastest server answers, not always the same one:
	// with server, only for --resolver.
	strip := func(out string, server bool) []string {
		var rep lookupReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var recs []string
		for _, r := range rep.Records {
			rec := r.Type + " " + r.Name + " " + r.Data
			if server {
				rec += " " + r.Server
			}
			recs = append(recs, rec)
		}
		return recs
	}
	code, out, stderr := run(t, "lookup", "--hints", hints, "--port", port, "--format", "json", "www.shop.com")
	if code != ExitOK {
		t.Fatalf("exit %d (%s)", code, stderr)
	}
	_, mem, _ := run(t, "lookup", "--lab", "--format", "json", "www.shop.com")
	if a, b := strip(out, false), strip(mem, false); !slices.Equal(a, b) {
		t.Errorf("over sockets %v, in memory %v", a, b)
	}
	code, out, stderr = run(t, "lookup", "--resolver", "127.0.3.1:"+port, "--format", "json", "www.mydomain.com")
	if code != ExitOK || !slices.Contains(strip(out, true), "A www.mydomain.com. 127.10.1.80 127.0.3.1:"+port) {
		t.Errorf("--resolver: exit %d (%s)\n%s", code, stderr, out)
	}
}
