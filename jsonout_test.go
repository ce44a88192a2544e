package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/testkit"
)

// volatileKeys hold values that differ between runs (hashes, cursors,
// rates, the operator, the build): their values are replaced by <key>
// before comparing with the golden file.
var volatileKeys = []string{"osUser", "hash", "prevHash", "head", "seconds", "rowsPerSecond", "commit", "go", "version", "next"}

var volatileRE = regexp.MustCompile(`"(` + strings.Join(volatileKeys, "|") + `)": ("(?:[^"\\]|\\.)*"|-?[0-9][0-9.e+-]*)`)

// recentTime matches a timestamp the engine stamps (milliseconds, UTC).
var recentTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// normalizeJSON replaces what differs between runs: the values of the
// volatile keys, timestamps of the last day (fixture times stay), the
// project's and the witness files' temporary directories, and ids the
// engine generated.
func normalizeJSON(out, dir string) string {
	if wd := os.Getenv(engine.WitnessDirEnv); wd != "" {
		out = strings.ReplaceAll(out, wd, "<witness dir>")
	}
	out = witnessName.ReplaceAllString(out, "-<path hash>.witness")
	out = volatileRE.ReplaceAllString(out, `"$1": "<$1>"`)
	out = recentTime.ReplaceAllStringFunc(out, func(s string) string {
		if at, err := time.Parse(time.RFC3339, s); err == nil && time.Since(at) < 24*time.Hour {
			return "<now>"
		}
		return s
	})
	out = generatedID.ReplaceAllString(out, `"<generated id>"`)
	return strings.ReplaceAll(out, dir, "<dir>")
}

// witnessName matches the hash of a database's path in its witness file's
// name.
var witnessName = regexp.MustCompile(`-[0-9a-f]{16}\.witness`)

// generatedID matches an id the engine made (fixture ids have a prefix
// and a dash).
var generatedID = regexp.MustCompile(`"[0-9a-hjkmnp-tv-z]{24}"`)

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if name == "" {
			name = t.Field(i).Name
		}
		out = append(out, name)
	}
	return out
}

