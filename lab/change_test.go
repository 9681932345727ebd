package lab

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

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
		{"badsig.com", "www 300 IN A 127.10.66.90\n"},
	} {
		nw, err := w.WithChange(tc.zone, tc.records)
		if err != nil {
			t.Fatal(err)
		}
		name := dns.Fqdn(tc.zone)
		old, changed := *w.zones[name], *nw.zones[name]
		for _, z := range []*zone{&old, &changed} {
			z.file, z.soa, z.nodes, z.exists, z.cuts = "", nil, nil, nil, nil
			z.sigs, z.nsecNames, z.nsec3, z.unaltered = nil, nil, nil, nil
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
		checkChangeErr(t, w, tc.zone, tc.records, tc.wantErr)
	}
}

// TestWithChangeKeepsUntouchedRRsets: in every zone the lab signs, a
// change that adds a name leaves every other RRset and its signatures as
// they were, breakages included (break=alter, break=nosig). Only the new
// name and the NSEC or NSEC3 chain that now covers it differ.
func TestWithChangeKeepsUntouchedRRsets(t *testing.T) {
	w := mustDefault(t)
	zones := signedZones(w)
	if !slices.ContainsFunc(zones, func(z *zone) bool { return len(z.signing.alter) > 0 }) {
		t.Fatal("no zone of the default world has break=alter: the test proves less")
	}
	for _, old := range zones {
		added := "nstrace-change." + strings.TrimPrefix(old.name, ".")
		if old.name == "." {
			added = "nstrace-change."
		}
		nw, err := w.WithChange(old.name, added+" 300 IN A 127.0.0.9\n")
		if err != nil {
			t.Fatal(err)
		}
		z := nw.zones[old.name]
		if len(z.nodes[added][dns.TypeA]) != 1 {
			t.Errorf("%s: the change is not in the zone", old.name)
		}
		for _, pair := range []struct {
			what     string
			old, new map[string]map[uint16][]dns.RR
		}{{"data", old.nodes, z.nodes}, {"RRSIG", old.sigs, z.sigs}} {
			for owner, sets := range pair.old {
				for typ, rrs := range sets {
					if typ == dns.TypeNSEC || typ == dns.TypeNSEC3 {
						continue
					}
					if got, want := fmt.Sprint(pair.new[owner][typ]), fmt.Sprint(rrs); got != want {
						t.Errorf("%s: %s of %s %s after an unrelated change:\n%s\nwant\n%s", old.name, pair.what, owner, dns.TypeToString[typ], got, want)
					}
				}
			}
			for owner, sets := range pair.new {
				for typ := range sets {
					if _, ok := pair.old[owner][typ]; !ok && owner != added && typ != dns.TypeNSEC && typ != dns.TypeNSEC3 {
						t.Errorf("%s: %s of %s %s is new after an unrelated change", old.name, pair.what, owner, dns.TypeToString[typ])
					}
				}
			}
		}
	}
}

// TestWithChangeKeepsAlteration: badsig.com (break=alter:www/A) serves
// www with the address of its zone file, 127.10.66.80, altered after
// signing to 127.10.66.81. After a change the zone still serves .81 with
// the same RRSIG, which fails for the same reason: it was made over .80.
// A change of www itself is altered once, in the same way.
func TestWithChangeKeepsAlteration(t *testing.T) {
	w := mustDefault(t)
	const ns = "127.0.4.1"
	served := func(w *World) (a []dns.RR, sig *dns.RRSIG) {
		m := ask(t, NewNetwork(w), ns, "www.badsig.com", dns.TypeA)
		for _, rr := range ofType(m.Answer, dns.TypeRRSIG) {
			sig = rr.(*dns.RRSIG)
		}
		return ofType(m.Answer, dns.TypeA), sig
	}
	// signedOver says whether sig verifies over www A with the address addr.
	signedOver := func(w *World, sig *dns.RRSIG, addr string) bool {
		rr, err := dns.NewRR("www.badsig.com. 300 IN A " + addr)
		if err != nil {
			t.Fatal(err)
		}
		return sig != nil && sig.Verify(dnskeys(w.zones["badsig.com."])[sig.KeyTag], []dns.RR{rr}) == nil
	}
	oldA, oldSig := served(w)
	if len(oldA) != 1 || oldA[0].(*dns.A).A.String() != "127.10.66.81" || !signedOver(w, oldSig, "127.10.66.80") || signedOver(w, oldSig, "127.10.66.81") {
		t.Fatalf("www.badsig.com in the default world: %v %v, want 127.10.66.81 signed as 127.10.66.80", oldA, oldSig)
	}
	for _, tc := range []struct {
		records      string
		serve, signs string // the address served, the one signed
	}{
		{"other 300 IN A 127.0.0.9\n", "127.10.66.81", "127.10.66.80"},
		{"www 300 IN A 127.10.66.90\n", "127.10.66.91", "127.10.66.90"},
	} {
		nw, err := w.WithChange("badsig.com", tc.records)
		if err != nil {
			t.Fatal(err)
		}
		a, sig := served(nw)
		if len(a) != 1 || a[0].(*dns.A).A.String() != tc.serve || !signedOver(nw, sig, tc.signs) || signedOver(nw, sig, tc.serve) {
			t.Errorf("change %q: www.badsig.com %v %v, want %s signed as %s", tc.records, a, sig, tc.serve, tc.signs)
		}
		if tc.serve == "127.10.66.81" && (fmt.Sprint(a) != fmt.Sprint(oldA) || sig.String() != oldSig.String()) {
			t.Errorf("change %q: www.badsig.com %v %v, want as before %v %v", tc.records, a, sig, oldA, oldSig)
		}
	}
}

