package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one config error (or, with Warning, one warning): the file,
// the 1-based line (0 when the file could not be read), the key path (e.g.
// tables.jobs.guards.updatable[2]; empty for syntax errors) and what is
// wrong.
type Problem struct {
	File    string
	Line    int
	Path    string
	Message string
	// Warning marks a valid configuration whose refusals would reveal data
	// the caller cannot see (Config.Warnings, SPEC §3.3).
	Warning bool
}

// String renders the problem as FILE:LINE: key.path: message, a warning as
// FILE:LINE: warning: key.path: message.
func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Warning {
		loc += ": warning"
	}
	if p.Path == "" {
		return loc + ": " + p.Message
	}
	return loc + ": " + p.Path + ": " + p.Message
}

// Problems is every problem found while loading a config. Load and Parse
// return it as a *Problems error, sorted by line.
type Problems []Problem

// Error prints one problem per line, sorted by line.
func (ps Problems) Error() string {
	sorted := make(Problems, len(ps))
	copy(sorted, ps)
	sorted.sort()
	lines := make([]string, len(sorted))
	for i, p := range sorted {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
