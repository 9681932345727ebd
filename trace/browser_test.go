package trace_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nstrace/nstrace/trace"
)

// chromiumArgs run Debian's Chromium headless, offline and without state.
var chromiumArgs = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync"}

// chromium runs the headless browser with args on a file and returns its
// standard output. It gives up after 60 s and kills the browser's whole
// process group (its zygote and renderers included) when it returns.
func chromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append(append([]string{}, chromiumArgs...), "--user-data-dir="+t.TempDir()), args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %v: timed out after 60 s", args)
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, lastLines(stderr.String(), 15))
	}
	return stdout.Bytes()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// serversAsked counts the servers asked in r and its side resolutions,
// the number of pairs of consecutive steps (path arrows) and of side
// resolutions (branches).
func serversAsked(r trace.Resolution) (servers, arrows, branches int) {
	arrows = max(len(r.Steps)-1, 0)
	for _, s := range r.Steps {
		servers += len(s.Servers)
		for _, c := range s.Children {
			n, a, b := serversAsked(c)
			servers, arrows, branches = servers+n, arrows+a, branches+b+1
		}
	}
	return servers, arrows, branches
}

var (
	reGroup      = regexp.MustCompile(`<g class="([^"]*)"([^>]*)>`)
	rePath       = regexp.MustCompile(`<path class="([^"]*)"`)
	reAttr       = regexp.MustCompile(`data-(step|address)="([^"]*)"`)
	reExternal   = regexp.MustCompile(`(?i)(https?:|//[a-z0-9]|ftp:|src\s*=|<link|@import|url\(\s*['"]?[^#'")\s])`)
	reFindingEl  = regexp.MustCompile(`<section class="finding severity-([a-z]+)" data-code="([A-Z_]+)"`)
	reChainBreak = regexp.MustCompile(`<g class="step-label[^"]*chain-break[^"]*"[^>]*><text class="step-id"[^>]*>step ([0-9a-z.]+)</text>`)
)

// classes returns the class tokens of a class attribute.
func classes(attr string) map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(attr) {
		m[c] = true
	}
	return m
}

