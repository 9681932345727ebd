package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadServers reads servers.txt and the configurations it names in
// both syntaxes: NSD's, and Knot's, whose control socket listens too.
func TestReadServers(t *testing.T) {
	dir := t.TempDir()
	nsd := writeTestFile(t, dir, "nsd.conf", "server:\n\tip-address: 127.0.9.2@5353\nzone:\n\tname: \"a.test\"\nzone:\n\tname: \"b.test\"\n")
	knot := writeTestFile(t, dir, "knot.conf", "server:\n  listen: 127.0.9.3@5353\ncontrol:\n  listen: \"/tmp/knot.sock\"\nzone:\n  - domain: \"c.test\"\n")
	for _, tc := range []struct {
		conf, addrKey, zoneKey string
		addr                   string
		zones                  []string
	}{
		{nsd, "ip-address", "name", "127.0.9.2:5353", []string{"a.test.", "b.test."}},
		{knot, "listen", "domain", "127.0.9.3:5353", []string{"c.test."}},
	} {
		servers := writeTestFile(t, dir, "servers.txt", "ns.lab.test. 127.0.9.2 "+tc.conf+"\n")
		got, err := readServers(servers, tc.addrKey, tc.zoneKey)
		if err != nil {
			t.Fatalf("%s: %v", tc.conf, err)
		}
		if len(got) != 1 || got[0].name != "ns.lab.test." || got[0].addr != netip.MustParseAddrPort(tc.addr) || !slices.Equal(got[0].zones, tc.zones) {
			t.Errorf("%s: %+v, want %s with zones %v", tc.conf, got, tc.addr, tc.zones)
		}
	}
}

// TestReadServersErrors: a servers.txt or a configuration that the
// exports would not write is an error that names the file, not a panic.
func TestReadServersErrors(t *testing.T) {
	dir := t.TempDir()
	badAddr := writeTestFile(t, dir, "bad-addr.conf", "server:\n\tip-address: 127.0.9.2\nzone:\n\tname: \"a.test\"\n")
	noZone := writeTestFile(t, dir, "no-zone.conf", "server:\n\tip-address: 127.0.9.2@5353\n")
	for _, tc := range []struct{ name, servers, wantErr string }{
		{"two fields", "ns.lab.test. 127.0.9.2\n", "servers.txt:1: want NAME ADDRESS CONF"},
		{"no configuration", "ns.lab.test. 127.0.9.2 " + filepath.Join(dir, "missing.conf") + "\n", "missing.conf"},
		{"address without port", "ns.lab.test. 127.0.9.2 " + badAddr + "\n", `bad-addr.conf: ip-address "127.0.9.2"`},
		{"no zone", "ns.lab.test. 127.0.9.2 " + noZone + "\n", "no-zone.conf: no ip-address or no zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readServers(writeTestFile(t, dir, "servers.txt", tc.servers), "ip-address", "name")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("readServers: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := readServers(filepath.Join(dir, "none.txt"), "ip-address", "name"); err == nil {
		t.Error("readServers without servers.txt succeeded")
	}
}

// writeTestFile writes text to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
