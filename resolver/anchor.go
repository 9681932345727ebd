package resolver

import (
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
)

//go:embed root-anchors.txt
var rootAnchors string

// ErrBadTrustAnchor is wrapped by every error about a trust anchor file.
var ErrBadTrustAnchor = errors.New("bad trust anchor")

// TrustAnchorError says what is wrong with a trust anchor file, and where.
// Its text is "NAME:LINE: why", or "NAME: why" when Line is 0.
type TrustAnchorError struct {
	File string // the name given to ParseTrustAnchor, or the path given to LoadTrustAnchor
	Line int    // 1-based; 0 when the error is about the whole file
	Why  string // one line, no file or line number
}

func (e *TrustAnchorError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Why
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Why
}

// Unwrap lets errors.Is(err, ErrBadTrustAnchor) hold.
func (e *TrustAnchorError) Unwrap() error { return ErrBadTrustAnchor }

// TrustAnchor is a set of DS and/or DNSKEY records for one zone (the root,
// or a private root in a lab). Pass DS and Keys to ValidateKeys as the ds
// and anchorKeys of Zone.
type TrustAnchor struct {
	Zone string        // FQDN, lower case
	DS   []*dns.DS     // nil when the anchor is given as keys only
	Keys []*dns.DNSKEY // nil when the anchor is given as DS only
}

// Limits on a trust anchor file.
const (
	maxAnchorFileSize = 1 << 20
	maxAnchorRecords  = 64
)

// RootTrustAnchor returns the embedded IANA root zone trust anchors: the DS
// records of KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696), both
// algorithm 8 with SHA-256 digests, from
// https://data.iana.org/root-anchors/root-anchors.xml.
func RootTrustAnchor() *TrustAnchor {
	ta, err := ParseTrustAnchor(strings.NewReader(rootAnchors), "root-anchors.txt")
	if err != nil {
		panic("resolver: embedded root trust anchors are broken: " + err.Error())
	}
	return ta
}

// LoadTrustAnchor reads a trust anchor file (see ParseTrustAnchor). Errors
// name the path.
func LoadTrustAnchor(path string) (*TrustAnchor, error) {
	f, err := os.Open(path)
	if err != nil {
		why := err.Error()
		if pe := new(os.PathError); errors.As(err, &pe) {
			why = pe.Err.Error()
		}
		return nil, &TrustAnchorError{File: path, Why: why}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, &TrustAnchorError{File: path, Why: "is a directory"}
	}
	return ParseTrustAnchor(f, path)
}

// ParseTrustAnchor reads DS and/or DNSKEY records in zone-file form
// (comments, parentheses, $ORIGIN and $TTL allowed; the origin starts as the
// root). All records must have the same owner, the zone of the anchor. Any
// other record type, a DNSKEY without the zone-key flag, with a protocol
// other than 3 or with the REVOKE flag, a DS digest that is not hex or has
// the wrong length for its digest type, a line that does not parse, or a
// file with no record is refused with a *TrustAnchorError ("NAME:LINE:
// why") wrapping ErrBadTrustAnchor.
func ParseTrustAnchor(r io.Reader, name string) (*TrustAnchor, error) {
	fail := func(line int, format string, a ...any) (*TrustAnchor, error) {
		return nil, &TrustAnchorError{File: name, Line: line, Why: fmt.Sprintf(format, a...)}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxAnchorFileSize+1))
	if err != nil {
		return fail(0, "%v", err)
	}
	if len(data) > maxAnchorFileSize {
		return fail(0, "larger than %d bytes; not a trust anchor file", maxAnchorFileSize)
	}
	text := string(data)
	for i, l := range strings.Split(text, "\n") {
		if !utf8.ValidString(l) || strings.ContainsRune(l, 0) {
			return fail(i+1, "not a text file")
		}
	}
	stmts, serr := splitZoneStatements(text)
	if serr != nil {
		return fail(serr.line, "%s", serr.why)
	}

	ta := &TrustAnchor{}
	origin, ttl, hasTTL, prevOwner := ".", uint32(0), false, ""
	for _, st := range stmts {
		if strings.HasPrefix(st.text, "$") {
			f := strings.Fields(stripZoneComment(st.text))
			switch strings.ToUpper(f[0]) {
			case "$ORIGIN":
				if len(f) != 2 {
					return fail(st.line, "$ORIGIN takes one domain name")
				}
				o := f[1]
				if !dns.IsFqdn(o) {
					o = strings.TrimSuffix(o+"."+origin, ".") + "."
				}
				if _, ok := dns.IsDomainName(o); !ok {
					return fail(st.line, "$ORIGIN %q is not a domain name", f[1])
				}
				origin = o
			case "$TTL":
				if len(f) != 2 {
					return fail(st.line, "$TTL takes one number of seconds")
				}
				n, err := strconv.ParseUint(f[1], 10, 32)
				if err != nil {
					return fail(st.line, "$TTL %q is not a number of seconds", f[1])
				}
				ttl, hasTTL = uint32(n), true
			default:
				return fail(st.line, "directive %s is not allowed in a trust anchor file (only $ORIGIN and $TTL)", f[0])
			}
			continue
		}
		src := st.text
		if src[0] == ' ' || src[0] == '\t' {
			if prevOwner == "" {
				return fail(st.line, "the record has no owner name")
			}
			src = prevOwner + src
		}
		zp := dns.NewZoneParser(strings.NewReader(src), origin, "")
		if hasTTL {
			zp.SetDefaultTTL(ttl)
		}
		rr, ok := zp.Next()
		if err := zp.Err(); err != nil {
			line, why := parseErrorAt(err)
			return fail(st.line+line-1, "%s", why)
		}
		if !ok || rr == nil {
			continue
		}
		if _, more := zp.Next(); more || zp.Err() != nil {
			return fail(st.line, "more than one record on the line")
		}
		h := rr.Header()
		prevOwner = h.Name
		owner := dns.CanonicalName(h.Name)
		if h.Class != dns.ClassINET {
			return fail(st.line, "class %s is not allowed in a trust anchor (only IN)", dns.ClassToString[h.Class])
		}
		if ta.Zone == "" {
			ta.Zone = owner
		} else if owner != ta.Zone {
			return fail(st.line, "record for %s, but the earlier records are for %s; a trust anchor is for one zone", owner, ta.Zone)
		}
		switch x := rr.(type) {
		case *dns.DS:
			if why := checkAnchorDS(x); why != "" {
				return fail(st.line, "%s", why)
			}
			ta.DS = append(ta.DS, x)
		case *dns.DNSKEY:
			if why := checkAnchorKey(x); why != "" {
				return fail(st.line, "%s", why)
			}
			ta.Keys = append(ta.Keys, x)
		default:
			return fail(st.line, "record type %s is not allowed in a trust anchor (only DS and DNSKEY)", rrTypeName(h.Rrtype))
		}
		if len(ta.DS)+len(ta.Keys) > maxAnchorRecords {
			return fail(st.line, "more than %d records; not a trust anchor file", maxAnchorRecords)
		}
	}
	if ta.Zone == "" {
		return fail(0, "no DS or DNSKEY record")
	}
	return ta, nil
}

