package main

// What lookup, compare and diff share: their output flags and the one name
// they read, a table or its JSON twin on stdout, ANSI colours, a recursive
// resolver's address on the command line and the query sent to it.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/trace"
)

// reportFormats are the formats of lookup, compare and diff: a table, and
// its JSON twin.
var reportFormats = []string{"table", "json"}

// reportFlags are --format and --no-color: trace's output flags without
// those of its hop table.
func reportFlags() []cli.Flag {
	return withoutFlags(outputFlags(reportFormats), "all-rows", "explain")
}

// withoutFlags returns flags less those named.
func withoutFlags(flags []cli.Flag, names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range flags {
		if !slices.Contains(names, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

// nameArg checks --format and reads the command's one argument, a domain
// name; what names it in messages ("name", "zone") and synopsis shows how
// the command is called. A flag after the name is refused: the CLI library
// would take it for another argument.
func nameArg(c *cli.Context, what, synopsis string) (string, error) {
	if err := checkFormat(c, reportFormats); err != nil {
		return "", err
	}
	args := c.Args().Slice()
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return "", usageError("flag %s comes after the %s: put flags before the %s", a, what, what)
		}
	}
	if len(args) != 1 {
		return "", usageError("%s takes one %s: %s", c.Command.Name, what, synopsis)
	}
	return parseName(args[0])
}

// report is the result of lookup, compare or diff: its JSON form is the
// value itself.
type report interface {
	writeTable(w io.Writer, p trace.Painter) error
}

// writeReport writes rep to stdout as --format says: indented JSON, or the
// table, coloured on a terminal. A failed write is exit status 1.
func writeReport(c *cli.Context, e *env, rep report) error {
	var err error
	if c.String("format") == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	} else {
		err = rep.writeTable(e.stdout, trace.Painter(e.colour(c, e.stdout)))
	}
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("writing output: %w", err)}
	}
	return nil
}

// networkWords says where the servers were asked, for the header line.
func networkWords(n string) string {
	switch n {
	case "lab":
		return "nstrace lab network (simulated, offline)"
	case "internet", "":
		return "on the Internet"
	}
	return n
}

// parseResolverAddr reads the value of --resolver: an IP address (port
// 53), IP:port, or an IPv6 address in brackets, with or without a port
// ([2001:db8::1]:5353). An IPv4-mapped IPv6 address is taken as the IPv4
// address it maps.
func parseResolverAddr(s string) (netip.AddrPort, error) {
	const want = "want an IP address, IP:port or [IPv6]:port, e.g. 9.9.9.9, 127.0.0.1:5353 or [2001:db8::1]:53"
	bad := func(format string, a ...any) (netip.AddrPort, error) {
		return netip.AddrPort{}, usageError("--resolver %q: %s", s, fmt.Sprintf(format, a...))
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 53), nil
	}
	if inner, ok := strings.CutPrefix(s, "["); ok && strings.HasSuffix(inner, "]") {
		if a, err := netip.ParseAddr(strings.TrimSuffix(inner, "]")); err == nil && a.Is6() {
			return netip.AddrPortFrom(a.Unmap(), 53), nil
		}
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bad("not an IP address (%s)", want)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return bad("%q is not an IP address (%s)", host, want)
	}
	if a.Is4() && strings.HasPrefix(s, "[") {
		return bad("brackets hold an IPv6 address, not %s (%s)", host, want)
	}
	p, err := strconv.ParseUint(port, 10, 32)
	if err != nil {
		return bad("bad port %q (want 1-65535)", port)
	}
	if p < 1 || p > 65535 {
		return bad("port %d is out of range (1-65535)", p)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// addrString writes a server's address as dig's @ does: the IP alone for
// port 53, IP:port otherwise.
func addrString(ap netip.AddrPort) string {
	if ap.Port() == 53 {
		return ap.Addr().String()
	}
	return ap.String()
}

// recursiveQuery is a query for a recursive resolver: RD=1, a random ID,
// and EDNS0 with a UDP payload size of ednsSize (no EDNS0 when 0).
func recursiveQuery(name string, qtype, ednsSize uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = uint16(rand.Uint32())
	q.RecursionDesired = true
	if ednsSize > 0 {
		q.SetEdns0(ednsSize, false)
	}
	return q
}

// rdataText is the RDATA of rr in zone-file form, as it came.
func rdataText(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// rdataOf is the RDATA of rr in zone-file form; names in it are lower
// case, except in TXT and CAA, whose text is compared as it is.
func rdataOf(rr dns.RR) string {
	switch rr.Header().Rrtype {
	case dns.TypeTXT, dns.TypeCAA, dns.TypeSPF:
		return rdataText(rr)
	}
	return strings.ToLower(rdataText(rr))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// openList opens a list file of WHAT for readList, or gives a usage error
// that starts with flag ("--names: ", or "" for an argument): it cannot be
// opened, or it is a directory.
func openList(path, flag, what string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("%s%v", flag, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, usageError("%s%s is a directory, not a list of %s", flag, path, what)
	}
	return f, nil
}

// readList reads a list file of WHAT (domains, names, nameservers): one
// entry a line, "#" comments and blank lines ignored. It calls each with
// the line number and the entry, trimmed, until each returns false. A line
// that is not UTF-8 text or holds a NUL ends it with the error "NAME:LINE:
// not a text file of WHAT"; name is how errors call the file.
func readList(r io.Reader, name, what string, each func(line int, entry string) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			return fmt.Errorf("%s:%d: not a text file of %s", name, line, what)
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		if text = strings.TrimSpace(text); text != "" && !each(line, text) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
