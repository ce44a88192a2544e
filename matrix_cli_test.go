package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
)

// auditProject is a copy of the default project in a temporary directory,
// with helpers to run qb against it.
type auditProject struct {
	t   *testing.T
	dir string
}

func newAuditProject(t *testing.T) *auditProject {
	t.Helper()
	dir := t.TempDir()
	copyProject(t, dir)
	return &auditProject{t: t, dir: dir}
}

func (p *auditProject) qb(args ...string) (string, string, int) {
	var out, errw bytes.Buffer
	code := run(context.Background(), append([]string{"--config", filepath.Join(p.dir, "quickback.toml")}, args...), &out, &errw)
	return out.String(), errw.String(), code
}

func (p *auditProject) exec(q string, args ...any) {
	p.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(p.dir, "hiring.db"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		p.t.Fatalf("%s: %v", q, err)
	}
}

func TestCLIMatrix(t *testing.T) {
	p := newAuditProject(t)
	out, errw, code := p.qb("matrix")
	if code != 0 {
		t.Fatalf("qb matrix: exit %d: %s", code, errw)
	}
	for _, want := range []string{"== jobs (Jobs) ==", "== interview_scores", "OPERATION  interviewer  recruiter  hiring-manager  owner", "masked(email)", "protected: advanceStage", "stage in applied, screening, interview, offer"} {
		if !strings.Contains(out, want) {
			t.Errorf("qb matrix output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "hiring.db")); err == nil {
		t.Error("qb matrix created the database: the matrix needs only the config")
	}

	out, _, code = p.qb("matrix", "candidates", "--json")
	if code != 0 {
		t.Fatalf("qb matrix candidates --json: exit %d", code)
	}
	var m access.Matrix
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("matrix JSON: %v\n%s", err, out)
	}
	if len(m.Tables) != 1 || m.Tables[0].Table != "candidates" {
		t.Fatalf("matrix JSON tables: %+v", m.Tables)
	}
	if c := m.Tables[0].FieldCell("interviewer", "email"); c == nil || c.Visibility != "masked" {
		t.Errorf("interviewer email cell: %+v", c)
	}

	if _, _, code := p.qb("matrix", "nope"); code != exitRefused {
		t.Errorf("qb matrix nope: exit %d, want %d (NOT_FOUND)", code, exitRefused)
	}
	if _, _, code := p.qb("matrix", "jobs", "--as", "u-ivan"); code != exitUsage {
		t.Errorf("qb matrix --as: exit %d, want %d", code, exitUsage)
	}
}

func TestCLIMatrixDiff(t *testing.T) {
	p := newAuditProject(t)
	src, _ := os.ReadFile(filepath.Join(p.dir, "quickback.toml"))
	other := strings.Replace(string(src), `owner = { mode = "strict" }`, `owner = { mode = "optional", bypass = ["hiring-manager"] }`, 1)
	otherPath := filepath.Join(p.dir, "other.toml")
	if err := os.WriteFile(otherPath, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errw, code := p.qb("matrix", "--diff", otherPath)
	if code != 0 {
		t.Fatalf("qb matrix --diff: exit %d: %s", code, errw)
	}
	for _, want := range []string{"6 decisions differ", "firewall.owner", "strict on ownerId", "interview_notes  hiring-manager  list", "GAINED"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = p.qb("matrix", "--diff", otherPath, "--json")
	var d access.PolicyDiff
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("diff --json: exit %d\n%s", code, out)
	}
	if len(d.Changes) != 6 || len(d.Impacts) != 2 {
		t.Errorf("diff JSON: %d changes, %d impacts; want 6 and 2", len(d.Changes), len(d.Impacts))
	}
	// An invalid other config is a config error.
	bad := filepath.Join(p.dir, "bad.toml")
	_ = os.WriteFile(bad, []byte("[auth]\nroles = []\nnope = 1\n"), 0o644)
	if _, errw, code := p.qb("matrix", "--diff", bad); code != exitUsage || !strings.Contains(errw, "bad.toml") {
		t.Errorf("diff with an invalid config: exit %d, stderr %q", code, errw)
	}
	if _, _, code := p.qb("matrix", "jobs", "--diff", otherPath); code != exitUsage {
		t.Errorf("diff with a table: exit %d, want %d", code, exitUsage)
	}
}

// headRE finds the head `qb audit --verify` prints (SEQ:HASH).
var headRE = regexp.MustCompile(`head ([0-9]+:[0-9a-f]{64})`)

func TestCLIAuditVerifyAndFilters(t *testing.T) {
	p := newAuditProject(t)
	p.qb("seed")
	p.qb("list", "candidates", "--as", "u-ivan")
	p.qb("list", "ats_imports", "--as", "u-ivan")
	p.qb("get", "jobs", "nope", "--as", "u-gus")
	p.qb("create", "jobs", "--as", "u-dana", "--data", `{"title":"QA"}`)

	out, errw, code := p.qb("audit", "--verify")
	if code != 0 || !strings.Contains(out, "audit log verified: 5 entries") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errw)
	}
	m := headRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("verify prints no head: %s", out)
	}
	head := m[1]
	if _, _, code := p.qb("audit", "--verify", "--head", head); code != 0 {
		t.Errorf("verify --head (current): exit %d", code)
	}

	// Filters.
	out, _, code = p.qb("audit", "--json", "--user", "u-ivan")
	var got struct{ Entries []engine.AuditEntry }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Entries) != 2 {
		t.Errorf("audit --user u-ivan --json: exit %d, %d entries\n%s", code, len(got.Entries), out)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--user", "ivan@acme.test"}, 2},
		{[]string{"--org", "globex"}, 1},
		{[]string{"--table", "ats_imports"}, 1},
		{[]string{"--outcome", "refused"}, 2},
		{[]string{"--outcome", "ACCESS_ROLE_REQUIRED"}, 1},
		{[]string{"--outcome", "ok", "--table", "jobs"}, 1},
		{[]string{"--since", "2000-01-01T00:00:00Z"}, 5},
		{[]string{"--until", "2000-01-01T00:00:00Z"}, 0},
		{[]string{"--limit", "2"}, 2},
	} {
		out, errw, code := p.qb(append([]string{"audit", "--json"}, c.args...)...)
		got.Entries = nil
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Entries) != c.want {
			t.Errorf("audit %v: exit %d, %d entries, want %d\n%s%s", c.args, code, len(got.Entries), c.want, out, errw)
		}
	}
	if _, _, code := p.qb("audit", "--head", head); code != exitUsage {
		t.Errorf("audit --head without --verify: exit %d, want %d", code, exitUsage)
	}
	if _, _, code := p.qb("audit", "--since", "yesterday"); code != exitUsage {
		t.Errorf("audit --since yesterday: exit %d, want %d", code, exitUsage)
	}
	out, _, _ = p.qb("audit", "--table", "jobs")
	if !strings.Contains(out, "SEQ") || !strings.Contains(out, "FIREWALL_NOT_FOUND") {
		t.Errorf("audit table output:\n%s", out)
	}

	// Tampering: exit 3 naming the entry. Reading the log adds no entries.
	p.exec("UPDATE qb_audit SET outcome = 'ok' WHERE seq = 3")
	out, _, code = p.qb("audit", "--verify")
	if code != exitProblem || !strings.Contains(out, "BROKEN at entry 3") {
		t.Errorf("edited log: exit %d\n%s", code, out)
	}
	out, _, code = p.qb("audit", "--verify", "--json")
	var vr engine.VerifyResult
	if code != exitProblem || json.Unmarshal([]byte(out), &vr) != nil || vr.OK || vr.BrokenSeq != 3 {
		t.Errorf("edited log --json: exit %d %+v\n%s", code, vr, out)
	}
}

