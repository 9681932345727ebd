//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/trace"
)

// The interop world's servers: the default lab world uses none of
// 127.0.99.0/24.
var (
	rootServerAddr  = netip.MustParseAddr("127.0.99.1") // ns.nic., the root's server
	childServerAddr = netip.MustParseAddr("127.0.99.2") // ns.interop., interop.'s own server
)

// interopKeys are the key pairs ldns-keygen made for the interop world,
// each by its base name (Kzone+alg+tag) in dir: two algorithms, RSASHA256
// for the root and ECDSAP256SHA256 for interop., and a spare KSK for
// interop. whose DS matches no key the zone publishes.
type interopKeys struct {
	dir                          string
	rootKSK, rootZSK             string
	childKSK, childZSK, spareKSK string
}

// interopLayout is where the zones of the interop world are served.
type interopLayout int

const (
	// splitServers: the root on ns.nic. (127.0.99.1), interop. on
	// ns.interop. (127.0.99.2, glue in the root): every answer about
	// interop. comes after a referral.
	splitServers interopLayout = iota
	// sharedServer: ns.nic. serves both the root and interop., as a
	// parent and child on one server often are, so the root's server
	// answers for interop. at once, with the data interop. signed.
	sharedServer
)

// interopServer is one NSD process of the interop world.
type interopServer struct {
	name  string
	addr  netip.Addr
	zones [][2]string // zone name, signed zone file
}

// interopWorld is one signed world on disk, served by NSD: the hints and
// the trust anchor to give nstrace, and the signed zone files.
type interopWorld struct {
	dir, hints, anchor string
	rootSigned         string // root.zone.signed
	childSigned        string // interop.zone.signed
	childServer        string // the name of the server of interop.
	servers            []interopServer
	port               int
}

// TestDNSSECInteropLdnsNSD checks nstrace's DNSSEC validation against a
// real signer and a real server: a root zone (RSASHA256, NSEC) delegating
// interop. (ECDSAP256SHA256, NSEC3), both signed by ldns-signzone (and
// checked with ldns-verify-zone), served by NSD on 127.0.99.x, nstrace
// trusting the root KSK's DS. An answer, an NXDOMAIN and a NODATA must be
// secure with no finding — with the two zones on two servers, and on one
// server; one altered record must be bogus with RRSIG_INVALID, and a DS at
// the root that matches no key of interop. bogus with DS_MISMATCH.
func TestDNSSECInteropLdnsNSD(t *testing.T) {
	for _, tool := range []string{"ldns-keygen", "ldns-signzone", "ldns-verify-zone", "nsd"} {
		needInteropTool(t, tool)
	}
	keys := makeInteropKeys(t)

	secure := []struct {
		name, qname, qtype string
		status, what       string // the outcome, and what the last step's DNSSEC checked
	}{
		{"answer", "www.interop.", "A", "answer", "answer"},
		{"nxdomain (NSEC3)", "nope.interop.", "A", "nxdomain", "nxdomain"},
		{"nodata (NSEC3)", "www.interop.", "MX", "nodata", "nodata"},
		{"txt at the apex", "interop.", "TXT", "answer", "answer"},
		{"root nodata (NSEC)", "ns.nic.", "MX", "nodata", "nodata"},
		{"root nxdomain (NSEC)", "nope.", "A", "nxdomain", "nxdomain"},
	}
	for _, layout := range []struct {
		name   string
		layout interopLayout
	}{
		{"two servers", splitServers},
		{"parent and child on one server", sharedServer},
	} {
		t.Run("signed/"+layout.name, func(t *testing.T) {
			w := buildInteropWorld(t, keys, layout.layout, keys.childKSK)
			for _, z := range []string{w.rootSigned, w.childSigned} {
				if out, err := exec.Command("ldns-verify-zone", z).CombinedOutput(); err != nil {
					t.Fatalf("ldns-verify-zone %s: %v\n%s", filepath.Base(z), err, out)
				}
			}
			startInteropNSD(t, w)
			for _, tt := range secure {
				t.Run(tt.name, func(t *testing.T) {
					code, tr, raw := traceInterop(t, w, tt.qname, tt.qtype)
					if code != ExitOK || tr.Outcome.Status != tt.status {
						t.Errorf("exit %d, outcome %s; want %d, %s", code, tr.Outcome.Status, ExitOK, tt.status)
					}
					if tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != "secure" {
						t.Errorf("outcome DNSSEC %+v, want secure", tr.Outcome.DNSSEC)
					}
					// One server per zone is this world's design: SINGLE_NS is
					// expected, nothing else.
					if codes := findingCodes(tr.Findings); len(slices.DeleteFunc(codes, func(c string) bool { return c == trace.CodeSingleNS })) != 0 {
						t.Errorf("findings %v on zones ldns-verify-zone accepts", codes)
					}
					checkInteropSteps(t, tr, tt.qname, tt.what, layout.layout)
					if t.Failed() {
						logInteropDNSSEC(t, tr)
						t.Logf("JSON:\n%s", raw)
					}
				})
			}
		})
	}

	t.Run("altered record", func(t *testing.T) {
		w := buildInteropWorld(t, keys, splitServers, keys.childKSK)
		// Change the address of www.interop., keeping its RRSIG.
		text, err := os.ReadFile(w.childSigned)
		if err != nil {
			t.Fatal(err)
		}
		old, altered := "127.0.99.80", "127.0.99.81"
		if n := strings.Count(string(text), old); n != 1 {
			t.Fatalf("%s holds %q %d times, want once", w.childSigned, old, n)
		}
		if err := os.WriteFile(w.childSigned, []byte(strings.Replace(string(text), old, altered, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ldns-verify-zone", w.childSigned).CombinedOutput(); err == nil {
			t.Fatalf("ldns-verify-zone accepts the altered zone:\n%s", out)
		}
		startInteropNSD(t, w)
		code, tr, raw := traceInterop(t, w, "www.interop.", "A")
		wantInteropBogus(t, code, tr, raw, trace.CodeRRSIGInvalid, "interop.", w.childServer)
		if len(tr.Outcome.Records) == 0 || tr.Outcome.Records[len(tr.Outcome.Records)-1].Data != altered {
			t.Errorf("outcome records %+v, want the altered address %s", tr.Outcome.Records, altered)
		}
	})

	t.Run("DS of another key", func(t *testing.T) {
		w := buildInteropWorld(t, keys, splitServers, keys.spareKSK)
		startInteropNSD(t, w)
		code, tr, raw := traceInterop(t, w, "www.interop.", "A")
		wantInteropBogus(t, code, tr, raw, trace.CodeDSMismatch, "interop.", "")
	})
}

// needInteropTool skips the test visibly when a program is missing. NSD lives in
// /usr/sbin, which is not on every user's PATH: it is added when needed.
func needInteropTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+dir)
			return
		}
	}
	t.Skipf("SKIP: %s not installed: nstrace's DNSSEC validation is not checked against ldns and NSD (apt-get install ldnsutils nsd)", name)
}

