package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// Defaults of nstrace audit, documented in README.
const (
	DefaultAuditConcurrency = 64
	DefaultMaxQPSPerServer  = 100
)

func auditCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "check many domains fast and politely, one JSON line per domain",
		ArgsUsage: "FILE|-",
		Description: "Runs nstrace check on every domain of FILE (one per line; blank lines and # comments are ignored; " +
			"a bad line is reported with its number and skipped), concurrently, with one shared cache, so that the root " +
			"and a TLD are asked once per TTL, not once per domain. Writes one JSON object per domain as soon as it is done " +
			"(stdout, or --out), and a summary at the end (stderr, or --summary).\n\n" +
			"Exit status: 0 no domain has an error finding, 1 some do, 2 usage error, 130 interrupted (every finished result is written; --resume goes on).",
		Flags: append(resolverFlags(),
			&cli.StringFlag{Name: "out", Usage: "write the results to `FILE` (JSON Lines) instead of stdout"},
			&cli.StringFlag{Name: "summary", Usage: "write the summary to `FILE` instead of stderr"},
			&cli.BoolFlag{Name: "resume", Usage: "skip the domains already in --out and append to it"},
			&cli.IntFlag{Name: "concurrency", Value: DefaultAuditConcurrency, Usage: "domains checked at once"},
			&cli.Float64Flag{Name: "max-qps-per-server", Value: DefaultMaxQPSPerServer, Usage: "queries per second to any one server address, at most (real network only)"},
			&cli.StringFlag{Name: "shard", Usage: "check only shard `K/N`: every N-th domain, starting at the K-th (0 ≤ K < N)"},
			&cli.BoolFlag{Name: "no-progress", Usage: "no progress bar, even on a terminal"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a Go CPU profile to `FILE` (for nstrace's own performance work)"},
			&cli.StringFlag{Name: "memprofile", Hidden: true, Usage: "write a Go profile of the audit's allocations to `FILE` (for nstrace's own performance work)"},
		),
		Action: func(c *cli.Context) error { return runAudit(c, e) },
	}
}

// auditResult is one line of the audit's output.
type auditResult struct {
	Domain   string         `json:"domain"`
	Zone     string         `json:"zone,omitempty"`
	Status   string         `json:"status"` // the outcome of the zone's SOA: answer, nxdomain, nodata, servfail
	Codes    []string       `json:"codes"`
	Findings []auditFinding `json:"findings"`
	Errors   int            `json:"errors"`
	Warnings int            `json:"warnings"`
	Queries  int            `json:"queries"`
	MS       float64        `json:"ms"`
	// DNSSEC is the state of the zone's SOA with --dnssec: secure,
	// insecure, bogus or indeterminate.
	DNSSEC string `json:"dnssec,omitempty"`
}

type auditFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Zone     string `json:"zone"`
	Server   string `json:"server,omitempty"`
	Address  string `json:"address,omitempty"`
}

