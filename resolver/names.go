package resolver

import (
	"strings"

	"github.com/miekg/dns"
)

// InDomain reports whether child is parent or a name below it. Both must
// be canonical (lower case, fully qualified, as dns.CanonicalName makes
// them). It gives the same answer as dns.IsSubDomain for such names, but
// allocates nothing: the resolver asks it for every record of every reply.
// A dot escaped in a label ("a\.b") is no label boundary.
func InDomain(parent, child string) bool {
	switch {
	case parent == ".":
		return true
	case len(child) < len(parent):
		return false
	case len(child) == len(parent):
		return child == parent
	case !strings.HasSuffix(child, parent):
		return false
	}
	i := len(child) - len(parent) - 1 // must be an unescaped dot
	if child[i] != '.' {
		return false
	}
	backslashes := 0
	for j := i - 1; j >= 0 && child[j] == '\\'; j-- {
		backslashes++
	}
	return backslashes%2 == 0
}

// canonical is dns.CanonicalName, without its cost for a name that is
// canonical already (fully qualified, in lower-case ASCII), as the names
// of unpacked replies and of the resolver's own questions nearly always
// are: it returns such a name as it is.
func canonical(s string) string {
	if isCanonical(s) {
		return s
	}
	return dns.CanonicalName(s)
}

// isCanonical reports whether s is fully qualified and has no byte that
// dns.CanonicalName would change (an upper-case letter, or one beyond
// ASCII, which it decodes as UTF-8). A name whose last dot may be escaped
// is left to dns.CanonicalName.
func isCanonical(s string) bool {
	n := len(s)
	if n == 0 || s[n-1] != '.' || (n > 1 && s[n-2] == '\\') {
		return false
	}
	for i := 0; i < n; i++ {
		if c := s[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// isPlain reports whether name is a fully qualified name other than the
// root with no escape and no empty label: its labels are what lies
// between its dots, so its ancestors are its suffixes after a dot.
func isPlain(name string) bool {
	n := len(name)
	if n < 2 || name[n-1] != '.' || name[0] == '.' {
		return false
	}
	for i := 1; i < n; i++ {
		if c := name[i]; c == '\\' || (c == '.' && name[i-1] == '.') {
			return false
		}
	}
	return name[0] != '\\'
}

// ancestor returns the ancestor of name with labels labels, if that is
// shorter than name. It is dns.Fqdn(strings.Join(last labels of
// dns.SplitDomainName(name), ".")), without allocating for a plain name.
func ancestor(name string, labels int) (string, bool) {
	if labels > 0 && isPlain(name) {
		n := 0
		for i := len(name) - 2; i > 0; i-- {
			if name[i] == '.' {
				if n++; n == labels {
					return name[i+1:], true
				}
			}
		}
		return "", false
	}
	all := dns.SplitDomainName(name)
	if labels >= len(all) {
		return "", false
	}
	return dns.Fqdn(strings.Join(all[len(all)-labels:], ".")), true
}

// ancestors appends to buf the ancestors of name and name itself, the
// top-level one first, as dns.SplitDomainName's labels joined (nothing for
// the root), and returns it. For a plain name they are its suffixes, and
// nothing is allocated beyond buf.
func ancestors(name string, buf []string) []string {
	if isPlain(name) {
		for i := len(name) - 2; i >= 0; i-- {
			if i == 0 {
				buf = append(buf, name)
			} else if name[i] == '.' {
				buf = append(buf, name[i+1:])
			}
		}
		return buf
	}
	labels := dns.SplitDomainName(name)
	for i := len(labels) - 1; i >= 0; i-- {
		buf = append(buf, dns.Fqdn(strings.Join(labels[i:], ".")))
	}
	return buf
}
