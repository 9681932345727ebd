// Package lab is a small simulated DNS network for nstrace: a root, a few
// TLDs and some forty second-level domains, healthy ones, one
// deliberately broken domain per finding code of nstrace's diagnosis, and
// hostile servers a resolver must survive without hanging, crashing or
// believing them, all on 127.0.0.0/8 and all offline. It is used for teaching (nstrace lab
// serve, nstrace lab list) and for tests.
//
// # A world
//
// A World is a parsed lab description: servers, the zones they host, and
// showcase domains. Default returns the world embedded in the package;
// Load parses one from any file system holding a world.conf and zone files
// (see README.md for the format):
//
//	w, err := lab.Default()
//	for _, d := range w.Domains() {
//		fmt.Println(d.Name, d.Type, d.Expect, d.Findings, d.Description)
//	}
//	fmt.Print(w.HintsFile()) // a named.root for the lab's roots
//
// Domain.Findings is the exact set of finding codes (LAME, TIMEOUT,
// NS_MISMATCH, ...) that nstrace check must report for the domain; it is
// empty for a healthy one. A zone may have variants (world.conf:
// "zone stale.com@old FILE"), so that two servers of one zone serve
// different data; see ZoneVariants and ZoneRecordsVariant.
//
// # In memory
//
// A Network delivers queries to the world's servers without any socket.
// Its Exchange method has the shape of a resolver transport; replies come
// back at once with a simulated, deterministic round-trip time:
//
//	n := lab.NewNetwork(w)
//	q := new(dns.Msg)
//	q.SetQuestion("www.mydomain.com.", dns.TypeA)
//	root := w.RootHints()[0].Addr
//	reply, rtt, err := n.Exchange(ctx, "udp", netip.AddrPortFrom(root, 53), q)
//	// reply is a referral to com with glue; rtt is 8ms.
//
// An address the world does not know fails at once with an error wrapping
// syscall.EHOSTUNREACH; a server that drops queries fails at once with an
// error wrapping os.ErrDeadlineExceeded; TCP to a tc-notcp server fails
// with syscall.ECONNREFUSED, to a tc-droptcp server with
// syscall.ECONNRESET. Nothing sleeps. When a server sends something that
// is not a DNS reply at all (garbage, a message cut short), the reply is
// nil and the error has a method BadResponse() bool that returns true:
//
//	var bad interface{ BadResponse() bool }
//	if errors.As(err, &bad) && bad.BadResponse() {
//		// err says what came: "bad response: 37 bytes that are not a DNS message"
//	}
//
// MaxInFlight tells the most Exchange calls there have been at once.
//
// # On real sockets
//
// Serve puts every server of a world on its own loopback address, over
// UDP and TCP, at one port. Here behaviours happen in real time: a drop
// server never answers, a delay server sleeps, a garbage server sends its
// bytes, a tc-droptcp server resets TCP connections.
//
//	l, err := lab.Serve(w, 5353)
//	defer l.Close()
//	// dig @127.0.1.1 -p 5353 +norec www.mydomain.com
//
// # The servers
//
// Every server is authoritative only, like NSD: it answers from the zone
// that is the longest match of the query name among those it hosts, gives
// referrals (with in-zone glue) below zone cuts, follows CNAMEs inside
// the zone, and answers NODATA or NXDOMAIN with the SOA for negative
// caching. A name outside its zones gets REFUSED, which is how a lame
// delegation looks. A Behaviour can make a server misbehave: refuse,
// servfail, drop, noaa, delay=MS, upward (an upward referral to the root
// for every query), wrong-id (the reply's ID is the query's plus one),
// wrong-question (a forged question name), tc-notcp (TC=1 over UDP, TCP
// refused), poison (out-of-bailiwick records in authoritative replies),
// garbage (bytes that are not a DNS message), cutoff (replies cut to 20
// bytes), selfref (a referral to the zone asked about), refer=ZONE (a
// sideways referral to ZONE), endless-cname (nK.ZONE is a CNAME to
// n(K+1).ZONE), tc-droptcp (TC=1 over UDP, TCP connections reset) or
// tcp-partial (TC=1 over UDP, half a TCP message).
//
// # In NSD
//
// Export writes an nsd.conf and zone files for every server NSD can
// reproduce (behaviour ok; the hostile ones are skipped), to run the lab
// in real NSD processes:
//
//	err := lab.Export(w, "/tmp/lab-nsd", 5353)
//	// nsd -d -c /tmp/lab-nsd/a.root-servers.net/nsd.conf
//
// A test runs them all and compares NSD's replies with the lab's.
package lab
