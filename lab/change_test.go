package lab

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestWithChangeKeepsZoneTransfers: a changed zone keeps the axfr option
// of its zone line. Its servers transfer it as before, with the change.
func TestWithChangeKeepsZoneTransfers(t *testing.T) {
	w := mustDefault(t)
	nw, err := w.WithChange("mydomain.com", "www 300 IN A 127.10.1.81\n")
	if err != nil {
		t.Fatal(err)
	}
	n := NewNetwork(nw)
	for _, server := range []string{"ns1.hostingprovider.com", "ns2.hostingprovider.com"} {
		reply, _, err := n.Exchange(context.Background(), "tcp", ap(serverAddr(t, nw, server).String()), query("mydomain.com", dns.TypeAXFR))
		if err != nil {
			t.Fatal(err)
		}
		if reply.Rcode != dns.RcodeSuccess {
			t.Fatalf("AXFR of the changed mydomain.com at %s: rcode %s, want NOERROR", server, dns.RcodeToString[reply.Rcode])
		}
		if !strings.Contains(reply.String(), "127.10.1.81") || strings.Contains(reply.String(), "127.10.1.80") {
			t.Errorf("AXFR of the changed mydomain.com at %s does not hold the change:\n%v", server, reply)
		}
	}
}

// TestWithChangeKeepsZoneProperties: a changed zone differs from the old
// one in its data only. The test blanks the fields that hold data and
// compares the rest, so that a field added to zone later is checked too.
func TestWithChangeKeepsZoneProperties(t *testing.T) {
	w := mustDefault(t)
	for _, tc := range []struct{ zone, records string }{
		{"mydomain.com", "www 300 IN A 127.10.1.81\n"},
		{"secure.com", "www 300 IN A 127.10.60.99\n"},
	} {
		nw, err := w.WithChange(tc.zone, tc.records)
		if err != nil {
			t.Fatal(err)
		}
		name := dns.Fqdn(tc.zone)
		old, changed := *w.zones[name], *nw.zones[name]
		for _, z := range []*zone{&old, &changed} {
			z.file, z.soa, z.nodes, z.exists, z.cuts = "", nil, nil, nil, nil
			z.sigs, z.nsecNames, z.nsec3 = nil, nil, nil
		}
		if !reflect.DeepEqual(old, changed) {
			t.Errorf("%s: the change lost or altered more than data: %s", name, strings.Join(differingFields(old, changed), ", "))
		}
	}
}

// TestWithChangeKeepsWorld: a changed world keeps all but its servers and
// zones, notably its recursive resolvers. The test blanks the fields that
// change and compares the rest, so that a field added to World later is
// checked too.
func TestWithChangeKeepsWorld(t *testing.T) {
	w := mustDefault(t)
	if len(w.Recursors()) == 0 {
		t.Fatal("the default world has no recursors: the test proves nothing")
	}
	nw, err := w.WithChange("mydomain.com", "www 300 IN A 127.10.1.81\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(nw.Recursors()), len(w.Recursors()); got != want {
		t.Errorf("the changed world has %d recursors, want %d", got, want)
	}
	old, changed := *w, *nw
	for _, x := range []*World{&old, &changed} {
		x.servers, x.byAddr, x.zones = nil, nil, nil
	}
	if !reflect.DeepEqual(old, changed) {
		t.Errorf("the change lost or altered more than servers and zones: %s", strings.Join(differingFields(old, changed), ", "))
	}
}

// differingFields names the fields of two structs of one type that print
// differently.
func differingFields(a, b any) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		if fmt.Sprint(va.Field(i)) != fmt.Sprint(vb.Field(i)) {
			out = append(out, va.Type().Field(i).Name)
		}
	}
	return out
}

// TestWithChangeRefusesOutsideLoopback: a change is held to the rule of
// zone files: every A record in 127.0.0.0/8, every AAAA record ::1, glue
// included. The error is one line and names the record.
func TestWithChangeRefusesOutsideLoopback(t *testing.T) {
	w := mustDefault(t)
	tests := []struct {
		zone, records string
		wantErr       string // "": the change is made
	}{
		{"mydomain.com", "www 300 IN A 127.10.1.81\n", ""},
		{"mydomain.com", "www 300 IN AAAA ::1\n", ""},
		{"mydomain.com", "www 300 IN A 192.0.2.80\n", "A record is not in 127.0.0.0/8 (the lab never points outside loopback): www.mydomain.com. 300 IN A 192.0.2.80"},
		{"mydomain.com", "www 300 IN A 127.10.1.81\nwww 300 IN A 10.0.0.1\n", "A record is not in 127.0.0.0/8"},
		{"mydomain.com", "www 300 IN AAAA 2001:db8::80\n", "AAAA record is not ::1 (the lab never points outside loopback): www.mydomain.com. 300 IN AAAA 2001:db8::80"},
		{"mydomain.com", "www 300 IN AAAA ::ffff:127.0.0.1\n", "AAAA record is not ::1"},
		// Glue below a delegation of the parent zone.
		{"com", "mydomain.com. 3600 IN NS ns.mydomain.com.\nns.mydomain.com. 3600 IN A 198.51.100.53\n", "A record is not in 127.0.0.0/8"},
	}
	for _, tc := range tests {
		nw, err := w.WithChange(tc.zone, tc.records)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("change of %s %q: %v", tc.zone, tc.records, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("change of %s %q is made, want the error %q", tc.zone, tc.records, tc.wantErr)
		case tc.wantErr != "" && (!strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "lab: change of "+dns.Fqdn(tc.zone)+": ") || strings.Contains(err.Error(), "\n")):
			t.Errorf("change of %s %q: error %q, want one line starting %q holding %q", tc.zone, tc.records, err, "lab: change of "+dns.Fqdn(tc.zone)+": ", tc.wantErr)
		case tc.wantErr != "" && nw != nil:
			t.Errorf("change of %s %q: a world with the error %v", tc.zone, tc.records, err)
		}
	}
}
