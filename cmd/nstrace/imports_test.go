package main

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportDirection keeps data flowing one way: cmd → trace → resolver,
// and cmd → lab. The resolver and the lab import only the standard library
// and miekg/dns; renderers never reach the network; tablewriter lives in
// one renderer file.
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIP: the go tool is not on PATH")
	}
	const mod = "github.com/nstrace/nstrace/"
	imports := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "../../"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	stdlib := func(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }
	for _, pkg := range []string{"resolver", "lab"} {
		for _, imp := range imports(pkg) {
			if !stdlib(imp) && imp != "github.com/miekg/dns" {
				t.Errorf("%s imports %s: it may import only the standard library and miekg/dns", pkg, imp)
			}
		}
	}
	for _, imp := range imports("trace") {
		switch {
		case strings.HasPrefix(imp, mod) && imp != mod+"resolver":
			t.Errorf("trace imports %s: only resolver is allowed", imp)
		case imp == "net" || strings.HasPrefix(imp, "net/http") || imp == "os/exec":
			t.Errorf("trace imports %s: renderers never touch the network", imp)
		case strings.Contains(imp, "urfave"):
			t.Errorf("trace imports the CLI library")
		}
	}
	// tablewriter is used by one renderer file only.
	files, _ := filepath.Glob("../../trace/*.go")
	var users []string
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range parsed.Imports {
			if p, _ := strconv.Unquote(is.Path.Value); strings.HasPrefix(p, "github.com/olekukonko/tablewriter") {
				users = append(users, filepath.Base(f))
				break
			}
		}
	}
	if len(users) != 1 || users[0] != "render_table.go" {
		t.Errorf("tablewriter imported by %v, want render_table.go only", users)
	}
}
