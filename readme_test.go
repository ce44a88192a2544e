package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/tui"
)

// consoleBlock is one ```console block of README: the commands typed after
// "$ " and, for each, the output shown under it.
type consoleBlock struct {
	line  int // README line of the block's first command
	steps []consoleStep
}

type consoleStep struct {
	line    int
	command string
	want    []string
}

// consoleBlocks parses README's ```console blocks.
func consoleBlocks(t *testing.T, readme string) []consoleBlock {
	t.Helper()
	var blocks []consoleBlock
	var cur *consoleBlock
	for i, l := range strings.Split(readme, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```console":
			blocks = append(blocks, consoleBlock{line: i + 2})
			cur = &blocks[len(blocks)-1]
		case cur != nil && strings.TrimSpace(l) == "```":
			cur = nil
		case cur != nil && strings.HasPrefix(l, "$ "):
			cur.steps = append(cur.steps, consoleStep{line: i + 1, command: strings.TrimPrefix(l, "$ ")})
		case cur != nil && len(cur.steps) > 0:
			s := &cur.steps[len(cur.steps)-1]
			s.want = append(s.want, l)
		case cur != nil:
			t.Fatalf("README.md:%d: a console block must start with a command ($ ...)", i+1)
		}
	}
	return blocks
}

// matchLines compares output lines with the lines shown: a shown line
// "..." stands for any number of lines (none included), a shown line ending
// in " ..." for any line starting with what precedes it; trailing spaces
// are ignored.
func matchLines(got, want []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	w := strings.TrimRight(want[0], " ")
	if w == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(got[i:], want[1:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 {
		return false
	}
	g := strings.TrimRight(got[0], " ")
	if prefix, ok := strings.CutSuffix(w, " ..."); ok {
		if !strings.HasPrefix(g, prefix) {
			return false
		}
	} else if g != w {
		return false
	}
	return matchLines(got[1:], want[1:])
}

// stepMarker separates the outputs of a block's commands.
const stepMarker = "\x1e--qb-readme-step--\x1e"

// TestREADMEExamples runs every ```console block of README, command by
// command, with the built qb in a fresh, seeded copy of the default
// project, and compares what a terminal would show (stdout and stderr as
// they interleave) with what README shows. The blocks run in order in one
// copy; the commands of a block run in one shell, so `echo $?` after a
// command shows its exit status.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := consoleBlocks(t, string(src))
	if len(blocks) == 0 {
		t.Fatal("README has no console examples")
	}
	bin := testkit.BuildQB(t)
	dir := scratchProject(t)
	if out, code := shell(t, dir, bin, "qb seed"); code != 0 {
		t.Fatalf("qb seed: %s", out)
	}
	for _, b := range blocks {
		var script strings.Builder
		for _, s := range b.steps {
			fmt.Fprintf(&script, "%s\n__rc=$?; printf '\\n%s\\n'; (exit $__rc)\n", s.command, stepMarker)
		}
		out, _ := shell(t, dir, bin, script.String())
		outs := strings.Split(out, "\n"+stepMarker+"\n")
		for i, s := range b.steps {
			if i >= len(outs) {
				t.Errorf("README.md:%d: %s: no output (the block stopped early)", s.line, s.command)
				continue
			}
			got := strings.Split(strings.TrimSuffix(outs[i], "\n"), "\n")
			if outs[i] == "" {
				got = nil
			}
			if !matchLines(got, s.want) {
				t.Errorf("README.md:%d: $ %s\nREADME shows:\n%s\nqb printed:\n%s", s.line, s.command, strings.Join(s.want, "\n"), strings.Join(got, "\n"))
			}
		}
	}
}

func TestMatchLines(t *testing.T) {
	cases := []struct {
		got, want []string
		ok        bool
	}{
		{nil, nil, true},
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a  "}, []string{"a"}, true},
		{[]string{"a", "b", "c"}, []string{"a", "...", "c"}, true},
		{[]string{"a", "c"}, []string{"a", "...", "c"}, true},
		{[]string{"a", "b"}, []string{"a", "...", "c"}, false},
		{[]string{"head 1234"}, []string{"head ..."}, true},
		{[]string{"tail 1234"}, []string{"head ..."}, false},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"a", "b"}, []string{"..."}, true},
	}
	for _, c := range cases {
		if got := matchLines(c.got, c.want); got != c.ok {
			t.Errorf("matchLines(%q, %q) = %v", c.got, c.want, got)
		}
	}
}

// Markers of README's generated command reference.
const (
	referenceBegin = "<!-- BEGIN command reference: generated from the command declarations by `go test -run TestREADMEReference -update .`; edit those, not this -->"
	referenceEnd   = "<!-- END command reference -->"
)

// TestREADMEReference keeps README's command reference equal to what the
// command declarations generate (with -update it rewrites README).
func TestREADMEReference(t *testing.T) {
	checkGeneratedSection(t, "command reference", referenceBegin, referenceEnd, reference(declared()),
		"differs from the declarations; run go test -run TestREADMEReference -update .")
}

// checkGeneratedSection keeps the part of README.md between begin and end
// equal to generated; with -update it rewrites README instead of failing
// with fix and the first differing line.
func checkGeneratedSection(t *testing.T, what, begin, end, generated, fix string) {
	t.Helper()
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(src)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers of the %s:\n%s\n%s", what, begin, end)
	}
	want := readme[:i+len(begin)] + "\n" + generated + readme[j:]
	if want == readme {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's %s %s and look at the diff:\n%s", what, fix, firstDiff(readme, want))
}

// Markers of README's generated key table.
const (
	keyTableBegin = "<!-- BEGIN key table: generated from the console's key map by `go test -run TestREADMEKeyTable -update .`; edit tui/keys.go, not this -->"
	keyTableEnd   = "<!-- END key table -->"
)

// TestREADMEKeyTable keeps README's key table equal to the console's key
// map (with -update it rewrites README).
func TestREADMEKeyTable(t *testing.T) {
	checkGeneratedSection(t, "key table", keyTableBegin, keyTableEnd, tui.KeyTable(),
		"differs from the key map; run go test -run TestREADMEKeyTable -update .")
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  README:    %s\n  generated: %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("README has %d lines, generated %d", len(la), len(lb))
}

// TestReferenceNamesEveryCommandAndFlag: the generated reference names
// every command and every flag it takes.
func TestReferenceNamesEveryCommandAndFlag(t *testing.T) {
	root := declared()
	ref := reference(root)
	for _, cmd := range everyDeclared(root) {
		if !strings.Contains(ref, synopsis(cmd)) {
			t.Errorf("the reference lacks %q", synopsis(cmd))
		}
	}
	for _, name := range []string{"--config FILE", "--db FILE", "--json", "--help"} {
		if !strings.Contains(ref, name) {
			t.Errorf("the reference lacks the global flag %s", name)
		}
	}
}
