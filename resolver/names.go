package resolver

import "strings"

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
