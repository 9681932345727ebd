package trace_test

import (
	"context"
	"testing"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestNegativeNSIsNoZoneCut: after a NODATA for www.mydomain.com NS is
// cached, www.mydomain.com is still resolved through mydomain.com's
// servers, not taken for a zone without servers.
func TestNegativeNSIsNoZoneCut(t *testing.T) {
	r := labResolver(t)
	r.Cache = resolver.NewCache(resolver.NewManualClock(lab.Epoch))
	if tr := trace.Run(context.Background(), r, "www.mydomain.com.", dns.TypeNS, trace.Options{}); tr.Outcome.Status != "nodata" {
		t.Fatalf("www.mydomain.com NS: %s, want nodata", tr.Outcome.Status)
	}
	tr := trace.Run(context.Background(), r, "www.mydomain.com.", dns.TypeA, trace.Options{})
	if tr.Outcome.Status != "answer" {
		t.Fatalf("www.mydomain.com A after a cached NODATA for NS: %s %s", tr.Outcome.Status, tr.Outcome.Detail)
	}
	if srv := r.Servers("www.mydomain.com."); len(srv) != 0 {
		t.Errorf("Servers(www.mydomain.com.) = %v, want none: it is no zone", srv)
	}
}
