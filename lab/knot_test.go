//go:build unix

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestExportKnot checks the files ExportKnot writes, without running Knot:
// one directory per server with behaviour ok, a knot.conf listening on the
// server's address only, with everything in that directory, and the same
// zone files as Export writes for NSD. When knotc is installed, every
// knot.conf must also pass "knotc conf-check".
func TestExportKnot(t *testing.T) {
	w := mustDefault(t)
	dir := filepath.Join(t.TempDir(), "knot") // created by ExportKnot
	if err := ExportKnot(w, dir, 15353); err != nil {
		t.Fatal(err)
	}
	nsdDir := t.TempDir()
	if err := Export(w, nsdDir, 15353); err != nil {
		t.Fatal(err)
	}
	read := func(parts ...string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(parts...))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read(dir, "named.root"); got != w.HintsFile() {
		t.Errorf("named.root is not the hints file")
	}
	confs := readServersTxt(t, dir)
	if len(confs) != len(exportedServers(w)) {
		t.Errorf("servers.txt lists %d servers, want %d", len(confs), len(exportedServers(w)))
	}
	readme := read(dir, "README.txt")
	knotc, _ := exec.LookPath("knotc")
	if knotc == "" {
		if _, err := os.Stat("/usr/sbin/knotc"); err == nil {
			knotc = "/usr/sbin/knotc"
		}
	}
	for _, s := range w.Servers() {
		name := strings.TrimSuffix(s.Name, ".")
		conf, exported := confs[s.Name]
		if exported != (s.Behaviour == "ok") {
			t.Errorf("%s (behaviour %s): exported %v", s.Name, s.Behaviour, exported)
		}
		if !exported {
			if !strings.Contains(readme, name) || !strings.Contains(readme, "behaviour "+s.Behaviour) {
				t.Errorf("README.txt does not list skipped server %s (%s)", s.Name, s.Behaviour)
			}
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("skipped server %s has a directory", s.Name)
			}
			continue
		}
		sdir := filepath.Join(dir, name)
		if conf != filepath.Join(sdir, "knot.conf") {
			t.Errorf("%s: conf %s", s.Name, conf)
		}
		text := read(conf)
		for _, want := range []string{
			"    listen: " + s.Addr.String() + "@15353\n",
			"    rundir: \"" + sdir + "\"\n",
			"    pidfile: \"" + sdir + "/knot.pid\"\n",
			"    listen: \"" + sdir + "/knot.sock\"\n",
			"  - target: \"" + sdir + "/knot.log\"\n",
			"database:\n    storage: \"" + sdir + "\"\n",
			"    udp-workers: 1\n", "    tcp-workers: 1\n", "    background-workers: 1\n",
			"    semantic-checks: off\n", "    zonefile-load: whole\n", "    zonefile-sync: -1\n", "    journal-content: none\n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: knot.conf lacks %q", s.Name, want)
			}
		}
		for _, unwanted := range []string{"user:", "module:", "mod-rrl", "rrl"} {
			if strings.Contains(text, "\n    "+unwanted) || strings.Contains(text, "\n  - "+unwanted) {
				t.Errorf("%s: knot.conf has %q", s.Name, unwanted)
			}
		}
		if strings.Count(text, "@") != 1 {
			t.Errorf("%s: knot.conf listens on more than one address", s.Name)
		}
		for _, ref := range s.Zones {
			zname, _, _ := strings.Cut(ref, "@")
			file := filepath.Join(sdir, zoneFileName(zname))
			if !strings.Contains(text, "  - domain: \""+zname+"\"\n    file: \""+file+"\"\n") {
				t.Errorf("%s: knot.conf has no zone %s at %s", s.Name, zname, file)
			}
			// The zone file, of the right variant, is the one Export
			// writes (TestExport checks those) but for its path.
			if got, want := read(file), read(nsdDir, name, zoneFileName(zname)); got != want {
				t.Errorf("%s: zone file %s differs from Export's", s.Name, file)
			}
		}
		if knotc != "" {
			if out, err := exec.Command(knotc, "-c", conf, "conf-check").CombinedOutput(); err != nil {
				t.Errorf("%s: knotc conf-check: %v\n%s", s.Name, err, out)
			}
		}
	}
	if !strings.Contains(read(dir, "ns2.stale.com", "stale.com.zone"), " 2025112401 ") {
		t.Error("ns2.stale.com does not get the old variant of stale.com")
	}
	if !strings.Contains(read(dir, "a.root-servers.net", "knot.conf"), "domain: \".\"") {
		t.Error("the root zone is not exported")
	}
	if knotc == "" {
		t.Log("knotc not installed: knot.conf not checked by Knot")
	}
}

