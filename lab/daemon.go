package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// daemon is one authoritative server program (NSD, knotd) started in the
// foreground for a test or a benchmark.
type daemon struct {
	cmd    *exec.Cmd
	conf   string
	out    *bytes.Buffer // stdout and stderr; written by exec until exited
	exited chan struct{} // closed when the process has been waited for
	once   sync.Once
}

// startDaemon runs path with args in a process group of its own (on
// Linux, also killed should the calling program die).
func startDaemon(path, conf string, args ...string) (*daemon, error) {
	d := &daemon{cmd: exec.Command(path, args...), conf: conf, out: new(bytes.Buffer), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = daemonSysProcAttr()
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		d.cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// stop ends the daemon: SIGTERM, then SIGKILL if it has not exited within
// 3 seconds; then SIGKILL to what is left of its group (children may
// outlive the main process by a moment). It signals only what it started.
func (d *daemon) stop() {
	d.once.Do(func() {
		daemonSignal(d.cmd.Process, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(3 * time.Second):
			daemonSignal(d.cmd.Process, syscall.SIGKILL)
			<-d.exited
		}
		daemonSignal(d.cmd.Process, syscall.SIGKILL)
	})
}

// startGroup starts n daemons, then waits (concurrently) until every one
// is ready; on any error it stops those it started.
func startGroup(n int, start func(i int) (*daemon, error), ready func(i int, d *daemon) error) ([]*daemon, error) {
	var ds []*daemon
	for i := range n {
		d, err := start(i)
		if err != nil {
			stopGroup(ds)
			return nil, err
		}
		ds = append(ds, d)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ready(i, d)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		stopGroup(ds)
		return nil, err
	}
	return ds, nil
}

// stopGroup stops every daemon and waits for them.
func stopGroup(ds []*daemon) {
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Add(1)
		go func() { defer wg.Done(); d.stop() }()
	}
	wg.Wait()
}

// exportedServer is one line of servers.txt with what its configuration
// says: the address it listens on and the zones it serves.
type exportedServer struct {
	name, conf string
	addr       netip.AddrPort
	zones      []string
}

// readServers parses servers.txt ("NAME ADDRESS CONF" lines, as the
// exports write it) and, in each configuration, the first value of
// addrKey (ADDRESS@PORT) and every value of zoneKey. NSD writes
// "ip-address:" and "name:", Knot "listen:" and "- domain:".
func readServers(path, addrKey, zoneKey string) ([]exportedServer, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []exportedServer
	for i, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want NAME ADDRESS CONF", path, i+1)
		}
		s := exportedServer{name: f[0], conf: f[2]}
		conf, err := os.ReadFile(s.conf)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(conf))
		for sc.Scan() {
			k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.TrimPrefix(k, "- ") {
			case addrKey:
				if s.addr.IsValid() {
					continue // only the first: Knot's control socket listens too
				}
				a, p, _ := strings.Cut(v, "@")
				ap, err := netip.ParseAddrPort(a + ":" + p)
				if err != nil {
					return nil, fmt.Errorf("%s: %s %q: %v", s.conf, addrKey, v, err)
				}
				s.addr = ap
			case zoneKey:
				s.zones = append(s.zones, dns.Fqdn(v))
			}
		}
		if !s.addr.IsValid() || len(s.zones) == 0 {
			return nil, fmt.Errorf("%s: no %s or no zone", s.conf, addrKey)
		}
		out = append(out, s)
	}
	return out, nil
}
