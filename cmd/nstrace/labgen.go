package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/lab"
)

// labGenerateCommand is "nstrace lab generate": a synthetic world of many
// domains, for audits and benchmarks.
func labGenerateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "write a synthetic lab world of many domains (a root, 20 TLDs, N second-level zones) into DIR",
		ArgsUsage: "DIR",
		Description: "The world has healthy domains and, by design, about 5% glueless, 3% with one lame NS, " +
			"0.5% with both NS lame, 10% whose www is a CNAME and 1% with a delegated sub-zone. " +
			"DIR gets world.conf, zones/, domains.txt (the list to audit), expected.txt (the kind of each domain) and README.txt. " +
			"Serve it with nstrace audit --lab-world DIR, or in NSD with nstrace lab export-levels DIR.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "domains", Value: lab.DefaultGenerateDomains, Usage: "the number `N` of second-level domains"},
			&cli.IntFlag{Name: "servers", Value: lab.DefaultGenerateServers, Usage: "the number `N` of name server addresses that host them"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the `SEED` of the world: the same seed gives the same files"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return usageError("lab generate takes one directory: nstrace lab generate [--domains N] [--seed S] DIR")
			}
			dir := c.Args().First()
			opts := lab.GenerateOptions{Domains: c.Int("domains"), Servers: c.Int("servers"), Seed: c.Uint64("seed")}
			if opts.Domains < lab.MinGenerateDomains || opts.Domains > lab.MaxGenerateDomains {
				return usageError("--domains %d is out of range (%d-%d)", opts.Domains, lab.MinGenerateDomains, lab.MaxGenerateDomains)
			}
			if err := lab.Generate(dir, opts); err != nil {
				return usageError("%v", err)
			}
			readme, err := os.ReadFile(filepath.Join(dir, "README.txt"))
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, string(readme))
			fmt.Fprintf(e.stdout, "\nwrote %s: world.conf, zones/, domains.txt, expected.txt\n", dir)
			fmt.Fprintf(e.stdout, "audit it with:  nstrace audit --lab-world %s %s\n", dir, filepath.Join(dir, "domains.txt"))
			return nil
		},
	}
}

// labExportLevelsCommand is "nstrace lab export-levels": a world (as
// written by nstrace lab generate) as one NSD configuration per level.
func labExportLevelsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export-levels",
		Usage:     "write a generated lab world as one NSD configuration per level (root, tld, sld, sub), to serve it with four real NSDs",
		ArgsUsage: "WORLDDIR",
		Description: "WORLDDIR is a world directory, as written by nstrace lab generate. " +
			"Every level's NSD listens on all the addresses of its level and serves all its zones. " +
			"OUTDIR (default WORLDDIR/nsd) gets root/, tld/, sld/ and sub/ (nsd.conf and zone files), named.root and servers.txt. " +
			"Start each with nsd -d -c OUTDIR/LEVEL/nsd.conf; read its query counter with nsd-control -c OUTDIR/LEVEL/nsd.conf stats_noreset.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "port", Value: 5300, Usage: "the `PORT` every server listens on"},
			&cli.StringFlag{Name: "out", Usage: "write to `OUTDIR` (default: WORLDDIR/nsd)"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return usageError("lab export-levels takes one world directory: nstrace lab export-levels [--port P] [--out OUTDIR] WORLDDIR")
			}
			port := c.Int("port")
			if port < 1 || port > 65535 {
				return usageError("--port %d is out of range (1-65535)", port)
			}
			wd := c.Args().First()
			w, err := lab.Load(os.DirFS(wd))
			if err != nil {
				return usageError("%v", err)
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(wd, "nsd")
			}
			if err := lab.ExportLevels(w, out, port); err != nil {
				return usageError("%v", err)
			}
			servers, err := os.ReadFile(filepath.Join(out, "servers.txt"))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote one NSD configuration per level to %s (port %d); start them with:\n", out, port)
			for _, line := range strings.Split(strings.TrimSpace(string(servers)), "\n") {
				if f := strings.Fields(line); len(f) == 3 {
					fmt.Fprintf(e.stdout, "    nsd -d -c %s\n", f[2])
				}
			}
			fmt.Fprintf(e.stdout, "root hints: %s\n", filepath.Join(out, "named.root"))
			return nil
		},
	}
}
