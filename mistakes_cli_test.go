package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIDidYouMean: a misspelt table, column, enum value, field, action,
// user, organization or role gets the correction, and refused filters are
// VALIDATION_FAILED (exit 2), never an empty result.
func TestCLIDidYouMean(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	cases := []struct {
		args []string
		code int
		want string // on stderr
	}{
		{[]string{"list", "jbos", "--as", "u-ivan"}, exitRefused, `did you mean "jobs"?`},
		{[]string{"list", "candidates", "--as", "u-dana", "--filter", "nmae=x"}, exitRefused, `did you mean "name"?`},
		{[]string{"list", "jobs", "--as", "u-dana", "--filter", "status=opn"}, exitRefused, `did you mean "open"?`},
		{[]string{"list", "jobs", "--as", "u-dana", "--filter", "status==open"}, exitRefused, `VALIDATION_FAILED (400): filter "status==open": unknown operator "=="`},
		{[]string{"list", "jobs", "--as", "u-dana", "--filter", "status<>open"}, exitRefused, `unknown operator "<>"`},
		{[]string{"list", "jobs", "--as", "u-dana", "--sort", "-titel"}, exitRefused, `did you mean "title"?`},
		{[]string{"run", "applications", "advanceStag", "a-1001", "--as", "u-dana"}, exitRefused, `did you mean "advanceStage"?`},
		{[]string{"create", "jobs", "--as", "u-dana", "--data", `{"titel":"x"}`}, exitRefused, `field titel: unknown — unknown field; did you mean "title"?`},
		{[]string{"matrix", "candidtes"}, exitRefused, `did you mean "candidates"?`},
		{[]string{"list", "jobs", "--as", "u-dnaa"}, exitUsage, `unknown user "u-dnaa"; did you mean "u-dana"?`},
		{[]string{"list", "jobs", "--as", "dana@acme.tst"}, exitUsage, `did you mean "dana@acme.test"?`},
		{[]string{"list", "jobs", "--as", "u-marco", "--org", "globx"}, exitUsage, `unknown organization "globx"; did you mean "globex"?`},
		{[]string{"list", "jobs", "--role", "interviewr", "--org", "acme"}, exitUsage, `unknown role "interviewr"; did you mean "interviewer"?`},
		{[]string{"--table", "candidtes", "--as", "u-dana"}, exitUsage, `unknown table "candidtes"; did you mean "candidates"?`},
		{[]string{"audit", "--user", "u-dnaa"}, exitUsage, `--user "u-dnaa": no such user; did you mean "u-dana"?`},
		{[]string{"audit", "--table", "jbs"}, exitUsage, `did you mean "jobs"?`},
		{[]string{"audit", "--operation", "lst"}, exitUsage, `did you mean "list"?`},
		{[]string{"generate", "jobs", "3", "--org", "globx"}, exitUsage, `unknown organization "globx"; did you mean "globex"?`},
		// Anonymous without an organization is the engine's refusal.
		{[]string{"list", "jobs", "--as", "anonymous"}, exitRefused, "ACCESS_ROLE_REQUIRED"},
	}
	for _, c := range cases {
		out, errw, code := p.run(c.args...)
		if code != c.code || !strings.Contains(errw, c.want) {
			t.Errorf("qb %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), code, c.code, c.want, out, errw)
		}
	}
	// Under --json the suggestion is a detail of the error.
	out, _, code := p.run("list", "jbos", "--as", "u-ivan", "--json")
	var got struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if code != exitRefused || json.Unmarshal([]byte(out), &got) != nil || got.Error.Details["didYouMean"] != "jobs" {
		t.Errorf("list jbos --json: exit %d\n%s", code, out)
	}
}

// TestCLISeedReport: seed prints what it did per table; a second seed
// changes nothing; --reset says what it removed; --json has the counts.
func TestCLISeedReport(t *testing.T) {
	p := newProject(t)
	out, errw, code := p.run("seed")
	if code != 0 || !strings.Contains(out, "TABLE") || !strings.Contains(errw, "changes written") {
		t.Fatalf("first seed: exit %d\n%s%s", code, out, errw)
	}
	out, errw, code = p.run("seed")
	if code != 0 || !strings.Contains(errw, "no changes") {
		t.Fatalf("second seed: exit %d\n%s%s", code, out, errw)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "0" || f[2] != "0" || f[3] == "0" {
			t.Errorf("second seed line %q: want 0 inserted, 0 updated, some unchanged", line)
		}
	}
	out, _, code = p.run("seed", "--reset")
	if code != 0 || !strings.Contains(out, "REMOVED") {
		t.Fatalf("seed --reset: exit %d\n%s", code, out)
	}
	out, _, code = p.run("seed", "--json")
	var rep seedResponse
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Tables) < 4 || rep.Tables[0].Table != "organizations" || rep.Tables[0].Unchanged != 3 {
		t.Fatalf("seed --json: exit %d\n%s", code, out)
	}
}

// TestCLIGenerateSaysWhatItCreated: --orgs K says it created K
// organizations and their users; --org ORG writes only into ORG.
func TestCLIGenerateSaysWhatItCreated(t *testing.T) {
	p := newProject(t)
	_, errw, code := p.run("generate", "jobs", "6", "--orgs", "2", "--seed", "5")
	if code != 0 || !strings.Contains(errw, "created 2 synthetic organizations and 40 synthetic users") {
		t.Fatalf("generate --orgs: exit %d: %s", code, errw)
	}
	before, _, _ := p.run("list", "jobs", "--role", "owner", "--org", "initech", "--output", "ndjson", "--all")
	if _, errw, code := p.run("generate", "jobs", "4", "--org", "initech", "--seed", "6"); code != 0 || strings.Contains(errw, "created") {
		t.Fatalf("generate --org: exit %d: %s", code, errw)
	}
	after, _, _ := p.run("list", "jobs", "--role", "owner", "--org", "initech", "--output", "ndjson", "--all")
	if n := strings.Count(after, "\n") - strings.Count(before, "\n"); n != 4 {
		t.Errorf("generate 4 --org initech added %d initech jobs", n)
	}
	out, _, code := p.run("generate", "jobs", "2", "--org", "acme", "--seed", "7", "--json")
	var g generateResponse
	if code != 0 || json.Unmarshal([]byte(out), &g) != nil || g.Generated.Organizations != 1 || g.Generated.NewOrganizations != 0 {
		t.Errorf("generate --org --json: exit %d %s", code, out)
	}
}
