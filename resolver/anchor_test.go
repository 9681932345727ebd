package resolver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// The root KSKs as published in the root zone (and in BIND's bind.keys);
// their SHA-256 digests must be the embedded DS records.
const (
	ksk2017 = ". IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="
	ksk2024 = ". IN DNSKEY 257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc="
)

func TestRootTrustAnchor(t *testing.T) {
	ta := RootTrustAnchor()
	if ta.Zone != "." || len(ta.Keys) != 0 || len(ta.DS) != 2 {
		t.Fatalf("root anchor = %+v", ta)
	}
	for i, want := range []struct {
		tag uint16
		key string
	}{{20326, ksk2017}, {38696, ksk2024}} {
		d := ta.DS[i]
		if d.KeyTag != want.tag || d.Algorithm != dns.RSASHA256 || d.DigestType != dns.SHA256 {
			t.Errorf("DS %d = %v", i, d)
		}
		k := zrr(t, want.key).(*dns.DNSKEY)
		if k.KeyTag() != want.tag || !strings.EqualFold(k.ToDS(dns.SHA256).Digest, d.Digest) {
			t.Errorf("the KSK with tag %d does not match the embedded DS %v", want.tag, d)
		}
	}
	// Both KSKs authenticate a root DNSKEY RRset against the anchor (up to
	// the signature, which we cannot make): no DS_MISMATCH.
	_, v := ValidateKeys(".", ta.DS, nil, []dns.RR{zrr(t, ksk2017), zrr(t, ksk2024)}, nil, dnssecNow)
	checkVerdict(t, v, SecurityBogus, CodeRRSIGMissing, "there is no RRSIG for ./DNSKEY")
}

