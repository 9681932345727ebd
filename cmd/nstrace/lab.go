package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/lab"
)

func labCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "lab",
		Usage: "the embedded lab network of root, TLD and authoritative servers",
		Subcommands: []*cli.Command{
			storyCommand(e),
			labGenerateCommand(e),
			labExportLevelsCommand(e),
			{
				Name:  "list",
				Usage: "list the lab's domains and what is special about each",
				Action: func(c *cli.Context) error {
					if c.Args().Len() > 0 {
						return usageError("lab list takes no arguments")
					}
					w, err := lab.Default()
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tTYPE\tWHAT IT SHOWS")
					for _, d := range w.Domains() {
						typ := d.Type
						if d.DNSSEC {
							typ += " (DNSSEC)"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, typ, d.Description)
					}
					tw.Flush()
					fmt.Fprintln(e.stdout, "\nTrace one with: nstrace trace --lab NAME [TYPE]; those marked (DNSSEC) with --dnssec")
					return nil
				},
			},
			{
				Name:      "export",
				Usage:     "write the lab as zone files and one NSD configuration per server, to serve it with real NSD",
				ArgsUsage: "DIR",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "port", Value: 5300, Usage: "the `PORT` every server listens on"},
				},
				Action: func(c *cli.Context) error {
					if c.Args().Len() != 1 {
						return usageError("lab export takes one directory: nstrace lab export DIR")
					}
					port := c.Int("port")
					if port < 1 || port > 65535 {
						return usageError("--port %d is out of range (1-65535)", port)
					}
					w, err := lab.Default()
					if err != nil {
						return err
					}
					dir := c.Args().First()
					if err := lab.Export(w, dir, port); err != nil {
						return usageError("lab export: %v", err)
					}
					fmt.Fprintf(e.stdout, "wrote the lab to %s: one directory per server with nsd.conf and its zone files, named.root, %s, servers.txt\n", dir, lab.TrustAnchorFile)
					fmt.Fprintf(e.stdout, "start each with: nsd -d -c DIR/SERVER/nsd.conf   (README.txt there says which servers NSD cannot imitate)\n")
					return nil
				},
			},
			{
				Name:  "serve",
				Usage: "serve the lab on real UDP and TCP sockets on 127.0.0.0/8 until Ctrl-C",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "port", Value: 5300, Usage: "listen on `PORT` at every lab server address"},
					&cli.StringFlag{Name: "hints-out", Usage: "write the lab's root hints to `FILE` (default: a file in a temporary directory)"},
				},
				Action: func(c *cli.Context) error { return runLabServe(c, e) },
			},
		},
	}
}

func runLabServe(c *cli.Context, e *env) error {
	port := c.Int("port")
	if port < 1 || port > 65535 {
		return usageError("--port %d is out of range (1-65535)", port)
	}
	w, err := lab.Default()
	if err != nil {
		return err
	}
	path := c.String("hints-out")
	if path == "" {
		dir, err := os.MkdirTemp("", "nstrace-lab-")
		if err != nil {
			return err
		}
		path = filepath.Join(dir, "named.root")
	}
	if err := os.WriteFile(path, []byte(w.HintsFile()), 0o644); err != nil {
		return usageError("cannot write hints file: %v", err)
	}
	anchor := filepath.Join(filepath.Dir(path), lab.TrustAnchorFile)
	if err := os.WriteFile(anchor, []byte(w.TrustAnchorText()), 0o644); err != nil {
		return usageError("cannot write the trust anchor: %v", err)
	}
	l, err := lab.Serve(w, port)
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("lab serve: %w", err)}
	}
	defer l.Close()
	rs, err := serveRecursors(w, port)
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("lab serve: %w", err)}
	}
	defer rs.Close()
	addrs := l.Addrs()
	fmt.Fprintf(e.stdout, "nstrace lab: %d servers listening on port %d (UDP and TCP), %s to %s\n", len(addrs)/1, port, addrs[0].Addr(), addrs[len(addrs)-1].Addr())
	fmt.Fprintf(e.stdout, "hints file: %s\n", path)
	fmt.Fprintf(e.stdout, "trust anchor: %s\n", anchor)
	fmt.Fprintf(e.stdout, "try:  nstrace trace --hints %s --port %d -4 mydomain.com\n", path, port)
	fmt.Fprintf(e.stdout, "      nstrace trace --hints %s --port %d -4 --dnssec --trust-anchor %s www.secure.com\n", path, port, anchor)
	fmt.Fprintf(e.stdout, "      dig +norecurse @%s -p %d mydomain.com\n", addrs[0].Addr(), port)
	if len(rs.addrs) > 0 {
		var list []string
		for i, a := range rs.addrs {
			list = append(list, fmt.Sprintf("%s %s", rs.names[i], a.Addr()))
		}
		fmt.Fprintf(e.stdout, "recursive resolvers (RD=1, the lab's recursors, on the same port): %s\n", strings.Join(list, ", "))
		fmt.Fprintf(e.stdout, "      dig @%s -p %d www.mydomain.com\n", rs.addrs[0].Addr(), port)
		fmt.Fprintf(e.stdout, "      nstrace compare --hints %s --port %d -4 --resolver %s www.mydomain.com\n", path, port, rs.addrs[len(rs.addrs)/2])
	}
	fmt.Fprintln(e.stdout, "Ctrl-C stops.")
	<-c.Context.Done()
	return nil
}