// TestWithChangeKeepsTXTAlteration: a TXT RRset altered after signing
// (break=alter:NAME/TXT) gets its extra string once, change or not.
func TestWithChangeKeepsTXTAlteration(t *testing.T) {
	fsys := fstest.MapFS{
		"world.conf":      {Data: []byte("zone x.test zones/x.zone dnssec=nsec break=alter:t/TXT\nzone . zones/root.zone\nserver a.root. 127.0.0.1 . x.test\n")},
		"zones/x.zone":    {Data: []byte(xZone + "t TXT \"signed\"\n")},
		"zones/root.zone": {Data: []byte("@ SOA a.root. b. 1 2 3 4 5\n@ NS a.root.\na.root. A 127.0.0.1\nx.test. NS a.\n")},
	}
	w, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	const want = `["signed" "altered after signing"]`
	txt := func(w *World) string {
		var out []string
		for _, rr := range w.zones["x.test."].nodes["t.x.test."][dns.TypeTXT] {
			out = append(out, fmt.Sprintf("%q", rr.(*dns.TXT).Txt))
		}
		return strings.Join(out, " ")
	}
	if got := txt(w); got != want {
		t.Fatalf("t.x.test TXT %s, want %s", got, want)
	}
	nw := w
	for range 2 { // a change of a changed world too
		if nw, err = nw.WithChange("x.test", "other A 127.0.0.9\n"); err != nil {
			t.Fatal(err)
		}
		if got := txt(nw); got != want {
			t.Errorf("after a change: t.x.test TXT %s, want %s", got, want)
		}
	}
}

// checkChangeErr reports a change that is made when it should be refused
// or the other way round, and an error that is not one line starting
// "lab: change of ZONE: " and holding wantErr.
func checkChangeErr(t *testing.T, w *World, zone, records, wantErr string) *World {
	t.Helper()
	nw, err := w.WithChange(zone, records)
	prefix := "lab: change of " + dns.Fqdn(zone) + ": "
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("change of %s %q: %v", zone, records, err)
	case wantErr != "" && err == nil:
		t.Errorf("change of %s %q is made, want the error %q", zone, records, wantErr)
	case wantErr != "" && (!strings.Contains(err.Error(), wantErr) || !strings.HasPrefix(err.Error(), prefix) || strings.Contains(err.Error(), "\n")):
		t.Errorf("change of %s %q: error %q, want one line starting %q holding %q", zone, records, err, prefix, wantErr)
	case wantErr != "" && nw != nil:
		t.Errorf("change of %s %q: a world with the error %v", zone, records, err)
	}
	return nw
}

