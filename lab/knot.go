package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ExportKnot writes the world as configuration for Knot DNS, CZ.NIC's
// authoritative name server, as Export does for NSD. Every server whose
// behaviour Knot can reproduce (only "ok", the same choice as Export)
// gets a directory dir/NAME/ (NAME without the final dot) holding
//
//   - knot.conf: listening only on ADDRESS@port, not switching user,
//     with one UDP, one TCP and one background worker, its rundir, pid
//     file, control socket (knot.sock), log file (knot.log, level info)
//     and databases (timers) in that directory, the server's name as
//     identity and NSID and no version, no query module (so no response
//     rate limiting: that is mod-rrl), the extra semantic checks off (so
//     that missingglue.com and the like load), zone files loaded whole
//     and never written back, no journal, and absolute zone file paths;
//     a zone with the option axfr gets the acl "lab-axfr" (action
//     transfer from 127.0.0.0/8, defined only when some zone of the server
//     has the option), so that Knot, like the lab, gives it by AXFR to any
//     client, and refuses (NOTAUTH) the transfer of the others;
//   - one zone file per zone it serves, of the variant it serves, exactly
//     as Export writes them (the root zone is root.zone, the others
//     NAME.zone).
//
// dir also gets named.root (the hints, as World.HintsFile), servers.txt
// (one line per exported server: "NAME ADDRESS CONF", CONF the absolute
// path of its knot.conf) and README.txt, which lists the servers that were
// skipped and why. Start one server with: knotd -c dir/NAME/knot.conf
// (StartKnot starts them all). knotc -c dir/NAME/knot.conf conf-check
// checks a configuration.
//
// dir is created if needed; files already there are overwritten. port
// must be in 1-65535. Knot's control socket lives in each server's
// directory, and a Unix socket path is limited to 103 bytes here (104
// with the final NUL on macOS and the BSDs, 108 on Linux; knotd exits if
// it cannot bind it): a dir whose absolute path is too long for that is
// an error.
func ExportKnot(w *World, dir string, port int) error {
	return exportWorld(w, dir, port, exportTarget{
		software: "Knot DNS", fn: "ExportKnot", start: "knotd -c DIR/NAME/knot.conf", badChars: "\"\\\n\r",
		server: exportKnotServer,
	})
}

// maxKnotSocketPath is the longest control socket path ExportKnot writes:
// sun_path holds 108 bytes on Linux and 104 on the BSDs and macOS, the
// final NUL included. knotd exits at once when it cannot bind its control
// socket ("not enough space provided").
const maxKnotSocketPath = 103

// knotTransferACLID names the acl of knotTransferACL.
const knotTransferACLID = "lab-axfr"

// knotTransferACL is the acl section of a knot.conf whose server has a zone
// with the option axfr: any loopback client (every lab address is in
// 127.0.0.0/8) may transfer the zones that name it. Knot allows no
// transfer that no acl of the zone allows.
const knotTransferACL = "# Zone transfers (AXFR) for the zones with the option axfr only.\n" +
	"acl:\n  - id: " + knotTransferACLID + "\n    address: 127.0.0.0/8\n    action: transfer\n"

// exportKnotServer writes the directory of one server and returns the
// absolute path of its knot.conf.
func exportKnotServer(s *server, root string, port int) (string, error) {
	name := trimDot(s.name)
	if !safeFileName(name) {
		return "", fmt.Errorf("name %q cannot be a directory name", s.name)
	}
	dir := filepath.Join(root, name)
	if sock := filepath.Join(dir, "knot.sock"); len(sock) > maxKnotSocketPath {
		return "", fmt.Errorf("control socket path %s is longer than %d bytes: export to a shorter directory", sock, maxKnotSocketPath)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "knot.conf")
	q := func(p string) string { return `"` + p + `"` }
	var b strings.Builder
	fmt.Fprintf(&b, "# knot.conf of %s (%s), exported from the nstrace lab (lab.ExportKnot).\n", s.name, s.addr)
	fmt.Fprintf(&b, "# Run: knotd -c %s\n", conf)
	b.WriteString("server:\n")
	fmt.Fprintf(&b, "    listen: %s@%d\n", s.addr, port)
	fmt.Fprintf(&b, "    rundir: %s\n", q(dir))
	fmt.Fprintf(&b, "    pidfile: %s\n", q(filepath.Join(dir, "knot.pid")))
	b.WriteString("    # No user: Knot keeps the user that starts it (no privilege is needed).\n")
	b.WriteString("    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n")
	fmt.Fprintf(&b, "    identity: %s\n    nsid: %s\n    version: \"\"\n", name, name)
	b.WriteString("control:\n")
	fmt.Fprintf(&b, "    listen: %s\n", q(filepath.Join(dir, "knot.sock")))
	b.WriteString("log:\n")
	fmt.Fprintf(&b, "  - target: %s\n    any: info\n", q(filepath.Join(dir, "knot.log")))
	b.WriteString("database:\n")
	fmt.Fprintf(&b, "    storage: %s\n", q(dir))
	b.WriteString("# No query module is loaded: no response rate limiting (mod-rrl).\n")
	b.WriteString("template:\n  - id: default\n")
	fmt.Fprintf(&b, "    storage: %s\n", q(dir))
	b.WriteString("    semantic-checks: off\n")
	b.WriteString("    # Signed zones are exported signed: Knot serves them as they are.\n")
	b.WriteString("    dnssec-signing: off\n")
	b.WriteString("    # The zone files are the only source, and Knot never writes them.\n")
	b.WriteString("    zonefile-load: whole\n    zonefile-sync: -1\n    journal-content: none\n")
	if slices.ContainsFunc(s.zones, func(z *zone) bool { return z.axfr }) {
		b.WriteString(knotTransferACL)
	}
	b.WriteString("zone:\n")
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
		fmt.Fprintf(&b, "  - domain: %s\n    file: %s\n", q(z.name), q(path))
		if z.axfr {
			fmt.Fprintf(&b, "    acl: %s\n", knotTransferACLID)
		}
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return conf, nil
}

