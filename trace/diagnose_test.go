package trace

import (
	"slices"
	"strings"
	"testing"
)

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return out
}

func referralStep(id, zone, child string, ns []string, glue map[string]string) Step {
	s := Step{ID: id, Zone: zone, Name: child, Type: "A", Cache: Cache{State: "miss"}, Kind: "referral",
		Referral: &Referral{Zone: child, NS: []Record{}, Glue: []Record{}}}
	for _, n := range ns {
		s.Referral.NS = append(s.Referral.NS, Record{Name: child, TTL: 3600, Type: "NS", Data: n})
	}
	for n, a := range glue {
		s.Referral.Glue = append(s.Referral.Glue, Record{Name: n, TTL: 3600, Type: "A", Data: a})
	}
	return s
}

func TestDiagnoseTrace(t *testing.T) {
	tests := []struct {
		name  string
		steps []Step
		want  string
	}{
		{"healthy", []Step{referralStep("1", "com.", "example.com.", []string{"ns1.example.com.", "ns2.other.net."}, map[string]string{"ns1.example.com.": "127.0.0.1"})}, ""},
		{"missing glue", []Step{referralStep("1", "com.", "example.com.", []string{"ns1.example.com.", "ns2.example.com."}, map[string]string{"ns1.example.com.": "127.0.0.1"})}, "MISSING_GLUE"},
		{"single NS", []Step{referralStep("1", "com.", "example.com.", []string{"ns.other.net."}, nil)}, "SINGLE_NS"},
		{"NS is an address", []Step{referralStep("1", "com.", "example.com.", []string{"127.0.0.9.", "ns.other.net."}, nil)}, "NS_ADDRESS"},
		{"lame, timeout, unreachable, bad, poison", []Step{{ID: "1", Zone: "example.com.", Kind: "answer", Cache: Cache{State: "miss"}, Servers: []Server{
			{Name: "a.", Address: "127.0.0.1", Kind: "lame", Rcode: "REFUSED", Detail: "REFUSED"},
			{Name: "b.", Address: "127.0.0.2", Kind: "timeout", Attempts: []Attempt{{}, {}}},
			{Name: "c.", Address: "127.0.0.3", Kind: "unreachable", Detail: "host unreachable"},
			{Name: "d.", Address: "127.0.0.4", Kind: "error", Bad: true, Detail: "reply does not match"},
			{Name: "e.", Address: "127.0.0.5", Kind: "answer", Chosen: true, Ignored: []Record{{Name: "www.bank.org.", Type: "A"}}},
			{Name: "f.", Address: "127.0.0.6", Kind: "timeout", TC: true, Proto: "tcp"},
			{Name: "g.", Address: "127.0.0.7", Kind: "lame", Detail: "upward referral to com.: the server does not serve example.com."},
		}}}, "BAD_RESPONSE LAME OUT_OF_BAILIWICK REFERRAL_LOOP TCP_FAILED TIMEOUT UNREACHABLE"},
		{"all servers failed", []Step{{ID: "1", Zone: "example.com.", Kind: "failed", Failure: "all-servers-failed", Servers: []Server{
			{Name: "a.", Address: "127.0.0.1", Kind: "lame", Rcode: "SERVFAIL", Detail: "SERVFAIL"}}}}, "ALL_SERVERS_FAILED LAME"},
		{"cyclic", []Step{{ID: "1", Zone: "example.com.", Kind: "failed", Failure: "cyclic-dependency", Cyclic: []string{"ns.example.net."}}}, "CYCLIC_DEPENDENCY"},
		{"glueless NS that does not exist, and one that is an alias", []Step{{ID: "1", Zone: "example.com.", Kind: "answer", Cache: Cache{State: "miss"},
			Children: []Resolution{
				{Purpose: "glueless", Question: Question{Name: "ghost.example.net.", Type: "A"}, Outcome: Outcome{Status: "nxdomain"}},
				{Purpose: "glueless", Question: Question{Name: "alias.example.net.", Type: "A"}, Outcome: Outcome{Status: "answer", Records: []Record{
					{Name: "alias.example.net.", Type: "CNAME", Data: "real.example.net."}, {Name: "real.example.net.", Type: "A", Data: "127.0.0.1"}}}},
			}}}, "NS_CNAME NS_NO_ADDRESS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Trace{Resolution: Resolution{Purpose: "query", Steps: tc.steps}}
			fs := Diagnose(tr)
			if got := strings.Join(codes(fs), " "); got != tc.want {
				t.Fatalf("codes %q, want %q", got, tc.want)
			}
			for _, f := range fs {
				if f.Explanation == "" || f.Fix == "" || f.Severity == "" || f.FixAt == "" || len(f.Evidence) == 0 {
					t.Errorf("%s lacks words or evidence: %+v", f.Code, f)
				}
				if strings.Contains(f.Explanation+f.Fix, "%!") {
					t.Errorf("%s: formatting error in %q / %q", f.Code, f.Explanation, f.Fix)
				}
			}
		})
	}
}

