package schema

import (
	"fmt"
	"slices"
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
	// Err is the error underneath, when there is one: the *fs.PathError
	// of a config file that could not be read.
	Err error
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

// Problems is every problem found in a project's files: a config's (Load
// and Parse return it as a *Problems error, sorted by line), its fixtures'
// (fixtures.Read) and a seed run's bad rows (engine.Engine.Seed).
type Problems []Problem

// Error prints one problem per line, in order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap is the errors underneath the problems (see Problem.Err), for
// errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	var out []error
	for _, p := range ps {
		if p.Err != nil {
			out = append(out, p.Err)
		}
	}
	return out
}

func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Line - b.Line })
}