func TestExportKnotErrors(t *testing.T) {
	w := mustDefault(t)
	for _, port := range []int{0, -1, 65536} {
		if err := ExportKnot(w, t.TempDir(), port); err == nil {
			t.Errorf("ExportKnot at port %d succeeded", port)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if err := ExportKnot(w, file, 5353); err == nil {
		t.Error("ExportKnot into a file succeeded")
	}
	for _, bad := range []string{`a"b`, `a\b`} {
		if err := ExportKnot(w, filepath.Join(t.TempDir(), bad), 5353); err == nil {
			t.Errorf("ExportKnot into a path with %q succeeded", bad)
		}
	}
	long := filepath.Join(t.TempDir(), strings.Repeat("x", maxKnotSocketPath))
	if err := ExportKnot(w, long, 5353); err == nil || !strings.Contains(err.Error(), "control socket") {
		t.Errorf("ExportKnot into a long path: %v, want an error about the control socket", err)
	}
}

func TestStartKnotErrors(t *testing.T) {
	if _, err := knotdPath(); err != nil {
		if _, err := StartKnot(t.TempDir(), time.Second); err != ErrNoKnot {
			t.Errorf("StartKnot without knotd: %v, want ErrNoKnot", err)
		}
		t.Skip("SKIP: knotd not installed (apt-get install knot); StartKnot not run")
	}
	if _, err := StartKnot(t.TempDir(), time.Second); err == nil {
		t.Error("StartKnot without servers.txt succeeded")
	}
	// A zone that Knot refuses to load (a CNAME beside other data, which
	// the lab's checks would not let through): StartKnot fails with the
	// log, and leaves nothing running.
	w := mustDefault(t)
	port, err := FreePort(w)
	if err != nil {
		t.Skip("SKIP: " + err.Error() + " (loopback needed)")
	}
	dir := knotTempDir(t)
	if err := ExportKnot(w, dir, port); err != nil {
		t.Fatal(err)
	}
	servers, err := readServers(filepath.Join(dir, "servers.txt"), "listen", "domain")
	if err != nil {
		t.Fatal(err)
	}
	var one exportedServer
	for _, s := range servers {
		if s.name == "ns1.example.test." {
			one = s
		}
	}
	if one.conf == "" {
		t.Fatal("ns1.example.test is not exported")
	}
	if err := os.WriteFile(filepath.Join(dir, "servers.txt"), []byte(fmt.Sprintf("%s %s %s\n", one.name, one.addr.Addr(), one.conf)), 0o644); err != nil {
		t.Fatal(err)
	}
	zf := filepath.Join(filepath.Dir(one.conf), "example.test.zone")
	f, err := os.OpenFile(zf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "example.test. 3600 IN CNAME elsewhere.test.")
	f.Close()
	start := time.Now()
	k, err := StartKnot(dir, 3*time.Second)
	if err == nil {
		k.Stop()
		t.Fatal("StartKnot with a broken zone succeeded")
	}
	if !strings.Contains(err.Error(), "example.test.") || !strings.Contains(err.Error(), "knot.log") {
		t.Errorf("StartKnot error does not name the zone or hold the log: %v", err)
	}
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	if _, _, err := c.Exchange(query("example.test.", dns.TypeSOA), netip.AddrPortFrom(one.addr.Addr(), uint16(port)).String()); err == nil {
		t.Error("knotd still answers after a failed StartKnot")
	}
}

// knotTempDir returns a temporary directory short enough for Knot's
// control sockets (t.TempDir can be long on macOS), removed at the end of
// the test, after the cleanups registered later (Stop) have run.
func knotTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nstrace-knot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestKnotMatchesNetwork exports the default world (ExportKnot), runs
// every exported server in a real knotd on its loopback address, and
// checks that Knot answers the queries of TestNSDMatchesNetwork
// (nsdQueries, but only a few names below each zone cut), plus ANY at
// every apex and every name with more than one RRset, over UDP and over
// TCP, as the in-memory Network does: same RCODE, AA and TC, and the same
// records (TTLs included) in the three sections, order ignored, but for
// the systematic differences of Knot DNS 3.2, each modelled on the lab's
// reply before the comparison:
//
//   - additional data in answers (knotAdditional): Knot adds the
//     addresses the answering zone holds for the targets of NS, MX and SRV
//     records in the answer (glue below its cuts included); the lab adds
//     none;
//   - CNAME chains (knotCNAMELimit): Knot puts at most 5 CNAMEs in an
//     answer, the lab 8;
//   - ANY (knotAny): Knot answers one RRset of the name (RFC 8482), the
//     lab all of them;
//   - truncation (knotTruncate): queries carry EDNS0 with a payload size
//     of 1232, Knot's limit (Knot truncates a UDP reply at the smaller of
//     its udp-max-payload and the client's size, the lab at the client's).
//     Knot puts whole RRsets only: an answer or authority RRset that does
//     not fit sets TC=1, and additional data that does not fit is left out
//     without TC; the lab (dns.Msg.Truncate) keeps as many single records
//     as fit. So a truncated reply is compared with the lab's whole reply
//     (as over TCP): Knot's records must be whole RRsets of it.
//
// The other behaviours are the same: REFUSED with AA=0 for a name in no
// zone the server hosts (Knot adds an Extended DNS Error 20, "Not
// Authoritative", with EDNS0, which the comparison ignores as it ignores
// OPT); referrals with AA=0, the NS RRset in authority and the glue the
// zone holds, sibling glue included; NODATA and NXDOMAIN with AA=1 and the
// SOA at TTL min(SOA TTL, MINIMUM); CNAMEs followed inside one zone only,
// stopping at loops, NXDOMAIN at a missing target in the zone; DS at a cut
// or at the apex of a zone whose parent the server also hosts answered
// from the parent.
func TestKnotMatchesNetwork(t *testing.T) {
	if _, err := knotdPath(); err != nil {
		t.Skip("SKIP: knotd not installed (apt-get install knot); the export to Knot is not compared with the lab")
	}
	if testing.Short() {
		t.Skip("SKIP: -short: not starting Knot")
	}
	w := mustDefault(t)
	exported := exportedServers(w)
	port, err := FreePort(w)
	if err != nil {
		t.Skip("SKIP: " + err.Error() + " (loopback needed)")
	}
	dir := knotTempDir(t)
	if err := ExportKnot(w, dir, port); err != nil {
		t.Fatalf("ExportKnot: %v", err)
	}
	if confs := readServersTxt(t, dir); len(confs) != len(exported) {
		t.Fatalf("servers.txt lists %d servers, want %d", len(confs), len(exported))
	}
	start := time.Now()
	k, err := StartKnot(dir, 20*time.Second)
	if err != nil {
		t.Fatalf("Knot did not come up: %v", err)
	}
	t.Cleanup(k.Stop)
	t.Logf("%d knotd up in %v", len(exported), time.Since(start).Round(time.Millisecond))

	n := NewNetwork(w)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		seen  = map[string]int{}
	)
	// One goroutine per server, protocol and slice of at most 200
	// queries: the TLD servers get thousands (every glue name of com).
	for _, s := range exported {
		target := netip.AddrPortFrom(s.addr, uint16(port)).String()
		lab := func(proto string, q *dns.Msg) (*dns.Msg, error) {
			m, _, err := n.Exchange(context.Background(), proto, netip.AddrPortFrom(s.addr, 53), q)
			return m, err
		}
		for qs := range slices.Chunk(dnssecQueries(s, knotQueries(s)), 200) {
			for _, proto := range []string{"udp", "tcp"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					kc := &knotClient{c: &dns.Client{Net: proto, Timeout: 2 * time.Second}, addr: target}
					for _, nq := range qs {
						q := query(nq.name, nq.qtype)
						q.SetEdns0(knotUDPSize, nq.do)
						got, err := kc.exchange(q)
						if nq.do && got != nil && got.Rcode == dns.RcodeNameError && answeringZone(s, nq.name).signing.badNXProof {
							continue // break=nxproof is played by the lab only
						}
						if err != nil {
							t.Errorf("%s %s %s: Knot: %v", s.name, proto, nq, err)
							continue
						}
						diff, kinds, err := knotCompare(s, q, got, lab, proto)
						if err != nil {
							t.Errorf("%s %s %s: lab: %v", s.name, proto, nq, err)
							continue
						}
						if diff != "" {
							if len(diff) > 3000 {
								diff = diff[:3000] + " ..."
							}
							t.Errorf("%s %s %s: Knot differs from the lab (allowed for: %s):\n%s",
								s.name, proto, nq, strings.Join(kinds, ", "), strings.ReplaceAll(diff, "    nsd ", "    knot "))
						}
						mu.Lock()
						total++
						for _, k := range kinds {
							seen[k]++
						}
						mu.Unlock()
					}
					kc.close()
				}()
			}
		}
	}
	wg.Wait()
	t.Logf("%d Knot servers, %d queries (UDP and TCP) compared with the lab; Knot's differences: %d with additional data, %d CNAME chains cut at %d, %d ANY answered with one RRset, %d UDP replies truncated (%d of them empty), %d with additional data left out",
		len(exported), total, seen["additional"], seen["cname"], knotCNAMEChainMax, seen["any"], seen["truncated"], seen["truncated-empty"], seen["additional-dropped"])
}

