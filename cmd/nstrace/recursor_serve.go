package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
)

// liveClock is the lab's clock for a lab served on real sockets: it starts
// at lab.Epoch and runs with the wall clock, so that what the recursors
// cached ages while a class looks at it.
type liveClock struct{ start time.Time }

func (c liveClock) Now() time.Time { return lab.Epoch.Add(time.Since(c.start)) }

// servedRecursors are the lab's recursive resolvers on real sockets
// (nstrace lab serve): each answers RD=1 queries on UDP and TCP at its
// address and port, with its own resolver and cache, which resolve over the
// lab's in-memory network.
type servedRecursors struct {
	servers []*dns.Server
	addrs   []netip.AddrPort
	names   []string
}

// serveRecursors starts every recursor of w on port. It serves nothing,
// and returns no error, for a world without recursors.
func serveRecursors(w *lab.World, port int) (*servedRecursors, error) {
	hints, err := labHints(w)
	if err != nil {
		return nil, err
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	t := newRecursorTransport(lab.NewNetwork(w), w, cfg, hints, liveClock{time.Now()})
	s := &servedRecursors{}
	handler := func(proto string) dns.Handler {
		return dns.HandlerFunc(func(rw dns.ResponseWriter, q *dns.Msg) {
			local, _ := netip.ParseAddrPort(rw.LocalAddr().String())
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Deadline)
			defer cancel()
			reply, _, err := t.Exchange(ctx, proto, local, q)
			if err != nil {
				return // a dead recursor stays silent
			}
			reply.Id = q.Id
			rw.WriteMsg(reply)
		})
	}
	for _, rc := range w.Recursors() {
		ap := netip.AddrPortFrom(rc.Addr, uint16(port))
		pc, err := net.ListenPacket("udp", ap.String())
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("recursor %s: %w", rc.Name, err)
		}
		ln, err := net.Listen("tcp", ap.String())
		if err != nil {
			pc.Close()
			s.Close()
			return nil, fmt.Errorf("recursor %s: %w", rc.Name, err)
		}
		for _, srv := range []*dns.Server{
			{PacketConn: pc, Handler: handler(resolver.UDP)},
			{Listener: ln, Handler: handler(resolver.TCP)},
		} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go srv.ActivateAndServe()
			<-started
			s.servers = append(s.servers, srv)
		}
		s.addrs = append(s.addrs, ap)
		s.names = append(s.names, rc.Name)
	}
	return s, nil
}

// Close stops every recursor.
func (s *servedRecursors) Close() error {
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, srv := range s.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
