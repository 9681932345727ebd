package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Transport names accepted by Exchange.
const (
	UDP = "udp"
	TCP = "tcp"
)

// Transport is the resolver's only way to reach a server. proto is "udp" or
// "tcp"; the context carries the per-query deadline. The real one is
// NetTransport; the lab package's in-memory network has the same method set.
//
// Errors are recognised with errors.Is: os.ErrDeadlineExceeded or
// context.DeadlineExceeded (the server did not answer in time),
// syscall.ECONNREFUSED or syscall.EHOSTUNREACH (nothing listens there),
// syscall.ENETUNREACH, syscall.EAFNOSUPPORT or syscall.EADDRNOTAVAIL (this
// machine has no route for that address family), ErrBadResponse or any
// error with a method BadResponse() bool that returns true (only junk, or
// replies that did not match the query, arrived).
type Transport interface {
	Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (reply *dns.Msg, rtt time.Duration, err error)
}

// ErrBadResponse means a server sent something that is not a reply to the
// query that was sent: junk, or a message whose ID or question differ.
// Transports that do not import this package (the lab's) report the same by
// returning an error with a method BadResponse() bool that returns true.
var ErrBadResponse error = badResponse{}

type badResponse struct{}

func (badResponse) Error() string     { return "bad response" }
func (badResponse) BadResponse() bool { return true }

// isBadResponse reports whether err says that what came back was not a
// reply to the query.
func isBadResponse(err error) bool {
	var br interface{ BadResponse() bool }
	return errors.As(err, &br) && br.BadResponse()
}

// NetTransport exchanges real UDP and TCP messages. The zero value is ready
// to use.
type NetTransport struct {
	// Dialer is used for every connection; the zero value dials from any
	// local address with a random source port.
	Dialer net.Dialer
	// ReuseUDP keeps the UDP socket of an answered exchange (each on its
	// own random source port, connected to one server) for the next query
	// to that server, instead of opening a new one each time: for bulk
	// audits, where opening and closing sockets is most of the work. Query
	// IDs stay random, and replies that do not match are still skipped.
	// False (the default) opens a fresh socket per query. Call Close when
	// done.
	ReuseUDP bool

	idle sync.Map // netip.AddrPort -> chan *udpSock: answered sockets, ready again
}

// udpSock is a UDP socket connected to one server, with the read deadline
// it was last given.
type udpSock struct {
	*net.UDPConn
	deadline time.Time
}

func (u *udpSock) setDeadline(t time.Time) {
	u.SetDeadline(t)
	u.deadline = t
}

// maxIdlePerServer is how many answered UDP sockets are kept per server
// when ReuseUDP is set. An audit has up to its concurrency in flight to
// one TLD server at once: with 4 kept, one query in ten opened a socket.
const maxIdlePerServer = 32

// Close closes the sockets kept for reuse.
func (t *NetTransport) Close() error {
	t.idle.Range(func(k, v any) bool {
		for ch := v.(chan *udpSock); ; {
			select {
			case c := <-ch:
				c.Close()
				continue
			default:
			}
			break
		}
		return true
	})
	return nil
}

// takeUDP returns a kept socket connected to server, or nil.
func (t *NetTransport) takeUDP(server netip.AddrPort) *udpSock {
	if v, ok := t.idle.Load(server); ok {
		select {
		case c := <-v.(chan *udpSock):
			return c
		default:
		}
	}
	return nil
}

// keepUDP keeps an answered socket for the next query to server, or
// closes it when enough are kept. Its deadline stays: the next exchange
// sets its own, or keeps that one while it is within the new query's.
func (t *NetTransport) keepUDP(server netip.AddrPort, c *udpSock) {
	v, ok := t.idle.Load(server)
	if !ok { // the first time only: a channel made per call was a garbage per query
		v, _ = t.idle.LoadOrStore(server, make(chan *udpSock, maxIdlePerServer))
	}
	select {
	case v.(chan *udpSock) <- c:
	default:
		c.Close()
	}
}

// Exchange sends query to server over proto and waits for the matching
// reply until ctx is done. Over UDP, datagrams that do not parse or whose ID
// or question differ from the query are skipped, as the Go resolver and
// RFC 5452 §9.1 require; if only such datagrams arrive, the error wraps
// ErrBadResponse as well as the timeout.
func (t *NetTransport) Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (*dns.Msg, time.Duration, error) {
	return t.exchange(ctx, proto, server, query, time.Time{})
}

// ExchangeTimeout is Exchange bounded by timeout as well as by ctx. Over
// UDP the timeout becomes the socket's deadline, with no context made for
// it: an audit sends tens of thousands of queries a second.
func (t *NetTransport) ExchangeTimeout(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg, timeout time.Duration) (*dns.Msg, time.Duration, error) {
	if proto != UDP { // a TCP dial must give up in time too
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return t.exchange(ctx, proto, server, query, time.Time{})
	}
	return t.exchange(ctx, proto, server, query, time.Now().Add(timeout))
}

// exchange is Exchange with an extra deadline (zero: none but ctx's).
func (t *NetTransport) exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg, deadline time.Time) (*dns.Msg, time.Duration, error) {
	start := time.Now()
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	switch proto {
	case UDP:
		return t.exchangeUDP(ctx, start, server, query, deadline)
	case TCP:
		return t.exchangeTCP(ctx, start, server, query, deadline)
	}
	return nil, 0, fmt.Errorf("unknown transport %q", proto)
}

