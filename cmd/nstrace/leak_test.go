package main

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
)

// TestNoLeaksOverSockets traces every lab domain over real sockets (the
// hostile ones included) and checks after each that the goroutines and
// the open file descriptors (sockets) are back to what they were before.
func TestNoLeaksOverSockets(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("SKIP: no /proc/self/fd to count open sockets on this system")
	}
	port, hints := serveLab(t)
	w, _ := lab.Default()
	// settle lets finished goroutines and closed sockets go, and measures
	// them until they are back to the baseline (or half a second passed).
	settle := func(baseG, baseFD int) (g, fds int) {
		for i := 0; i < 50; i++ {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			g = runtime.NumGoroutine()
			entries, _ := os.ReadDir("/proc/self/fd")
			fds = len(entries)
			if g <= baseG && fds <= baseFD {
				break
			}
		}
		return g, fds
	}
	baseG, baseFD := settle(0, 0)
	for _, d := range w.Domains() {
		run(t, "trace", "--hints", hints, "--port", port, "-4", "--timeout", "300ms", "--retries", "0", "--format", "json", d.Name, d.Type)
		if g, fds := settle(baseG, baseFD); g > baseG || fds > baseFD {
			t.Errorf("after %s: %d goroutines (baseline %d), %d open files (baseline %d)", d.Name, g, baseG, fds, baseFD)
		}
	}
}