// knotUDPSize is Knot's default udp-max-payload, the EDNS0 size the test
// advertises.
const knotUDPSize = 1232

// knotQueries returns nsdQueries(s), but at most knotPerCut of the
// questions for names below each zone cut (all get the same referral, and
// com has 500 glue names under manyns.com), plus ANY at the apex of every
// zone and at every name with more than one RRset.
func knotQueries(s *server) []nsdQuery {
	var qs []nsdQuery
	below := map[string]int{} // zone/cut -> questions kept below it
	for _, q := range nsdQueries(s) {
		if z := answeringZone(s, q.name); z != nil {
			name := strings.ToLower(q.name)
			if cut := z.findCut(name); cut != "" && cut != name {
				if below[z.name+"/"+cut]++; below[z.name+"/"+cut] > knotPerCut {
					continue
				}
			}
		}
		qs = append(qs, q)
	}
	for _, z := range s.zones {
		var owners []string
		for o, rrsets := range z.nodes {
			if o == z.name || len(rrsets) > 1 {
				owners = append(owners, o)
			}
		}
		sortCanonical(owners)
		for _, o := range owners {
			qs = append(qs, nsdQuery{name: o, qtype: dns.TypeANY})
		}
	}
	return qs
}

// knotPerCut is how many questions below one zone cut knotQueries keeps.
const knotPerCut = 4

