package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Listener is a world served on real loopback sockets; see Serve.
type Listener struct {
	servers []*dns.Server
	addrs   []netip.AddrPort
	done    chan struct{} // closed by Close: aborts pending delays
	wg      sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Serve serves the world on real sockets: every server listens on its own
// 127.x.y.z address at port, over UDP and TCP (a tc-notcp server on UDP
// only, so that TCP connections to it are refused). Behaviours happen in
// real time here: a drop server never replies, a delay server sleeps
// before replying. With port 0, Serve picks a port that is free on every
// address. Serve returns once every socket listens; Close stops them all.
//
// On Linux the whole of 127.0.0.0/8 reaches the loopback interface, so no
// set-up is needed; other systems may need the addresses added to lo0.
func Serve(w *World, port int) (*Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("lab: bad port %d", port)
	}
	if port != 0 {
		return serveOn(w, port)
	}
	// Port 0: let the kernel choose a port for the first server, then use
	// it for all. Another program may hold it on some other address:
	// try again a few times.
	var err error
	for range 10 {
		var l *Listener
		if l, err = serveOn(w, 0); err == nil {
			return l, nil
		}
	}
	return nil, err
}

// serveOn starts every server at port (0: the port the first one gets).
func serveOn(w *World, port int) (*Listener, error) {
	l := &Listener{done: make(chan struct{})}
	for _, s := range w.servers {
		ap := netip.AddrPortFrom(s.addr, uint16(port))
		pc, err := net.ListenPacket("udp", ap.String())
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("lab: server %s: %w", s.name, err)
		}
		if port == 0 {
			port = pc.LocalAddr().(*net.UDPAddr).Port
			ap = netip.AddrPortFrom(s.addr, uint16(port))
		}
		srvs := []*dns.Server{{PacketConn: pc, UDPSize: dns.MaxMsgSize, Handler: &handler{s: s, proto: "udp", done: l.done}}}
		// A tc-notcp server does not listen on TCP at all: the kernel
		// refuses the connection.
		if s.behaviour.Kind != BehaviourTCNoTCP {
			ln, err := net.Listen("tcp", ap.String())
			if err != nil {
				pc.Close()
				l.Close()
				return nil, fmt.Errorf("lab: server %s: %w", s.name, err)
			}
			srvs = append(srvs, &dns.Server{Listener: ln, Handler: &handler{s: s, proto: "tcp", done: l.done}})
		}
		for _, srv := range srvs {
			if err := l.start(srv); err != nil {
				l.Close()
				return nil, fmt.Errorf("lab: server %s: %w", s.name, err)
			}
		}
		l.addrs = append(l.addrs, ap)
	}
	return l, nil
}

// start runs srv on its already open socket and waits until it serves.
func (l *Listener) start(srv *dns.Server) error {
	started := make(chan struct{})
	failed := make(chan error, 1)
	srv.NotifyStartedFunc = func() { close(started) }
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if err := srv.ActivateAndServe(); err != nil {
			failed <- err
		}
	}()
	select {
	case <-started:
		l.servers = append(l.servers, srv)
		return nil
	case err := <-failed:
		return err
	}
}

// Addrs returns the address and port of every server, in world order.
func (l *Listener) Addrs() []netip.AddrPort {
	return append([]netip.AddrPort(nil), l.addrs...)
}

// Close stops every server, waits until they have stopped and their
// sockets are closed. It may be called more than once.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		var errs []error
		for _, srv := range l.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := srv.ShutdownContext(ctx); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
		l.wg.Wait()
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// handler serves one server of the world on one transport.
type handler struct {
	s     *server
	proto string
	done  <-chan struct{}
}

// ServeDNS implements dns.Handler.
func (h *handler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	reply, delay := h.s.respond(q, h.proto)
	if reply == nil {
		return // drop: stay silent, the client times out
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-h.done:
			t.Stop()
			return
		}
	}
	fit(reply, q, h.proto)
	_ = w.WriteMsg(reply) // a client that went away is not our problem
}