func TestParseTrustAnchor(t *testing.T) {
	z := newTestZone(t, "lab.", dns.ED25519)
	ds := z.ksk.ToDS(dns.SHA256).String()

	t.Run("DS file", func(t *testing.T) {
		in := "; a lab root\n$TTL 86400\n" + ds + "\n\n" + z.ksk.ToDS(dns.SHA1).String() + " ; and its SHA-1\n"
		ta, err := ParseTrustAnchor(strings.NewReader(in), "lab.ds")
		if err != nil {
			t.Fatal(err)
		}
		if ta.Zone != "lab." || len(ta.DS) != 2 || len(ta.Keys) != 0 || ta.DS[0].KeyTag != z.ksk.KeyTag() {
			t.Fatalf("anchor = %+v", ta)
		}
		if _, v := ValidateKeys(ta.Zone, ta.DS, ta.Keys, z.dnskeys(), []*dns.RRSIG{z.ksk.signNow(t, z.dnskeys()...)}, dnssecNow); v.State != SecuritySecure {
			t.Errorf("verdict %+v", v)
		}
	})

	t.Run("DNSKEY file", func(t *testing.T) {
		in := "$ORIGIN lab.\n@ 3600 IN DNSKEY 257 3 15 (\n\t" + z.ksk.PublicKey + " ) ; KSK\n   IN DNSKEY 256 3 15 " + z.zsk.PublicKey + "\n"
		ta, err := ParseTrustAnchor(strings.NewReader(in), "lab.keys")
		if err != nil {
			t.Fatal(err)
		}
		if ta.Zone != "lab." || len(ta.Keys) != 2 || len(ta.DS) != 0 {
			t.Fatalf("anchor = %+v", ta)
		}
		if _, v := ValidateKeys(ta.Zone, ta.DS, ta.Keys, z.dnskeys(), []*dns.RRSIG{z.ksk.signNow(t, z.dnskeys()...)}, dnssecNow); v.State != SecuritySecure {
			t.Errorf("verdict %+v", v)
		}
	})

	t.Run("mixed DS and DNSKEY, relative names", func(t *testing.T) {
		in := "$ORIGIN example.\nlab IN DS 1 15 2 " + strings.Repeat("ab", 32) + "\nLAB.example. IN DNSKEY 257 3 15 " + z.ksk.PublicKey + "\n"
		ta, err := ParseTrustAnchor(strings.NewReader(in), "x")
		if err != nil || ta.Zone != "lab.example." || len(ta.DS) != 1 || len(ta.Keys) != 1 {
			t.Fatalf("anchor = %+v, %v", ta, err)
		}
	})

	tests := []struct {
		name, in, err string
	}{
		{"mixed owners", ds + "\nother. IN DS 1 15 2 " + strings.Repeat("00", 32) + "\n",
			"f:2: record for other., but the earlier records are for lab.; a trust anchor is for one zone"},
		{"wrong type", "; hi\nlab. IN A 192.0.2.1\n", "f:2: record type A is not allowed in a trust anchor (only DS and DNSKEY)"},
		{"bad hex", "lab. IN DS 1 15 2 ZZZZ\n", "f:1: the digest of the DS with key tag 1 is not hexadecimal"},
		{"short digest", "lab. IN DS 1 15 2 ABCD\n", "f:1: the digest of the DS with key tag 1 is 2 bytes; digest type 2 needs 32"},
		{"empty file", "", "f: no DS or DNSKEY record"},
		{"comments only", "; nothing\n\n   ; here\n", "f: no DS or DNSKEY record"},
		{"not a zone key", "lab. IN DNSKEY 1 3 15 " + z.ksk.PublicKey, "f:1: the DNSKEY with flags 1 does not have the zone-key flag (256)"},
		{"revoked key", "lab. IN DNSKEY 385 3 15 " + z.ksk.PublicKey, "f:1: the DNSKEY with flags 385 has the REVOKE flag (128)"},
		{"protocol", "lab. IN DNSKEY 257 2 15 " + z.ksk.PublicKey, "f:1: the DNSKEY has protocol 2; it must be 3"},
		{"malformed line", "\n\nlab. IN DS 1 15 x 00\n", `f:3: bad DS DigestType: "x"`},
		{"malformed line in parentheses", "lab. IN DS ( 1 15\n 2\n x )\n", "f:1: the digest of the DS with key tag 1 is not hexadecimal"},
		{"malformed field in parentheses", "\nlab. IN DS ( 1\n 15\n x 00 )\n", `f:4: bad DS DigestType: "x"`},
		{"unclosed parenthesis", "\nlab. IN DS ( 1 15 2\n", "f:2: '(' is never closed"},
		{"stray parenthesis", "lab. IN DS 1 15 2 00 )\n", "f:1: ')' without '('"},
		{"include", "$INCLUDE /etc/passwd\n", "f:1: directive $INCLUDE is not allowed in a trust anchor file (only $ORIGIN and $TTL)"},
		{"bad TTL", "$TTL forever\n", `f:1: $TTL "forever" is not a number of seconds`},
		{"no owner", "  IN DS 1 15 2 00\n", "f:1: the record has no owner name"},
		{"class", "lab. CH DS 1 15 2 " + strings.Repeat("00", 32), "f:1: class CH is not allowed in a trust anchor (only IN)"},
		{"binary", "lab. IN DS 1 15 2 00\n\x00\x01", "f:2: not a text file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ta, err := ParseTrustAnchor(strings.NewReader(tc.in), "f")
			if err == nil {
				t.Fatalf("no error, anchor %+v", ta)
			}
			if err.Error() != tc.err {
				t.Errorf("error = %q\nwant    %q", err, tc.err)
			}
			if !errors.Is(err, ErrBadTrustAnchor) {
				t.Errorf("%v does not wrap ErrBadTrustAnchor", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q has more than one line", err)
			}
		})
	}
}

func TestLoadTrustAnchor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "root.ds")
	if err := os.WriteFile(path, []byte(rootAnchors), 0o644); err != nil {
		t.Fatal(err)
	}
	ta, err := LoadTrustAnchor(path)
	if err != nil || len(ta.DS) != 2 {
		t.Fatalf("LoadTrustAnchor = %+v, %v", ta, err)
	}
	missing := filepath.Join(dir, "missing.ds")
	if _, err := LoadTrustAnchor(missing); err == nil || err.Error() != missing+": no such file or directory" || !errors.Is(err, ErrBadTrustAnchor) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadTrustAnchor(dir); err == nil || err.Error() != dir+": is a directory" {
		t.Errorf("directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.ds")
	if err := os.WriteFile(bad, []byte(". IN NS a.root-servers.net.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustAnchor(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":1: record type NS") {
		t.Errorf("bad file: %v", err)
	}
}
