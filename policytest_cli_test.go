package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"quickback.dev/qb/internal/testkit"
)

// sum is the SHA-256 of a file ("absent" when it does not exist).
func sum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return string(s[:])
}

// seededProject is a copy of the default project whose database exists
// (seeded, closed).
func seededProject(t *testing.T) *project {
	t.Helper()
	p := newProject(t)
	if _, errw, code := p.run("seed"); code != 0 {
		t.Fatalf("seed: %s", errw)
	}
	return p
}

func (p *project) dir() string { return filepath.Dir(p.cfg) }

// TestCLITestShippedTests: `qb test` runs tests/*.toml beside the config,
// prints a line per test and the counts, exits 0 — and leaves the database
// file (its audit log included) byte for byte as it was, with no journal
// beside it: it is never opened as the engine's.
func TestCLITestShippedTests(t *testing.T) {
	t.Parallel()
	p := seededProject(t)
	db := filepath.Join(p.dir(), "hiring.db")
	before := [3]string{sum(t, db), sum(t, db+"-wal"), sum(t, db+"-shm")}
	out, errw, code := p.run("test")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errw)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^\d+ passed, 0 failed$`).MatchString(last) {
		t.Errorf("last line %q", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "ok   ") {
			t.Errorf("line %q", l)
		}
	}
	if errw != "" {
		t.Errorf("stderr: %s", errw)
	}
	if after := [3]string{sum(t, db), sum(t, db+"-wal"), sum(t, db+"-shm")}; after != before {
		t.Error("qb test changed the database's files")
	}
	if ents, _ := filepath.Glob(filepath.Join(os.TempDir(), "qb-scratch-*")); len(ents) > 0 {
		t.Logf("note: scratch directories in %s (other processes may be running): %v", os.TempDir(), ents)
	}
}

// failing is a test file whose second test fails on purpose.
const failing = `[[test]]
name = "interviewers see PII masked"
as = { user = "u-ivan" }
get = { table = "candidates", id = "c-jane" }
expect = { masked = ["email", "phone"] }

[[test]]
name = "interviewers see PII raw (wrong on purpose)"
as = { user = "u-ivan" }
get = { table = "candidates", id = "c-jane" }
expect = { raw = ["email"], values = { phone = "555-123-4567" } }

[[test]]
name = "recruiters may not set the stage"
as = { user = "u-rachel" }
update = { table = "applications", id = "a-1001", data = { stage = "hired" } }
expect = { error = "ACCESS_ROLE_REQUIRED" }
`

// TestCLITestFailureOnPurpose: a test file that fails on purpose gives exit
// 3 and the expected lines; --junit writes the same as JUnit XML; --json
// the same as JSON.
func TestCLITestFailureOnPurpose(t *testing.T) {
	p := seededProject(t)
	file := filepath.Join(p.dir(), "failing.toml")
	os.WriteFile(file, []byte(failing), 0o644)
	junit := filepath.Join(p.dir(), "report.xml")
	out, errw, code := p.run("test", file, "--junit", junit)
	if code != exitProblem {
		t.Fatalf("exit %d, want 3:\n%s%s", code, out, errw)
	}
	want := "ok   interviewers see PII masked\n" +
		`FAIL interviewers see PII raw (wrong on purpose): expected email raw, got masked on c-jane; expected phone = "555-123-4567", got phone = "***-***-4567" on c-jane (` + file + ":7)\n" +
		"FAIL recruiters may not set the stage: expected error ACCESS_ROLE_REQUIRED, got GUARD_FIELD_PROTECTED (fields not writable on applications: stage (protected: only via advanceStage)) (" + file + ":13)\n" +
		"1 passed, 2 failed\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Line    int    `xml:"line,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &report); err != nil {
		t.Fatalf("JUnit XML: %v\n%s", err, b)
	}
	if report.Tests != 3 || report.Failures != 2 || len(report.Suites) != 1 || report.Suites[0].Name != file {
		t.Fatalf("JUnit report: %+v", report)
	}
	cases := report.Suites[0].Cases
	if cases[0].Failure != nil || cases[1].Failure == nil || cases[1].Line != 7 || cases[1].Failure.Type != "raw,values" ||
		!strings.HasPrefix(cases[1].Failure.Message, "expected email raw, got masked on c-jane") {
		t.Errorf("JUnit cases: %+v", cases)
	}

	out, _, code = p.run("--json", "test", file)
	if code != exitProblem || !strings.Contains(out, `"failed": 2`) || !strings.Contains(out, `"expectation": "error"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
}

// TestCLITestMalformed: a malformed test file exits 1 with every problem
// as FILE:LINE: key path: message, and runs nothing.
func TestCLITestMalformed(t *testing.T) {
	p := seededProject(t)
	file := filepath.Join(p.dir(), "bad.toml")
	os.WriteFile(file, []byte(strings.Replace(strings.Replace(failing, `masked = ["email", "phone"]`, `maskd = ["email"]`, 1), `"ACCESS_ROLE_REQUIRED"`, `"GUARD_FIELD_PROTECTD"`, 1)), 0o644)
	out, errw, code := p.run("test", file)
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := "qb: " + file + `:5: test[0].expect.maskd: unknown expectation; did you mean "masked"? (expect takes error, fields, ids, count, masked, raw, values)` + "\n" +
		file + `:17: test[2].expect.error: unknown error code "GUARD_FIELD_PROTECTD"; did you mean "GUARD_FIELD_PROTECTED"? (codes: SPEC §6, e.g. ACCESS_ROLE_REQUIRED)` + "\n"
	if errw != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errw, want)
	}
	out, _, code = p.run("--json", "test", file)
	if code != exitUsage || !strings.Contains(out, `"code": "CONFIG_ERROR"`) || !strings.Contains(out, `"path": "test[0].expect.maskd"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
}