func runAudit(c *cli.Context, e *env) error {
	if c.Args().Len() != 1 {
		return usageError("audit takes one file of domains (or - for stdin): nstrace audit [flags] FILE")
	}
	if c.Int("concurrency") < 1 || c.Int("concurrency") > 4096 {
		return usageError("--concurrency must be between 1 and 4096, not %d", c.Int("concurrency"))
	}
	if c.Float64("max-qps-per-server") <= 0 {
		return usageError("--max-qps-per-server must be positive")
	}
	shardK, shardN, err := parseShard(c.String("shard"))
	if err != nil {
		return err
	}
	if c.Bool("resume") && c.String("out") == "" {
		return usageError("--resume needs --out: the file whose domains are done")
	}
	domains, bad, dups, err := readDomains(c.Args().First(), e.stdin)
	if err != nil {
		return err
	}
	for _, b := range bad {
		fmt.Fprintf(e.stderr, "nstrace: %s\n", b)
	}
	var picked []string
	for i, d := range domains {
		if i%shardN == shardK {
			picked = append(picked, d)
		}
	}
	domains = picked
	cfg, err := resolverConfig(c)
	if err != nil {
		return err
	}
	net, err := openNetwork(c, &cfg)
	if err != nil {
		return err
	}
	if nt, ok := net.transport.(*resolver.NetTransport); ok {
		// Thousands of domains: keep answered UDP sockets for the next
		// query to the same server instead of opening one per query.
		nt.ReuseUDP = true
		defer nt.Close()
	}
	if !isSimulated(net.transport) {
		net.transport = resolver.RateLimited(net.transport, c.Float64("max-qps-per-server"))
	}

	out, done, err := openAuditOut(c, e)
	if err != nil {
		return err
	}
	defer out.Close()
	todo := slices.DeleteFunc(domains, func(d string) bool { return done[d] })

	r := newResolver(net, cfg)
	opts := trace.Options{Tool: "nstrace " + version, Network: net.label, Lookups: trace.NewLookupMemo()}
	defer auditGC()()
	if path := c.String("cpuprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if path := c.String("memprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return usageError("--memprofile: %v", err)
		}
		defer f.Close()
		// One sample per 4 KiB allocated, not per 512: an audit
		// allocates hundreds of megabytes.
		rate := runtime.MemProfileRate
		runtime.MemProfileRate = 4096
		defer func() {
			pprof.Lookup("allocs").WriteTo(f, 0)
			runtime.MemProfileRate = rate
		}()
	}
	var bar *progressbar.ProgressBar
	if !c.Bool("no-progress") && isTerminal(e.stderr) {
		bar = progressbar.NewOptions(len(todo), progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("checking"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("domains"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}

	sum := newAuditSummary()
	sum.badLines, sum.dupLines = len(bad), dups
	start := time.Now()
	jobs := make(chan string)
	var wg sync.WaitGroup
	var writeErr error
	var mu sync.Mutex
	for range c.Int("concurrency") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker's own child of the command's context: every
			// resolution makes its deadline under it, and under one
			// shared parent they all took the same lock.
			ctx, cancel := context.WithCancel(c.Context)
			defer cancel()
			for d := range jobs {
				t0 := time.Now()
				t := trace.CheckZone(ctx, r, d, opts)
				if c.Context.Err() != nil {
					continue // cancelled half-way: not written, --resume does it again
				}
				res := auditLine(d, t, time.Since(t0))
				mu.Lock()
				if err := out.write(res); err != nil && writeErr == nil {
					writeErr = err
				}
				sum.add(res)
				mu.Unlock()
				if bar != nil {
					bar.Add(1)
				}
			}
		}()
	}
feed:
	for _, d := range todo {
		select {
		case jobs <- d:
		case <-c.Context.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	sum.wall = time.Since(start)
	sum.skipped = len(domains) - len(todo)
	if err := writeSummary(c, e, sum); err != nil {
		return err
	}
	if writeErr != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("writing results: %w", writeErr)}
	}
	if c.Context.Err() != nil {
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted after %d domains: every finished result is written; run again with --resume to go on", sum.checked)}
	}
	if sum.withErrors > 0 {
		return silentExit(ExitFailed)
	}
	return nil
}

func isSimulated(t resolver.Transport) bool {
	s, ok := t.(interface{ Simulated() bool })
	return ok && s.Simulated()
}

// parseShard reads "K/N"; empty means the whole list.
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, usageError("--shard %q: want K/N with 0 ≤ K < N, such as 0/4", s)
	}
	return k, n, nil
}

// readDomains reads one domain per line; bad lines are returned as
// messages with their line numbers, never fatal. A domain given again
// (in any case, with or without the final dot) is counted in dups.
func readDomains(path string, stdin io.Reader) (domains, bad []string, dups int, err error) {
	var r io.Reader = stdin
	name := "stdin"
	if path != "-" {
		f, err := openList(path, "", "domains")
		if err != nil {
			return nil, nil, 0, err
		}
		defer f.Close()
		r, name = f, path
	}
	seen := map[string]bool{}
	err = readList(r, name, "domains", func(line int, text string) bool {
		d, err := parseName(text)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s:%d: skipped: %v", name, line, err))
		case seen[d]:
			dups++
		default:
			seen[d] = true
			domains = append(domains, d)
		}
		return true
	})
	if err != nil {
		return nil, nil, 0, usageError("%v", err)
	}
	return domains, bad, dups, nil
}

func auditLine(domain string, t *trace.Trace, took time.Duration) auditResult {
	res := auditResult{Domain: domain, Status: t.Outcome.Status, Codes: []string{}, Findings: []auditFinding{}, Queries: t.Queries,
		MS: float64(took.Microseconds()) / 1000}
	if t.Check != nil {
		res.Zone = t.Check.Zone
	}
	if d := t.Outcome.DNSSEC; d != nil {
		res.DNSSEC = d.State
	}
	for _, f := range t.Findings {
		res.Findings = append(res.Findings, auditFinding{Code: f.Code, Severity: f.Severity, Zone: f.Zone, Server: f.Server, Address: f.Address})
		if !slices.Contains(res.Codes, f.Code) {
			res.Codes = append(res.Codes, f.Code)
		}
		switch f.Severity {
		case trace.SeverityError:
			res.Errors++
		case trace.SeverityWarning:
			res.Warnings++
		}
	}
	slices.Sort(res.Codes)
	return res
}

