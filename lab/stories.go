package lab

import "time"

// Epoch is when the lab's simulated clock starts, for a trace on the lab
// and for the first scene of every story: the lab's answers, and what a
// DNSSEC check of them finds, are the same at every run.
var Epoch = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// Story is a scripted lesson played on the lab with a simulated clock and
// one shared cache (nstrace lab story NAME): scenes in which the clock
// moves, an operator changes a zone, and a name is traced again.
type Story struct {
	Name    string // as typed on the command line
	Title   string
	Summary string // one line, for the list of stories
	Scenes  []Scene
}

// Scene is one step of a story: the clock moves by Advance, the world
// changes (Change, if set, applied to the world of the scene before), and
// Name/Type is traced with the cache the earlier scenes filled.
type Scene struct {
	Title   string
	Text    string // what happens, in plain words, told before the trace
	Advance time.Duration
	Change  func(*World) (*World, error)
	Name    string
	Type    string
	DNSSEC  bool // trace with DNSSEC validation (nstrace trace --dnssec)
}

// Stories returns the lab's stories.
func Stories() []Story {
	return []Story{
		{
			Name:    "migration",
			Title:   "Moving mydomain.com to a new DNS provider: DNS \"propagation\", made visible",
			Summary: "mydomain.com moves from hostingprovider.com to newdns.net; caches keep the old delegation until its TTL runs out",
			Scenes: []Scene{
				{
					Title: "Before the move",
					Text: "mydomain.com is served by ns1 and ns2.hostingprovider.com; its web site www.mydomain.com is at 127.10.1.80. " +
						"The owner has copied the zone to a new provider, newdns.net, where the web site has a new address, 127.10.1.81. " +
						"A resolver looks up www.mydomain.com and, as resolvers do, keeps what it learns for as long as the TTLs allow.",
					Name: "www.mydomain.com", Type: "A",
				},
				{
					Title: "The registrar changes the NS records; five minutes later",
					Text: "The owner tells the registrar to delegate mydomain.com to ns1 and ns2.newdns.net: the com servers now say so. " +
						"Five minutes later the answer for www (TTL 300 s) has expired from the resolver's cache, but the delegation (TTL 3600 s) has not: " +
						"the resolver goes straight to the servers it remembers, the old provider's, and still gets the old address. Nobody is wrong; the cache is simply allowed to keep what it knew.",
					Advance: 301 * time.Second,
					Change: func(w *World) (*World, error) {
						return w.WithChange("com", "mydomain.com. 3600 IN NS ns1.newdns.net.\nmydomain.com. 3600 IN NS ns2.newdns.net.")
					},
					Name: "www.mydomain.com", Type: "A",
				},
				{
					Title: "An hour later",
					Text: "The old delegation's TTL has run out. The resolver asks the com servers again, learns the new delegation, " +
						"finds the addresses of ns1 and ns2.newdns.net, and gets the new address. This wait — up to the TTL of the old NS records — is what people call propagation; " +
						"lowering that TTL a day before a move shortens it.",
					Advance: 3600 * time.Second,
					Name:    "www.mydomain.com", Type: "A",
				},
			},
		},
		{
			Name:    "lame",
			Title:   "A lame delegation: find it, explain it, fix it",
			Summary: "lame.com names ns.oldhost.net, which no longer serves it; the owner fixes the delegation",
			Scenes: []Scene{
				{
					Title: "Something is wrong",
					Text:  "Users say lame.com is slow to resolve, sometimes. Trace it: every server of every zone is asked, so a broken one shows up even though its sibling answers.",
					Name:  "lame.com", Type: "A",
				},
				{
					Title: "The fix, an hour later",
					Text: "ns.oldhost.net was the old provider's server: it answers REFUSED because it no longer serves lame.com. " +
						"The owner replaces it by ns2.hostingprovider.com, which already serves the zone, at the registrar (the com zone) and in the zone's own NS records. " +
						"An hour later, when caches have let the old delegation go, the trace is clean.",
					Advance: 3601 * time.Second,
					Change: func(w *World) (*World, error) {
						w, err := w.WithChange("com", "lame.com. 3600 IN NS ns1.hostingprovider.com.\nlame.com. 3600 IN NS ns2.hostingprovider.com.")
						if err != nil {
							return nil, err
						}
						return w.WithChange("lame.com", "@ 3600 IN NS ns1.hostingprovider.com.\n@ 3600 IN NS ns2.hostingprovider.com.")
					},
					Name: "lame.com", Type: "A",
				},
			},
		},
		{
			Name:    "ttl",
			Title:   "What a TTL does: the same name, three times, as the clock moves",
			Summary: "www.mydomain.com traced at 0 s, 120 s and 320 s: miss, cache hit with less TTL left, expired",
			Scenes: []Scene{
				{
					Title: "First look-up",
					Text:  "The cache is empty: the resolver asks the root, com and mydomain.com. The answer comes with a TTL of 300 s: how long it may be kept.",
					Name:  "www.mydomain.com", Type: "A",
				},
				{
					Title:   "Two minutes later",
					Text:    "120 s later the same question is answered from the cache, with 180 s of its TTL left. No server is asked at all.",
					Advance: 120 * time.Second,
					Name:    "www.mydomain.com", Type: "A",
				},
				{
					Title:   "Five minutes and twenty seconds later",
					Text:    "The answer's 300 s are over: it has expired, and the resolver asks mydomain.com's servers again. The delegations it learned (TTL 3600 s and more) are still cached, so it skips the root and com.",
					Advance: 200 * time.Second,
					Name:    "www.mydomain.com", Type: "A",
				},
			},
		},
		{
			Name:    "expiry",
			Title:   "DNSSEC signatures expire: expiresoon.com, signed until 2027-01-01, a year later",
			Summary: "www.expiresoon.com validated on 2026-01-01 (secure) and again in 2027, after its signatures expired (bogus: RRSIG_EXPIRED)",
			Scenes: []Scene{
				{
					Title: "A signed zone, validated",
					Text: "expiresoon.com is signed, and com holds the DS of its key: a validating resolver follows the chain of trust from the root's key to com's and to expiresoon.com's, and checks the signature (RRSIG) on the answer. " +
						"Every signature has a validity period; those of expiresoon.com end on 2027-01-01. The operator's signer was supposed to re-sign the zone before then.",
					Name: "www.expiresoon.com", Type: "A", DNSSEC: true,
				},
				{
					Title:   "A year and a day later",
					Text:    "Nobody re-signed the zone. The records have not changed and every server still answers, but the signatures have expired: a validating resolver (most public resolvers, many ISPs') must now reject the data and answer SERVFAIL, and the domain vanishes for their users.",
					Advance: 366 * 24 * time.Hour,
					Name:    "www.expiresoon.com", Type: "A", DNSSEC: true,
				},
			},
		},
	}
}