// TestCLITestSelectAndMistakes: --run selects by name; a pattern matching
// nothing, a bad pattern, a missing tests folder and record flags without
// --record are usage errors.
func TestCLITestSelectAndMistakes(t *testing.T) {
	p := seededProject(t)
	file := filepath.Join(p.dir(), "failing.toml")
	os.WriteFile(file, []byte(failing), 0o644)
	out, _, code := p.run("test", file, "--run", "masked$|stage")
	if code != exitProblem || !strings.HasSuffix(out, "1 passed, 1 failed\n") || strings.Contains(out, "wrong on purpose") {
		t.Errorf("--run: exit %d\n%s", code, out)
	}
	out, _, code = p.run("test", file, "--run", "^interviewers see PII masked$")
	if code != 0 || out != "ok   interviewers see PII masked\n1 passed, 0 failed\n" {
		t.Errorf("--run one: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"test", file, "--run", "nothing"}, `qb: --run "nothing" matches none of the 3 tests`},
		{[]string{"test", file, "--run", "("}, `qb: --run "(" is not a regular expression: `},
		{[]string{"test", file, "--as", "u-ivan"}, "qb: --as goes with --record"},
		{[]string{"test", "--record", "--as", "u-ivan"}, "qb: --record needs --table TABLE (repeat for several)"},
		{[]string{"test", "--record", "--table", "jobs"}, "qb: --record needs identities: --as USER (repeatable) or --role ROLE --org ORG"},
		{[]string{"test", "--record", "--as", "u-ivan", "--table", "job"}, `qb: unknown table "job"; did you mean "jobs"?`},
		{[]string{"test", "--record", "--as", "u-iva", "--table", "jobs"}, `qb: unknown user "u-iva"; did you mean "u-ivan"?`},
		{[]string{"test", "--record", "--role", "owner", "--table", "jobs"}, "qb: --role owner needs --org ORG"},
		{[]string{"test", file, "--record", "--as", "u-ivan", "--table", "jobs"}, "qb: --record writes a test file"},
		{[]string{"test", filepath.Join(p.dir(), "missing.toml")}, "qb: test file " + filepath.Join(p.dir(), "missing.toml") + ": "},
	} {
		_, errw, code := p.run(c.args...)
		if code != exitUsage || !strings.HasPrefix(errw, c.msg) {
			t.Errorf("qb %v: exit %d: %s\nwant %s...", c.args, code, errw, c.msg)
		}
	}
	os.RemoveAll(filepath.Join(p.dir(), "tests"))
	if _, errw, code := p.run("test"); code != exitUsage || !strings.Contains(errw, "no test files: "+filepath.Join(p.dir(), "tests")+" holds no *.toml file") {
		t.Errorf("no tests folder: exit %d: %s", code, errw)
	}
}

// TestCLITestRecordThenRun: --record writes a policy snapshot that passes
// when run; to stdout it is the same file.
func TestCLITestRecordThenRun(t *testing.T) {
	t.Parallel()
	p := seededProject(t)
	snap := filepath.Join(p.dir(), "snapshot.toml")
	args := []string{"test", "--record", "--as", "u-ivan", "--as", "ben@acme.test", "--role", "recruiter", "--as", "anonymous", "--org", "acme", "--table", "candidates", "--table", "applications"}
	_, errw, code := p.run(append(args, "-o", snap)...)
	if code != 0 || !strings.HasPrefix(errw, "recorded ") || !strings.Contains(errw, "(4 identities x 2 tables) to "+snap) {
		t.Fatalf("record: exit %d: %s", code, errw)
	}
	out, errw, code := p.run("test", snap)
	if code != 0 {
		t.Fatalf("the recording fails: exit %d\n%s%s", code, out, errw)
	}
	if strings.Contains(out, "FAIL") || !strings.Contains(out, "u-ivan@acme (interviewer): list candidates") {
		t.Errorf("run of the recording:\n%s", out)
	}
	b, _ := os.ReadFile(snap)
	stdout, _, code := p.run(args...)
	if code != 0 || stdout != string(b) {
		t.Errorf("the recording on stdout differs from the file (exit %d)", code)
	}
	if !strings.Contains(stdout, "# Policy snapshot written by `qb test --record` from ") {
		t.Errorf("no heading:\n%s", stdout[:200])
	}
}

// TestCLITestWithoutDatabase: a project whose database does not exist yet
// is tested on a copy seeded from its fixtures; the database stays absent.
func TestCLITestWithoutDatabase(t *testing.T) {
	p := newProject(t)
	db := filepath.Join(p.dir(), "hiring.db")
	out, errw, code := p.run("test")
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, out, errw)
	}
	if errw != "qb: "+db+" does not exist: the tests run on a copy seeded from "+filepath.Join(p.dir(), "fixtures")+"\n" {
		t.Errorf("stderr: %s", errw)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("qb test created the database: %v", err)
	}
}

