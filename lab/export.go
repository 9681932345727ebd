package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Export writes the world as configuration for NSD, NLnet Labs'
// authoritative-only name server, so that the lab can be compared with
// (or replaced by) a real server. Every server whose behaviour NSD can
// reproduce (only "ok": NSD cannot be told to drop, refuse, delay or
// forge) gets a directory dir/NAME/ (NAME without the final dot) holding
//
//   - nsd.conf: listening only on ADDRESS@port, not dropping privileges
//     (username ""), without chroot, database, rate limiting or remote
//     control, with its pid, log, zone list and xfrd state files in the
//     same directory, and absolute zonefile paths; minimal-responses is
//     on, so that NSD, like the lab, adds neither the zone's NS RRset to
//     answers nor additional data other than the glue of referrals; a
//     zone with the option axfr gets "provide-xfr: 127.0.0.0/8 NOKEY",
//     so that NSD, like the lab, gives it by AXFR to any client (every lab
//     address is in 127.0.0.0/8), and refuses the transfer of the others;
//   - one zone file per zone it serves, of the variant it serves (the
//     root zone is root.zone, the others NAME.zone), each record fully
//     qualified, the SOA first.
//
// dir also gets named.root (the hints, as World.HintsFile), servers.txt
// (one line per exported server: "NAME ADDRESS CONF", CONF an absolute
// path) and README.txt, which lists the servers that were skipped and why.
// Start one server with: nsd -d -c dir/NAME/nsd.conf.
//
// dir is created if needed; files already there are overwritten. port
// must be in 1-65535.
func Export(w *World, dir string, port int) error {
	return exportWorld(w, dir, port, exportTarget{
		software: "NSD", fn: "Export", start: "nsd -d -c DIR/NAME/nsd.conf", badChars: "\"\n",
		server: exportServer,
	})
}

// exportTarget is what differs between the exports to NSD and to Knot DNS.
type exportTarget struct {
	software, fn string // "NSD", "Export"
	start        string // how to start one server, for README.txt
	badChars     string // characters the configuration cannot hold in a path
	// server writes the directory of one server and returns the absolute
	// path of its configuration.
	server func(s *server, root string, port int) (string, error)
}

// exportWorld writes dir/NAME/ for every server whose behaviour real
// software can reproduce ("ok"), and named.root, servers.txt and
// README.txt in dir.
func exportWorld(w *World, dir string, port int, t exportTarget) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("lab: export to %s: %s", t.software, fmt.Sprintf(format, a...))
	}
	if port < 1 || port > 65535 {
		return fail("bad port %d (want 1-65535)", port)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail("%v", err)
	}
	if strings.ContainsAny(abs, t.badChars) {
		return fail("directory %q: a path with a quote, a backslash or a newline cannot go in its configuration", abs)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fail("%v", err)
	}
	var servers, readme strings.Builder
	var skipped []string
	fmt.Fprintf(&readme, "The nstrace lab exported for %s (lab.%s).\n\n", t.software, t.fn)
	fmt.Fprintf(&readme, "Every exported server listens on its own address at port %d. Start one with\n", port)
	fmt.Fprintf(&readme, "    %s\n", t.start)
	readme.WriteString("(servers.txt lists them all) and point a resolver at named.root.\n\n")
	readme.WriteString("Exported servers:\n")
	for _, s := range w.servers {
		if s.behaviour.Kind != BehaviourOK {
			skipped = append(skipped, fmt.Sprintf("    %-28s %-15s behaviour %s: %s cannot reproduce it", trimDot(s.name), s.addr, s.behaviour, t.software))
			continue
		}
		conf, err := t.server(s, abs, port)
		if err != nil {
			return fail("server %s: %v", s.name, err)
		}
		fmt.Fprintf(&servers, "%s %s %s\n", s.name, s.addr, conf)
		fmt.Fprintf(&readme, "    %-28s %-15s %s\n", trimDot(s.name), s.addr, conf)
	}
	err = finishExport(abs, &readme, "Skipped servers (their addresses get no server at all):", skipped,
		exportFile{"servers.txt", servers.String()}, exportFile{"named.root", w.HintsFile()},
		exportFile{TrustAnchorFile, w.TrustAnchorText()})
	if err != nil {
		return fail("%v", err)
	}
	return nil
}

type exportFile struct{ name, data string }