func (t *NetTransport) exchangeTCP(ctx context.Context, start time.Time, server netip.AddrPort, query *dns.Msg, deadline time.Time) (*dns.Msg, time.Duration, error) {
	conn, err := t.Dialer.DialContext(ctx, TCP, server.String())
	if err != nil {
		return nil, time.Since(start), err
	}
	defer conn.Close()
	if !deadline.IsZero() {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	co := &dns.Conn{Conn: conn}
	if err := co.WriteMsg(query); err != nil {
		return nil, time.Since(start), err
	}
	reply, err := co.ReadMsg()
	rtt := time.Since(start)
	switch {
	case err != nil && reply == nil && !errors.Is(err, dns.ErrShortRead):
		return nil, rtt, ctxErr(ctx, err)
	case err != nil:
		return nil, rtt, fmt.Errorf("%w: %v", ErrBadResponse, err)
	case !Matches(query, reply):
		return nil, rtt, fmt.Errorf("%w: reply ID or question does not match the query", ErrBadResponse)
	}
	return reply, rtt, nil
}

// exchangeUDP: rather than arming a callback on ctx for every query (an
// audit sends tens of thousands a second, all under one context), a
// context that can be cancelled is looked at whenever a read has waited
// cancelPoll; the socket's own deadline is the query's.
func (t *NetTransport) exchangeUDP(ctx context.Context, start time.Time, server netip.AddrPort, query *dns.Msg, deadline time.Time) (*dns.Msg, time.Duration, error) {
	var conn *udpSock
	if t.ReuseUDP {
		conn = t.takeUDP(server)
	}
	reused := conn != nil
	if conn == nil {
		c, err := t.Dialer.DialContext(ctx, UDP, server.String())
		if err != nil {
			return nil, time.Since(start), err
		}
		uc, ok := c.(*net.UDPConn)
		if !ok { // a Dialer with a Control or a custom resolver still gives one; be safe
			c.Close()
			return nil, time.Since(start), fmt.Errorf("dialing %s over UDP gave a %T", server, c)
		}
		conn = &udpSock{UDPConn: uc}
	}
	keep := false // set when an answered socket may serve again
	defer func() {
		if keep && t.ReuseUDP {
			t.keepUDP(server, conn)
			return
		}
		conn.Close()
	}()
	poll := ctx.Done() != nil
	readDeadline := func(now time.Time) time.Time {
		if poll {
			if p := now.Add(cancelPoll); deadline.IsZero() || p.Before(deadline) {
				return p
			}
		}
		return deadline
	}
	switch dl := readDeadline(start); {
	case reused && poll && conn.deadline.Sub(start) > cancelPoll/2 && (deadline.IsZero() || !conn.deadline.After(deadline)):
		// A kept socket's deadline, from its last query, is at least half a
		// poll away and within this query's: the read loop below extends
		// it as it goes, so setting a new one (a timer change) can wait.
	case !dl.IsZero() || reused:
		conn.setDeadline(dl) // zero on a kept socket: no old deadline either
	}
	bufp := udpBuffers.Get().(*[]byte)
	defer udpBuffers.Put(bufp)
	buf := *bufp
	wire, err := query.PackBuffer(buf) // the read buffer holds the query until it is sent
	if err != nil {
		return nil, 0, err
	}
	if _, err := conn.Write(wire); err != nil {
		return nil, time.Since(start), err
	}
	junk := 0
	for {
		n, err := conn.Read(buf)
		rtt := time.Since(start)
		if err != nil && poll && errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			if now := time.Now(); deadline.IsZero() || now.Before(deadline) {
				conn.setDeadline(readDeadline(now)) // only the poll's time is up
				continue
			}
		}
		if err != nil {
			err = ctxErr(ctx, err)
			if junk > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, rtt, fmt.Errorf("%w: %d non-matching replies ignored: %w", ErrBadResponse, junk, err)
			}
			return nil, rtt, err
		}
		reply := new(dns.Msg)
		if reply.Unpack(buf[:n]) != nil || !Matches(query, reply) {
			junk++ // junk on UDP is skipped: the real reply may still come
			continue
		}
		keep = true
		return reply, rtt, nil
	}
}

// cancelPoll is how long a UDP read waits at most before it looks whether
// its context was cancelled: the delay of Ctrl-C in an audit.
const cancelPoll = 100 * time.Millisecond

// udpBuffers hold the 64 KiB read buffers of UDP exchanges: allocating and
// clearing one per query was the biggest cost of a bulk audit.
var udpBuffers = sync.Pool{New: func() any { b := make([]byte, dns.MaxMsgSize); return &b }}

// ctxErr turns the error of an I/O cut short by a cancelled context into the
// context's error, so that Ctrl-C is not reported as a server's timeout.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() == context.Canceled {
		return context.Canceled
	}
	return err
}

// Matches reports whether reply answers query: same ID, QR set, same
// question (name compared case-insensitively, RFC 4343). RFC 5452 §9.1: a
// resolver must accept a reply only when these match, or it can be fed
// forged answers.
func Matches(query, reply *dns.Msg) bool {
	if reply == nil || reply.Id != query.Id || !reply.Response {
		return false
	}
	if len(reply.Question) != 1 || len(query.Question) != 1 {
		// Some servers omit the question on errors such as FORMERR/REFUSED;
		// an empty question with a matching ID is accepted for errors only.
		return len(reply.Question) == 0 && reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError
	}
	q, r := query.Question[0], reply.Question[0]
	return q.Qtype == r.Qtype && q.Qclass == r.Qclass && strings.EqualFold(q.Name, r.Name)
}