func TestDiagnoseMergesEvidenceAndOrdersBySeverity(t *testing.T) {
	lame := Server{Name: "a.", Address: "127.0.0.1", Kind: "lame", Rcode: "REFUSED", Detail: "REFUSED"}
	poison := Server{Name: "b.", Address: "127.0.0.2", Kind: "answer", Ignored: []Record{{Name: "x.org.", Type: "A"}}}
	tr := &Trace{Resolution: Resolution{Steps: []Step{
		{ID: "1", Zone: "example.com.", Servers: []Server{poison, lame}},
		{ID: "2", Zone: "example.com.", Servers: []Server{lame}},
	}}}
	fs := Diagnose(tr)
	if len(fs) != 2 || fs[0].Code != CodeLame || fs[1].Code != CodeOutOfBailiwick {
		t.Fatalf("findings %v, want LAME (error) before OUT_OF_BAILIWICK (info)", codes(fs))
	}
	if len(fs[0].Evidence) != 2 || fs[0].Evidence[1].Step != "2" {
		t.Errorf("LAME evidence %+v, want both steps", fs[0].Evidence)
	}
	if !HasErrors(fs) || HasErrors(fs[1:]) {
		t.Errorf("HasErrors wrong")
	}
}

func TestDiagnoseCheck(t *testing.T) {
	ns := func(ttl uint32, names ...string) []Record {
		var out []Record
		for _, n := range names {
			out = append(out, Record{Name: "example.com.", TTL: ttl, Type: "NS", Data: n})
		}
		return out
	}
	soa := func(serial string) []Record {
		return []Record{{Name: "example.com.", Type: "SOA", Data: "ns1. host. " + serial + " 1 2 3 4"}}
	}
	c := &Check{Zone: "example.com.", Parent: "com.",
		ParentNS: ns(3600, "ns1.example.com.", "ns2.example.com."),
		Glue:     []Record{{Name: "ns1.example.com.", Type: "A", Data: "127.0.0.1"}, {Name: "ns2.example.com.", Type: "A", Data: "127.0.0.2"}},
		ChildNS:  ns(86400, "ns1.example.com.", "ns3.example.com."),
		Lookups: []Resolution{
			{Question: Question{Name: "ns1.example.com.", Type: "A"}, Outcome: Outcome{Status: "answer", Records: []Record{{Name: "ns1.example.com.", Type: "A", Data: "127.0.0.1"}}}, Steps: []Step{{ID: "L1.1"}}},
			{Question: Question{Name: "ns2.example.com.", Type: "A"}, Outcome: Outcome{Status: "answer", Records: []Record{{Name: "ns2.example.com.", Type: "A", Data: "127.0.0.9"}}}, Steps: []Step{{ID: "L2.1"}}},
			{Question: Question{Name: "ns3.example.com.", Type: "A"}, Outcome: Outcome{Status: "answer", Records: []Record{{Name: "ns3.example.com.", Type: "A", Data: "127.0.0.3"}}}, Steps: []Step{{ID: "L3.1"}}},
		},
		Probes: []Step{
			{ID: "c1", Zone: "example.com.", Name: "example.com.", Type: "SOA", Servers: []Server{
				{Name: "ns1.example.com.", Address: "127.0.0.1", Kind: "answer", Records: soa("2")},
				{Name: "ns2.example.com.", Address: "127.0.0.2", Kind: "answer", Records: soa("1")}}},
			{ID: "c2", Zone: "example.com.", Name: "example.com.", Type: "NS", Servers: []Server{
				{Name: "ns1.example.com.", Address: "127.0.0.1", Kind: "answer", Records: ns(86400, "ns1.example.com.", "ns3.example.com.")}}},
		},
	}
	fs := Diagnose(&Trace{Check: c})
	if got := strings.Join(codes(fs), " "); got != "GLUE_MISMATCH NS_MISMATCH SOA_SERIAL_MISMATCH TTL_MISMATCH" {
		t.Fatalf("codes %q", got)
	}
	for _, f := range fs {
		if f.Code == CodeNSMismatch && (!strings.Contains(f.Explanation, "parent (the com zone): ns2.example.com;") || !strings.Contains(f.Explanation, "only in the zone: ns3.example.com.")) {
			t.Errorf("NS_MISMATCH does not name both sides: %s", f.Explanation)
		}
		if f.Code == CodeGlueMismatch && !strings.Contains(f.Explanation, "127.0.0.2") {
			t.Errorf("GLUE_MISMATCH: %s", f.Explanation)
		}
	}
}

func TestParentOf(t *testing.T) {
	for in, want := range map[string]string{".": "", "": "", "com.": ".", "com": ".", "a.com.": "com.", `a\.b.com.`: "com.", "x.y.z.": "y.z."} {
		if got := parentOf(in); got != want {
			t.Errorf("parentOf(%q) = %q, want %q", in, got, want)
		}
	}
}
