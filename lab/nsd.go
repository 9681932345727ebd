//go:build unix

package lab

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/miekg/dns"
)

// NSD is a set of real NSD processes serving a world exported by Export:
// one process per exported server, each on its own loopback address. It
// lets tests and benchmarks compare nstrace on the in-memory lab with the
// same world served by real authoritative software.
type NSD struct {
	procs []*daemon
}

// ErrNoNSD means the nsd program is not installed (Debian: apt-get install nsd).
var ErrNoNSD = errors.New("nsd is not installed (apt-get install nsd)")

// StartNSD starts one "nsd -d -c CONF" per line of dir/servers.txt (as
// written by Export) and waits until every one answers, at most timeout.
// NSD runs as the current user: the configurations need no privilege. On
// any error the processes already started are stopped. Call Stop when done.
func StartNSD(dir string, timeout time.Duration) (*NSD, error) {
	nsdPath, err := exec.LookPath("nsd")
	if err != nil {
		return nil, ErrNoNSD
	}
	servers, err := readServers(filepath.Join(dir, "servers.txt"), "ip-address", "name")
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	procs, err := startGroup(len(servers),
		func(i int) (*daemon, error) {
			d, err := startDaemon(nsdPath, servers[i].conf, "-d", "-c", servers[i].conf)
			if err != nil {
				return nil, fmt.Errorf("starting NSD for %s: %w", servers[i].name, err)
			}
			return d, nil
		},
		func(i int, d *daemon) error { return nsdReady(d, servers[i].addr, servers[i].zones[0], deadline) })
	if err != nil {
		return nil, err
	}
	return &NSD{procs: procs}, nil
}

// Stop ends every NSD process (SIGTERM, then SIGKILL) and waits for them.
func (n *NSD) Stop() { stopGroup(n.procs) }

// FreePort returns a high port that is free over UDP and TCP on every
// server and recursor address of w, so that Serve or an NSD export can use
// it. Another program may take it in the meantime; that is unlikely enough.
func FreePort(w *World) (int, error) {
	var addrs []netip.Addr
	for _, s := range w.servers {
		addrs = append(addrs, s.addr)
	}
	for _, r := range w.Recursors() {
		addrs = append(addrs, r.Addr)
	}
	return FreePortOn(addrs)
}

// FreePortOn returns a high port that is free over UDP and TCP on every
// one of addrs.
func FreePortOn(addrs []netip.Addr) (int, error) {
	var last error
	for range 20 {
		port := 20000 + rand.IntN(40000)
		last = nil
		for _, addr := range addrs {
			a := netip.AddrPortFrom(addr, uint16(port)).String()
			pc, err := net.ListenPacket("udp", a)
			if err != nil {
				last = err
				break
			}
			pc.Close()
			ln, err := net.Listen("tcp", a)
			if err != nil {
				last = err
				break
			}
			ln.Close()
		}
		if last == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("lab: no port free on every address: %w", last)
}

// nsdReady polls the server with an SOA query for one of its zones until
// it answers, the process exits, or the deadline passes.
func nsdReady(p *daemon, addr netip.AddrPort, zone string, deadline time.Time) error {
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion(zone, dns.TypeSOA)
	for {
		if _, _, err := c.Exchange(q, addr.String()); err == nil {
			return nil
		}
		select {
		case <-p.exited:
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(p.conf), "nsd.log"))
			return fmt.Errorf("%s: NSD exited: %s\n%s", p.conf, p.out, log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no answer at %s", p.conf, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
