package resolver

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func FuzzParseTrustAnchor(f *testing.F) {
	f.Add(rootAnchors)
	f.Add("$ORIGIN lab.\n$TTL 60\n@ IN DNSKEY 257 3 15 ( AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ) ; key\n")
	f.Add("lab. IN DS 1 15 2 ZZ\n")
	f.Add("  IN DS (\n\"x\\\" ;)\n")
	f.Add("$INCLUDE x\n")
	f.Add("lab. IN A 192.0.2.1\n")
	f.Fuzz(func(t *testing.T, in string) {
		ta, err := ParseTrustAnchor(strings.NewReader(in), "fuzz")
		if err != nil {
			if ta != nil || !errors.Is(err, ErrBadTrustAnchor) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("bad error %q (anchor %v)", err, ta)
			}
			return
		}
		if ta.Zone == "" || len(ta.DS)+len(ta.Keys) == 0 {
			t.Fatalf("empty anchor %+v", ta)
		}
		for _, k := range ta.Keys {
			if !usableKey(k) || !sameName(k.Hdr.Name, ta.Zone) {
				t.Fatalf("unusable key %v", k)
			}
		}
		for _, d := range ta.DS {
			if !sameName(d.Hdr.Name, ta.Zone) {
				t.Fatalf("DS %v outside %s", d, ta.Zone)
			}
		}
		// Whatever parsed must not make the validator panic.
		_, _ = ValidateKeys(ta.Zone, ta.DS, ta.Keys, []dns.RR{}, nil, dnssecNow)
	})
}
