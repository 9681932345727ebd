package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// rootStep is a root step where n servers gave the same referral; odd, if
// set, gives a different answer.
func rootStep(n int, odd bool) Step {
	s := Step{ID: "1", Zone: ".", Name: "x.com.", Type: "A", Cache: Cache{State: "miss"}, Kind: "referral",
		Referral: &Referral{Zone: "com.", NS: []Record{{Name: "com.", TTL: 172800, Type: "NS", Data: "a.gtld-servers.net."}}, Glue: []Record{}}}
	for i := 0; i < n; i++ {
		s.Servers = append(s.Servers, Server{
			Name: fmt.Sprintf("%c.root-servers.net.", 'a'+i), Address: fmt.Sprintf("127.0.1.%d", i+1), Proto: "udp",
			RTTms: float64(10 + i), Rcode: "NOERROR", Kind: "referral", Chosen: i == 0,
			Records: []Record{{Name: "com.", TTL: 172800, Type: "NS", Data: "a.gtld-servers.net."}},
		})
	}
	if odd {
		s.Servers = append(s.Servers, Server{Name: "z.root-servers.net.", Address: "127.0.1.99", Proto: "udp", RTTms: 3, Rcode: "REFUSED", Kind: "lame", Detail: "REFUSED"})
	}
	return s
}

func render(t *testing.T, tr *Trace, opts TableOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTable(&b, tr, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTableFoldsIdenticalServers(t *testing.T) {
	tr := &Trace{Schema: Schema, Network: "lab", Resolution: Resolution{
		Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "servfail", Reason: "x", Detail: "y"},
		Steps: []Step{rootStep(13, true)},
	}}
	out := render(t, tr, TableOptions{})
	if !strings.Contains(out, "13 servers · same referral · fastest a.root-servers.net.") {
		t.Errorf("13 identical referrals not folded:\n%s", out)
	}
	if !strings.Contains(out, "z.root-servers.net.") || !strings.Contains(out, "lame: REFUSED") {
		t.Errorf("the server that differs must keep its own row:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without TableOptions.Color")
	}
	all := render(t, tr, TableOptions{AllRows: true})
	for i := 0; i < 13; i++ {
		if name := fmt.Sprintf("%c.root-servers.net.", 'a'+i); !strings.Contains(all, name) {
			t.Errorf("--all-rows lacks %s", name)
		}
	}
	if strings.Contains(all, "13 servers") {
		t.Errorf("--all-rows still folds")
	}
	if !strings.Contains(render(t, tr, TableOptions{Color: true}), "\x1b[31m") {
		t.Errorf("no colour for the lame server with Color set")
	}
}

func TestTableShowsFewServersOneByOne(t *testing.T) {
	tr := &Trace{Resolution: Resolution{Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "answer"}, Steps: []Step{rootStep(FoldMin-1, false)}}}
	out := render(t, tr, TableOptions{})
	if strings.Contains(out, "servers · same") || !strings.Contains(out, "b.root-servers.net.") {
		t.Errorf("%d servers should not fold:\n%s", FoldMin-1, out)
	}
}

func TestTableCacheHit(t *testing.T) {
	ttl := uint32(3590)
	s := Step{ID: "1", Zone: ".", Cache: Cache{State: "hit", TTL: &ttl}, Kind: "referral", Servers: []Server{},
		Referral: &Referral{Zone: "com.", NS: []Record{{Name: "com.", Type: "NS", Data: "a."}, {Name: "com.", Type: "NS", Data: "b."}}}}
	tr := &Trace{Resolution: Resolution{Question: Question{Name: "x.com.", Type: "A"}, Outcome: Outcome{Status: "answer"}, Steps: []Step{s}}}
	out := render(t, tr, TableOptions{})
	if !strings.Contains(out, "hit 3590s left") || !strings.Contains(out, "(from the cache)") || !strings.Contains(out, "referral → com. (2 NS)") {
		t.Errorf("cache hit not shown:\n%s", out)
	}
}

func TestJSONKeys(t *testing.T) {
	tr := &Trace{Schema: Schema, Resolution: Resolution{Purpose: "query", Question: Question{Name: "x.", Type: "A"}, Outcome: Outcome{Status: "nxdomain", Records: []Record{}}, Steps: []Step{rootStep(2, false)}}}
	var b bytes.Buffer
	if err := WriteJSON(&b, tr); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "question", "outcome", "steps", "queries"} {
		if _, ok := m[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	if m["outcome"].(map[string]any)["status"] != "nxdomain" {
		t.Errorf("outcome.status %v", m["outcome"])
	}
}

// TestDNSSECData: the table lists a DNSKEY by its role, key tag and
// algorithm and a DS by the key it names, its algorithm and digest type;
// numbers it does not know are written as numbers, and data it cannot
// read is listed as it is, never a panic.
func TestDNSSECData(t *testing.T) {
	for _, tc := range []struct{ typ, data, want string }{
		{"DNSKEY", "256 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", "DNSKEY ZSK 3612 (ED25519)"},
		{"DNSKEY", "257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", "DNSKEY KSK 3613 (ED25519)"},
		{"DNSKEY", "257 3 200 AAAA", "DNSKEY KSK 1225 (algorithm 200)"},
		{"DNSKEY", "257 3", "DNSKEY 257 3"},
		{"DS", "12345 8 2 ABCD", "DS key 12345 (RSASHA256), SHA-256"},
		{"DS", "12345 200 3 ABCD", "DS key 12345 (algorithm 200), digest type 3"},
		{"DS", "12345 300 2 ABCD", "DS 12345 300 2 ABCD"},
		{"DS", "1 x 2 ABCD", "DS 1 x 2 ABCD"},
		{"DS", "1 2 3", "DS 1 2 3"},
	} {
		if got := recordData([]Record{{Name: "example.", Type: tc.typ, TTL: 300, Data: tc.data}}, ""); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.typ, tc.data, got, tc.want)
		}
	}
}
