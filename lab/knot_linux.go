package lab

import (
	"os"
	"syscall"
)

// knotSysProcAttr puts knotd in a process group of its own. Pdeathsig:
// should the program that started it die before it calls Stop (a panic,
// a signal), the kernel kills knotd.
func knotSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// knotSignal sends sig to the process group that knotSysProcAttr made for
// p (knotd does not fork, but a group costs nothing and catches any
// helper it might start).
func knotSignal(p *os.Process, sig syscall.Signal) {
	syscall.Kill(-p.Pid, sig)
}
