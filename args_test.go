package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUsageErrors: every argument is checked. Extra and missing positional
// arguments, unknown flags and flags of other commands are usage errors
// (exit 1) that say what is wrong, misspellings get "did you mean", and
// nothing is run: the database is not even created.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []usageCase{
		{"extra argument to check", []string{"check", "quickback.toml", "extra"}, []string{`unexpected argument "extra"`, "qb check takes [CONFIG]"}},
		{"extra argument to seed", []string{"seed", "extra"}, []string{`unexpected argument "extra"`, "qb seed takes no arguments"}},
		{"extra argument to users", []string{"users", "extra"}, []string{`unexpected argument "extra"`}},
		{"extra argument to audit", []string{"audit", "extra"}, []string{`unexpected argument "extra"`}},
		{"extra argument to list names it", []string{"list", "jobs", "extra", "--as", "u-ivan"}, []string{`unexpected argument "extra": qb list takes TABLE`}},
		{"extra argument to get", []string{"get", "jobs", "j-1", "j-2"}, []string{`unexpected argument "j-2"`}},
		{"extra argument to run", []string{"run", "applications", "advanceStage", "a-1001", "more"}, []string{`unexpected argument "more"`}},
		{"missing table", []string{"list"}, []string{"qb list needs TABLE", "usage: qb list TABLE [IDENTITY]"}},
		{"missing id", []string{"get", "jobs"}, []string{"qb get needs ID"}},
		{"missing N", []string{"generate", "jobs"}, []string{"qb generate needs N"}},
		{"misspelt command", []string{"lst"}, []string{`unknown command "lst"; did you mean "list"?`}},
		{"misspelt command in help", []string{"help", "udpate"}, []string{`unknown command "udpate"; did you mean "update"?`}},
		{"misspelt flag", []string{"list", "jobs", "--lmit", "3"}, []string{`unknown flag --lmit for qb list; did you mean "--limit"?`}},
		{"unknown flag", []string{"list", "jobs", "--bogus"}, []string{"unknown flag --bogus for qb list"}},
		{"flag of another command", []string{"seed", "--as", "u-ivan"}, []string{"qb seed does not take --as"}},
		{"console flag on a command", []string{"list", "jobs", "--read-only"}, []string{"qb list does not take --read-only", "the console"}},
		{"command flag on the console", []string{"--filter", "x=1"}, []string{"qb does not take --filter", "qb list"}},
		{"flag without its value", []string{"list", "jobs", "--as"}, []string{"flag --as needs a value"}},
		{"not a number", []string{"list", "jobs", "--limit", "x"}, []string{`--limit "x": takes a whole number`}},
		{"limit zero", []string{"list", "jobs", "--limit", "0"}, []string{`--limit "0": takes a whole number, at least 1`}},
		{"unknown output", []string{"list", "jobs", "--output", "cvs"}, []string{`--output "cvs"`, `did you mean "csv"?`}},
		{"json and csv", []string{"list", "jobs", "--as", "u-ivan", "--output", "csv", "--json"}, []string{"--json and --output csv: choose one"}},
		{"unknown shell", []string{"completion", "tcsh"}, []string{`unknown shell "tcsh"`}},
		{"no shell", []string{"completion"}, []string{"qb completion needs bash|zsh|fish"}},
		{"data is required", []string{"create", "jobs", "--as", "u-dana"}, []string{"create needs --data JSON"}},
		{"head without verify", []string{"audit", "--head", strings.Repeat("a", 64)}, []string{"--head HASH goes with --verify"}},
		{"malformed head", []string{"audit", "--verify", "--head", "abc"}, []string{`--head "abc" is not an audit head`}},
		{"verify with a filter", []string{"audit", "--verify", "--user", "u-ivan"}, []string{"--verify checks the whole log: it takes no --user"}},
		{"bogus outcome", []string{"audit", "--outcome", "bogus"}, []string{`--outcome "bogus"`}},
		{"misspelt outcome", []string{"audit", "--outcome", "refsued"}, []string{`did you mean "refused"?`}},
		{"bad since", []string{"audit", "--since", "yesterday"}, []string{`--since "yesterday"`}},
		{"check with two configs", []string{"check", "a.toml", "--config", "b.toml"}, []string{"name two configs"}},
		{"N not a number", []string{"generate", "jobs", "many"}, []string{`N must be a whole number of rows, at least 1 (got "many")`}},
		{"orgs zero", []string{"generate", "jobs", "5", "--orgs", "0"}, []string{`--orgs "0": takes a whole number, at least 1`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := copyProject(t, dir)
			if !slices.Contains(c.args, "--json") {
				c.textMode(t, dir, cfg)
			}
			// Under --json the same error is a JSON object on stdout.
			out, errw, code := runQB(append([]string{"--config", cfg, "--json"}, c.args...)...)
			var got errorResponse
			if code != exitUsage || json.Unmarshal([]byte(out), &got) != nil || got.Error == nil {
				t.Fatalf("--json: exit %d, stdout %q, stderr %q", code, out, errw)
			}
			if got.Error.Code != codeUsage || got.Error.Status != 400 || !strings.Contains(got.Error.Message, strings.Split(c.want[0], ":")[0]) {
				t.Errorf("--json error: %+v", got.Error)
			}
			if errw != "" {
				t.Errorf("--json printed on stderr: %q", errw)
			}
		})
	}
}

