package resolver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultHints(t *testing.T) {
	h := DefaultHints()
	if len(h.Names) != 13 || len(h.Servers) != 26 {
		t.Fatalf("%d names, %d addresses; want 13 and 26", len(h.Names), len(h.Servers))
	}
	v4, v6 := 0, 0
	for _, s := range h.Servers {
		if s.Addr.Is4() {
			v4++
		} else {
			v6++
		}
		if !strings.HasSuffix(s.Name, ".root-servers.net.") {
			t.Errorf("unexpected root server name %q", s.Name)
		}
	}
	if v4 != 13 || v6 != 13 {
		t.Errorf("%d IPv4 and %d IPv6 addresses, want 13 each", v4, v6)
	}
}

func TestParseHintsErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "hints.txt: no root server with an address"},
		{"comments only", "; nothing\n\n", "hints.txt: no root server with an address"},
		{"NS without address", ". 3600 NS a.root.\n", "no root server with an address"},
		{"other type", ". 3600 NS a.root.\na.root. 3600 A 127.0.0.1\nx. 3600 MX 10 mail.x.\n", "hints.txt:3: record type MX is not allowed"},
		{"NS below the root", "com. 3600 NS a.root.\n", "hints.txt:1: NS record for \"com.\""},
		{"garbage", ". 3600 NS a.root.\nthis is not a record\n", "hints.txt:2:"},
		{"bad address", ". 3600 NS a.root.\na.root. 3600 A 300.1.1.1\n", "hints.txt:2:"},
		{"binary", "\x00\x01\x02\xff", "hints.txt:1: not a text file"},
		{"directive", "$ORIGIN example.\n", "hints.txt:1: directive \"$ORIGIN\""},
		{"A without address (found by FuzzParseHints)", ". NS g.root.\ng.root. A\n", "hints.txt:2: A record for \"g.root.\" has no address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHints(strings.NewReader(tc.text), "hints.txt")
			if err == nil || !errors.Is(err, ErrBadHints) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadHints(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadHints(filepath.Join(dir, "missing")); !errors.Is(err, ErrBadHints) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadHints(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	path := filepath.Join(dir, "named.root")
	os.WriteFile(path, []byte(". 3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.0.0.1\na.root.lab. 3600000 AAAA ::1\n"), 0o644)
	h, err := LoadHints(path)
	if err != nil || len(h.Servers) != 2 || h.Source != path {
		t.Fatalf("LoadHints: %+v, %v", h, err)
	}
}
