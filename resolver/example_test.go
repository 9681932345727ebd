package resolver_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
)

// oneServer is a Transport with a single in-memory server at 127.0.0.1
// that is authoritative for everything and answers every A query.
type oneServer struct{}

func (oneServer) Exchange(_ context.Context, _ string, _ netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	a, _ := dns.NewRR(q.Question[0].Name + " 300 IN A 127.0.0.80")
	m.Answer = []dns.RR{a}
	return m, 3 * time.Millisecond, nil
}

func Example() {
	hints, _ := resolver.ParseHints(strings.NewReader(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n"), "example")
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	r := &resolver.Resolver{
		Transport: oneServer{},
		Config:    cfg,
		Hints:     hints,
		Observer: resolver.ObserverFunc(func(e resolver.Event) {
			if x, ok := e.(resolver.Exchanged); ok {
				fmt.Printf("asked %s (%s): %v in %v\n", x.Server, x.Addr, x.Response.Kind, x.RTT)
			}
		}),
	}
	res := r.Resolve(context.Background(), "www.example.com", dns.TypeA)
	fmt.Println(res.Status, res.Records[0].(*dns.A).A, res.Queries, "query")
	// Output:
	// asked a.root. (127.0.0.1:53): answer in 3ms
	// answer 127.0.0.80 1 query
}
