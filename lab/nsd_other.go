//go:build unix && !linux

package lab

import "syscall"

// nsdSysProcAttr puts NSD in a process group of its own.
func nsdSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
