package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Listener is a world served on real loopback sockets; see Serve.
type Listener struct {
	servers []*dns.Server
	raws    []*rawTCP
	addrs   []netip.AddrPort
	done    chan struct{} // closed by Close: aborts pending delays
	wg      sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	// Replies that UDP servers with a delay will send later, on timers
	// (see after); Close stops them.
	timersMu sync.Mutex
	timers   map[*time.Timer]bool
	stopped  bool
}

// Serve serves the world on real sockets: every server listens on its own
// 127.x.y.z address at port, over UDP and TCP (a tc-notcp server on UDP
// only, so that TCP connections to it are refused). Behaviours happen in
// real time here: a drop server never replies, a delay server sleeps
// before replying, a garbage server sends its bytes as the UDP datagram
// or the TCP message, a tc-droptcp server resets every TCP connection it
// accepts, a tcp-partial server sends half of the TCP message it
// announces and closes. With port 0, Serve picks a port that is free on every
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
	l := &Listener{done: make(chan struct{}), timers: map[*time.Timer]bool{}}
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
		srvs := []*dns.Server{{PacketConn: pc, UDPSize: dns.MaxMsgSize, Handler: &handler{s: s, proto: "udp", l: l}}}
		// A tc-notcp server does not listen on TCP at all: the kernel
		// refuses the connection. tc-droptcp and tcp-partial servers break
		// TCP itself, which dns.Server cannot: they have their own loop.
		if s.behaviour.Kind != BehaviourTCNoTCP {
			ln, err := net.Listen("tcp", ap.String())
			if err != nil {
				pc.Close()
				l.Close()
				return nil, fmt.Errorf("lab: server %s: %w", s.name, err)
			}
			switch s.behaviour.Kind {
			case BehaviourTCDropTCP, BehaviourTCPPartial:
				r := &rawTCP{ln: ln, s: s, conns: map[net.Conn]bool{}}
				l.raws = append(l.raws, r)
				l.wg.Add(1)
				go func() { defer l.wg.Done(); r.serve() }()
			default:
				srvs = append(srvs, &dns.Server{Listener: ln, Handler: &handler{s: s, proto: "tcp", l: l}})
			}
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
		l.timersMu.Lock()
		l.stopped = true
		for t := range l.timers {
			t.Stop()
		}
		clear(l.timers)
		l.timersMu.Unlock()
		for _, r := range l.raws {
			r.close()
		}
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

// after runs f in d, unless the listener is closed first. A reply sent
// later this way holds no goroutine while it waits.
func (l *Listener) after(d time.Duration, f func()) {
	l.timersMu.Lock()
	defer l.timersMu.Unlock()
	if l.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		l.timersMu.Lock()
		pending := l.timers[t]
		delete(l.timers, t)
		if pending {
			l.wg.Add(1) // the servers still run: Close has not stopped the timers yet
		}
		l.timersMu.Unlock()
		if pending {
			defer l.wg.Done()
			f()
		}
	})
	l.timers[t] = true
}

// handler serves one server of the world on one transport.
type handler struct {
	s     *server
	proto string
	l     *Listener
}

// ServeDNS implements dns.Handler.
func (h *handler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	reply, delay := h.s.respond(q, h.proto)
	if reply == nil {
		return // drop: stay silent, the client times out
	}
	switch {
	case delay > 0 && h.proto == "udp":
		// The UDP socket is all a reply needs: send it from a timer, so
		// that a slow server holds no goroutine for a client that has
		// long given up (tests count goroutines).
		h.l.after(delay, func() { h.send(w, q, reply) })
		return
	case delay > 0:
		// Over TCP the connection's goroutine waits: the ResponseWriter
		// is not safe to use once ServeDNS has returned.
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-h.l.done:
			t.Stop()
			return
		}
	}
	h.send(w, q, reply)
}

// send fits reply to the transport and writes it, or what the server's
// behaviour sends instead of it.
func (h *handler) send(w dns.ResponseWriter, q, reply *dns.Msg) {
	fit(reply, q, h.proto)
	raw, isRaw, err := h.s.wireBytes(reply)
	switch {
	case err != nil:
		return // cannot happen: the lab's replies pack
	case isRaw:
		_, _ = w.Write(raw) // over TCP with a length prefix
	default:
		for _, m := range transferMessages(reply) {
			if w.WriteMsg(m) != nil {
				return // a client that went away is not our problem
			}
		}
	}
}

// transferChunk is the most octets a message of a zone transfer carries
// when Serve splits one that does not fit in a single TCP message.
const transferChunk = 16 * 1024

// transferMessages splits the reply to a zone transfer that is too large
// for one TCP message (64 KiB) into several, as RFC 5936 2.2 allows: the
// records in order, the first message with the question, every message
// with the same ID. Any other reply is sent as it is.
func transferMessages(reply *dns.Msg) []*dns.Msg {
	if len(reply.Question) != 1 || reply.Len() <= dns.MaxMsgSize {
		return []*dns.Msg{reply}
	}
	if t := reply.Question[0].Qtype; t != dns.TypeAXFR && t != dns.TypeIXFR {
		return []*dns.Msg{reply}
	}
	var out []*dns.Msg
	next := func() *dns.Msg {
		m := reply.Copy()
		m.Answer, m.Ns, m.Extra = nil, nil, nil
		if len(out) > 0 {
			m.Question = nil
		}
		m.Compress = true
		out = append(out, m)
		return m
	}
	m := next()
	for _, rr := range reply.Answer {
		if len(m.Answer) > 0 && m.Len()+dns.Len(rr) > transferChunk {
			m = next()
		}
		m.Answer = append(m.Answer, rr)
	}
	return out
}

// rawTCP serves TCP for a server whose behaviour breaks the TCP exchange
// itself: a tc-droptcp server accepts each connection and resets it at
// once (SO_LINGER 0: the client reads "connection reset by peer"); a
// tcp-partial server reads one query, writes a length prefix announcing
// its full reply, then only the first half of the reply, and closes.
type rawTCP struct {
	ln net.Listener
	s  *server

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// rawTCPTimeout bounds how long a tcp-partial server waits for a query.
const rawTCPTimeout = 10 * time.Second

// serve accepts connections until the listener is closed.
func (r *rawTCP) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			return
		}
		r.conns[c] = true
		r.wg.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			r.handle(c)
			r.mu.Lock()
			delete(r.conns, c)
			r.mu.Unlock()
		}()
	}
}

// handle plays the behaviour on one connection, and closes it.
func (r *rawTCP) handle(c net.Conn) {
	defer c.Close()
	if r.s.behaviour.Kind == BehaviourTCDropTCP {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset, not a FIN
		}
		return
	}
	_ = c.SetDeadline(time.Now().Add(rawTCPTimeout))
	var prefix [2]byte
	if _, err := io.ReadFull(c, prefix[:]); err != nil {
		return
	}
	msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return
	}
	q := new(dns.Msg)
	if q.Unpack(msg) != nil {
		return
	}
	reply, _ := r.s.respond(q, "tcp")
	if reply == nil {
		return
	}
	fit(reply, q, "tcp")
	wire, err := reply.Pack()
	if err != nil {
		return
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(wire)))
	_, _ = c.Write(append(out, wire[:len(wire)/2]...))
}

// close stops accepting, closes the connections in progress and waits
// for their handlers.
func (r *rawTCP) close() {
	r.mu.Lock()
	r.closed = true
	r.ln.Close()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