// auditOut is where results go: one JSON line each, flushed at once.
type auditOut struct {
	w     *bufio.Writer
	close func() error
}

func (o *auditOut) write(r auditResult) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := o.w.Write(append(b, '\n')); err != nil {
		return err
	}
	return o.w.Flush()
}

func (o *auditOut) Close() error {
	o.w.Flush()
	if o.close != nil {
		return o.close()
	}
	return nil
}

// openAuditOut opens --out (appending with --resume, after reading the
// domains already done) or stdout.
func openAuditOut(c *cli.Context, e *env) (*auditOut, map[string]bool, error) {
	done := map[string]bool{}
	path := c.String("out")
	if path == "" {
		return &auditOut{w: bufio.NewWriter(e.stdout)}, done, nil
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if c.Bool("resume") {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
			for line := 1; sc.Scan(); line++ {
				var r auditResult
				if json.Unmarshal(sc.Bytes(), &r) != nil || r.Domain == "" {
					f.Close()
					return nil, nil, usageError("--resume: %s:%d is not a result line of nstrace audit", path, line)
				}
				done[r.Domain] = true
			}
			f.Close()
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, usageError("--resume: %v", err)
		}
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, nil, usageError("--out: %v", err)
	}
	return &auditOut{w: bufio.NewWriter(f), close: f.Close}, done, nil
}

// auditSummary counts what the audit found.
type auditSummary struct {
	checked, withErrors, withWarnings, queries, skipped int
	// badLines and dupLines are the lines of the list that were not
	// domains to check: not a valid name, or a domain given before.
	badLines, dupLines int
	codes              map[string]int
	wall               time.Duration
}

func newAuditSummary() *auditSummary { return &auditSummary{codes: map[string]int{}} }

func (s *auditSummary) add(r auditResult) {
	s.checked++
	s.queries += r.Queries
	if r.Errors > 0 {
		s.withErrors++
	}
	if r.Warnings > 0 {
		s.withWarnings++
	}
	for _, c := range r.Codes {
		s.codes[c]++
	}
}

func writeSummary(c *cli.Context, e *env, s *auditSummary) error {
	w := e.stderr
	if path := c.String("summary"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return usageError("--summary: %v", err)
		}
		defer f.Close()
		w = f
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rate := 0.0
	if s.wall > 0 {
		rate = float64(s.checked) / s.wall.Seconds()
	}
	fmt.Fprintf(tw, "domains checked\t%d\n", s.checked)
	if s.skipped > 0 {
		fmt.Fprintf(tw, "already done (--resume)\t%d\n", s.skipped)
	}
	if s.badLines > 0 {
		fmt.Fprintf(tw, "bad lines skipped\t%d\n", s.badLines)
	}
	if s.dupLines > 0 {
		fmt.Fprintf(tw, "repeated domains skipped\t%d\n", s.dupLines)
	}
	fmt.Fprintf(tw, "with errors\t%d\n", s.withErrors)
	fmt.Fprintf(tw, "with warnings\t%d\n", s.withWarnings)
	codes := make([]string, 0, len(s.codes))
	for code := range s.codes {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		return s.codes[codes[i]] > s.codes[codes[j]] || s.codes[codes[i]] == s.codes[codes[j]] && codes[i] < codes[j]
	})
	for _, code := range codes {
		fmt.Fprintf(tw, "  %s\t%d\n", code, s.codes[code])
	}
	fmt.Fprintf(tw, "queries sent\t%d\n", s.queries)
	fmt.Fprintf(tw, "wall time\t%s\n", s.wall.Round(time.Millisecond))
	fmt.Fprintf(tw, "domains/s\t%.1f\n", rate)
	return tw.Flush()
}

// auditMemoryLimit is the heap size at which an audit's garbage collector
// goes back to working as often as it normally does.
const auditMemoryLimit = 384 << 20

// auditGC trades memory for CPU during an audit, which allocates fast and
// keeps little: the collector runs when the heap has grown by 400% rather
// than 100%, until the heap nears auditMemoryLimit. On the 10,000-domain
// benchmark world that is about a fifth less CPU. A GOGC or GOMEMLIMIT set
// in the environment wins. It returns the function that restores the
// settings.
func auditGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	pct := debug.SetGCPercent(400)
	limit := debug.SetMemoryLimit(auditMemoryLimit)
	return func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	}
}