type usageCase struct {
	name string
	args []string
	want []string // substrings of stderr
}

// textMode runs the case without --json: the message on stderr, nothing
// on stdout, no database created.
func (c usageCase) textMode(t *testing.T, dir, cfg string) {
	t.Helper()
	out, errw, code := runQB(append([]string{"--config", cfg}, c.args...)...)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errw)
	}
	for _, w := range c.want {
		if !strings.Contains(errw, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errw)
		}
	}
	if !strings.Contains(errw, "--help' for usage and examples") {
		t.Errorf("stderr does not say where the usage is:\n%s", errw)
	}
	if out != "" {
		t.Errorf("a usage error printed on stdout: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "hiring.db")); err == nil {
		t.Errorf("a usage error created the database")
	}
}

// TestUsageErrorEchoesAreSanitized: an argument echoed in an error message
// reaches the terminal only as inert text.
func TestUsageErrorEchoesAreSanitized(t *testing.T) {
	for _, args := range [][]string{
		{"\x1b]52;c;aGk=\x07"},
		{"list", "jobs", "--\x1b[2Jx"},
		{"list", "jobs", "extra\x1b[31m"},
		{"audit", "--outcome", "\x1b[2J"},
	} {
		_, errw, code := runQB(args...)
		if code != exitUsage || strings.ContainsAny(errw, "\x1b\x07") {
			t.Errorf("qb %q: exit %d, stderr %q", args, code, errw)
		}
	}
}

// TestEnvironmentDefaults: QB_CONFIG and QB_DB are the defaults of
// --config and --db; the flags win over them.
func TestEnvironmentDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	db := filepath.Join(t.TempDir(), "elsewhere.db")
	t.Setenv("QB_CONFIG", cfg)
	t.Setenv("QB_DB", db)
	out, errw, code := runQB("list", "jobs", "--as", "u-ivan", "--json")
	if code != 0 || !strings.Contains(out, `"rows"`) {
		t.Fatalf("exit %d: %s%s", code, out, errw)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("QB_DB was not used: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hiring.db")); err == nil {
		t.Errorf("the config's database was created although QB_DB names another")
	}
	other := filepath.Join(t.TempDir(), "flag.db")
	if _, errw, code := runQB("seed", "--db", other); code != 0 {
		t.Fatalf("seed --db: exit %d: %s", code, errw)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db did not win over QB_DB: %v", err)
	}
	t.Setenv("QB_CONFIG", filepath.Join(dir, "missing.toml"))
	if _, errw, code := runQB("check"); code != exitUsage || !strings.Contains(errw, "missing.toml") {
		t.Errorf("check with QB_CONFIG naming a missing file: exit %d, %s", code, errw)
	}
	if out, _, code := runQB("check", "--config", cfg); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("--config did not win over QB_CONFIG: exit %d %s", code, out)
	}
}

// TestCheckTakesTheFileItIsGiven: `qb check FILE` checks FILE, not the
// default config.
func TestCheckTakesTheFileItIsGiven(t *testing.T) {
	dir := t.TempDir()
	copyProject(t, dir)
	broken := filepath.Join(dir, "broken.toml")
	if err := os.WriteFile(broken, []byte("[project]\nname = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	out, errw, code := runQB("check", "broken.toml")
	if code != exitUsage || !strings.Contains(errw, "broken.toml:2") || strings.Contains(out, "ok") {
		t.Fatalf("check broken.toml: exit %d\nstdout: %s\nstderr: %s", code, out, errw)
	}
	out, _, code = runQB("check", "broken.toml", "--json")
	var got errorResponse
	if code != exitUsage || json.Unmarshal([]byte(out), &got) != nil || got.Error.Code != codeConfig {
		t.Fatalf("check broken.toml --json: exit %d: %s", code, out)
	}
	if out, _, code := runQB("check"); code != 0 || !strings.Contains(out, "quickback.toml: ok (6 tables)") {
		t.Errorf("check: exit %d: %s", code, out)
	}
}
