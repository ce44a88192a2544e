package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// project runs the command line in-process against a fresh copy of the
// default project.
type project struct {
	t   *testing.T
	cfg string
}

func newProject(t *testing.T) *project {
	t.Helper()
	return &project{t: t, cfg: copyProject(t, t.TempDir())}
}

func (p *project) run(args ...string) (string, string, int) {
	return p.runRaw(append([]string{"--config", p.cfg}, args...)...)
}

// runRaw runs qb with exactly args.
func (p *project) runRaw(args ...string) (string, string, int) {
	var out, errw bytes.Buffer
	code := run(context.Background(), args, &out, &errw)
	return out.String(), errw.String(), code
}

// withArgv is a cli that ran argv (to test what it would print).
func (p *project) withArgv(argv []string) *cli { return &cli{argv: argv} }

func TestCLIExitCodesAndJSON(t *testing.T) {
	p := newProject(t)
	cases := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string // substrings of stdout
		stderr   []string
		absent   []string // never on stdout
	}{
		{"check", []string{"check"}, 0, []string{"ok (6 tables)"}, nil, nil},
		{"interviewer sees masked PII", []string{"get", "candidates", "c-jane", "--as", "u-ivan", "--json"}, 0,
			[]string{`"email": "j***@e******.com"`, `"phone": "***-***-4567"`}, nil, []string{"jane@example.com", "555-123-4567"}},
		{"hiring manager sees raw PII", []string{"get", "candidates", "c-jane", "--as", "dana@acme.test", "--json"}, 0,
			[]string{`"email": "jane@example.com"`, `"phone": "555-123-4567"`}, nil, nil},
		{"list shape", []string{"list", "jobs", "--as", "u-rachel", "--limit", "2", "--json"}, 0,
			[]string{`"rows": [`, `"next": "`}, nil, nil},
		{"refusal exits 2 with the error object", []string{"update", "applications", "a-1001", "--as", "u-rachel", "--data", `{"stage":"hired"}`, "--json"}, 2,
			[]string{`"code": "GUARD_FIELD_PROTECTED"`, `"status": 400`, `"advanceStage"`}, nil, nil},
		{"role refusal", []string{"create", "jobs", "--as", "u-rachel", "--data", `{"title":"x"}`, "--json"}, 2,
			[]string{`"code": "ACCESS_ROLE_REQUIRED"`, `"status": 403`}, nil, nil},
		{"several memberships need --org", []string{"list", "jobs", "--as", "u-marco"}, 1,
			nil, []string{"acme (recruiter)", "globex (hiring-manager)"}, nil},
		{"--org picks the membership", []string{"list", "jobs", "--as", "u-marco", "--org", "globex", "--json"}, 0,
			[]string{`"organizationId": "globex"`}, nil, []string{`"organizationId": "acme"`}},
		{"unknown flag is a usage error", []string{"list", "jobs", "--as", "u-ivan", "--bogus"}, 1, nil, []string{"unknown flag"}, nil},
		{"unknown filter column", []string{"list", "jobs", "--as", "u-ivan", "--filter", "salary=3", "--json"}, 2,
			[]string{`"code": "VALIDATION_FAILED"`}, nil, nil},
		{"masked filter is refused", []string{"list", "candidates", "--as", "u-ivan", "--filter", "email~example", "--json"}, 2,
			[]string{`"code": "QUERY_COLUMN_MASKED"`}, nil, nil},
		{"synthetic role identity", []string{"list", "candidates", "--role", "recruiter", "--org", "acme", "--search", "jane", "--json"}, 0,
			[]string{`"email": "jane@example.com"`}, nil, nil},
		{"anonymous is denied without PUBLIC", []string{"list", "jobs", "--as", "anonymous", "--org", "acme", "--json"}, 2,
			[]string{`"code": "ACCESS_ROLE_REQUIRED"`}, nil, nil},
		{"explain names the masking rule", []string{"explain", "candidates", "c-jane", "--as", "u-ivan"}, 0,
			[]string{"tables.candidates.masking.email", "tables.candidates.firewall.organization"}, nil, []string{"jane@example.com"}},
		{"delete json", []string{"delete", "jobs", "j-firmware", "--as", "u-dana", "--json"}, 0, []string{`"deleted": "j-firmware"`}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := p.run(c.args...)
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.wantCode, out, errOut)
			}
			for _, s := range c.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range c.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(out, s) {
					t.Errorf("stdout contains %q:\n%s", s, out)
				}
			}
			if strings.Contains(c.args[len(c.args)-1], "json") && out != "" && !json.Valid([]byte(out)) {
				t.Errorf("--json output is not JSON:\n%s", out)
			}
		})
	}
}

