package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// The levels of ExportLevels, in order.
const (
	LevelRoot = "root" // servers of the root zone
	LevelTLD  = "tld"  // servers whose highest zone is a TLD
	LevelSLD  = "sld"  // servers whose highest zone has two labels
	LevelSub  = "sub"  // servers whose zones all have three labels or more
)

// Levels lists the level names of ExportLevels, from the root down.
var Levels = []string{LevelRoot, LevelTLD, LevelSLD, LevelSub}

// levelOf returns the level of a server: that of its highest zone.
func levelOf(s *server) string {
	top := -1
	for _, z := range s.zones {
		if n := dns.CountLabel(z.name); top < 0 || n < top {
			top = n
		}
	}
	return Levels[min(top, len(Levels)-1)]
}

// maxControlPath is the longest control socket path ExportLevels writes:
// a Unix socket path must fit in 108 bytes with its final NUL.
const maxControlPath = 100

// ExportLevels writes the world as one NSD configuration per level of
// servers, instead of Export's one per server: a few NSD processes for a
// world of thousands of servers. The levels are root (the servers of the
// root zone), tld (servers whose highest zone is a TLD), sld (two labels)
// and sub (three labels or more); a level with no server is left out.
// For each level dir/LEVEL/ holds
//
//   - nsd.conf: one "ip-address: ADDRESS@PORT" line for every server of
//     the level, and every zone served by a server of the level, so that
//     each address serves all of them; the other settings are Export's
//     (no privilege drop, chroot or database, minimal-responses, response
//     rate limiting off, one server process), but remote control is on,
//     over a Unix socket dir/LEVEL/nsd.ctl (no keys needed): nsd-control
//     -c dir/LEVEL/nsd.conf stats_noreset reads the query counters (see
//     NSDQueries);
//   - zones/: one file per zone, written once per level.
//
// dir also gets named.root, README.txt and servers.txt, one line per
// level: "LEVEL ADDRESS CONF" (the first address of the level), which
// StartNSD reads.
//
// Serving a whole level from every one of its addresses answers as the
// in-memory Network does as long as no server is asked about a zone of
// its level that it does not host itself, which is how Generate builds
// its worlds: a lame NS there points at the sub level, which serves no
// zone above a second-level domain. Servers whose behaviour is not ok
// are skipped, as by Export. A level holding two variants of one zone
// cannot be exported (an error): the default world has such zones.
//
// dir is created if needed; files already there are overwritten. port
// must be in 1-65535.
func ExportLevels(w *World, dir string, port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("lab: export levels: bad port %d (want 1-65535)", port)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("lab: export levels: %w", err)
	}
	if strings.ContainsAny(abs, "\"\n") {
		return fmt.Errorf("lab: export levels: directory %q: a path with a quote or a newline cannot go in nsd.conf", abs)
	}
	if p := filepath.Join(abs, LevelRoot, "nsd.ctl"); len(p) > maxControlPath {
		return fmt.Errorf("lab: export levels: directory %q is too long for NSD's control socket (%s: at most %d bytes)", abs, p, maxControlPath)
	}
	type level struct {
		addrs   []netip.Addr
		zones   []*zone
		byName  map[string]*zone
		servers int
	}
	levels := map[string]*level{}
	var skipped []string
	for _, s := range w.servers {
		if s.behaviour.Kind != BehaviourOK {
			skipped = append(skipped, fmt.Sprintf("    %-28s %-15s behaviour %s", trimDot(s.name), s.addr, s.behaviour))
			continue
		}
		name := levelOf(s)
		l := levels[name]
		if l == nil {
			l = &level{byName: map[string]*zone{}}
			levels[name] = l
		}
		l.addrs = append(l.addrs, s.addr)
		l.servers++
		for _, z := range s.zones {
			prev, ok := l.byName[z.name]
			switch {
			case !ok:
				l.byName[z.name] = z
				l.zones = append(l.zones, z)
			case prev != z:
				return fmt.Errorf("lab: export levels: level %s serves two variants of zone %s (%s and %s): one NSD cannot",
					name, z.name, refString(prev.name, prev.variant), refString(z.name, z.variant))
			}
		}
	}
	if len(levels) == 0 {
		return errors.New("lab: export levels: no server to export")
	}
	var servers, readme strings.Builder
	readme.WriteString("The nstrace lab exported for NSD, one NSD per level (lab.ExportLevels).\n\n")
	fmt.Fprintf(&readme, "Each level's NSD listens on every address of the level at port %d and serves\n", port)
	readme.WriteString("every zone of the level. Start them with\n    nsd -d -c DIR/LEVEL/nsd.conf\n")
	readme.WriteString("and read the query counters with\n    nsd-control -c DIR/LEVEL/nsd.conf stats_noreset   (stats: read and reset)\n\n")
	pool := newFilePool(8)
	defer pool.wait()
	for _, name := range Levels {
		l := levels[name]
		if l == nil {
			continue
		}
		conf, err := exportLevel(name, l.addrs, l.zones, abs, port, pool)
		if err != nil {
			return fmt.Errorf("lab: export levels: level %s: %w", name, err)
		}
		fmt.Fprintf(&servers, "%s %s %s\n", name, l.addrs[0], conf)
		fmt.Fprintf(&readme, "    %-5s %5d servers %7d zones   %s\n", name, l.servers, len(l.zones), conf)
	}
	if err := pool.wait(); err != nil {
		return fmt.Errorf("lab: export levels: %w", err)
	}
	err = finishExport(abs, &readme, "Skipped servers (behaviour not ok; their addresses get no server at all):", skipped,
		exportFile{"servers.txt", servers.String()}, exportFile{"named.root", w.HintsFile()})
	if err != nil {
		return fmt.Errorf("lab: export levels: %w", err)
	}
	return nil
}