// makeInteropKeys makes every key of the interop world, once for all the
// subtests: RSA key generation takes a moment.
func makeInteropKeys(t *testing.T) interopKeys {
	t.Helper()
	k := interopKeys{dir: t.TempDir()}
	keygen := func(args ...string) string {
		cmd := exec.Command("ldns-keygen", args...)
		cmd.Dir = k.dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ldns-keygen %s: %v %s", strings.Join(args, " "), err, interopStderr(err))
		}
		return strings.TrimSpace(string(out))
	}
	k.rootKSK = keygen("-a", "RSASHA256", "-b", "2048", "-k", ".")
	k.rootZSK = keygen("-a", "RSASHA256", "-b", "2048", ".")
	k.childKSK = keygen("-a", "ECDSAP256SHA256", "-k", "interop.")
	k.childZSK = keygen("-a", "ECDSAP256SHA256", "interop.")
	k.spareKSK = keygen("-a", "ECDSAP256SHA256", "-k", "interop.")
	return k
}

// buildInteropWorld writes and signs the two zones in a new directory:
// interop. first (NSEC3), then the root (NSEC) with the DS of dsKey for
// interop. — the zone's own KSK, or another key for a DS mismatch. It
// writes what lab.StartNSD reads (servers.txt, and an nsd.conf per server
// modelled on lab.Export's), the hints and the trust anchor (the DS of
// the root KSK, as ldns-keygen wrote it).
func buildInteropWorld(t *testing.T, k interopKeys, layout interopLayout, dsKey string) interopWorld {
	t.Helper()
	dir := t.TempDir()
	w := interopWorld{
		dir:         dir,
		hints:       filepath.Join(dir, "named.root"),
		anchor:      filepath.Join(dir, "root.anchor"),
		rootSigned:  filepath.Join(dir, "root.zone.signed"),
		childSigned: filepath.Join(dir, "interop.zone.signed"),
	}
	root, child := [2]string{".", w.rootSigned}, [2]string{"interop.", w.childSigned}
	childNS, childGlue := "ns.nic.", ""
	switch layout {
	case splitServers:
		childNS, childGlue = "ns.interop.", fmt.Sprintf("ns.interop. IN A %s\n", childServerAddr)
		w.servers = []interopServer{
			{"ns.nic.", rootServerAddr, [][2]string{root}},
			{"ns.interop.", childServerAddr, [][2]string{child}},
		}
	case sharedServer:
		w.servers = []interopServer{{"ns.nic.", rootServerAddr, [][2]string{root, child}}}
	}
	w.childServer = childNS
	w.port = freeInteropPort(t, w.servers)

	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	read := func(path string) string {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// Valid from an hour ago to a week ahead: nstrace on real sockets
	// reads the system clock.
	now := time.Now()
	validity := []string{"-i", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), "-e", strconv.FormatInt(now.Add(7*24*time.Hour).Unix(), 10)}
	sign := func(zone, file, signed string, nsec3 bool, keys ...string) {
		t.Helper()
		args := append([]string{"-o", zone, "-f", signed}, validity...)
		if nsec3 {
			args = append(args, "-n")
		}
		args = append(args, file) // the zone file, then the keys by base name
		for _, key := range keys {
			args = append(args, filepath.Join(k.dir, key))
		}
		if out, err := exec.Command("ldns-signzone", args...).CombinedOutput(); err != nil {
			t.Fatalf("ldns-signzone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	childZone := write("interop.zone", fmt.Sprintf(`$ORIGIN interop.
$TTL 3600
@    IN SOA %[1]s hostmaster.interop. 1 7200 3600 1209600 300
@    IN NS  %[1]s
@    IN TXT "signed by ldns-signzone"
www  IN A   127.0.99.80
%[2]s`, childNS, childGlue))
	sign("interop.", childZone, w.childSigned, true, k.childKSK, k.childZSK)

	rootZone := write("root.zone", fmt.Sprintf(`$ORIGIN .
$TTL 86400
.        IN SOA ns.nic. hostmaster.nic. 1 7200 3600 1209600 300
.        IN NS  ns.nic.
ns.nic.  IN A   %s
interop. IN NS  %s
%s%s`, rootServerAddr, childNS, childGlue, read(filepath.Join(k.dir, dsKey+".ds"))))
	sign(".", rootZone, w.rootSigned, false, k.rootKSK, k.rootZSK)

	write("named.root", fmt.Sprintf(".  3600000 NS ns.nic.\nns.nic. 3600000 A %s\n", rootServerAddr))
	write("root.anchor", read(filepath.Join(k.dir, k.rootKSK+".ds")))

	var servers strings.Builder
	for _, s := range w.servers {
		sdir := filepath.Join(dir, strings.TrimSuffix(s.name, "."))
		if err := os.MkdirAll(filepath.Join(sdir, "xfr"), 0o755); err != nil {
			t.Fatal(err)
		}
		var conf strings.Builder
		fmt.Fprintf(&conf, "server:\n\tip-address: %s@%d\n\tport: %d\n\tdo-ip4: yes\n\tdo-ip6: no\n", s.addr, w.port, w.port)
		conf.WriteString("\tusername: \"\"\n\tchroot: \"\"\n\tdatabase: \"\"\n")
		for _, kv := range [][2]string{
			{"zonesdir", sdir}, {"pidfile", "nsd.pid"}, {"logfile", "nsd.log"},
			{"zonelistfile", "zone.list"}, {"xfrdfile", "xfrd.state"}, {"xfrdir", "xfr"},
		} {
			p := kv[1]
			if !filepath.IsAbs(p) {
				p = filepath.Join(sdir, p)
			}
			fmt.Fprintf(&conf, "\t%s: \"%s\"\n", kv[0], p)
		}
		conf.WriteString("\tserver-count: 1\n\tverbosity: 0\n\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n")
		conf.WriteString("remote-control:\n\tcontrol-enable: no\n")
		for _, z := range s.zones {
			fmt.Fprintf(&conf, "zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n", z[0], z[1])
		}
		confPath := write(filepath.Join(filepath.Base(sdir), "nsd.conf"), conf.String())
		fmt.Fprintf(&servers, "%s %s %s\n", s.name, s.addr, confPath)
	}
	write("servers.txt", servers.String())
	return w
}

// startInteropNSD serves the world with NSD, one process per server, until
// the (sub)test ends.
func startInteropNSD(t *testing.T, w interopWorld) {
	t.Helper()
	n, err := lab.StartNSD(w.dir, 10*time.Second)
	if errors.Is(err, lab.ErrNoNSD) {
		t.Skipf("SKIP: %v", err)
	}
	if err != nil {
		t.Fatalf("starting NSD: %v", err)
	}
	t.Cleanup(n.Stop)
}

// freeInteropPort returns a high port free over UDP and TCP on the address
// of every server, or skips when they cannot be bound (127.0.0.0/8 is not
// all loopback everywhere).
func freeInteropPort(t *testing.T, servers []interopServer) int {
	t.Helper()
	var addrs []netip.Addr
	for _, s := range servers {
		addrs = append(addrs, s.addr)
	}
	port, err := lab.FreePortOn(addrs)
	if err != nil {
		t.Skipf("SKIP: %v (loopback addresses 127.0.99.1 and 127.0.99.2 needed)", err)
	}
	return port
}

// traceInterop runs nstrace trace --dnssec on the interop world.
func traceInterop(t *testing.T, w interopWorld, qname, qtype string) (int, trace.Trace, string) {
	t.Helper()
	code, out, stderr := run(t, "trace", "--hints", w.hints, "--port", strconv.Itoa(w.port), "-4", "--timeout", "1s",
		"--dnssec", "--trust-anchor", w.anchor, "--format", "json", qname, qtype)
	var tr trace.Trace
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trace %s %s: exit %d, bad JSON (%s): %v", qname, qtype, code, stderr, err)
	}
	return code, tr, out
}

// checkInteropSteps checks that every step carries a secure DNSSEC
// verdict, that the referral to interop. (two servers) checked its keys,
// and that the last step checked the data (what).
func checkInteropSteps(t *testing.T, tr trace.Trace, qname, what string, layout interopLayout) {
	t.Helper()
	steps := tr.Steps
	if len(steps) == 0 {
		t.Fatalf("no steps")
	}
	for _, s := range steps {
		if s.DNSSEC == nil {
			t.Errorf("step %s (%s) has no dnssec verdict", s.ID, s.Zone)
		} else if s.DNSSEC.State != "secure" {
			t.Errorf("step %s (%s): dnssec %s %s: %s", s.ID, s.Zone, s.DNSSEC.State, s.DNSSEC.Code, s.DNSSEC.Reason)
		}
	}
	if layout == splitServers && strings.HasSuffix(qname, "interop.") {
		var keys *trace.StepDNSSEC
		for _, s := range steps {
			if s.Zone == "." && s.DNSSEC != nil && s.DNSSEC.What == "keys" && s.DNSSEC.Zone == "interop." {
				keys = s.DNSSEC
			}
		}
		if keys == nil || keys.State != "secure" || len(keys.KeyTags) == 0 {
			t.Errorf("no step at the root checked the keys of interop. secure: %+v", keys)
		}
	}
	last := steps[len(steps)-1].DNSSEC
	if last == nil || last.What != what || last.State != "secure" {
		t.Errorf("last step dnssec %+v, want %s secure", last, what)
	}
}

// wantInteropBogus checks a bogus trace: exit 1, outcome bogus, and a finding
// with code about zone, naming server when server is not empty.
func wantInteropBogus(t *testing.T, code int, tr trace.Trace, raw, want, zone, server string) {
	t.Helper()
	if code != ExitFailed {
		t.Errorf("exit %d, want %d", code, ExitFailed)
	}
	if tr.Outcome.DNSSEC == nil || tr.Outcome.DNSSEC.State != "bogus" {
		t.Errorf("outcome DNSSEC %+v, want bogus", tr.Outcome.DNSSEC)
	}
	found := false
	for _, f := range tr.Findings {
		if f.Code == want && f.Zone == zone && (server == "" || f.Server == server) {
			found = true
		}
	}
	if !found {
		t.Errorf("findings %v, want %s for %s naming server %q", findingCodes(tr.Findings), want, zone, server)
	}
	if t.Failed() {
		for _, f := range tr.Findings {
			t.Logf("finding %s zone=%s server=%s %s: %s", f.Code, f.Zone, f.Server, f.Address, f.Explanation)
		}
		logInteropDNSSEC(t, tr)
		t.Logf("JSON:\n%s", raw)
	}
}

// logInteropDNSSEC logs the DNSSEC verdict of every step, reasons included.
func logInteropDNSSEC(t *testing.T, tr trace.Trace) {
	t.Helper()
	for _, s := range tr.Steps {
		if d := s.DNSSEC; d != nil {
			t.Logf("step %s zone %s: dnssec %s %s %s code=%q tags=%v: %s", s.ID, s.Zone, d.What, d.Zone, d.State, d.Code, d.KeyTags, d.Reason)
		}
	}
}

// interopStderr is what a failed program wrote to stderr, when exec kept it.
func interopStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