// knotClient asks one knotd, over one TCP connection for all the TCP
// queries (a new connection per query is slow).
type knotClient struct {
	c    *dns.Client
	addr string
	conn *dns.Conn
}

func (kc *knotClient) exchange(q *dns.Msg) (*dns.Msg, error) {
	var err error
	for try := 0; try < 3; try++ { // loopback: a retry is cheap
		if kc.c.Net == "udp" {
			var r *dns.Msg
			if r, _, err = kc.c.Exchange(q, kc.addr); err == nil {
				return r, nil
			}
			continue
		}
		if kc.conn == nil {
			if kc.conn, err = kc.c.Dial(kc.addr); err != nil {
				continue
			}
		}
		var r *dns.Msg
		if r, _, err = kc.c.ExchangeWithConn(q, kc.conn); err == nil {
			return r, nil
		}
		kc.close() // Knot may have closed an idle connection: dial again
	}
	return nil, err
}

func (kc *knotClient) close() {
	if kc.conn != nil {
		kc.conn.Close()
		kc.conn = nil
	}
}

// knotCompare compares Knot's reply got to query q with the lab's, after
// applying to the lab's reply the differences of Knot that the test
// allows. It returns diffReplies' description ("" if equal) and the kinds
// of differences applied: "additional", "cname", "any", "truncated",
// "truncated-empty", "additional-dropped".
func knotCompare(s *server, q, got *dns.Msg, lab func(proto string, q *dns.Msg) (*dns.Msg, error), proto string) (string, []string, error) {
	var kinds []string
	want, err := lab(proto, q)
	if err != nil {
		return "", nil, err
	}
	if want.Truncated || got.Truncated {
		// Knot truncates differently: start from the lab's whole reply.
		if want, err = lab("tcp", q); err != nil {
			return "", nil, err
		}
	}
	if knotAny(got, want) {
		kinds = append(kinds, "any")
	}
	if knotCNAMELimit(want) {
		kinds = append(kinds, "cname")
	}
	if knotAdditional(s, want) {
		kinds = append(kinds, "additional")
	}
	if proto == "udp" {
		if k := knotTruncate(got, want); k != "" {
			kinds = append(kinds, k)
			if k == "truncated" && len(got.Answer)+len(got.Ns)+len(fullRRs(got.Extra)) == 0 {
				kinds = append(kinds, "truncated-empty")
			}
		}
	}
	return diffReplies(got, want), kinds, nil
}

