package main

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/nstrace/nstrace/resolver"
)

// tcAfterTimeout is a recursive resolver whose UDP replies are truncated
// and whose first tcpFails TCP queries time out.
type tcAfterTimeout struct {
	tcpFails int
	udp, tcp int
}

func (f *tcAfterTimeout) Exchange(_ context.Context, proto string, _ netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	if proto == resolver.UDP {
		f.udp++
		m.Truncated = true
		return m, time.Millisecond, nil
	}
	f.tcp++
	if f.tcp <= f.tcpFails {
		return nil, time.Second, os.ErrDeadlineExceeded
	}
	rr, _ := dns.NewRR(q.Question[0].Name + " 300 IN A 127.0.0.80")
	m.Answer = append(m.Answer, rr)
	return m, time.Millisecond, nil
}

// TestLookupRecursiveTCPIsNotARetry: going over to TCP after a truncated
// reply does not use up one of --retries; only timeouts do.
func TestLookupRecursiveTCPIsNotARetry(t *testing.T) {
	for _, tc := range []struct {
		retries, tcpFails int
		status            string
		queries           int
	}{
		{0, 0, "answer", 2},
		{0, 1, "failed", 2},
		{1, 1, "answer", 3},
		{2, 2, "answer", 4},
		{2, 3, "failed", 4},
	} {
		f := &tcAfterTimeout{tcpFails: tc.tcpFails}
		cfg := resolver.Config{Timeout: time.Second, Retries: tc.retries}
		got := lookupRecursive(context.Background(), f, cfg, netip.MustParseAddrPort("127.0.0.53:53"), "www.example.com.", dns.TypeA)
		if got.status != tc.status || got.queries != tc.queries || f.udp != 1 {
			t.Errorf("retries %d, %d TCP timeouts: status %q after %d queries (%d over UDP), want %q after %d (1 over UDP)",
				tc.retries, tc.tcpFails, got.status, got.queries, f.udp, tc.status, tc.queries)
		}
	}
}

// rcodeServer answers every query with rcode.
type rcodeServer int

func (rc rcodeServer) Exchange(_ context.Context, _ string, _ netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	m := new(dns.Msg)
	m.SetRcode(q, int(rc))
	m.RecursionAvailable = true
	return m, time.Millisecond, nil
}

// TestLookupRecursiveRcodeNames: a failure names the RCODE the resolver
// sent, with RCODEn for one that has no mnemonic.
func TestLookupRecursiveRcodeNames(t *testing.T) {
	for rc, want := range map[int]string{dns.RcodeServerFailure: "SERVFAIL", dns.RcodeRefused: "REFUSED", 12: "RCODE12"} {
		got := lookupRecursive(context.Background(), rcodeServer(rc), resolver.Config{Timeout: time.Second}, netip.MustParseAddrPort("127.0.0.53:53"), "www.example.com.", dns.TypeA)
		if got.status != "failed" || got.err == nil || got.err.Reason != want || got.err.Detail != "127.0.0.53:53 answered "+want {
			t.Errorf("RCODE %d: status %q, error %+v; want the reason %q, named in the detail", rc, got.status, got.err, want)
		}
	}
}

// TestCompareRcodeNames: compare names a resolver's RCODE as lookup does.
func TestCompareRcodeNames(t *testing.T) {
	for rc, want := range map[int]string{dns.RcodeFormatError: "FORMERR", dns.RcodeNotImplemented: "NOTIMP", 12: "RCODE12"} {
		q := recursiveQuery("www.example.com.", dns.TypeA, 1232)
		m := new(dns.Msg)
		m.SetRcode(q, rc)
		status, _, _, text := classifyCompareReply(compareReply{reply: m}, "www.example.com.", dns.TypeA)
		if status != cmpStatusError || text == nil || *text != want {
			t.Errorf("RCODE %d: %s %v, want %s %q", rc, status, text, cmpStatusError, want)
		}
	}
}