func TestCLIAuditVerifyTruncatedTail(t *testing.T) {
	p := newAuditProject(t)
	p.qb("seed")
	for i := 0; i < 4; i++ {
		p.qb("list", "jobs", "--as", "u-ivan")
	}
	out, _, _ := p.qb("audit", "--verify")
	head := headRE.FindStringSubmatch(out)[1]
	p.exec("DELETE FROM qb_audit WHERE seq > 3")
	// The witness recorded entries 4 and 5.
	out, _, code := p.qb("audit", "--verify")
	if code != exitProblem || !strings.Contains(out, "BROKEN at entry 4") || !strings.Contains(out, "truncated") {
		t.Errorf("truncated log against the witness: exit %d\n%s", code, out)
	}
	// Without the witness, a clean truncation is a valid shorter chain,
	// which the head kept elsewhere catches.
	out, _, _ = p.qb("audit", "--verify", "--json")
	var vr engine.VerifyResult
	if json.Unmarshal([]byte(out), &vr) != nil || !vr.Witness.Found {
		t.Fatalf("verify --json names no witness: %s", out)
	}
	if err := os.Remove(vr.Witness.Path); err != nil {
		t.Fatal(err)
	}
	if _, _, code := p.qb("audit", "--verify"); code != 0 {
		t.Errorf("a truncated log without witness or --head verifies as a shorter chain: exit %d", code)
	}
	out, _, code = p.qb("audit", "--verify", "--head", head)
	if code != exitProblem || !strings.Contains(out, "BROKEN at entry 4") || !strings.Contains(out, "truncated") {
		t.Errorf("truncated log with --head: exit %d\n%s", code, out)
	}
}
