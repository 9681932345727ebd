package trace_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// TestLookupMemo: checks that share a LookupMemo record the same NS
// lookups, findings and query counts as checks without one; a lookup
// comes from the memo only once the cache answered it wholly, and not
// after trace.LookupMemoFor on the cache's clock.
func TestLookupMemo(t *testing.T) {
	r, clock := memoLabResolver(t)
	ctx := context.Background()
	memo := trace.NewLookupMemo()
	const zone = "mydomain.com."

	first := trace.CheckZone(ctx, r, zone, trace.Options{Lookups: memo}) // the lookups ask: nothing kept
	if first.Check == nil || len(first.Check.Lookups) == 0 {
		t.Fatalf("no lookups in the check of %s: %+v", zone, first.Check)
	}
	if trace.MemoLen(memo) != 0 {
		t.Errorf("lookups that sent queries were kept: %d", trace.MemoLen(memo))
	}
	plain := trace.CheckZone(ctx, r, zone, trace.Options{}) // every lookup from the cache
	if plain.Check == nil {
		t.Fatalf("second check: %+v", plain.Outcome)
	}
	trace.CheckZone(ctx, r, zone, trace.Options{Lookups: memo})
	if trace.MemoLen(memo) != len(plain.Check.Lookups) {
		t.Fatalf("memo holds %d lookups, want the %d answered by the cache", trace.MemoLen(memo), len(plain.Check.Lookups))
	}
	shared := trace.CheckZone(ctx, r, zone, trace.Options{Lookups: memo})
	if !reflect.DeepEqual(shared.Check.Lookups, plain.Check.Lookups) {
		t.Errorf("lookups from the memo differ:\n%+v\nwant\n%+v", shared.Check.Lookups, plain.Check.Lookups)
	}
	if !reflect.DeepEqual(findingCodes(shared.Findings), findingCodes(plain.Findings)) || shared.Queries != plain.Queries {
		t.Errorf("with the memo: codes %v, %d queries; without: %v, %d", findingCodes(shared.Findings), shared.Queries, findingCodes(plain.Findings), plain.Queries)
	}
	l := shared.Check.Lookups[0]
	if e, ok := trace.MemoGet(memo, l.Question.Name, 1, "L1.", clock.Now()); !ok || len(l.Steps) == 0 || &e.Steps[0] != &l.Steps[0] {
		t.Errorf("the first lookup was not taken from the memo")
	}

	clock.Advance(trace.LookupMemoFor)
	if _, ok := trace.MemoGet(memo, l.Question.Name, 1, "L1.", clock.Now()); ok {
		t.Errorf("a lookup is still kept after LookupMemoFor")
	}

	// Never kept: a lookup that sent queries, a failure, records that
	// expire before the memo would.
	m := trace.NewLookupMemo()
	now := clock.Now()
	ok := trace.Resolution{Outcome: trace.Outcome{Status: "answer", Records: []trace.Record{{Name: "ns.", Type: "A", TTL: 300, Data: "127.0.0.1"}}}}
	trace.MemoPut(m, "a.", 1, "L1.", ok, 2, now)
	trace.MemoPut(m, "b.", 1, "L1.", trace.Resolution{Outcome: trace.Outcome{Status: "servfail"}}, 0, now)
	short := ok
	short.Outcome.Records = []trace.Record{{Name: "ns.", Type: "A", TTL: 1, Data: "127.0.0.1"}}
	trace.MemoPut(m, "c.", 1, "L1.", short, 0, now)
	if trace.MemoLen(m) != 0 {
		t.Errorf("kept %d lookups", trace.MemoLen(m))
	}
	trace.MemoPut(m, "d.", 1, "L1.", ok, 0, now)
	if _, found := trace.MemoGet(m, "d.", 1, "L1.", now.Add(time.Millisecond)); !found {
		t.Errorf("a lookup answered by the cache was not kept")
	}
}

func memoLabResolver(t *testing.T) (*resolver.Resolver, *resolver.ManualClock) {
	t.Helper()
	clock := resolver.NewManualClock(lab.Epoch)
	r := labResolver(t)
	r.Cache = resolver.NewCache(clock)
	return r, clock
}

// TestCheckZoneWarmCache: checking a zone again with the same cache, whose
// SOA the cache now answers in one step, is still a check of that zone
// under the same parent, with the same findings (it once found no zone
// and no check at all).
func TestCheckZoneWarmCache(t *testing.T) {
	for _, zone := range []string{"mydomain.com.", "lame.com.", "oldglue.com."} {
		r, _ := memoLabResolver(t)
		cold := trace.CheckZone(context.Background(), r, zone, trace.Options{})
		warm := trace.CheckZone(context.Background(), r, zone, trace.Options{})
		if cold.Check == nil || warm.Check == nil {
			t.Errorf("%s: check cold %v, warm %v", zone, cold.Check != nil, warm.Check != nil)
			continue
		}
		if warm.Check.Zone != cold.Check.Zone || warm.Check.Parent != cold.Check.Parent || !reflect.DeepEqual(findingCodes(warm.Findings), findingCodes(cold.Findings)) {
			t.Errorf("%s: warm check of %s under %s %v; cold: %s under %s %v", zone, warm.Check.Zone, warm.Check.Parent, findingCodes(warm.Findings),
				cold.Check.Zone, cold.Check.Parent, findingCodes(cold.Findings))
		}
	}
}
