package lab

import "syscall"

// nsdSysProcAttr puts NSD in a process group of its own. Pdeathsig: should
// the test binary die before its cleanups run (a panic, a signal), the
// kernel kills NSD, and NSD's children (xfrd, the server) exit with it.
func nsdSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
