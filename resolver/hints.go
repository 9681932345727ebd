package resolver

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
)

//go:embed named.root
var namedRoot string

// HintsRecorded is the date the embedded root hints were recorded.
const HintsRecorded = "2026-11-25"

// ErrBadHints is wrapped by every error about a hints file.
var ErrBadHints = errors.New("bad hints file")

// Hint is one root server: its name and one of its addresses.
type Hint struct {
	Name string     // fully qualified, lower case
	Addr netip.Addr // IPv4 or IPv6
}

// Hints are the servers where every resolution that has nothing cached
// starts: the root servers, in file order.
type Hints struct {
	Source  string   // where the hints came from: "embedded" or a file name
	Names   []string // the NS names of the root, in file order
	Servers []Hint   // every address of every name, in file order
}

// DefaultHints returns the embedded IANA root hints.
func DefaultHints() *Hints {
	h, err := ParseHints(strings.NewReader(namedRoot), "embedded")
	if err != nil {
		panic("resolver: embedded root hints are broken: " + err.Error())
	}
	return h
}

// LoadHints reads a hints file in the usual named.root format.
func LoadHints(path string) (*Hints, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHints, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", ErrBadHints, path)
	}
	return ParseHints(f, path)
}

// ParseHints parses named.root text: NS records for the root and A/AAAA
// records for their names, one record a line, with ';' comments. Any other
// record type, a record that does not parse, or a file with no usable root
// server is refused with the file name and line number.
func ParseHints(r io.Reader, filename string) (*Hints, error) {
	h := &Hints{Source: filename}
	addrs := map[string][]netip.Addr{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			return nil, fmt.Errorf("%w: %s:%d: not a text file", ErrBadHints, filename, line)
		}
		if i := strings.IndexByte(text, ';'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "$") {
			return nil, fmt.Errorf("%w: %s:%d: directive %q is not allowed in a hints file", ErrBadHints, filename, line, strings.Fields(text)[0])
		}
		rr, err := dns.NewRR(text)
		if err != nil || rr == nil {
			msg := "not a DNS record"
			if err != nil {
				msg = err.Error()
				if pe := new(dns.ParseError); errors.As(err, &pe) {
					msg = strings.TrimPrefix(strings.SplitN(pe.Error(), " at line", 2)[0], "dns: ")
				}
			}
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrBadHints, filename, line, msg)
		}
		owner := strings.ToLower(rr.Header().Name)
		switch v := rr.(type) {
		case *dns.NS:
			if owner != "." {
				return nil, fmt.Errorf("%w: %s:%d: NS record for %q: a hints file lists the root's servers only", ErrBadHints, filename, line, owner)
			}
			name := strings.ToLower(v.Ns)
			if !contains(h.Names, name) {
				h.Names = append(h.Names, name)
			}
		case *dns.A, *dns.AAAA:
			a := rrAddr(v)
			if !a.IsValid() {
				return nil, fmt.Errorf("%w: %s:%d: %s record for %q has no address", ErrBadHints, filename, line, dns.TypeToString[rr.Header().Rrtype], owner)
			}
			addrs[owner] = append(addrs[owner], a)
		default:
			return nil, fmt.Errorf("%w: %s:%d: record type %s is not allowed in a hints file (only NS, A, AAAA)", ErrBadHints, filename, line, dns.TypeToString[rr.Header().Rrtype])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %v", ErrBadHints, filename, line+1, err)
	}
	for _, n := range h.Names {
		for _, a := range addrs[n] {
			h.Servers = append(h.Servers, Hint{Name: n, Addr: a})
		}
	}
	if len(h.Servers) == 0 {
		return nil, fmt.Errorf("%w: %s: no root server with an address (need NS records for \".\" and A or AAAA records for their names)", ErrBadHints, filename)
	}
	return h, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