// Knot is a set of real Knot DNS processes (knotd) serving a world
// exported by ExportKnot: one process per exported server, each on its own
// loopback address.
type Knot struct {
	procs []*daemon
}

// ErrNoKnot means the knotd program is not installed (Debian: apt-get
// install knot).
var ErrNoKnot = errors.New("knotd is not installed (apt-get install knot)")

// StartKnot starts one "knotd -c CONF" per line of dir/servers.txt (as
// written by ExportKnot) and waits, at most timeout in all, until every
// one answers an SOA query for each of its zones with an authoritative
// NOERROR (Knot answers SERVFAIL for a zone it could not load). knotd runs
// as the current user, in a process group of its own; on Linux it is
// also killed should the calling program die. On any error the processes
// already started are stopped and the error holds the log of a server
// that failed. Call Stop when done.
func StartKnot(dir string, timeout time.Duration) (*Knot, error) {
	knotd, err := knotdPath()
	if err != nil {
		return nil, err
	}
	servers, err := readServers(filepath.Join(dir, "servers.txt"), "listen", "domain")
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	procs, err := startGroup(len(servers),
		func(i int) (*daemon, error) {
			d, err := startDaemon(knotd, servers[i].conf, "-c", servers[i].conf)
			if err != nil {
				return nil, fmt.Errorf("starting Knot for %s: %w", servers[i].name, err)
			}
			return d, nil
		},
		func(i int, d *daemon) error { return knotReady(d, servers[i], deadline) })
	if err != nil {
		return nil, err
	}
	return &Knot{procs: procs}, nil
}

// Stop ends every knotd (SIGTERM, then SIGKILL after 3 seconds) and waits
// for them. It may be called more than once.
func (k *Knot) Stop() { stopGroup(k.procs) }

// knotdPath finds knotd on PATH or, since Debian installs it in /usr/sbin
// (often not on a user's PATH), there.
func knotdPath() (string, error) {
	if p, err := exec.LookPath("knotd"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/knotd", "/usr/local/sbin/knotd"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", ErrNoKnot
}

// knotReady asks the server for the SOA of each of its zones until it
// gives an authoritative NOERROR for all, the process exits, or the
// deadline passes.
func knotReady(p *daemon, s exportedServer, deadline time.Time) error {
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	for _, zone := range s.zones {
		q := new(dns.Msg)
		q.SetQuestion(zone, dns.TypeSOA)
		q.RecursionDesired = false
		last := "no answer"
		for {
			r, _, err := c.Exchange(q, s.addr.String())
			if err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative {
				break
			}
			if err == nil {
				last = fmt.Sprintf("%s, AA=%v", dns.RcodeToString[r.Rcode], r.Authoritative)
				// knotd answers once it has tried to load every zone
				// (async-start is off); SERVFAIL means the load failed.
				if r.Rcode == dns.RcodeServerFailure && knotLoadFailed(p, zone) {
					return fmt.Errorf("%s: zone %s failed to load: %s%s", p.conf, zone, last, knotLog(p))
				}
			}
			select {
			case <-p.exited:
				return fmt.Errorf("%s: knotd exited (%v): %s%s", p.conf, p.cmd.ProcessState, p.out, knotLog(p))
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s SOA at %s: %s%s", p.conf, zone, s.addr, last, knotLog(p))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// knotLoadFailed reports whether knotd's log says that zone could not be loaded.
func knotLoadFailed(p *daemon, zone string) bool {
	data, _ := os.ReadFile(filepath.Join(filepath.Dir(p.conf), "knot.log"))
	return bytes.Contains(data, []byte("["+zone+"] zone event 'load' failed"))
}

// knotLog returns knotd's log file, indented, for an error message.
func knotLog(p *daemon) string {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(p.conf), "knot.log"))
	if err != nil || len(data) == 0 {
		return ""
	}
	return "\n    knot.log:\n\t" + strings.ReplaceAll(strings.TrimSpace(string(data)), "\n", "\n\t")
}
