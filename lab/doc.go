// Package lab is a small simulated DNS network for nstrace: a root, a few
// TLDs and some thirty second-level domains, healthy ones and one
// deliberately broken domain per finding code of nstrace's diagnosis, all
// on 127.0.0.0/8 and all offline. It is used for teaching (nstrace lab
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
// with syscall.ECONNREFUSED. Nothing sleeps.
//
// # On real sockets
//
// Serve puts every server of a world on its own loopback address, over
// UDP and TCP, at one port. Here behaviours happen in real time: a drop
// server never answers, a delay server sleeps.
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
// refused) or poison (out-of-bailiwick records in authoritative replies).
//
// # In NSD
//
// Export writes an nsd.conf and zone files for every server NSD can
// reproduce (behaviour ok), to run the lab in real NSD processes:
//
//	err := lab.Export(w, "/tmp/lab-nsd", 5353)
//	// nsd -d -c /tmp/lab-nsd/a.root-servers.net/nsd.conf
//
// A test runs them all and compares NSD's replies with the lab's.
package lab
