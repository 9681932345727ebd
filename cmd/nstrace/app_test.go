package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// run calls the CLI as main does and returns the exit status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), append([]string{"nstrace"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badHints := filepath.Join(dir, "bad.root")
	os.WriteFile(badHints, []byte(". 3600 NS a.root.\na.root. 3600 MX 10 x.\n"), 0o644)
	emptyHints := filepath.Join(dir, "empty.root")
	os.WriteFile(emptyHints, nil, 0o644)
	binHints := filepath.Join(dir, "bin.root")
	os.WriteFile(binHints, []byte{0x7f, 'E', 'L', 'F', 0, 1, 2, 0xff}, 0o644)
	badAnchor := filepath.Join(dir, "bad.anchor")
	os.WriteFile(badAnchor, []byte(". 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n. 3600 IN MX 10 x.\n"), 0o644)
	emptyAnchor := filepath.Join(dir, "empty.anchor")
	os.WriteFile(emptyAnchor, []byte("; nothing but a comment\n"), 0o644)
	long := strings.Repeat("a", 64) + ".com"
	tooLong := strings.Repeat(strings.Repeat("a", 60)+".", 5) + "com"
	tests := []struct {
		name string
		args []string
		want string // a part of the one line on stderr
	}{
		{"no name", []string{"trace", "--lab"}, "no name given"},
		{"empty name", []string{"trace", "--lab", ""}, "empty name"},
		{"label over 63", []string{"trace", "--lab", long}, "label of 64 octets"},
		{"name over 253", []string{"trace", "--lab", tooLong}, "the limit is 253"},
		{"space", []string{"trace", "--lab", "my domain.com"}, "space or control character"},
		{"control character", []string{"trace", "--lab", "my\x07domain.com"}, "space or control character"},
		{"empty label", []string{"trace", "--lab", "a..com"}, "empty label"},
		{"unknown type", []string{"trace", "--lab", "mydomain.com", "BOGUS"}, `unknown record type "BOGUS"`},
		{"negative timeout", []string{"trace", "--lab", "--timeout", "-1s", "mydomain.com"}, "--timeout must be positive"},
		{"non-numeric timeout", []string{"trace", "--lab", "--timeout", "soon", "mydomain.com"}, "invalid value"},
		{"port zero", []string{"trace", "--port", "0", "mydomain.com"}, "--port 0 is out of range"},
		{"port too big", []string{"trace", "--port", "70000", "mydomain.com"}, "--port 70000 is out of range"},
		{"port not a number", []string{"trace", "--port", "http", "mydomain.com"}, "invalid value"},
		{"missing hints", []string{"trace", "--hints", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"hints is a directory", []string{"trace", "--hints", dir, "mydomain.com"}, "is a directory"},
		{"empty hints", []string{"trace", "--hints", emptyHints, "mydomain.com"}, "no root server"},
		{"binary hints", []string{"trace", "--hints", binHints, "mydomain.com"}, "not a text file"},
		{"hints with MX", []string{"trace", "--hints", badHints, "mydomain.com"}, "bad.root:2: record type MX"},
		{"unknown format", []string{"trace", "--lab", "--format", "xml", "mydomain.com"}, `unknown --format "xml"`},
		{"unknown flag", []string{"trace", "--frobnicate", "mydomain.com"}, "flag provided but not defined"},
		{"flag after name", []string{"trace", "mydomain.com", "--lab"}, "put flags before the names"},
		{"lab and hints", []string{"trace", "--lab", "--hints", badHints, "mydomain.com"}, "exclude each other"},
		{"lab and port", []string{"trace", "--lab", "--port", "5300", "mydomain.com"}, "--port is for real sockets"},
		{"-4 and -6", []string{"trace", "-4", "-6", "mydomain.com"}, "exclude each other"},
		{"negative retries", []string{"trace", "--lab", "--retries", "-1", "mydomain.com"}, "--retries"},
		{"unknown command", []string{"tarce", "mydomain.com"}, `unknown command "tarce"`},
		{"expect-ns bad name", []string{"check", "--lab", "--expect-ns", "ns1..example.com", "mydomain.com"}, "--expect-ns: name"},
		{"expect-ns one label", []string{"check", "--lab", "--expect-ns", "localhost", "mydomain.com"}, "is not a nameserver's host name"},
		{"expect-ns-file missing", []string{"check", "--lab", "--expect-ns-file", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"expect-ns-file binary", []string{"check", "--lab", "--expect-ns-file", binHints, "mydomain.com"}, "bin.root:1: not a text file of nameservers"},
		{"expect-ns-file empty", []string{"check", "--lab", "--expect-ns-file", emptyHints, "mydomain.com"}, "no nameserver in it"},
		{"trust anchor without --dnssec", []string{"trace", "--lab", "--trust-anchor", badAnchor, "mydomain.com"}, "add --dnssec"},
		{"missing trust anchor", []string{"trace", "--lab", "--dnssec", "--trust-anchor", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"trust anchor is a directory", []string{"trace", "--lab", "--dnssec", "--trust-anchor", dir, "mydomain.com"}, "--trust-anchor"},
		{"trust anchor with MX", []string{"check", "--lab", "--dnssec", "--trust-anchor", badAnchor, "mydomain.com"}, "bad.anchor:2"},
		{"empty trust anchor", []string{"trace", "--lab", "--dnssec", "--trust-anchor", emptyAnchor, "mydomain.com"}, "--trust-anchor"},
		{"lab serve bad port", []string{"lab", "serve", "--port", "-5"}, "out of range"},
		{"check: no domain", []string{"check", "--lab"}, "no domain given"},
		{"check: bad name", []string{"check", "--lab", "a..com"}, "empty label"},
		{"check: missing hints", []string{"check", "--hints", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"check: hints is a directory", []string{"check", "--hints", dir, "mydomain.com"}, "is a directory"},
		{"check: binary hints", []string{"check", "--hints", binHints, "mydomain.com"}, "not a text file"},
		{"check: unknown format", []string{"check", "--lab", "--format", "yaml", "mydomain.com"}, `unknown --format "yaml"`},
		{"check: flag after domain", []string{"check", "mydomain.com", "--lab"}, "put flags before the domains"},
		{"lab export: no directory", []string{"lab", "export"}, "takes one directory"},
		{"lab export: into a file", []string{"lab", "export", badHints}, "lab export"},
		{"lab list: extra argument", []string{"lab", "list", "x"}, "takes no arguments"},
		{"replay: missing file", []string{"trace", "--replay", filepath.Join(dir, "nope"), "mydomain.com"}, "no such file"},
		{"replay: a directory", []string{"trace", "--replay", dir, "mydomain.com"}, "is a directory"},
		{"replay: binary junk", []string{"trace", "--replay", binHints, "mydomain.com"}, "bad recording"},
		{"replay: not a recording", []string{"trace", "--replay", badHints, "mydomain.com"}, "bad recording"},
		{"replay with --lab", []string{"trace", "--lab", "--replay", badHints, "mydomain.com"}, "excludes --lab"},
		{"record into a directory", []string{"trace", "--lab", "--record", dir, "mydomain.com"}, "--record"},
		{"audit: no file", []string{"audit", "--lab"}, "audit takes one file"},
		{"lab world: missing", []string{"trace", "--lab-world", filepath.Join(dir, "nope"), "x.com"}, "not a directory holding world.conf"},
		{"lab world: no world.conf", []string{"trace", "--lab-world", dir, "x.com"}, "--lab-world"},
		{"audit: missing file", []string{"audit", "--lab", filepath.Join(dir, "nope")}, "no such file"},
		{"audit: a directory", []string{"audit", "--lab", dir}, "is a directory"},
		{"check: --expect-ns-file a directory", []string{"check", "--lab", "--expect-ns-file", dir, "mydomain.com"}, "--expect-ns-file: " + dir + " is a directory"},
		{"audit: binary junk", []string{"audit", "--lab", binHints}, "not a text file of domains"},
		{"audit: bad shard", []string{"audit", "--lab", "--shard", "3/3", emptyHints}, "--shard"},
		{"audit: zero concurrency", []string{"audit", "--lab", "--concurrency", "0", emptyHints}, "--concurrency"},
		{"audit: resume without out", []string{"audit", "--lab", "--resume", emptyHints}, "--resume needs --out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, ExitUsage, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr, tc.want)
			}
			if strings.Contains(stderr+stdout, "goroutine") || strings.Contains(stderr+stdout, "panic") {
				t.Errorf("stack trace printed")
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing: no query is sent on a usage error", stdout)
			}
		})
	}
}

func TestParseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM", "example.com."},
		{"example.com.", "example.com."},
		{".", "."},
		{"bücher.example", "xn--bcher-kva.example."},
		{"_dmarc.example.com", "_dmarc.example.com."},
	}
	for _, tc := range tests {
		got, err := parseName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseQuestion(t *testing.T) {
	tests := []struct {
		args   []string
		names  string
		qtypes string
	}{
		{[]string{"a.com"}, "a.com.", "A"},
		{[]string{"a.com", "MX"}, "a.com.", "MX"},
		{[]string{"a.com", "b.com", "aaaa"}, "a.com. b.com.", "AAAA"},
		{[]string{"a.com", "TYPE65"}, "a.com.", "HTTPS"},
		{[]string{"a.com", "b.com"}, "a.com. b.com.", "A"},
		{[]string{"a.com", "A", "AAAA", "MX"}, "a.com.", "A AAAA MX"},
		{[]string{"a.com", "b.com", "mx", "A", "MX"}, "a.com. b.com.", "MX A"}, // in the order given, once each
		{[]string{"mx", "ns"}, "mx.", "NS"},                                    // the first argument is always a name
		{[]string{"mx"}, "mx.", "A"},
	}
	for _, tc := range tests {
		q, err := parseQuestion(tc.args)
		var types []string
		for _, t := range q.qtypes {
			types = append(types, dns.TypeToString[t])
		}
		if err != nil || strings.Join(q.names, " ") != tc.names || strings.Join(types, " ") != tc.qtypes {
			t.Errorf("parseQuestion(%q) = %v %v, %v; want %s, %s", tc.args, q.names, types, err, tc.names, tc.qtypes)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"a.com", "FOO"}, `unknown record type "FOO"`},
		{[]string{"a.com", "FOO", "MX"}, `unknown record type "FOO"`},
		{[]string{"a.com", "MX", "b.com"}, "record type MX comes before a name: put the types after the names"},
		{[]string{"a.com", "--format", "json"}, "flag --format comes after a name"},
		{nil, "no name given"},
	} {
		_, err := parseQuestion(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseQuestion(%q): error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run(t, "--version")
	if code != 0 || !strings.Contains(stdout, version) {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
}