func checkAnchorDS(d *dns.DS) string {
	digest, err := hex.DecodeString(d.Digest)
	if err != nil || len(digest) == 0 {
		return fmt.Sprintf("the digest of the DS with key tag %d is not hexadecimal", d.KeyTag)
	}
	want := map[uint8]int{dns.SHA1: 20, dns.SHA256: 32, dns.SHA384: 48}[d.DigestType]
	if want != 0 && len(digest) != want {
		return fmt.Sprintf("the digest of the DS with key tag %d is %d bytes; digest type %d needs %d", d.KeyTag, len(digest), d.DigestType, want)
	}
	return ""
}

func checkAnchorKey(k *dns.DNSKEY) string {
	switch {
	case k.Flags&dns.ZONE == 0:
		return fmt.Sprintf("the DNSKEY with flags %d does not have the zone-key flag (256)", k.Flags)
	case k.Flags&dns.REVOKE != 0:
		return fmt.Sprintf("the DNSKEY with flags %d has the REVOKE flag (128)", k.Flags)
	case k.Protocol != 3:
		return fmt.Sprintf("the DNSKEY has protocol %d; it must be 3", k.Protocol)
	}
	if b, err := base64.StdEncoding.DecodeString(k.PublicKey); err != nil || len(b) == 0 {
		return "the public key of the DNSKEY is not base64"
	}
	return ""
}

// zoneStatement is one record or directive of a zone file: its text (possibly
// several lines, inside parentheses) and the line it starts on.
type zoneStatement struct {
	text string
	line int
}

type zoneSplitError struct {
	line int
	why  string
}

// splitZoneStatements cuts zone-file text into statements the way RFC 1035 §5.1
// reads it: a newline ends a statement unless it is inside parentheses;
// ';' starts a comment outside quotes; '\' escapes the next character.
// Statements that hold only blanks and comments are dropped.
func splitZoneStatements(src string) ([]zoneStatement, *zoneSplitError) {
	var (
		out                             []zoneStatement
		cur                             strings.Builder
		line, start, depth, openedAt    = 1, 1, 0, 0
		quoted, comment, escaped, solid bool
	)
	flush := func() {
		if solid {
			out = append(out, zoneStatement{text: strings.TrimRight(cur.String(), " \t\r\n"), line: start})
		}
		cur.Reset()
		solid = false
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if cur.Len() == 0 {
			start = line
		}
		if c == '\n' {
			line++
			comment = false
			escaped = false
			if depth == 0 && !quoted {
				flush()
				continue
			}
			cur.WriteByte(c)
			continue
		}
		cur.WriteByte(c)
		switch {
		case comment:
		case escaped:
			escaped = false
		case c == '\\':
			escaped, solid = true, true
		case c == '"':
			quoted, solid = !quoted, true
		case quoted:
		case c == ';':
			comment = true
		case c == '(':
			if depth == 0 {
				openedAt = line
			}
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, &zoneSplitError{line, "')' without '('"}
			}
		case c != ' ' && c != '\t' && c != '\r':
			solid = true
		}
	}
	if depth > 0 {
		return nil, &zoneSplitError{openedAt, "'(' is never closed"}
	}
	if quoted {
		return nil, &zoneSplitError{start, "a quoted string is never closed"}
	}
	flush()
	return out, nil
}

func stripZoneComment(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return s[:i]
	}
	return s
}

var parseErrorLine = regexp.MustCompile(` at line: (\d+):\d+$`)

// parseErrorAt turns a miekg/dns parse error into the line it names
// (relative to the text parsed, 1 when unknown) and its message without the
// "dns: " prefix and the position.
func parseErrorAt(err error) (int, string) {
	msg := err.Error()
	line := 1
	if m := parseErrorLine.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			line = n
		}
		msg = msg[:len(msg)-len(m[0])]
	}
	msg = strings.TrimPrefix(msg, "dns: ")
	msg = strings.Join(strings.Fields(msg), " ")
	return line, msg
}
