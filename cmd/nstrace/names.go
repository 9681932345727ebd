package main

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"
)

// parseName checks a domain name from the command line and returns it
// fully qualified, lower case and in ASCII (IDNA for Unicode names).
func parseName(s string) (string, error) {
	if s == "" {
		return "", usageError("empty name: give a domain name such as example.com")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", usageError("name %q contains a space or control character", s)
		}
	}
	if strings.ContainsRune(s, '\\') {
		return "", usageError("name %q contains a backslash: write the name without escapes", s)
	}
	if s == "." {
		return ".", nil
	}
	ascii := s
	if !isASCII(s) {
		a, err := idna.Lookup.ToASCII(strings.TrimSuffix(s, "."))
		if err != nil {
			return "", usageError("name %q is not a valid internationalised domain name: %v", s, err)
		}
		ascii = a
	}
	ascii = strings.ToLower(dns.Fqdn(ascii))
	if strings.HasPrefix(ascii, ".") || strings.Contains(ascii, "..") {
		return "", usageError("name %q has an empty label", s)
	}
	for _, label := range dns.SplitDomainName(ascii) {
		if len(label) > 63 {
			return "", usageError("name %q has a label of %d octets; the limit is 63", s, len(label))
		}
	}
	if len(ascii)-1 > 253 {
		return "", usageError("name %q is %d octets long; the limit is 253", s, len(ascii)-1)
	}
	if _, ok := dns.IsDomainName(ascii); !ok {
		return "", usageError("%q is not a valid domain name", s)
	}
	return ascii, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// parseType accepts any mnemonic miekg/dns knows (A, AAAA, MX, ...) in
// any case, or the generic TYPEnnn form of RFC 3597.
func parseType(s string) (uint16, bool) {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && t != dns.TypeNone && t != dns.TypeReserved {
		return t, true
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && v > 0 {
			return uint16(v), true
		}
	}
	return 0, false
}
