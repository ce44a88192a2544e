package main

import (
	"slices"
	"strings"
	"testing"
)

// qb list --sort on an enum column follows the declared values, across
// pages (--all walks the cursors) and reversed with -COL.
func TestCLIEnumSortDeclaredOrder(t *testing.T) {
	p := newProject(t)
	declared := []string{"applied", "screening", "interview", "offer", "hired", "rejected"}
	for _, sort := range []string{"stage", "-stage"} {
		out, errOut, code := p.run("list", "applications", "--as", "u-dana", "--sort", sort, "--limit", "2", "--all", "--output", "csv")
		if code != 0 {
			t.Fatalf("--sort %s: exit %d: %s", sort, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		col := slices.Index(strings.Split(lines[0], ","), "stage")
		var stages []string
		for _, l := range lines[1:] {
			s := strings.Split(l, ",")[col]
			if len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
		}
		want := slices.Clone(declared)
		if sort == "-stage" {
			slices.Reverse(want)
		}
		want = slices.DeleteFunc(want, func(s string) bool { return !slices.Contains(stages, s) })
		if !slices.Equal(stages, want) || len(stages) < 4 {
			t.Errorf("--sort %s: stages in output order %v, want %v", sort, stages, want)
		}
	}
}
