//go:build !linux

package lab

import (
	"os"
	"syscall"
)

// knotSysProcAttr leaves knotd in the caller's process group: knotd is a
// single process (its workers are threads), so signalling it is enough,
// and this builds on every system.
func knotSysProcAttr() *syscall.SysProcAttr {
	return nil
}

// knotSignal sends sig to knotd.
func knotSignal(p *os.Process, sig syscall.Signal) {
	p.Signal(sig)
}