// TestWithChangeHeldToZoneFileRules: a change is held to the rules of
// zone files, the changed zone as a whole: class IN, an SOA only at the
// apex and only one, no CNAME beside other data. A CNAME takes the whole
// name it is put at (but the apex), so that a change can turn an address
// into an alias; other data does not displace a CNAME the change keeps.
func TestWithChangeHeldToZoneFileRules(t *testing.T) {
	w := mustDefault(t)
	const soa = "@ 3600 IN SOA ns1.hostingprovider.com. hostmaster.mydomain.com. 2025112502 7200 1800 1209600 300\n"
	tests := []struct {
		zone, records string
		wantErr       string // "": the change is made
	}{
		{"mydomain.com", soa, ""},
		{"mydomain.com", "www 300 CH A 127.10.1.81\n", "class CH is not IN: www.mydomain.com. 300 CH A 127.10.1.81"},
		{"mydomain.com", "www.example.com. 300 IN A 127.10.1.81\n", "record is outside the zone mydomain.com."},
		{"mydomain.com", "www 300 IN SOA ns1.hostingprovider.com. hostmaster.mydomain.com. 1 2 3 4 5\n", "SOA is not at the apex"},
		{"mydomain.com", soa + strings.Replace(soa, "2025112502", "2025112503", 1), "second SOA record"},
		// A CNAME replaces the only data of its name, or all of it.
		{"mydomain.com", "www 300 IN CNAME mail.mydomain.com.\n", ""},
		{"mydomain.com", "nodata 300 IN CNAME www.mydomain.com.\n", ""},
		{"mydomain.com", "new 300 IN CNAME www.mydomain.com.\n", ""},
		{"shop.com", "www 900 IN CNAME other.cdnhost.net.\n", ""},
		{"secure.com", "www 300 IN CNAME mail.secure.com.\n", ""},
		// A CNAME beside other data, of the change or of the zone.
		{"mydomain.com", "www 300 IN CNAME a.example.\nwww 300 IN CNAME b.example.\n", "www.mydomain.com. has more than one CNAME"},
		{"mydomain.com", "www 300 IN CNAME mail.mydomain.com.\nwww 300 IN TXT \"x\"\n", "www.mydomain.com. has a CNAME and other data"},
		{"mydomain.com", "www 300 IN TXT \"x\"\nwww 300 IN CNAME mail.mydomain.com.\n", "www.mydomain.com. has a CNAME and other data"},
		{"shop.com", "www 900 IN A 127.10.8.80\n", "www.shop.com. has a CNAME and other data: www.shop.com. 900 IN A 127.10.8.80"},
		{"mydomain.com", "@ 300 IN CNAME www.mydomain.com.\n", "mydomain.com. has a CNAME and other data"},
	}
	for _, tc := range tests {
		checkChangeErr(t, w, tc.zone, tc.records, tc.wantErr)
	}
	nw := checkChangeErr(t, w, "mydomain.com", soa, "")
	if nw != nil && nw.zones["mydomain.com."].soa.Serial != 2025112502 {
		t.Errorf("the changed SOA is not the zone's: %v", nw.zones["mydomain.com."].soa)
	}
}

// TestWithChangeCNAMETakesTheName: a CNAME put by a change at a name
// that had other data is all the name holds, and all it serves, signed
// again in a zone the lab signs.
func TestWithChangeCNAMETakesTheName(t *testing.T) {
	w := mustDefault(t)
	for _, tc := range []struct {
		zone, records, server, name string
		wantA, wantTXT              string // the answer, records sorted, without RRSIGs
	}{
		{"mydomain.com", "www 300 IN CNAME mail.mydomain.com.\n", "ns1.hostingprovider.com", "www.mydomain.com",
			"mail.mydomain.com. A 127.10.1.25|www.mydomain.com. CNAME mail.mydomain.com.", "www.mydomain.com. CNAME mail.mydomain.com."},
		{"mydomain.com", "nodata 300 IN CNAME www.mydomain.com.\n", "ns1.hostingprovider.com", "nodata.mydomain.com",
			"nodata.mydomain.com. CNAME www.mydomain.com.|www.mydomain.com. A 127.10.1.80", "nodata.mydomain.com. CNAME www.mydomain.com."},
		{"secure.com", "www 300 IN CNAME mail.secure.com.\n", "ns1.secure.com", "www.secure.com",
			"mail.secure.com. A 127.10.60.25|www.secure.com. CNAME mail.secure.com.", "www.secure.com. CNAME mail.secure.com."},
	} {
		nw, err := w.WithChange(tc.zone, tc.records)
		if err != nil {
			t.Fatal(err)
		}
		z, owner := nw.zones[dns.Fqdn(tc.zone)], dns.Fqdn(tc.name)
		types := slices.DeleteFunc(sortedTypes(z.nodes[owner]), func(t uint16) bool { return t == dns.TypeNSEC })
		if !slices.Equal(types, []uint16{dns.TypeCNAME}) {
			t.Errorf("change %q: %s holds the types %v (but NSEC), want a CNAME only", tc.records, owner, types)
		}
		n := NewNetwork(nw)
		for _, q := range []struct {
			qtype uint16
			want  string
		}{{dns.TypeA, tc.wantA}, {dns.TypeTXT, tc.wantTXT}} {
			m := ask(t, n, serverAddr(t, nw, tc.server).String(), tc.name, q.qtype)
			var got []string
			for _, rr := range m.Answer {
				if h := rr.Header(); h.Rrtype != dns.TypeRRSIG {
					got = append(got, h.Name+" "+dns.TypeToString[h.Rrtype]+" "+strings.TrimPrefix(rr.String(), h.String()))
				}
			}
			slices.Sort(got)
			if strings.Join(got, "|") != q.want {
				t.Errorf("change %q: %s %s answers %q, want %q", tc.records, tc.name, dns.TypeToString[q.qtype], strings.Join(got, "|"), q.want)
			}
			if z.signing != nil {
				verifyReply(t, nw, m)
			}
		}
	}
}

