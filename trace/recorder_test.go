package trace

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
)

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// TestRecorderOrdersLateEvents feeds events the way a real network
// delivers them: a slow server's reply arrives after its step, and even
// after the resolution, finished. The trace still holds it, in server order.
func TestRecorderOrdersLateEvents(t *testing.T) {
	rec := NewRecorder()
	a := netip.MustParseAddrPort("127.0.0.2:53")
	b := netip.MustParseAddrPort("127.0.0.1:53")
	ref := resolver.Response{Kind: resolver.KindReferral, Referral: "com.", NS: []*dns.NS{mustRR(t, "com. 60 IN NS a.gtld.").(*dns.NS)}}
	events := []resolver.Event{
		resolver.ResolutionStarted{Resolution: 1, Name: "x.com.", Type: dns.TypeA},
		resolver.StepStarted{Step: 1, Resolution: 1, Zone: ".", Name: "x.com.", Type: dns.TypeA},
		resolver.Exchanged{Step: 1, Server: "b.root.", Addr: a, Proto: "udp", Attempt: 1, RTT: 5 * time.Millisecond, Response: ref},
		resolver.StepFinished{Step: 1, Server: "b.root.", Addr: a, Response: ref},
		resolver.StepStarted{Step: 2, Resolution: 1, Zone: "com.", Name: "x.com.", Type: dns.TypeA},
		resolver.ResolutionStarted{Resolution: 2, ParentStep: 2, Purpose: resolver.PurposeGlueless, Name: "a.gtld.", Type: dns.TypeA},
		resolver.ResolutionFinished{Resolution: 2, Outcome: resolver.Outcome{Status: resolver.StatusNXDomain}},
		resolver.StepFinished{Step: 2, Failure: resolver.ReasonNoAddress, Detail: "no address"},
		resolver.ResolutionFinished{Resolution: 1, Outcome: resolver.Outcome{Status: resolver.StatusServFail, Reason: resolver.ReasonNoAddress}},
		// late: the other root server times out twice
		resolver.Exchanged{Step: 1, Server: "a.root.", Addr: b, Proto: "udp", Attempt: 2, RTT: time.Second, Response: resolver.Response{Kind: resolver.KindTimeout, Rcode: -1}},
		resolver.Exchanged{Step: 1, Server: "a.root.", Addr: b, Proto: "udp", Attempt: 1, RTT: time.Second, Response: resolver.Response{Kind: resolver.KindTimeout, Rcode: -1}},
	}
	for _, e := range events {
		rec.Observe(e)
	}
	r := rec.Resolution()
	if len(r.Steps) != 2 || r.Outcome.Status != "servfail" || r.Outcome.Reason != "no-address" {
		t.Fatalf("resolution %+v", r)
	}
	s1 := r.Steps[0]
	if len(s1.Servers) != 2 || s1.Servers[0].Name != "a.root." || s1.Servers[1].Name != "b.root." {
		t.Fatalf("servers %+v, want a.root. (late) then b.root.", s1.Servers)
	}
	if late := s1.Servers[0]; late.Kind != "timeout" || len(late.Attempts) != 2 || late.Chosen || late.Rcode != "" {
		t.Errorf("late server %+v", late)
	}
	if !s1.Servers[1].Chosen || s1.Referral == nil || s1.Referral.Zone != "com." {
		t.Errorf("chosen server or referral missing: %+v", s1)
	}
	s2 := r.Steps[1]
	if s2.Kind != "failed" || s2.Failure != "no-address" || len(s2.Children) != 1 {
		t.Fatalf("step 2 %+v", s2)
	}
	if c := s2.Children[0]; c.Purpose != "glueless" || c.Question.Name != "a.gtld." || c.Outcome.Status != "nxdomain" {
		t.Errorf("child %+v", c)
	}
}

func TestChildLetter(t *testing.T) {
	for j, want := range map[int]string{0: "a", 1: "b", 25: "z", 26: "aa", 27: "ab"} {
		if got := childLetter(j); got != want {
			t.Errorf("childLetter(%d) = %q, want %q", j, got, want)
		}
	}
}

func TestRdataMatchesMiekg(t *testing.T) {
	for _, s := range []string{
		"a. 1 IN A 127.0.0.1", "a. 1 IN AAAA ::1", "a. 1 IN AAAA 2001:db8::1", "a. 1 IN NS ns1.Example.com.",
		"a. 1 IN CNAME b.example.", "a. 1 IN CNAME b\\.c.example.", "a. 1 IN NS weird\\032name.example.",
		"a. 1 IN SOA ns. h. 1 2 3 4 5", "a. 1 IN TXT \"x y\"", "a. 1 IN MX 10 mail.a.",
	} {
		rr := mustRR(t, s)
		want := strings.TrimPrefix(rr.String(), rr.Header().String())
		if got := rdata(rr); got != want {
			t.Errorf("rdata(%s) = %q, want %q", s, got, want)
		}
	}
}
