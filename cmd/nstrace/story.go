package main

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nstrace/nstrace/lab"
	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

func storyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "story",
		Usage:     "play a lesson on the lab with a simulated clock: migration, lame, ttl",
		ArgsUsage: "[NAME]",
		Description: "Plays a scripted lesson on the lab network: the clock moves, an operator changes a zone, " +
			"and a name is traced again with the cache of the earlier scenes, each step explained. " +
			"Without NAME, lists the stories. On a terminal it pauses between scenes (Enter to go on).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-pause", Usage: "do not wait for Enter between scenes (for scripts and tests)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "table", Usage: "output `FORMAT` of each scene's trace: table, tree or json"},
			&cli.BoolFlag{Name: "no-color", Usage: "no colours (NO_COLOR is honoured too)"},
		},
		Action: func(c *cli.Context) error { return runStory(c, e) },
	}
}

func runStory(c *cli.Context, e *env) error {
	stories := lab.Stories()
	if c.Args().Len() == 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STORY\tWHAT IT SHOWS")
		for _, s := range stories {
			fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
		}
		tw.Flush()
		fmt.Fprintln(e.stdout, "\nPlay one with: nstrace lab story NAME")
		return nil
	}
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return usageError("flag %s comes after the story name: put flags before it (nstrace lab story --no-pause NAME)", a)
		}
	}
	if c.Args().Len() > 1 {
		return usageError("lab story takes one story name")
	}
	if err := checkFormat(c, []string{"table", "tree", "json"}); err != nil {
		return err
	}
	format := c.String("format")
	i := slices.IndexFunc(stories, func(s lab.Story) bool { return s.Name == c.Args().First() })
	if i < 0 {
		var names []string
		for _, s := range stories {
			names = append(names, s.Name)
		}
		return usageError("no story %q: the stories are %s", c.Args().First(), strings.Join(names, ", "))
	}
	story := stories[i]
	w, err := lab.Default()
	if err != nil {
		return err
	}
	hints, err := labHints(w)
	if err != nil {
		return err
	}
	cfg := resolver.DefaultConfig()
	cfg.IPv6 = false
	// The story's clock: it moves only when a scene says so.
	clock := resolver.NewManualClock(lab.Epoch)
	r := &resolver.Resolver{Config: cfg, Hints: hints, Cache: resolver.NewCache(clock)}
	table := trace.TableOptions{Color: e.colour(c, e.stdout), Explain: true}
	pause := !c.Bool("no-pause") && isTerminal(e.stdout) && isTerminalReader(e.stdin)
	in := bufio.NewReader(e.stdin)
	if format != "json" {
		fmt.Fprintf(e.stdout, "%s\n%s\n", story.Title, strings.Repeat("═", min(100, len([]rune(story.Title)))))
	}
	for n, scene := range story.Scenes {
		clock.Advance(scene.Advance)
		if scene.Change != nil {
			if w, err = scene.Change(w); err != nil {
				return fmt.Errorf("story %s, scene %d: %w", story.Name, n+1, err)
			}
		}
		r.Transport = lab.NewNetwork(w)
		r.Config.DNSSEC, r.Config.TrustAnchor = scene.DNSSEC, labAnchor(w)
		qtype, _ := parseType(scene.Type)
		name, err := parseName(scene.Name)
		if err != nil {
			return err
		}
		t := trace.Run(c.Context, r, name, qtype, trace.Options{Tool: "nstrace " + version, Network: "lab"})
		if format == "json" {
			if err := trace.WriteJSON(e.stdout, t); err != nil {
				return err
			}
			continue
		}
		now := clock.Now()
		fmt.Fprintf(e.stdout, "\nScene %d of %d · %s · the clock: %s (+%s)\n\n", n+1, len(story.Scenes), scene.Title,
			now.Format("2006-01-02 15:04:05 UTC"), elapsed(now.Sub(lab.Epoch)))
		for _, line := range trace.Wrap(scene.Text, 100) {
			fmt.Fprintln(e.stdout, line)
		}
		fmt.Fprintln(e.stdout)
		if err := write(e.stdout, format, t, table); err != nil {
			return err
		}
		if pause && n+1 < len(story.Scenes) {
			fmt.Fprint(e.stdout, "\nPress Enter for the next scene (Ctrl-C to stop) ")
			if _, err := in.ReadString('\n'); err != nil {
				return nil
			}
		}
		if c.Context.Err() != nil {
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted")}
		}
	}
	return nil
}

// elapsed writes a story's elapsed time: whole days as days, else as Go
// writes durations.
func elapsed(d time.Duration) string {
	if day := 24 * time.Hour; d >= 2*day && d%day == 0 {
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
