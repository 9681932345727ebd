package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Network is an in-memory network of the world's servers. Exchange
// delivers a query to the server at an address and returns its reply at
// once, with a simulated round-trip time; nothing ever touches a socket
// and nothing sleeps. A Network is safe for concurrent use.
type Network struct {
	w       *World
	queries atomic.Int64
	perAddr map[netip.Addr]*atomic.Int64 // fixed keys: read-only map
	// inFlight counts the Exchange calls in progress, maxInFlight the
	// most there have been at once.
	inFlight, maxInFlight atomic.Int64
}

// NewNetwork returns an in-memory network serving the world w.
func NewNetwork(w *World) *Network {
	n := &Network{w: w, perAddr: make(map[netip.Addr]*atomic.Int64, len(w.servers))}
	for _, s := range w.servers {
		n.perAddr[s.addr] = new(atomic.Int64)
	}
	return n
}

// World returns the world the network serves.
func (n *Network) World() *World { return n.w }

// Queries returns how many queries the network has delivered to a server
// of the world in total (including those a server then dropped). Queries
// to unknown addresses are not counted: they never leave the host.
func (n *Network) Queries() int64 { return n.queries.Load() }

// QueriesTo returns how many queries the server at addr has received.
func (n *Network) QueriesTo(addr netip.Addr) int64 {
	if c := n.perAddr[addr.Unmap()]; c != nil {
		return c.Load()
	}
	return 0
}

// MaxInFlight returns the highest number of Exchange calls that have been
// in progress at the same time since the network was created, counted
// from the entry of each call to its return. Exchange never waits, so
// this measures how many exchanges a caller starts at once.
func (n *Network) MaxInFlight() int64 { return n.maxInFlight.Load() }

// enter counts one more Exchange in progress and returns the function
// that counts it out.
func (n *Network) enter() func() {
	now := n.inFlight.Add(1)
	for {
		top := n.maxInFlight.Load()
		if now <= top || n.maxInFlight.CompareAndSwap(top, now) {
			break
		}
	}
	return func() { n.inFlight.Add(-1) }
}

// badResponseError is the error of an exchange whose reply is not a DNS
// reply at all: bytes that are not a DNS message, a message cut short.
// Its method BadResponse lets a resolver tell it from a network error
// (errors.As with an interface{ BadResponse() bool }).
type badResponseError struct {
	what string // what came, e.g. "37 bytes that are not a DNS message"
}

func (e *badResponseError) Error() string { return "bad response: " + e.what }

// BadResponse reports that the server sent something, but no DNS reply.
func (e *badResponseError) BadResponse() bool { return true }

