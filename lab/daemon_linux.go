package lab

import (
	"os"
	"syscall"
)

// daemonSysProcAttr puts a daemon in a process group of its own.
// Pdeathsig: should the program that started it die before it stops it (a
// panic, a signal), the kernel kills it, and its children exit with it.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// daemonSignal sends sig to the process group daemonSysProcAttr made.
func daemonSignal(p *os.Process, sig syscall.Signal) {
	syscall.Kill(-p.Pid, sig)
}