func TestCLIPagingWithCursor(t *testing.T) {
	p := newProject(t)
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; pages < 50; pages++ {
		args := []string{"list", "candidates", "--as", "u-dana", "--limit", "4", "--json"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		out, errOut, code := p.run(args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var page struct {
			Rows []map[string]any `json:"rows"`
			Next *string          `json:"next"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			id := r["id"].(string)
			if seen[id] {
				t.Fatalf("row %s on two pages", id)
			}
			seen[id] = true
			if r["organizationId"] != "acme" {
				t.Fatalf("row of another organization: %v", r)
			}
		}
		if page.Next == nil {
			break
		}
		cursor = *page.Next
	}
	// Every live acme candidate, counted independently from the fixture.
	want := liveFixtureRows(t, "candidates", "acme")
	if len(seen) != want {
		t.Fatalf("paged through %d candidates, want %d", len(seen), want)
	}
}

// liveFixtureRows counts the [[rows]] of a fixture file for org that are not
// soft-deleted, reading the TOML text directly.
func liveFixtureRows(t *testing.T, table, org string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("fixtures", table+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(b), "[[rows]]")[1:] {
		if strings.Contains(block, `organizationId = "`+org+`"`) && !strings.Contains(block, "deletedAt") {
			n++
		}
	}
	return n
}

func TestCLISanitizesTableOutput(t *testing.T) {
	p := newProject(t)
	out, errOut, code := p.run("list", "candidates", "--as", "u-dana", "--search", "Mallory")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Fatalf("an escape sequence from the data reached the output: %q", out)
	}
	if !strings.Contains(out, "Mallory ␛]52;c;") {
		t.Fatalf("the hostile name is not shown as visible symbols:\n%s", out)
	}
}

func TestCLICheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := `[project]
name = "x"
database = "x.db"

[auth]
roles = ["a", "b"]

[tables.things]
colour = "red"

[tables.things.columns]
id = { type = "id" }
size = { type = "integer", maxLength = 3 }

[tables.things.crud]
list.access = { roles = ["c"] }
`
	path := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	code := run(context.Background(), []string{"--config", path, "check"}, &out, &errw)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"bad.toml:9: tables.things.colour", "bad.toml:13: tables.things.columns.size.maxLength", "bad.toml:16: tables.things.crud.list.access.roles"} {
		if !strings.Contains(errw.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, errw.String())
		}
	}
}

// TestCLIIdentityMistakes: the engine's typed identity errors are worded in
// terms of the identity flags, exit status 1.
func TestCLIIdentityMistakes(t *testing.T) {
	p := newProject(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--as", "u-dana", "--role", "boss"}, `unknown role "boss" (roles: interviewer, recruiter, hiring-manager, owner)`},
		{[]string{"--as", "u-dana", "--org", "hooli"}, `unknown organization "hooli"`},
		{nil, "an identity is required: --as USER [--org ORG] [--role ROLE], or --role ROLE --org ORG"},
		{[]string{"--role", "owner"}, "--role needs --org ORG"},
		{[]string{"--as", "u-nobody"}, "unknown user \"u-nobody\" (see `qb users`)"},
		{[]string{"--as", "u-dana", "--org", "globex"}, "user u-dana is not a member of globex"},
		{[]string{"--as", "u-marco"}, "user u-marco belongs to several organizations; choose one with --org: acme (recruiter), globex (hiring-manager)"},
	}
	for _, c := range cases {
		out, errOut, code := p.run(append([]string{"list", "jobs"}, c.args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "qb: "+c.want+"\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, out, errOut, "qb: "+c.want)
		}
	}
}

// TestCLISeedBadFixtures: fixtures that do not read, or rows the seed
// refuses, are listed one per line on stderr, and under --json as the
// error "fixtures do not load" with the same lines as its problems (exit 1).
func TestCLISeedBadFixtures(t *testing.T) {
	for name, c := range map[string]struct{ file, old, new, want string }{
		"a row the seed refuses":    {"applications.toml", `stage = "screening"`, `stage = "promoted"`, `applications.toml:`},
		"a file that does not read": {"jobs.toml", `[[rows]]`, `[[rowz]]`, `jobs.toml:`},
	} {
		t.Run(name, func(t *testing.T) {
			p := newProject(t)
			path := filepath.Join(filepath.Dir(p.cfg), "fixtures", c.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), c.old, c.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := p.run("seed")
			if code != 1 || !strings.HasPrefix(errOut, "qb: ") || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			out, _, code := p.run("seed", "--json")
			var res struct {
				Error struct {
					Message string
					Details struct{ Problems []string }
				}
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 {
				t.Fatalf("exit %d, stdout %q: %v", code, out, err)
			}
			if res.Error.Message != "fixtures do not load" || len(res.Error.Details.Problems) == 0 || !strings.Contains(res.Error.Details.Problems[0], c.want) {
				t.Errorf("error %+v", res.Error)
			}
			if strings.Join(res.Error.Details.Problems, "\n") != strings.TrimSpace(strings.TrimPrefix(errOut, "qb: ")) {
				t.Errorf("the JSON problems %q differ from stderr %q", res.Error.Details.Problems, errOut)
			}
		})
	}
}
