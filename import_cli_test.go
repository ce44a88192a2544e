package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"quickback.dev/qb/internal/testkit"
	"quickback.dev/qb/schema"
)

var (
	importerOnce sync.Once
	importerBin  string
)

// withImporter builds qb-import once per test binary and points qb at it.
func withImporter(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the qb-import program")
	}
	importerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qb-import-test-")
		if err != nil {
			t.Fatal(err)
		}
		importerBin = testkit.BuildQBImport(t, dir)
	})
	if importerBin == "" {
		t.Fatal("qb-import did not build")
	}
	t.Setenv(importerEnv, importerBin)
}

// importProject is a scratch copy of the default project with hiring-app,
// the seed's recipes as Quickback TypeScript, beside it.
func importProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyProject(t, dir)
	testkit.CopyTree(t, "importer/testdata/seed", filepath.Join(dir, "hiring-app"))
	return dir
}

func TestImportWritesAConfigQbAccepts(t *testing.T) {
	withImporter(t)
	dir := importProject(t)
	out := filepath.Join(dir, "imported.toml")
	stdout, stderr, code := runQB("--config", filepath.Join(dir, "quickback.toml"), "import", filepath.Join(dir, "hiring-app"), "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("with -o, stdout has %q", stdout)
	}
	cfg, err := schema.Load(out)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	if len(cfg.Tables) != 6 {
		t.Errorf("%d tables, want 6", len(cfg.Tables))
	}
	for _, want := range []string{
		"imported     tables.jobs (features/jobs/jobs.ts:18): defineTable\n",
		"imported     tables.applications.actions.advanceStage (features/applications/actions.ts:8): action\n",
		"approximated tables.interview_scores.columns.id (features/applications/interview-scores.ts:5): the table has no primary key",
		": 6 tables; 9 imported, 2 approximated, 0 skipped\n",
		"wrote " + out,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, stderr, code := runQB("--config", out, "check"); code != 0 {
		t.Errorf("qb check of the import: exit %d: %s", code, stderr)
	}
	// Without -o the TOML is the standard output.
	stdout, _, code = runQB("import", filepath.Join(dir, "hiring-app"))
	written, _ := os.ReadFile(out)
	if code != 0 || stdout != string(written) {
		t.Errorf("stdout import: exit %d, differs from -o: %v", code, stdout != string(written))
	}
}

// --check compares decisions: the recipes match the default project (exit
// 0); one role less on a delete is drift (exit 3), listed as matrix --diff
// lists it.
func TestImportCheck(t *testing.T) {
	withImporter(t)
	dir := importProject(t)
	cfg := filepath.Join(dir, "quickback.toml")
	app := filepath.Join(dir, "hiring-app")
	stdout, stderr, code := runQB("--config", cfg, "import", app, "--check")
	if code != 0 || !strings.Contains(stdout, "no decision differs") {
		t.Fatalf("unchanged project: exit %d\n%s%s", code, stdout, stderr)
	}
	jobs := filepath.Join(app, "quickback/features/jobs/jobs.ts")
	src, _ := os.ReadFile(jobs)
	edited := strings.Replace(string(src), `const managers = ["owner", "hiring-manager"];`, `const managers = ["owner"];`, 1)
	if edited == string(src) {
		t.Fatal("the fixture changed; update the test's edit")
	}
	os.WriteFile(jobs, []byte(edited), 0o644)
	stdout, stderr, code = runQB("--config", cfg, "import", app, "--check")
	if code != exitProblem {
		t.Fatalf("drift: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"3 decisions differ:", "KIND", "operation  jobs", "hiring-manager", "create", "allowed", "denied"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("drift output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = runQB("--config", cfg, "import", app, "--check", "--json")
	var resp importCheckResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil || code != exitProblem {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, stdout)
	}
	if len(resp.Changes) != 3 || resp.Changes[0].Table != "jobs" || len(resp.Report) == 0 {
		t.Errorf("--json changes %+v", resp.Changes)
	}
	if _, stderr, code := runQB("import", app, "--check", "-o", filepath.Join(dir, "x.toml")); code != exitUsage || !strings.Contains(stderr, "not both") {
		t.Errorf("--check with -o: exit %d %s", code, stderr)
	}
}

// A hostile or malformed project fails with its file:line and writes
// nothing: an existing output file is left as it was.
func TestImportFailureWritesNothing(t *testing.T) {
	withImporter(t)
	dir := importProject(t)
	app := filepath.Join(dir, "hiring-app")
	out := filepath.Join(dir, "imported.toml")
	os.WriteFile(out, []byte("# before\n"), 0o644)
	for _, c := range []struct{ src, want string }{
		{"import { readFileSync } from \"fs\";\nexport const k = readFileSync(\"/etc/passwd\", \"utf8\");\n", `features/evil.ts:1: module "fs" is not available in the import sandbox`},
		{"\n\nwhile (true) {}\n", "features/evil.ts:3: the file ran longer than 2s"},
		{"export const s = \"x\".repeat(50 * 1024 * 1024);\n", "features/evil.ts:1: RangeError: a string of 52428800 characters"},
		{"\nprocess.exit(0);\n", "features/evil.ts:2: ReferenceError: process is not defined"},
		{"export default {\n  columns: {\n", "features/evil.ts:3: syntax error"},
	} {
		os.WriteFile(filepath.Join(app, "quickback/features/evil.ts"), []byte(c.src), 0o644)
		stdout, stderr, code := runQB("import", app, "-o", out)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("exit %d, stderr %q, want %q", code, stderr, c.want)
		}
		if b, _ := os.ReadFile(out); string(b) != "# before\n" || stdout != "" {
			t.Errorf("the output was touched: %q, stdout %q", b, stdout)
		}
		stdout, _, _ = runQB("import", app, "--json")
		if !strings.Contains(stdout, `"code": "CONFIG_ERROR"`) {
			t.Errorf("--json failure: %s", stdout)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".qb-import-") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
}

func TestImportJSON(t *testing.T) {
	withImporter(t)
	dir := importProject(t)
	stdout, stderr, code := runQB("import", filepath.Join(dir, "hiring-app"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var resp importResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Tables != 6 || resp.Imported != 9 || resp.Approximated != 2 || resp.Skipped != 0 || len(resp.Report) != 11 || !strings.Contains(resp.TOML, "[tables.jobs]") {
		t.Errorf("%+v", resp)
	}
}

// Without the qb-import program, qb says how to build it.
func TestImportWithoutTheImporterProgram(t *testing.T) {
	t.Setenv(importerEnv, "")
	t.Setenv("PATH", t.TempDir())
	_, stderr, code := runQB("import", "hiring-app")
	if code != exitUsage || !strings.Contains(stderr, "go build -o \"$(dirname \"$(command -v qb)\")/qb-import\" quickback.dev/qb/cmd/qb-import") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
