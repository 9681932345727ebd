package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/resolver"
)

// Formats that trace accepts; anything else is refused before a query is sent.
var traceFormats = []string{"table", "json", "tree", "markdown", "html", "dot"}

// resolverFlags are the flags of every command that resolves names.
func resolverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "lab", Usage: "resolve on the embedded lab network, in memory and offline"},
		&cli.StringFlag{Name: "lab-world", Usage: "resolve in memory on the lab world in `DIR` (world.conf and zone files, e.g. from 'nstrace lab generate') instead of the embedded one"},
		&cli.StringFlag{Name: "hints", Usage: "read the root servers from `FILE` (named.root format) instead of the embedded IANA hints"},
		&cli.IntFlag{Name: "port", Value: 53, Usage: "ask servers on `PORT` (for a lab served on loopback)"},
		&cli.BoolFlag{Name: "4", Usage: "ask IPv4 addresses only"},
		&cli.BoolFlag{Name: "6", Usage: "ask IPv6 addresses only"},
		&cli.BoolFlag{Name: "tcp", Usage: "send every query over TCP"},
		&cli.BoolFlag{Name: "qmin", Usage: "QNAME minimisation (RFC 9156): send each zone only the next label of the name"},
		&cli.BoolFlag{Name: "dnssec", Usage: "validate the chain of trust hop by hop (DS at the parent, DNSKEY at the child, RRSIGs, NSEC/NSEC3 proofs)"},
		&cli.StringFlag{Name: "trust-anchor", Usage: "with --dnssec, start the chain of trust from the DS or DNSKEY records in `FILE` (zone-file form) instead of the embedded IANA root anchor"},
		&cli.DurationFlag{Name: "timeout", Value: resolver.DefaultTimeout, Usage: "per-query `TIMEOUT`"},
		&cli.IntFlag{Name: "retries", Value: resolver.DefaultRetries, Usage: "extra tries after a timeout"},
		&cli.IntFlag{Name: "max-queries", Value: resolver.DefaultMaxQueries, Usage: "query budget per name, side lookups included"},
		&cli.DurationFlag{Name: "deadline", Value: resolver.DefaultDeadline, Usage: "give up on a name after `DURATION`"},
		&cli.StringFlag{Name: "record", Usage: "write every query and reply of the run to `FILE`, to replay it later"},
		&cli.StringFlag{Name: "replay", Usage: "answer every query from a recording `FILE` made with --record: offline, the same trace at every run"},
	}
}

func outputFlags(formats []string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "table", Usage: fmt.Sprintf("output `FORMAT`: %v", formats)},
		&cli.BoolFlag{Name: "all-rows", Usage: "one table row per server, even where many servers said the same"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colours (NO_COLOR is honoured too)"},
		&cli.BoolFlag{Name: "explain", Usage: "say in plain words what happens at each step and why"},
	}
}

// checkFormat refuses a --format other than formats, before any query is
// sent.
func checkFormat(c *cli.Context, formats []string) error {
	if format := c.String("format"); !slices.Contains(formats, format) {
		return usageError("unknown --format %q: choose one of %s", format, strings.Join(formats, ", "))
	}
	return nil
}

// resolverConfig builds and checks the resolver's limits from the flags.
func resolverConfig(c *cli.Context) (resolver.Config, error) {
	cfg := resolver.DefaultConfig()
	if c.Bool("4") && c.Bool("6") {
		return cfg, usageError("-4 and -6 exclude each other")
	}
	if c.Bool("4") {
		cfg.IPv6 = false
	}
	if c.Bool("6") {
		cfg.IPv4 = false
	}
	port := c.Int("port")
	if port < 1 || port > 65535 {
		return cfg, usageError("--port %d is out of range (1-65535)", port)
	}
	cfg.Port = uint16(port)
	if c.Duration("timeout") <= 0 {
		return cfg, usageError("--timeout must be positive, not %v", c.Duration("timeout"))
	}
	cfg.Timeout = c.Duration("timeout")
	if c.Int("retries") < 0 || c.Int("retries") > 10 {
		return cfg, usageError("--retries must be between 0 and 10, not %d", c.Int("retries"))
	}
	cfg.Retries = c.Int("retries")
	if c.Int("max-queries") < 1 {
		return cfg, usageError("--max-queries must be at least 1, not %d", c.Int("max-queries"))
	}
	cfg.MaxQueries = c.Int("max-queries")
	if c.Duration("deadline") <= 0 {
		return cfg, usageError("--deadline must be positive, not %v", c.Duration("deadline"))
	}
	cfg.Deadline = c.Duration("deadline")
	cfg.TCP = c.Bool("tcp")
	cfg.QMin = c.Bool("qmin")
	cfg.DNSSEC = c.Bool("dnssec")
	if path := c.String("trust-anchor"); c.IsSet("trust-anchor") {
		if !cfg.DNSSEC {
			return cfg, usageError("--trust-anchor is the start of DNSSEC validation: add --dnssec")
		}
		ta, err := resolver.LoadTrustAnchor(path)
		if err != nil {
			return cfg, usageError("--trust-anchor: %v", err)
		}
		cfg.TrustAnchor = ta
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError("%v", err)
	}
	return cfg, nil
}
