package lab

import (
	"bytes"
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"
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
