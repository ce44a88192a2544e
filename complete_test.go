package main

import (
	"slices"
	"strings"
	"testing"
)

// completions runs the hidden command the shell scripts call and returns
// the values offered (descriptions dropped) and the directive line.
func completions(t *testing.T, cfg string, args ...string) ([]string, string) {
	t.Helper()
	out, errw, code := runQB(append([]string{"__complete", "--config", cfg}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, errw)
	}
	var vals []string
	directive := ""
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		vals = append(vals, strings.SplitN(line, "\t", 2)[0])
	}
	return vals, directive
}

// TestCompletionValues: commands, flags, and the values of arguments and
// flags complete from the declarations, the config (tables, columns, enum
// values, roles, actions) and the database (users, organizations).
func TestCompletionValues(t *testing.T) {
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	if _, errw, code := runQB("--config", cfg, "seed"); code != 0 {
		t.Fatal(errw)
	}
	cases := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"commands", []string{""}, []string{"list", "get", "run", "audit", "completion", "help"}, []string{"__complete"}},
		{"command prefix", []string{"ex"}, []string{"explain"}, []string{"list"}},
		{"flags of list", []string{"list", "jobs", "--"}, []string{"--filter", "--sort", "--limit", "--all", "--output", "--as", "--json"}, []string{"--data", "--read-only"}},
		{"tables", []string{"list", ""}, []string{"jobs", "candidates", "applications", "ats_imports"}, nil},
		{"no second table", []string{"list", "jobs", ""}, nil, []string{"jobs"}},
		{"actions of the table", []string{"run", "applications", ""}, []string{"advanceStage", "submitScore"}, []string{"jobs"}},
		{"users", []string{"list", "jobs", "--as", ""}, []string{"u-dana", "u-ivan", "u-marco", "anonymous"}, nil},
		{"organizations", []string{"list", "jobs", "--org", ""}, []string{"acme", "globex"}, nil},
		{"roles", []string{"list", "jobs", "--role", ""}, []string{"interviewer", "recruiter", "hiring-manager", "owner"}, nil},
		{"filter columns", []string{"list", "jobs", "--filter", ""}, []string{"status=", "title=", "createdAt="}, nil},
		{"enum values", []string{"list", "jobs", "--filter", "status="}, []string{"status=draft", "status=open", "status=closed"}, nil},
		{"enum values after !=", []string{"list", "jobs", "--filter", "status!="}, []string{"status!=open"}, nil},
		{"sort columns", []string{"list", "jobs", "--sort", ""}, []string{"title", "createdAt"}, nil},
		{"descending sort columns", []string{"list", "jobs", "--sort=-"}, []string{"-title", "-createdAt"}, nil},
		{"output formats", []string{"list", "jobs", "--output", ""}, []string{"text", "csv", "ndjson"}, nil},
		{"audit outcomes", []string{"audit", "--outcome", ""}, []string{"ok", "refused", "GUARD_FIELD_PROTECTED"}, nil},
		{"audit operations", []string{"audit", "--operation", ""}, []string{"list", "action:advanceStage"}, nil},
		{"audit users", []string{"audit", "--user", ""}, []string{"u-ivan"}, nil},
		{"console table", []string{"--table", ""}, []string{"candidates"}, nil},
		{"shells", []string{"completion", ""}, []string{"bash", "zsh", "fish"}, nil},
		{"help topics", []string{"help", ""}, []string{"list", "audit"}, nil},
	}
	for _, c := range cases {
		got, _ := completions(t, cfg, c.args...)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: %v lacks %q", c.name, got, w)
			}
		}
		for _, n := range c.not {
			if slices.Contains(got, n) {
				t.Errorf("%s: %v offers %q", c.name, got, n)
			}
		}
	}
	// A column name is completed without a trailing space, so the value
	// can follow.
	if _, d := completions(t, cfg, "list", "jobs", "--filter", "sta"); d != ":6" {
		t.Errorf("filter column directive %s, want :6 (no space, no files)", d)
	}
}

// TestCompletionNeedsNoDatabase: completing never creates or seeds the
// database; without one, users and organizations complete to nothing.
func TestCompletionNeedsNoDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	if got, _ := completions(t, cfg, "list", "jobs", "--as", ""); len(got) != 0 {
		t.Errorf("users without a database: %v", got)
	}
	if got, _ := completions(t, cfg, "list", ""); !slices.Contains(got, "jobs") {
		t.Errorf("tables come from the config alone: %v", got)
	}
	if _, _, code := runQB("--config", cfg, "users"); code != 0 {
		t.Fatal("users")
	}
}

// TestCompletionScripts: each shell's script is printed and calls back
// into qb's completion command; other shells are refused.
func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "complete -o default -F __start_qb qb", "zsh": "#compdef qb", "fish": "complete -c qb"} {
		out, errw, code := runQB("completion", shell)
		if code != 0 || !strings.Contains(out, marker) || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d %s\n%.300s", shell, code, errw, out)
		}
	}
}