// TestCLIFunnel: `explain --funnel` prints each stage's count, its rule,
// and the funnel in one line; refusals are the list's.
func TestCLIFunnel(t *testing.T) {
	t.Parallel()
	p := seededProject(t)
	out, errw, code := p.run("explain", "interview_notes", "--funnel", "--as", "u-ben")
	want := `rows of interview_notes listed by u-ben@acme (owner), stage by stage
ROWS  STAGE                                       RULE
20    all rows of interview_notes
15    in acme                                     tables.interview_notes.firewall.organization
14    not deleted                                 soft delete (deletedAt set)
0     pass owner scope (strict, ownerId = u-ben)  tables.interview_notes.firewall.owner
0 rows: 15 in acme → 14 not deleted → 0 pass owner scope (strict, ownerId = u-ben)
`
	if code != 0 || out != want {
		t.Errorf("exit %d: %s\n%s\nwant:\n%s", code, errw, out, want)
	}
	out, _, code = p.run("explain", "applications", "--funnel", "--as", "u-dana", "--filter", "stage=hired", "--search", "visa")
	if code != 0 || !strings.HasSuffix(out, "0 rows: 26 in acme → 24 not deleted → 0 match stage=hired, search \"visa\"\n") {
		t.Errorf("filters: exit %d\n%s", code, out)
	}
	if _, errw, code := p.run("explain", "candidates", "--funnel", "--as", "u-ivan", "--filter", "email~x"); code != exitRefused || !strings.HasPrefix(errw, "QUERY_COLUMN_MASKED") {
		t.Errorf("masked filter: exit %d: %s", code, errw)
	}
	// A table whose size is estimated over a million rows (its largest
	// rowid) is said to be large before it is counted.
	ap := &auditProject{t: t, dir: p.dir()}
	ap.exec(`INSERT INTO interview_notes (rowid, id, organization_id, owner_id, candidate_id, content, created_at, created_by)
		VALUES (2000000, 'n-far', 'globex', 'u-gus', 'c-gx-wei', 'far away', '2026-01-01T00:00:00.000Z', 'u-gus')`)
	out, errw, code = p.run("explain", "interview_notes", "--funnel", "--as", "u-ben")
	if code != 0 || errw != "qb: interview_notes holds about 2,000,000 rows: each stage is counted over an index of them, which takes a while (ctrl+c stops)\n" ||
		!strings.Contains(out, "21    all rows of interview_notes") {
		t.Errorf("large table: exit %d: %s\n%s", code, errw, out)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"explain", "jobs", "j-firmware", "--funnel", "--as", "u-ivan"}, "qb: --funnel explains a list, not a record: give no ID"},
		{[]string{"explain", "jobs", "--filter", "status=open", "--as", "u-ivan"}, "qb: --filter and --search go with --funnel"},
	} {
		if _, errw, code := p.run(c.args...); code != exitUsage || !strings.HasPrefix(errw, c.msg) {
			t.Errorf("qb %v: exit %d: %s", c.args, code, errw)
		}
	}
}

