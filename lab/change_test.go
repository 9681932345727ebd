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