// Exchange sends query to the server at the address of server (the port is
// ignored) over proto, "udp" or "tcp", and returns the reply and the
// simulated round-trip time.
//
// The query and the reply both go through the wire format, so the caller
// never shares memory with the lab. An address the world does not know
// fails at once with an error wrapping syscall.EHOSTUNREACH, and so does a
// TCP exchange with a tc-notcp server with syscall.ECONNREFUSED (neither
// is counted by Queries). A TCP exchange with a tc-droptcp server fails
// at once with an error wrapping syscall.ECONNRESET. A server that drops
// the query fails at once with an error wrapping os.ErrDeadlineExceeded,
// as does one whose delay reaches the deadline of ctx.
//
// When what the server sends is not a DNS reply at all (a garbage server's
// bytes, a cutoff server's message cut short, a tcp-partial server's TCP
// message that ends before the length it announced), the reply is nil and
// the error has a method BadResponse() bool that returns true; its text
// says what came, e.g. "bad response: 37 bytes that are not a DNS message".
//
// Over UDP a reply larger than the query's EDNS0 payload size (512 bytes
// without EDNS0) comes back truncated, with TC=1; over TCP the round-trip
// time counts one more round trip for the handshake.
//
// A zone transfer (AXFR) is answered over TCP only, and only for a zone
// whose zone line has the option axfr: the whole zone comes back in one
// reply, SOA first and last. Otherwise the reply is REFUSED, and an AXFR
// over UDP gets FORMERR (see transfer).
func (n *Network) Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (reply *dns.Msg, rtt time.Duration, err error) {
	defer n.enter()()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	switch proto {
	case "udp", "udp4":
		proto = "udp"
	case "tcp", "tcp4":
		proto = "tcp"
	default:
		return nil, 0, fmt.Errorf("lab: unsupported protocol %q (want udp or tcp)", proto)
	}
	if query == nil {
		return nil, 0, errors.New("lab: nil query")
	}
	addr := server.Addr().Unmap()
	s := n.w.byAddr[addr]
	if s == nil {
		return nil, 0, &net.OpError{Op: "dial", Net: proto, Addr: netAddr(proto, server),
			Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
	}
	if proto == "tcp" && s.behaviour.Kind == BehaviourTCNoTCP {
		// Nothing listens on TCP there: the connection is refused and the
		// query never reaches the server.
		return nil, 0, &net.OpError{Op: "dial", Net: proto, Addr: netAddr(proto, server),
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	wire, err := query.Pack()
	if err != nil {
		return nil, 0, fmt.Errorf("lab: packing query: %w", err)
	}
	q := new(dns.Msg)
	if err := q.Unpack(wire); err != nil {
		return nil, 0, fmt.Errorf("lab: unpacking query: %w", err)
	}
	n.queries.Add(1)
	n.perAddr[addr].Add(1)
	if proto == "tcp" && s.behaviour.Kind == BehaviourTCDropTCP {
		// The server accepts the connection and resets it at once.
		return nil, 0, &net.OpError{Op: "read", Net: proto, Addr: netAddr(proto, server),
			Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	}

	timeout := &net.OpError{Op: "read", Net: proto, Addr: netAddr(proto, server), Err: os.ErrDeadlineExceeded}
	r, delay := s.respond(q, proto)
	if r == nil {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		return nil, 0, timeout
	}
	if deadline, ok := ctx.Deadline(); ok && delay > 0 && delay >= time.Until(deadline) {
		return nil, 0, timeout
	}
	rtt = s.rtt + delay
	if proto == "tcp" {
		rtt += s.rtt // the handshake
	}
	fit(r, q, proto)
	if proto == "tcp" && s.behaviour.Kind == BehaviourTCPPartial {
		return nil, 0, &badResponseError{"TCP message cut short"}
	}
	raw, isRaw, err := s.wireBytes(r)
	if err != nil {
		return nil, 0, fmt.Errorf("lab: server %s: packing reply: %w", s.name, err)
	}
	if isRaw {
		// What a client gets: bytes it cannot take for a DNS message.
		if new(dns.Msg).Unpack(raw) == nil {
			return nil, 0, fmt.Errorf("lab: server %s: its %d bytes of %s parse as a DNS message", s.name, len(raw), s.behaviour)
		}
		if s.behaviour.Kind == BehaviourCutoff {
			full, _ := r.Pack()
			return nil, 0, &badResponseError{fmt.Sprintf("a DNS message cut short (%d of %d bytes)", len(raw), len(full))}
		}
		return nil, 0, &badResponseError{fmt.Sprintf("%d bytes that are not a DNS message", len(raw))}
	}
	wire, err = r.Pack()
	if err != nil {
		return nil, 0, fmt.Errorf("lab: server %s: packing reply: %w", s.name, err)
	}
	reply = new(dns.Msg)
	if err := reply.Unpack(wire); err != nil {
		return nil, 0, fmt.Errorf("lab: server %s: unpacking reply: %w", s.name, err)
	}
	return reply, rtt, nil
}

// netAddr returns server as a net.Addr of the right kind, for errors.
func netAddr(proto string, server netip.AddrPort) net.Addr {
	if proto == "tcp" {
		return net.TCPAddrFromAddrPort(server)
	}
	return net.UDPAddrFromAddrPort(server)
}

// Simulated reports that replies are instant and round-trip times simulated.
// The resolver then waits for every server of a step and uses the fastest
// usable reply, so that a lab trace is the same at every run.
func (n *Network) Simulated() bool { return true }