// knotTruncate adapts the lab's whole reply want to what Knot sends over
// UDP when want does not fit in knotUDPSize bytes: Knot adds whole RRsets,
// in order; one of answer or authority that does not fit sets TC=1 and
// ends the reply, and additional data that does not fit is left out (TC
// stays 0). So, if want is too large: when got has TC=1, want becomes got
// provided got's records are whole RRsets of want's sections; when got has
// TC=0, want's additional section becomes got's provided got's is a set
// of whole RRsets of it. It returns "truncated", "additional-dropped" or
// "" (want fits, or got is not made of want's RRsets: the diff shows it).
func knotTruncate(got, want *dns.Msg) string {
	if want.Len() <= knotUDPSize {
		return ""
	}
	wholeRRsets := func(part, of []dns.RR) bool {
		full := map[string]int{} // owner/type -> records in "of"
		for _, rr := range of {
			full[rrsetKey(rr)]++
		}
		have := map[string]int{}
		for _, rr := range part {
			have[rrsetKey(rr)]++
		}
		for k, n := range have {
			if full[k] != n {
				return false
			}
		}
		return len(subtract(fullRRs(part), fullRRs(of))) == 0
	}
	if got.Truncated {
		if got.Rcode != want.Rcode || got.Authoritative != want.Authoritative ||
			!wholeRRsets(got.Answer, want.Answer) || !wholeRRsets(got.Ns, want.Ns) || !wholeRRsets(got.Extra, want.Extra) {
			return ""
		}
		want.Truncated = true
		want.Answer, want.Ns, want.Extra = got.Answer, got.Ns, got.Extra
		return "truncated"
	}
	if len(fullRRs(got.Extra)) == len(fullRRs(want.Extra)) || !wholeRRsets(got.Extra, want.Extra) {
		return ""
	}
	want.Extra = got.Extra
	return "additional-dropped"
}

// rrsetKey identifies the RRset of a record: owner and type (class IN).
func rrsetKey(rr dns.RR) string {
	return strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
}

// knotAdditional adds to a lab reply m what Knot adds and the lab does
// not: in an authoritative answer, for every NS, MX and SRV record of the
// answer section, the A and AAAA records that the answering zone holds
// for its target, glue below the zone's cuts included (Knot precomputes
// these "additionals" when it loads a zone; a target outside the zone, or
// in another zone of the same server, gets none). It reports whether it
// added anything.
func knotAdditional(s *server, m *dns.Msg) bool {
	if !m.Authoritative || len(m.Answer) == 0 {
		return false
	}
	z := answeringZone(s, m.Question[0].Name)
	have := map[string]bool{}
	for _, rr := range m.Extra {
		have[rr.String()] = true
	}
	added := false
	for _, rr := range m.Answer {
		var host string
		switch rr := rr.(type) {
		case *dns.NS:
			host = rr.Ns
		case *dns.MX:
			host = rr.Mx
		case *dns.SRV:
			host = rr.Target
		default:
			continue
		}
		host = strings.ToLower(host)
		opt := m.IsEdns0()
		// With DO=1, the RRSIGs of the addresses too, unless they are glue.
		do := opt != nil && opt.Do() && (z.findCut(host) == "" || z.findCut(host) == host)
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			for _, a := range z.appendRRset(nil, z.nodes[host][t], do) {
				if !have[a.String()] {
					have[a.String()] = true
					m.Extra = append(m.Extra, a)
					added = true
				}
			}
		}
	}
	return added
}

// knotCNAMEChainMax is CNAME_CHAIN_MAX of Knot (knot/nameserver/internet.h).
const knotCNAMEChainMax = 5