// TestJSONShapes pins the shape of every --json output (SPEC §5) with a
// golden file per command (go test -run TestJSONShapes -update . rewrites
// them; look at the diff). Each output is also checked to decode into its
// typed response.
func TestJSONShapes(t *testing.T) {
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	other := filepath.Join(dir, "proposed.toml")
	src, _ := os.ReadFile(cfg)
	os.WriteFile(other, []byte(strings.Replace(string(src), `list.access   = { roles = ["interviewer+"] }`, `list.access   = { roles = ["recruiter+"] }`, 1)), 0o644)
	// Recruiters may update candidates but not get them (write responses
	// withheld, SPEC §3.4); a unique title spans the firewall (a warning).
	noGet := filepath.Join(dir, "noget.toml")
	os.WriteFile(noGet, []byte(strings.Replace(string(src), "get.access    = { roles = [\"interviewer+\"] }\ncreate.access = { roles = [\"hiring-manager\", \"recruiter\"] }", "get.access    = { roles = [\"interviewer\", \"hiring-manager\", \"owner\"] }\ncreate.access = { roles = [\"hiring-manager\", \"recruiter\"] }", 1)), 0o644)
	warn := filepath.Join(dir, "warn.toml")
	os.WriteFile(warn, []byte(strings.Replace(string(src), "maxLength = 200, searchable = true }", "maxLength = 200, searchable = true, unique = true }", 1)), 0o644)
	broken := filepath.Join(dir, "broken.toml")
	os.WriteFile(broken, []byte("[project]\nname = 1\n\n[tables.x]\ncolour = \"red\"\n"), 0o644)
	qb := func(args ...string) (string, int) {
		out, errw, code := runQB(append([]string{"--config", cfg, "--json"}, args...)...)
		if errw != "" && !strings.HasPrefix(errw, "qb: created ") {
			t.Errorf("qb %v --json wrote on stderr: %s", args, errw)
		}
		return out, code
	}
	qb("seed") // the database exists before the first golden case
	cases := []struct {
		name string
		args []string
		code int
		into any // the typed response (nil: the engine's own type)
	}{
		{"list", []string{"list", "candidates", "--as", "u-ivan", "--limit", "2", "--sort", "name"}, 0, &listResponse{}},
		{"list_all", []string{"list", "jobs", "--as", "u-ivan", "--filter", "status=open", "--all", "--limit", "2", "--sort", "title"}, 0, &listResponse{}},
		{"get", []string{"get", "candidates", "c-jane", "--as", "u-ivan"}, 0, &rowResponse{}},
		{"create_dry_run", []string{"create", "jobs", "--as", "u-dana", "--data", `{"title":"Robotics intern","department":"Engineering"}`, "--dry-run"}, 0, &rowResponse{}},
		{"update", []string{"update", "jobs", "j-firmware", "--as", "u-dana", "--data", `{"title":"Senior firmware engineer"}`}, 0, &rowResponse{}},
		{"upsert_dry_run", []string{"upsert", "ats_imports", "--as", "u-dana", "--data", `{"externalId":"ext-1","candidateEmail":"new@example.com"}`, "--dry-run"}, 0, &rowResponse{}},
		{"delete_dry_run", []string{"delete", "jobs", "j-firmware", "--as", "u-dana", "--dry-run"}, 0, &deleteResponse{}},
		{"run_record", []string{"run", "applications", "advanceStage", "a-1001", "--as", "u-dana", "--input", `{"stage":"offer"}`, "--dry-run"}, 0, &runResponse{}},
		{"run_insert", []string{"run", "applications", "submitScore", "a-1001", "--as", "u-ivan", "--input", `{"score":4,"feedback":"Clear"}`, "--dry-run"}, 0, &runResponse{}},
		{"update_withheld", []string{"--config", noGet, "update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`, "--dry-run"}, 0, &rowResponse{}},
		{"explain", []string{"explain", "candidates", "c-jane", "--as", "u-ivan"}, 0, nil},
		{"explain_funnel", []string{"explain", "interview_notes", "--funnel", "--as", "u-ben"}, 0, nil},
		{"test", []string{"test", "testdata/policytests.toml"}, exitProblem, &testResponse{}},
		{"test_record", []string{"test", "--record", "--as", "u-ivan", "--table", "jobs"}, 0, &recordResponse{}},
		{"matrix", []string{"matrix", "interview_notes"}, 0, nil},
		{"matrix_diff", []string{"matrix", "--diff", other}, 0, nil},
		{"users", []string{"users"}, 0, &usersResponse{}},
		{"audit", []string{"audit", "--limit", "2"}, 0, &auditResponse{}},
		{"audit_verify", []string{"audit", "--verify"}, 0, nil},
		{"check", []string{"check"}, 0, &checkResponse{}},
		{"check_warnings", []string{"--config", warn, "check"}, 0, &checkResponse{}},
		{"check_strict", []string{"--config", warn, "check", "--strict"}, exitUsage, &errorResponse{}},
		{"check_db", []string{"check", "--db", filepath.Join(dir, "hiring.db")}, 0, &checkResponse{}},
		{"migrate", []string{"migrate"}, 0, &migrateResponse{}},
		{"seed", []string{"seed"}, 0, &seedResponse{}},
		{"generate", []string{"generate", "jobs", "3", "--org", "acme", "--seed", "9"}, 0, &generateResponse{}},
		{"version", []string{"--version"}, 0, &versionResponse{}},
		{"refused", []string{"update", "applications", "a-1001", "--as", "u-rachel", "--data", `{"stage":"hired"}`}, exitRefused, &errorResponse{}},
		{"usage_error", []string{"list", "jobs", "--lmit", "3"}, exitUsage, &errorResponse{}},
		{"config_error", []string{"--config", broken, "check"}, exitUsage, &errorResponse{}},
	}
	if !testing.Short() {
		withImporter(t)
		testkit.CopyTree(t, "importer/testdata/seed", filepath.Join(dir, "hiring-app"))
		app := filepath.Join(dir, "hiring-app")
		cases = append(cases, []struct {
			name string
			args []string
			code int
			into any
		}{
			{"import", []string{"import", app, "-o", filepath.Join(dir, "imported.toml")}, 0, &importResponse{}},
			{"import_check", []string{"import", app, "--check"}, 0, &importCheckResponse{}},
		}...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := qb(c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, out)
			}
			var top map[string]any
			if err := json.Unmarshal([]byte(out), &top); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, out)
			}
			if c.into != nil {
				// Every key is a field of the typed response.
				fields := jsonFields(reflect.TypeOf(c.into))
				for k := range top {
					if !slices.Contains(fields, k) {
						t.Errorf("key %q is not a field of %T (%v)", k, c.into, fields)
					}
				}
			}
			golden.RequireEqual(t, []byte(normalizeJSON(out, dir)))
		})
	}
}