// TestHTMLInBrowser renders lab traces as HTML, loads each in headless
// Chromium and checks the DOM it built: one server box per server asked
// (with its step, address and kind), the chosen ones marked, one path
// arrow per pair of consecutive steps of every resolution (len(t.Steps)-1
// on the main path), one branch per side resolution, a finding element per
// finding, and nothing loaded from outside the file. It also takes a
// screenshot of lame.com (NSTRACE_UPDATE_SCREENSHOT=1 copies it to
// docs/trace-html.png for the README).
func TestHTMLInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIP: chromium not installed (apt-get install chromium): the HTML view is not checked in a real browser")
	}
	dir := t.TempDir()
	for _, name := range []string{"mydomain.com.", "lame.com.", "glueless.org.", "www.shop.com.", "allfail.com.", "www.dsmismatch.com.+dnssec"} {
		t.Run(name, func(t *testing.T) {
			tr := labTrace(t, name)
			var b bytes.Buffer
			if err := trace.WriteHTML(&b, tr); err != nil {
				t.Fatal(err)
			}
			html := b.String()
			if m := reExternal.FindString(html); m != "" {
				i := strings.Index(html, m)
				t.Errorf("the HTML refers to something outside itself: %q in %q", m, html[max(0, i-60):min(len(html), i+60)])
			}
			path := filepath.Join(dir, goldenBase(name)+".html")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			dom := string(chromium(t, bin, "--dump-dom", "file://"+path))
			if !strings.Contains(dom, "</svg>") || !strings.Contains(dom, "</html>") {
				t.Fatalf("the browser did not build the page:\n%s", lastLines(dom, 10))
			}

			// the server boxes, as the browser parsed them
			want := map[string]int{} // "step|address|kind|chosen" → servers of the trace
			var walk func(r trace.Resolution)
			walk = func(r trace.Resolution) {
				for _, s := range r.Steps {
					for _, srv := range s.Servers {
						want[s.ID+"|"+srv.Address+"|kind-"+srv.Kind+"|"+boolWord(srv.Chosen)]++
					}
					for _, c := range s.Children {
						walk(c)
					}
				}
			}
			walk(tr.Resolution)
			got := map[string]int{}
			var boxes, cacheBoxes int
			for _, m := range reGroup.FindAllStringSubmatch(dom, -1) {
				cls := classes(m[1])
				if cls["cache-hit"] {
					cacheBoxes++
				}
				if !cls["server"] {
					continue
				}
				boxes++
				attrs := map[string]string{}
				for _, a := range reAttr.FindAllStringSubmatch(m[2], -1) {
					attrs[a[1]] = a[2]
				}
				kind := ""
				for c := range cls {
					if strings.HasPrefix(c, "kind-") {
						kind = c
					}
				}
				got[attrs["step"]+"|"+attrs["address"]+"|"+kind+"|"+boolWord(cls["chosen"])]++
			}
			nServers, nArrows, nBranches := serversAsked(tr.Resolution)
			if boxes != nServers {
				t.Errorf("%d server boxes, want %d (one per server asked)", boxes, nServers)
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("server box step|address|kind|chosen %s: %d in the DOM, want %d", k, got[k], n)
				}
			}
			for k := range got {
				if want[k] == 0 {
					t.Errorf("server box %s is not in the trace", k)
				}
			}
			var hits int
			var countHits func(r trace.Resolution)
			countHits = func(r trace.Resolution) {
				for _, s := range r.Steps {
					if s.Cache.State == "hit" {
						hits++
					}
					for _, c := range s.Children {
						countHits(c)
					}
				}
			}
			countHits(tr.Resolution)
			if cacheBoxes != hits {
				t.Errorf("%d cache-hit boxes, want %d", cacheBoxes, hits)
			}

			// the arrows of the path
			var mainArrows, allArrows, branches int
			for _, m := range rePath.FindAllStringSubmatch(dom, -1) {
				cls := classes(m[1])
				switch {
				case cls["path-arrow"]:
					allArrows++
					if !cls["side"] {
						mainArrows++
					}
				case cls["branch"]:
					branches++
				}
			}
			if mainArrows != len(tr.Steps)-1 {
				t.Errorf("%d path arrows on the main path, want %d (steps - 1)", mainArrows, len(tr.Steps)-1)
			}
			if allArrows != nArrows || branches != nBranches {
				t.Errorf("%d path arrows and %d branches in all, want %d and %d", allArrows, branches, nArrows, nBranches)
			}

			// the findings
			var findings []string
			for _, m := range reFindingEl.FindAllStringSubmatch(dom, -1) {
				findings = append(findings, m[1]+" "+m[2])
			}
			var wantFindings []string
			for _, f := range tr.Findings {
				wantFindings = append(wantFindings, f.Severity+" "+f.Code)
			}
			if strings.Join(findings, ",") != strings.Join(wantFindings, ",") {
				t.Errorf("finding elements %v, want %v", findings, wantFindings)
			}

			switch name {
			case "www.dsmismatch.com.+dnssec":
				// the chain breaks at step 2: its label says so, in red
				breaks := reChainBreak.FindAllStringSubmatch(dom, -1)
				if len(breaks) != 1 || breaks[0][1] != "2" {
					t.Errorf("chain-break labels %v, want one, at step 2", breaks)
				}
				if !strings.Contains(dom, `class="step-dnssec dnssec-bogus"`) || !strings.Contains(dom, `class="dnssec dnssec-bogus"`) {
					t.Errorf("no bogus DNSSEC state in the picture or the outcome")
				}
			case "lame.com.":
				if !strings.Contains(dom, `kind-lame`) || got["3|127.0.3.51|kind-lame|no"] != 1 {
					t.Errorf("lame.com: no kind-lame box for ns.oldhost.net (127.0.3.51) at step 3")
				}
				shot := filepath.Join(dir, "lame.png")
				chromium(t, bin, "--window-size=1400,1000", "--screenshot="+shot, "file://"+path)
				png, err := os.ReadFile(shot)
				if err != nil || len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
					t.Fatalf("screenshot %s: %d bytes, %v", shot, len(png), err)
				}
				if os.Getenv("NSTRACE_UPDATE_SCREENSHOT") == "1" {
					if err := os.MkdirAll("../docs", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile("../docs/trace-html.png", png, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("wrote docs/trace-html.png (%d bytes)", len(png))
				}
			case "allfail.com.":
				if !strings.Contains(dom, `class="failure"`) {
					t.Errorf("allfail.com: no failure box for the step where every server failed")
				}
			case "www.shop.com.":
				if !strings.Contains(dom, `class="cache-hit`) {
					t.Errorf("www.shop.com: the cached step is not drawn as a cache hit")
				}
			}
		})
	}
}

func boolWord(b bool) string {
	if b {
		return "chosen"
	}
	return "no"
}
