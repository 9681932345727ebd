package trace

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// TestLookupMemo: checks that share a LookupMemo record the same NS
// lookups, findings and query counts as checks without one; a lookup
// comes from the memo only once the cache answered it wholly, and not
// after LookupMemoFor on the cache's clock.
func TestLookupMemo(t *testing.T) {
	r, clock := memoLabResolver(t)
	ctx := context.Background()
	memo := NewLookupMemo()
	const zone = "mydomain.com."

	first := CheckZone(ctx, r, zone, Options{Lookups: memo}) // the lookups ask: nothing kept
	if first.Check == nil || len(first.Check.Lookups) == 0 {
		t.Fatalf("no lookups in the check of %s: %+v", zone, first.Check)
	}
	if len(memo.m) != 0 {
		t.Errorf("lookups that sent queries were kept: %d", len(memo.m))
	}
	plain := CheckZone(ctx, r, zone, Options{}) // every lookup from the cache
	if plain.Check == nil {
		t.Fatalf("second check: %+v", plain.Outcome)
	}
	CheckZone(ctx, r, zone, Options{Lookups: memo})
	if len(memo.m) != len(plain.Check.Lookups) {
		t.Fatalf("memo holds %d lookups, want the %d answered by the cache", len(memo.m), len(plain.Check.Lookups))
	}
	shared := CheckZone(ctx, r, zone, Options{Lookups: memo})
	if !reflect.DeepEqual(shared.Check.Lookups, plain.Check.Lookups) {
		t.Errorf("lookups from the memo differ:\n%+v\nwant\n%+v", shared.Check.Lookups, plain.Check.Lookups)
	}
	if !reflect.DeepEqual(codes(shared.Findings), codes(plain.Findings)) || shared.Queries != plain.Queries {
		t.Errorf("with the memo: codes %v, %d queries; without: %v, %d", codes(shared.Findings), shared.Queries, codes(plain.Findings), plain.Queries)
	}
	l := shared.Check.Lookups[0]
	if e, ok := memo.get(lookupKey{l.Question.Name, 1, "L1."}, clock.Now()); !ok || len(l.Steps) == 0 || &e.Steps[0] != &l.Steps[0] {
		t.Errorf("the first lookup was not taken from the memo")
	}

	clock.Advance(LookupMemoFor)
	if _, ok := memo.get(lookupKey{l.Question.Name, 1, "L1."}, clock.Now()); ok {
		t.Errorf("a lookup is still kept after LookupMemoFor")
	}

	// Never kept: a lookup that sent queries, a failure, records that
	// expire before the memo would.
	m := NewLookupMemo()
	now := clock.Now()
	ok := Resolution{Outcome: Outcome{Status: "answer", Records: []Record{{Name: "ns.", Type: "A", TTL: 300, Data: "127.0.0.1"}}}}
	m.put(lookupKey{"a.", 1, "L1."}, ok, 2, now)
	m.put(lookupKey{"b.", 1, "L1."}, Resolution{Outcome: Outcome{Status: "servfail"}}, 0, now)
	short := ok
	short.Outcome.Records = []Record{{Name: "ns.", Type: "A", TTL: 1, Data: "127.0.0.1"}}
	m.put(lookupKey{"c.", 1, "L1."}, short, 0, now)
	if len(m.m) != 0 {
		t.Errorf("kept %v", m.m)
	}
	m.put(lookupKey{"d.", 1, "L1."}, ok, 0, now)
	if _, found := m.get(lookupKey{"d.", 1, "L1."}, now.Add(time.Millisecond)); !found {
		t.Errorf("a lookup answered by the cache was not kept")
	}
}

func memoLabResolver(t *testing.T) (*resolver.Resolver, *resolver.ManualClock) {
	t.Helper()
	w, err := lab.Default()
	if err != nil {
		t.Fatal(err)
	}
	hints, err := resolver.ParseHints(strings.NewReader(w.HintsFile()), "lab")
	if err != nil {
		t.Fatal(err)
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	clock := resolver.NewManualClock(lab.Epoch)
	return &resolver.Resolver{Transport: lab.NewNetwork(w), Config: cfg, Hints: hints, Cache: resolver.NewCache(clock)}, clock
}

// TestCheckZoneWarmCache: checking a zone again with the same cache, whose
// SOA the cache now answers in one step, is still a check of that zone
// under the same parent, with the same findings (it once found no zone
// and no check at all).
func TestCheckZoneWarmCache(t *testing.T) {
	for _, zone := range []string{"mydomain.com.", "lame.com.", "oldglue.com."} {
		r, _ := memoLabResolver(t)
		cold := CheckZone(context.Background(), r, zone, Options{})
		warm := CheckZone(context.Background(), r, zone, Options{})
		if cold.Check == nil || warm.Check == nil {
			t.Errorf("%s: check cold %v, warm %v", zone, cold.Check != nil, warm.Check != nil)
			continue
		}
		if warm.Check.Zone != cold.Check.Zone || warm.Check.Parent != cold.Check.Parent || !reflect.DeepEqual(codes(warm.Findings), codes(cold.Findings)) {
			t.Errorf("%s: warm check of %s under %s %v; cold: %s under %s %v", zone, warm.Check.Zone, warm.Check.Parent, codes(warm.Findings),
				cold.Check.Zone, cold.Check.Parent, codes(cold.Findings))
		}
	}
}