// knotCNAMELimit cuts a lab reply m as Knot cuts a CNAME chain: Knot puts
// at most 5 CNAMEs in an answer; where it would follow a sixth it stops
// and answers NOERROR with those 5 and nothing in authority, where the lab
// goes on for up to 8 (and may end in an answer, NODATA or NXDOMAIN). It
// reports whether it cut.
func knotCNAMELimit(m *dns.Msg) bool {
	if qt := m.Question[0].Qtype; qt == dns.TypeCNAME || qt == dns.TypeANY {
		return false
	}
	n := 0
	for i, rr := range m.Answer {
		if rr.Header().Rrtype != dns.TypeCNAME {
			continue
		}
		if n++; n > knotCNAMEChainMax {
			m.Answer = m.Answer[:i]
			m.Rcode = dns.RcodeSuccess
			m.Ns = nil
			m.Extra = slices.DeleteFunc(m.Extra, func(rr dns.RR) bool { return rr.Header().Rrtype != dns.TypeOPT })
			return true
		}
	}
	return false
}

// knotAny restricts a lab reply m to an ANY query to what Knot answers:
// one RRset of the name, the one Knot chose (got's first record's type),
// if the lab has it; the lab answers all the RRsets of the name. It
// reports whether it removed records.
func knotAny(got, m *dns.Msg) bool {
	if m.Question[0].Qtype != dns.TypeANY || !m.Authoritative || len(got.Answer) == 0 {
		return false
	}
	t := got.Answer[0].Header().Rrtype
	kept := slices.DeleteFunc(slices.Clone(m.Answer), func(rr dns.RR) bool {
		if sig, ok := rr.(*dns.RRSIG); ok {
			return sig.TypeCovered != t // with DO=1, the RRset's RRSIG stays
		}
		return rr.Header().Rrtype != t
	})
	if len(kept) == 0 || len(kept) == len(m.Answer) {
		return false
	}
	m.Answer = kept
	return true
}

// TestExportKnotAXFR checks that the zones with the option axfr, and only
// those, let loopback clients transfer them: in knot.conf an acl with
// action transfer from 127.0.0.0/8, defined only by the servers of such a
// zone and named by that zone only (Knot refuses a transfer no acl
// allows). knotc conf-check is run by TestExportKnot.
func TestExportKnotAXFR(t *testing.T) {
	w := mustDefault(t)
	dir := t.TempDir()
	if err := ExportKnot(w, dir, 15353); err != nil {
		t.Fatal(err)
	}
	const acl = "acl:\n  - id: lab-axfr\n    address: 127.0.0.0/8\n    action: transfer\n"
	read := func(server string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, server, "knot.conf"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, s := range w.servers {
		if s.behaviour.Kind != BehaviourOK {
			continue
		}
		text := read(trimDot(s.name))
		some := slices.ContainsFunc(s.zones, func(z *zone) bool { return z.axfr })
		if got := strings.Contains(text, acl); got != some {
			t.Errorf("%s: acl defined %v, want %v", s.name, got, some)
		}
		if strings.Contains(text, acl) && strings.Index(text, acl) > strings.Index(text, "\nzone:\n") {
			t.Errorf("%s: the acl comes after the zones that name it", s.name)
		}
		for _, z := range s.zones {
			clause := zoneClause(text, "  - domain: \""+z.name+"\"\n", "  - domain: ")
			if clause == "" {
				t.Fatalf("%s: knot.conf has no zone %s", s.name, z.name)
			}
			if got := strings.Contains(clause, "    acl: lab-axfr\n"); got != z.axfr {
				t.Errorf("%s: zone %s (axfr %v): acl %v in\n%s", s.name, z.name, z.axfr, got, clause)
			}
		}
		if !strings.Contains(text, "    dnssec-signing: off\n") {
			t.Errorf("%s: knot.conf lacks dnssec-signing: off", s.name)
		}
	}
	for _, tc := range []struct {
		server, zone string
		axfr         bool
	}{
		{"ns1.hostingprovider.com", "mydomain.com.", true},
		{"ns1.hostingprovider.com", "lame.com.", false},
		{"ns1.newdns.net", "mydomain.com.", false},
	} {
		clause := zoneClause(read(tc.server), "  - domain: \""+tc.zone+"\"\n", "  - domain: ")
		if got := strings.Contains(clause, "acl: lab-axfr"); got != tc.axfr {
			t.Errorf("%s: zone %s: acl %v, want %v", tc.server, tc.zone, got, tc.axfr)
		}
	}
	if strings.Contains(read("a.gtld-servers.net"), "acl:") {
		t.Error("a.gtld-servers.net (no zone with axfr) defines an acl")
	}
}
