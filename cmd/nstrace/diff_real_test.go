//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/lab"
)

// TestDiffOnRealServers runs nstrace diff on the lab's migration pair
// served by real authoritative software (NSD and Knot DNS, as in
// TestRealServersMatchLab) and checks that it gives what it gives on the
// in-memory lab: the same rows and the same zone transfer. The exports
// carry the zone option axfr, so the old provider's servers
// (hostingprovider.com) give mydomain.com by AXFR and the new provider's
// (newdns.net) refuse it, on real servers as in the lab.
func TestDiffOnRealServers(t *testing.T) {
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct {
		name       string
		args       []string
		axfrStatus string
	}{
		{"migration", []string{"--old", "ns1.hostingprovider.com", "--new", "ns1.newdns.net", "mydomain.com"}, "transferred"},
		// Reversed: the old side is newdns.net, which refuses the transfer.
		{"reversed", []string{"--old", "ns1.newdns.net", "--new", "ns1.hostingprovider.com", "mydomain.com"}, "refused"},
	}
	type result struct {
		code int
		rep  diffReport
	}
	diff := func(t *testing.T, args ...string) result {
		t.Helper()
		code, out, stderr := run(t, append([]string{"diff", "--format", "json"}, args...)...)
		var rep diffReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("nstrace diff %s: bad JSON (%s): %v", strings.Join(args, " "), stderr, err)
		}
		return result{code, rep}
	}
	mem := map[string]result{}
	for _, p := range pairs {
		mem[p.name] = diff(t, append([]string{"--lab"}, p.args...)...)
		if got := mem[p.name].rep.AXFR.Status; got != p.axfrStatus {
			t.Fatalf("%s in memory: axfr status %q, want %q", p.name, got, p.axfrStatus)
		}
	}
	for _, impl := range realServers {
		t.Run(impl.name, func(t *testing.T) {
			dir, port := impl.serve(t, w)
			args := []string{"--hints", filepath.Join(dir, "named.root"), "--port", strconv.Itoa(port), "-4", "--timeout", "1s"}
			for _, p := range pairs {
				got, want := diff(t, append(args, p.args...)...), mem[p.name]
				if got.code != want.code {
					t.Errorf("%s on %s: exit %d, in memory %d", p.name, impl.name, got.code, want.code)
				}
				if g, w := axfrShape(got.rep.AXFR), axfrShape(want.rep.AXFR); g != w {
					t.Errorf("%s on %s: zone transfer differs from the in-memory lab:\n--- %s\n%s\n--- memory\n%s", p.name, impl.name, impl.name, g, w)
				}
				if g, w := diffServersShape(got.rep.Old), diffServersShape(want.rep.Old); g != w {
					t.Errorf("%s on %s: old servers %s, in memory %s", p.name, impl.name, g, w)
				}
				if g, w := diffServersShape(got.rep.New), diffServersShape(want.rep.New); g != w {
					t.Errorf("%s on %s: new servers %s, in memory %s", p.name, impl.name, g, w)
				}
				if got.rep.AXFR.Detail != want.rep.AXFR.Detail {
					t.Logf("%s on %s: zone transfer %s (%s), in memory %s (%s)", p.name, impl.name,
						got.rep.AXFR.Status, got.rep.AXFR.Detail, want.rep.AXFR.Status, want.rep.AXFR.Detail)
				}
				if g, w := diffRowsShape(got.rep.Rows), diffRowsShape(want.rep.Rows); g != w {
					t.Errorf("%s on %s: rows differ from the in-memory lab:\n--- %s\n%s--- memory\n%s", p.name, impl.name, impl.name, g, w)
				}
			}
		})
	}
}

// axfrShape is what must be equal in the zone transfer of nstrace diff on
// real servers and in memory: the server, its address (without the port:
// the lab's servers are at port 53), the status and the names it gave.
// The detail is left out: it says why a transfer was refused in each
// server's words (REFUSED, NOTAUTH).
func axfrShape(x diffAXFR) string {
	return fmt.Sprintf("%s %s %s records=%d names=%s", x.Server, noPort(x.Address), x.Status, x.Records, strings.Join(x.Names, " "))
}

// diffServersShape formats the servers one side of nstrace diff asked.
func diffServersShape(servers []diffServer) string {
	var parts []string
	for _, s := range servers {
		parts = append(parts, s.Server+" "+noPort(s.Address))
	}
	return strings.Join(parts, ", ")
}

// noPort returns the address of ADDRESS:PORT, and anything else as it is.
func noPort(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().String()
	}
	return addr
}

// diffRowsShape formats the rows of nstrace diff, one a line: name, type,
// verdict, the status and the records of each side.
func diffRowsShape(rows []diffRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s %s old=%s %q new=%s %q\n", r.Name, r.Type, r.Verdict, r.OldStatus, r.Old, r.NewStatus, r.New)
	}
	return b.String()
}
