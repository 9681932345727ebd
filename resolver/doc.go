// Package resolver is nstrace's iterative DNS resolver: it resolves a name
// the way a recursive resolver does, starting from the root hints and
// following referrals down the tree, and reports every step as an event.
//
// # The loop
//
// Resolve follows RFC 1034 §5.3.3:
//
//  1. Look in the cache. A cached answer, CNAME or negative answer ends the
//     step without asking anyone (a StepFinished with Cache == CacheHit).
//  2. Find the best servers: the deepest zone on the way to the name whose
//     delegation (NS records) is still cached, or the root hints. Each
//     cached delegation on the way is reported as a cache-hit step.
//  3. Ask them: every address of every NS of that zone, concurrently (at
//     most Config.MaxInFlight at once, each address once), UDP first and
//     TCP after TC=1, retrying timeouts Config.Retries times. NS names that
//     came without glue are resolved first, as side resolutions (at most
//     Config.MaxGluelessPerReferral of them).
//  4. Analyse the fastest usable response: an answer, NXDOMAIN or NODATA
//     ends the resolution; a referral goes back to step 3 with the child
//     zone's servers; a CNAME starts again with the target name, as a side
//     resolution. When no server gives a usable response, the resolution
//     fails with a Reason.
//
// # Classification and bailiwick
//
// Every reply is classified once, by Classify, into a closed set of Kinds
// (answer, referral, cname, nxdomain, nodata, lame, truncated, timeout,
// unreachable, skipped, error); everything else switches on the Kind. A
// reply counts only when its ID and question match the query (RFC 5452).
// Records outside the zone of the server that sent them are never cached
// or used; they are reported in Response.Ignored.
//
// # DNSSEC
//
// With Config.DNSSEC, queries carry the DO bit and the resolver walks the
// chain of trust (RFC 4035 §5) along the user's own chain of steps (the
// name and its CNAME targets; not side lookups of NS addresses): at every
// zone cut it fetches the child's DS RRset from the parent's servers and
// its DNSKEY RRset from its own servers, as side resolutions of purpose
// PurposeDNSSEC, and checks them with ValidateKeys from Config.TrustAnchor
// (RootTrustAnchor by default); the zone's trusted keys then check the
// step's data with ValidateRRset, ValidateNXDOMAIN, ValidateNODATA or,
// for a delegation without DS, ValidateNoDS. Each checked step gets a
// Validated event; a zone's state and keys are cached, for the shortest of
// the TTLs and of the signatures' validity. Signature times are read from
// the Cache's Clock.
//
// # Seams
//
// The resolver reaches the network only through a Transport (NetTransport
// for real UDP and TCP; the lab package's in-memory network for the lab),
// reads time only through a Clock (the Cache holds it), takes query IDs
// from NewID, and reports to an Observer. Every limit is a field of Config,
// with DefaultConfig and Validate.
//
// Typical use:
//
//	r := &resolver.Resolver{
//		Transport: &resolver.NetTransport{},
//		Config:    resolver.DefaultConfig(),
//		Cache:     resolver.NewCache(resolver.SystemClock{}),
//		Observer:  myObserver,
//	}
//	res := r.Resolve(ctx, "example.com.", dns.TypeA)
//	fmt.Println(res.Status, res.Records)
package resolver