// finishExport writes the files every export ends with into dir: files,
// and README.txt: readme, then the skipped servers under header.
func finishExport(dir string, readme *strings.Builder, header string, skipped []string, files ...exportFile) error {
	readme.WriteString("\n" + header + "\n")
	if len(skipped) == 0 {
		readme.WriteString("    none\n")
	}
	for _, line := range skipped {
		readme.WriteString(line + "\n")
	}
	for _, f := range append(files, exportFile{"README.txt", readme.String()}) {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// exportServer writes the directory of one server and returns the
// absolute path of its nsd.conf.
func exportServer(s *server, root string, port int) (string, error) {
	name := trimDot(s.name)
	if !safeFileName(name) {
		return "", fmt.Errorf("name %q cannot be a directory name", s.name)
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# nsd.conf of %s (%s), exported from the nstrace lab (lab.Export).\n", s.name, s.addr)
	fmt.Fprintf(&b, "# Run: nsd -d -c %s\n", filepath.Join(dir, "nsd.conf"))
	writeNSDServer(&b, dir, port, []netip.Addr{s.addr})
	b.WriteString("remote-control:\n\tcontrol-enable: no\n")
	if err := os.MkdirAll(filepath.Join(dir, "xfr"), 0o755); err != nil {
		return "", err
	}
	written := map[string]string{}
	for _, z := range s.zones {
		file := zoneFileName(z.name)
		if prev, dup := written[file]; dup {
			return "", fmt.Errorf("zones %s and %s would both be written to %s", prev, z.name, file)
		}
		written[file] = z.name
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(zoneText(z, s)), 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n", z.name, path)
		if z.axfr {
			b.WriteString(nsdProvideXFR)
		}
	}
	conf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return conf, nil
}

// nsdProvideXFR is the line of an nsd.conf zone: clause that lets any
// loopback client transfer the zone (AXFR over TCP, without TSIG), as the
// lab does for a zone with the option axfr. NSD refuses a transfer that no
// provide-xfr line allows.
const nsdProvideXFR = "\tprovide-xfr: 127.0.0.0/8 NOKEY\n"

// zoneText renders a zone in master-file syntax: a comment header, the
// SOA, then every other record, fully qualified.
func zoneText(z *zone, s *server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; zone %s", refString(z.name, z.variant))
	if z.variant != "" {
		fmt.Fprintf(&b, " (variant %s)", z.variant)
	}
	fmt.Fprintf(&b, " as served by %s, exported from the nstrace lab (from %s).\n", s.name, z.file)
	writeZoneBody(&b, z)
	return b.String()
}

// writeZoneBody writes what follows a zone file's header: $ORIGIN, the
// SOA, then every other record, fully qualified.
func writeZoneBody(b *strings.Builder, z *zone) {
	fmt.Fprintf(b, "$ORIGIN %s\n", z.name)
	for _, rr := range z.soaFirst() {
		b.WriteString(rr.String() + "\n")
	}
}

// zoneFileName is the file name of a zone in an exported server directory.
func zoneFileName(name string) string {
	if name == "." {
		return "root.zone"
	}
	return trimDot(name) + ".zone"
}

func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

// safeFileName reports whether a (lower-case) host name can be used as a
// file name as it is: letters, digits, '-', '_' and inner dots only.
func safeFileName(name string) bool {
	if name == "" || name[0] == '.' || strings.Contains(name, "..") {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// writeNSDServer writes the server: clause that every exported nsd.conf
// shares: listening on addrs at port only, as the current user, with every
// file in dir, minimal responses and no response rate limiting.
func writeNSDServer(b *strings.Builder, dir string, port int, addrs []netip.Addr) {
	b.WriteString("server:\n")
	for _, a := range addrs {
		fmt.Fprintf(b, "\tip-address: %s@%d\n", a, port)
	}
	fmt.Fprintf(b, "\tport: %d\n", port)
	b.WriteString("\tdo-ip4: yes\n\tdo-ip6: no\n")
	b.WriteString("\tusername: \"\"\n\tchroot: \"\"\n\tdatabase: \"\"\n")
	for _, kv := range [][2]string{
		{"zonesdir", dir},
		{"pidfile", "nsd.pid"},
		{"logfile", "nsd.log"},
		{"zonelistfile", "zone.list"},
		{"xfrdfile", "xfrd.state"},
		{"xfrdir", "xfr"},
	} {
		p := kv[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fmt.Fprintf(b, "\t%s: \"%s\"\n", kv[0], p)
	}
	b.WriteString("\tserver-count: 1\n\tverbosity: 0\n")
	b.WriteString("\t# Like the lab: no NS RRset in the authority section of answers,\n")
	b.WriteString("\t# no additional data but the glue of referrals.\n")
	b.WriteString("\tminimal-responses: yes\n")
	b.WriteString("\t# No response rate limiting: the lab's clients ask a lot, fast.\n")
	b.WriteString("\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n")
}