// TestWithChangeRefusesDNSSECRecords: a change holds no signature and no
// record of a denial chain (RRSIG, NSEC, NSEC3), in any zone: it does not
// change them, and a presigned zone keeps them apart from its data. In a
// zone the lab signs, it holds no DNSKEY or NSEC3PARAM either: the lab
// makes them. A DS at a delegation is data, and a presigned zone's DNSKEY
// is, as in a zone file.
func TestWithChangeRefusesDNSSECRecords(t *testing.T) {
	const rootZone = "@ SOA a.root. b. 1 2 3 4 5\n@ NS a.root.\na.root. A 127.0.0.1\nx.test. NS a.\n"
	labSigned, err := Load(fstest.MapFS{
		"world.conf":      {Data: []byte("zone x.test zones/x.zone dnssec=nsec3\nzone . zones/root.zone\nserver a.root. 127.0.0.1 . x.test\n")},
		"zones/x.zone":    {Data: []byte(xZone + "a A 127.0.0.5\n")},
		"zones/root.zone": {Data: []byte(rootZone)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same zone, presigned: its zone file holds the lab's signatures.
	var file strings.Builder
	for _, rr := range labSigned.zones["x.test."].records() {
		file.WriteString(rr.String() + "\n")
	}
	presigned, err := Load(fstest.MapFS{
		"world.conf":      {Data: []byte("zone x.test zones/x.zone\nzone . zones/root.zone\nserver a.root. 127.0.0.1 . x.test\n")},
		"zones/x.zone":    {Data: []byte(file.String())},
		"zones/root.zone": {Data: []byte(rootZone)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if z := presigned.zones["x.test."]; !z.signed() || z.signing != nil || z.nsec3 == nil {
		t.Fatal("x.test does not load as a presigned zone with NSEC3")
	}
	const (
		rrsig      = "a 3600 IN RRSIG A 15 3 3600 20450101000000 20250101000000 1 x.test. AAAA\n"
		nsec       = "a 3600 IN NSEC x.test. A RRSIG NSEC\n"
		nsec3      = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom 3600 IN NSEC3 1 0 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TON A RRSIG\n"
		dnskey     = "@ 3600 IN DNSKEY 256 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n"
		nsec3param = "@ 0 IN NSEC3PARAM 1 0 0 -\n"
	)
	mydomainRRSIG := strings.Replace(strings.Replace(rrsig, "a 3600", "www 300", 1), "x.test.", "mydomain.com.", 1)
	for _, tc := range []struct {
		w                      *World
		zone, records, wantErr string
	}{
		{presigned, "x.test", "b 3600 IN A 127.0.0.6\n", ""},
		{presigned, "x.test", rrsig, "RRSIG record in a change: a change does not touch a zone's signatures, nor its NSEC or NSEC3 chain: a.x.test. 3600 IN RRSIG A 15"},
		{presigned, "x.test", nsec, "NSEC record in a change"},
		{presigned, "x.test", nsec3, "NSEC3 record in a change"},
		{presigned, "x.test", dnskey, ""},
		{presigned, "x.test", nsec3param, ""},
		{labSigned, "x.test", "b 3600 IN A 127.0.0.6\n", ""},
		{labSigned, "x.test", rrsig, "RRSIG record in a change"},
		{labSigned, "x.test", nsec, "NSEC record in a change"},
		{labSigned, "x.test", nsec3, "NSEC3 record in a change"},
		{labSigned, "x.test", dnskey, "DNSKEY record in a change of a zone the lab signs: the lab makes it: x.test. 3600 IN DNSKEY 256 3 15"},
		{labSigned, "x.test", nsec3param, "NSEC3PARAM record in a change of a zone the lab signs"},
		{mustDefault(t), "mydomain.com", mydomainRRSIG, "RRSIG record in a change"},
		{mustDefault(t), "com", "secure.com. 86400 IN DS 12345 15 2 " + strings.Repeat("ab", 32) + "\n", ""},
	} {
		checkChangeErr(t, tc.w, tc.zone, tc.records, tc.wantErr)
	}
}