// exportLevel writes dir/LEVEL/nsd.conf and the zone files of a level
// (through pool) and returns the absolute path of nsd.conf.
func exportLevel(name string, addrs []netip.Addr, zones []*zone, root string, port int, pool *filePool) (string, error) {
	dir := filepath.Join(root, name)
	zdir := filepath.Join(dir, "zones")
	for _, d := range []string{zdir, filepath.Join(dir, "xfr")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# nsd.conf of the %s level: %d addresses, %d zones, exported from the nstrace lab (lab.ExportLevels).\n", name, len(addrs), len(zones))
	fmt.Fprintf(&b, "# Run: nsd -d -c %s\n", filepath.Join(dir, "nsd.conf"))
	writeNSDServer(&b, dir, port, addrs)
	b.WriteString("remote-control:\n\tcontrol-enable: yes\n")
	b.WriteString("\t# A Unix socket: nsd-control needs no keys, only access to the file.\n")
	fmt.Fprintf(&b, "\tcontrol-interface: \"%s\"\n", filepath.Join(dir, "nsd.ctl"))
	written := map[string]string{}
	for _, z := range zones {
		file := zoneFileName(z.name)
		if !safeFileName(strings.TrimSuffix(file, ".zone")) && z.name != "." {
			return "", fmt.Errorf("zone %s cannot be a file name", z.name)
		}
		if prev, dup := written[file]; dup {
			return "", fmt.Errorf("zones %s and %s would both be written to %s", prev, z.name, file)
		}
		written[file] = z.name
		path := filepath.Join(zdir, file)
		pool.write(path, levelZoneText(z, name))
		fmt.Fprintf(&b, "zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n", z.name, path)
	}
	conf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return conf, pool.err()
}

// levelZoneText renders a zone as zoneText does, for a level.
func levelZoneText(z *zone, level string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; zone %s as served by the %s level, exported from the nstrace lab (from %s).\n", refString(z.name, z.variant), level, z.file)
	writeZoneBody(&b, z)
	return b.String()
}

// ErrNoNSDControl means the nsd-control program is not installed (it
// comes with NSD).
var ErrNoNSDControl = errors.New("nsd-control is not installed (apt-get install nsd)")

// NSDQueries returns, for every NSD of a directory written by
// ExportLevels (every line of dir/servers.txt), the number of queries it
// has received since it started or since its counters were last reset:
// the num.queries of "nsd-control -c CONF stats_noreset". The keys are
// the first field of servers.txt lines: the level names. The NSDs must
// be running.
func NSDQueries(dir string) (map[string]int64, error) {
	return nsdStats(dir, "stats_noreset")
}

// NSDResetQueries reads and zeroes the query counters of every NSD of a
// directory written by ExportLevels ("nsd-control stats"), returning the
// counts before the reset.
func NSDResetQueries(dir string) (map[string]int64, error) {
	return nsdStats(dir, "stats")
}

func nsdStats(dir, command string) (map[string]int64, error) {
	ctl, err := exec.LookPath("nsd-control")
	if err != nil {
		return nil, ErrNoNSDControl
	}
	text, err := os.ReadFile(filepath.Join(dir, "servers.txt"))
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	out := map[string]int64{}
	for i, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("lab: %s:%d: want NAME ADDRESS CONF", filepath.Join(dir, "servers.txt"), i+1)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(ctl, "-c", f[2], command)
		cmd.Stderr = &stderr
		stats, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("lab: nsd-control -c %s %s: %v: %s%s", f[2], command, err, bytes.TrimSpace(stderr.Bytes()), bytes.TrimSpace(stats))
		}
		n, err := parseNumQueries(stats)
		if err != nil {
			return nil, fmt.Errorf("lab: nsd-control -c %s %s: %w", f[2], command, err)
		}
		out[f[0]] = n
	}
	return out, nil
}

// parseNumQueries finds "num.queries=N" in the output of nsd-control stats.
func parseNumQueries(stats []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(stats))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "num.queries="); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("no num.queries in its output (is NSD built with statistics?)")
}
