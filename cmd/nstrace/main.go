// Command nstrace resolves a DNS name the way a recursive resolver does,
// from the root hints down, and shows every hop. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
