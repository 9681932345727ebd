//go:build !linux

package lab

import (
	"os"
	"syscall"
)

// daemonSysProcAttr leaves a daemon in the caller's process group, which
// builds on every system.
func daemonSysProcAttr() *syscall.SysProcAttr { return nil }

// daemonSignal sends sig to the daemon itself.
func daemonSignal(p *os.Process, sig syscall.Signal) { p.Signal(sig) }
