package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

// cacheStates lists each step's cache state, with the TTL left of a hit.
func cacheStates(t trace.Trace) string {
	var parts []string
	for _, s := range t.Steps {
		p := s.Cache.State
		if s.Cache.TTL != nil {
			p += fmt.Sprintf("(%d)", *s.Cache.TTL)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// TestStories plays every lab story without pausing and checks, scene by
// scene, the cache states (miss, hit with the TTL left, expired), the
// answer and the findings that the story tells about.
func TestStories(t *testing.T) {
	tests := []struct {
		story   string
		caches  []string
		answers []string
		codes   []string
		dnssec  []string // the DNSSEC state of each scene's outcome, for a story that validates
	}{
		{"migration",
			[]string{"miss miss miss", "hit(172499) hit(3299) expired", "hit(168899) expired expired"},
			[]string{"127.10.1.80", "127.10.1.80", "127.10.1.81"},
			[]string{"", "", ""}, nil},
		{"ttl",
			[]string{"miss miss miss", "hit(180)", "hit(172480) hit(3280) expired"},
			[]string{"127.10.1.80", "127.10.1.80", "127.10.1.80"},
			[]string{"", "", ""}, nil},
		{"lame",
			[]string{"miss miss miss", "hit(169199) expired expired"},
			[]string{"127.10.12.1", "127.10.12.1"},
			[]string{"LAME", ""}, nil},
		{"expiry",
			[]string{"miss miss miss", "expired expired expired"},
			[]string{"127.10.70.80", "127.10.70.80"},
			[]string{"", "RRSIG_EXPIRED"},
			[]string{"secure", "bogus"}},
	}
	for _, tc := range tests {
		t.Run(tc.story, func(t *testing.T) {
			code, out, stderr := run(t, "lab", "story", "--no-pause", "--format", "json", tc.story)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			scenes := decodeTraces(t, out)
			if len(scenes) != len(tc.caches) {
				t.Fatalf("%d scenes, want %d", len(scenes), len(tc.caches))
			}
			for i, s := range scenes {
				if got := cacheStates(s); got != tc.caches[i] {
					t.Errorf("scene %d: cache %q, want %q", i+1, got, tc.caches[i])
				}
				if recs := s.Outcome.Records; len(recs) == 0 || recs[len(recs)-1].Data != tc.answers[i] {
					t.Errorf("scene %d: answer %v, want %s", i+1, recs, tc.answers[i])
				}
				if got := strings.Join(findingCodes(s.Findings), ","); got != tc.codes[i] {
					t.Errorf("scene %d: findings %q, want %q", i+1, got, tc.codes[i])
				}
				switch d := s.Outcome.DNSSEC; {
				case tc.dnssec == nil && d != nil:
					t.Errorf("scene %d: DNSSEC %+v in a story that does not validate", i+1, d)
				case tc.dnssec != nil && (d == nil || d.State != tc.dnssec[i]):
					t.Errorf("scene %d: DNSSEC %+v, want %s", i+1, d, tc.dnssec[i])
				}
			}
			_, out, _ = run(t, "lab", "story", "--no-pause", "--no-color", tc.story)
			golden(t, "../../testdata/golden/story/"+tc.story+".txt", out)
		})
	}
	if code, _, stderr := run(t, "lab", "story", "nosuchstory"); code != ExitUsage || !strings.Contains(stderr, "the stories are migration, lame, ttl, expiry") {
		t.Errorf("unknown story: exit %d, %q", code, stderr)
	}
}