// TestCLIMatrixDiffFormats: --format markdown prints tables a pull request
// comment holds, escaped; --exit-code exits 3 when a decision differs and 0
// when none does; --format and --exit-code need --diff.
func TestCLIMatrixDiffFormats(t *testing.T) {
	p := seededProject(t)
	src, _ := os.ReadFile(p.cfg)
	other := filepath.Join(p.dir(), "proposed.toml")
	os.WriteFile(other, []byte(strings.Replace(string(src), `list.access   = { roles = ["interviewer+"] }`, `list.access   = { roles = ["recruiter+"] }`, 1)), 0o644)
	ap := &auditProject{t: t, dir: p.dir()}
	ap.exec(`INSERT INTO qb_organizations (id, name) VALUES ('ac|me <b>', 'Hostile')`)
	ap.exec(`INSERT INTO qb_members (user_id, organization_id, role) VALUES ('u-milton', 'ac|me <b>', 'interviewer')`)
	out, errw, code := p.run("matrix", "--diff", other, "--format", "markdown", "--exit-code")
	if code != exitProblem {
		t.Fatalf("exit %d: %s", code, errw)
	}
	for _, want := range []string{
		"### Policy diff: " + strings.ReplaceAll(p.cfg, "_", `\_`) + " → " + strings.ReplaceAll(other, "_", `\_`) + "\n\n**1 decision differs.**\n\n",
		"| Kind | Table | Role | Item | Before | After |\n|---|---|---|---|---|---|\n| operation | jobs | interviewer | list | allowed | denied |\n",
		"| Table | Role | Operation | Org | Members | Before | After | Gained | Lost | Basis |\n",
		"| jobs | interviewer | list | acme | 3 | 7 | 0 | +0 | -7 | role → role |\n",
		`| jobs | interviewer | list | ac\|me &lt;b&gt; | `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := p.run("matrix", "--diff", other); code != 0 {
		t.Errorf("without --exit-code: exit %d", code)
	}
	if out, _, code := p.run("matrix", "--diff", p.cfg, "--format", "markdown", "--exit-code"); code != 0 || !strings.HasSuffix(out, "\n\nNo decision differs.\n") {
		t.Errorf("same config: exit %d\n%s", code, out)
	}
	if out, _, code := p.run("matrix", "--diff", other, "--format", "json", "--exit-code"); code != exitProblem || !strings.Contains(out, `"changes": [`) {
		t.Errorf("--format json: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"matrix", "--format", "markdown"}, {"matrix", "--exit-code"}, {"--json", "matrix", "--diff", other, "--format", "markdown"}} {
		if _, _, code := p.run(args...); code != exitUsage {
			t.Errorf("qb %v: exit %d, want 1", args, code)
		}
	}
}

// TestCLITestInterruptedRemovesCopies: `qb test` interrupted half-way
// leaves no copy of the database in the temporary directory.
func TestCLITestInterruptedRemovesCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := testkit.BuildQB(t)
	p := seededProject(t)
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "[[test]]\nname = \"post job %d\"\nas = { user = \"u-dana\" }\ncreate = { table = \"jobs\", data = { title = \"Job %d\" } }\n\n", i, i)
	}
	file := filepath.Join(p.dir(), "many.toml")
	os.WriteFile(file, []byte(b.String()), 0o644)
	tmp := t.TempDir()
	cmd := exec.Command(bin, "--config", p.cfg, "test", file)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "ok   post job 0") {
		t.Fatalf("first line %q", line)
	}
	if ents, _ := filepath.Glob(filepath.Join(tmp, "qb-scratch-*")); len(ents) != 1 {
		t.Fatalf("scratch directories while running: %v", ents)
	}
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, r)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGINT) {
		t.Fatalf("exit: %v (the run may have finished before the signal)", err)
	}
	if ents, _ := filepath.Glob(filepath.Join(tmp, "qb-scratch-*")); len(ents) != 0 {
		t.Errorf("copies of the database left behind: %v", ents)
	}
}
