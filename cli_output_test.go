package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quickback.dev/qb/termsafe"
)

// hostileText holds one of each character class the sanitizer replaces.
const hostileText = "Eve \x1b[2J\x07 \x7f \u0085\u009b \u202eexe.txt\u2066 line\u2028para\u2029 ad\u200bmin\u200c\u2060\ufeff\u180e tag\U000E0041\U000E007F"

// checkSafeOutput fails when any line of out holds a character outside the
// sanitizer's allowed set (SPEC §5: nothing a terminal could act on).
func checkSafeOutput(t testing.TB, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if !termsafe.Safe(line) {
			t.Fatalf("%s: line %d %q is outside the sanitizer's allowed set", what, i+1, line)
		}
	}
}

// SPEC §5: JSON output escapes C0/C1 controls, bidi controls and line and
// paragraph separators (and the invisible characters) as \uXXXX.
func TestCLIJSONEscapesControls(t *testing.T) {
	p := newProject(t)
	data, _ := json.Marshal(map[string]any{"name": hostileText, "email": "eve@example.org"})
	out, errOut, code := p.run("create", "candidates", "--as", "u-dana", "--data", string(data), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkSafeOutput(t, "create --json", out)
	for _, esc := range []string{`\u001b`, `\u007f`, `\u0085`, `\u009b`, `\u202e`, `\u2066`, `\u2028`, `\u2029`, `\u200b`, `\u200c`, `\u2060`, `\ufeff`, `\u180e`, `\udb40\udc41`} {
		if !strings.Contains(out, esc) {
			t.Errorf("create --json output lacks %s:\n%s", esc, out)
		}
	}
	var res struct {
		Row map[string]any `json:"row"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Row["name"] != hostileText {
		t.Errorf("the escaped name decodes to %q, want %q", res.Row["name"], hostileText)
	}
	out, errOut, code = p.run("list", "candidates", "--as", "u-dana", "--search", "Eve", "--json")
	if code != 0 || !strings.Contains(out, `\u2028`) {
		t.Fatalf("list --json (exit %d): %s %s", code, out, errOut)
	}
	checkSafeOutput(t, "list --json", out)
	out, _, _ = p.run("list", "candidates", "--as", "u-dana", "--search", "Eve")
	checkSafeOutput(t, "list", out)
	if !strings.Contains(out, "⟨U+0085⟩⟨U+009B⟩ ⟨U+202E⟩") {
		t.Errorf("list shows no markers for the controls:\n%s", out)
	}
}

// Every argument the command line echoes in a message passes the sanitizer.
func TestCLIEchoedArgumentsSanitized(t *testing.T) {
	p := newProject(t)
	for _, args := range [][]string{
		{"list", "jobs", "--as", "u-ivan", "--bo\x1b]52;c;eA==\x07gus"},
		{"list", "jobs", "--as", "u-ivan", "--x\u202e\u2028"},
		{"list", "jobs", "--limit"},
		{"\x1b[2Jlist\u2028"},
		{"list", "jo\x1b[31mbs\u0085", "--as", "u-ivan"},
		{"get", "jobs", "j-\x1b[2J\u202e", "--as", "u-ivan"},
		{"list", "jobs", "--as", "u-iv\x1b[2Jan\u2029"},
		{"list", "jobs", "--as", "u-ivan", "--filter", "ti\x1b[0mtle\u200b=x"},
		{"list", "jobs", "--as", "u-ivan", "--sort", "\u009btitle"},
		{"list", "jobs", "--as", "u-ivan", "--cursor", "\x1b]8;;x\x07"},
		{"run", "applications", "advance\u202eStage", "a-1001", "--as", "u-dana"},
		{"list", "jobs", "--as", "u-ivan", "--org", "ac\x1bme\U000E0041"},
	} {
		for _, json := range []bool{false, true} {
			a := args
			if json {
				a = append(append([]string{}, args...), "--json")
			}
			out, errOut, code := p.run(a...)
			if code == 0 {
				t.Errorf("%q: exit 0", a)
			}
			checkSafeOutput(t, "stdout of "+strings.Join(a, " "), out)
			checkSafeOutput(t, "stderr of "+strings.Join(a, " "), errOut)
		}
	}
}

// A config path with controls in it is echoed sanitized.
func TestCLIConfigPathSanitized(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p\x1b[2J\u202e\u2028")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &project{t: t, cfg: copyProject(t, dir)}
	for _, args := range [][]string{{"check"}, {"seed"}, {"users"}} {
		out, errOut, code := p.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		checkSafeOutput(t, "stdout of "+args[0], out)
		checkSafeOutput(t, "stderr of "+args[0], errOut)
	}
}

// SPEC §3.4: a write or action on a row the identity may not get answers
// with the row's id and the changed field names, in text and in JSON.
func TestCLIWithheldWriteResponse(t *testing.T) {
	p := newProject(t)
	src, err := os.ReadFile(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	const getLine = "get.access    = { roles = [\"interviewer+\"] }\ncreate.access = { roles = [\"hiring-manager\", \"recruiter\"] }"
	if !strings.Contains(string(src), getLine) {
		t.Fatal("the default project's candidates get rule moved")
	}
	noGet := strings.Replace(string(src), getLine, "get.access    = { roles = [\"interviewer\", \"hiring-manager\", \"owner\"] }\ncreate.access = { roles = [\"hiring-manager\", \"recruiter\"] }", 1)
	if err := os.WriteFile(p.cfg, []byte(noGet), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Jane", "jane@example.com", "555-123-4567", "555-000-1111", "referral"}
	out, errOut, code := p.run("update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Row      map[string]any `json:"row"`
		Withheld struct {
			Table  string   `json:"table"`
			ID     string   `json:"id"`
			Fields []string `json:"fields"`
		} `json:"withheld"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Row) != 1 || res.Row["id"] != "c-jane" || res.Withheld.ID != "c-jane" || strings.Join(res.Withheld.Fields, ",") != "phone,modifiedAt,modifiedBy" {
		t.Errorf("update --json = %s", out)
	}
	for _, args := range [][]string{
		{"update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`, "--json"},
		{"update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`},
		{"update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`, "--dry-run"},
		{"update", "candidates", "c-jane", "--as", "u-rachel", "--data", `{"phone":"555-000-1111"}`, "--dry-run", "--json"},
	} {
		out, errOut, code := p.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, s := range secrets[:3] {
			if strings.Contains(out, s) {
				t.Errorf("%v shows %q of a record the recruiter may not get:\n%s", args, s, out)
			}
		}
		if !strings.Contains(out, "c-jane") || !strings.Contains(out, "phone") {
			t.Errorf("%v does not name the record and its changed field:\n%s", args, out)
		}
	}
	// submitScore inserts into the internal interview_scores: nobody may get
	// that row, so its values are withheld too.
	out, errOut, code = p.run("run", "applications", "submitScore", "a-1001", "--as", "u-ivan", "--input", `{"score":4,"feedback":"a secret opinion"}`, "--json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "a secret opinion") || !strings.Contains(out, `"table": "interview_scores"`) || !strings.Contains(out, `"feedback"`) {
		t.Errorf("run --json:\n%s", out)
	}
	out, _, _ = p.run("run", "applications", "submitScore", "a-1001", "--as", "u-ivan", "--input", `{"score":4,"feedback":"a secret opinion"}`)
	if strings.Contains(out, "a secret opinion") || !strings.Contains(out, "interview_scores") || strings.Contains(out, "no field changes") {
		t.Errorf("run:\n%s", out)
	}
}

// writeProjectConfig replaces text old (which must occur) by new in the
// project's quickback.toml.
func writeProjectConfig(t *testing.T, p *project, old, new string) {
	t.Helper()
	src, err := os.ReadFile(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("the default project no longer holds %q", old)
	}
	if err := os.WriteFile(p.cfg, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// SPEC §3.3: check prints each warning as file:line: warning: ..., exits 0,
// and exits 1 on warnings with --strict.
func TestCLICheckWarnings(t *testing.T) {
	p := newProject(t)
	if out, errOut, code := p.run("check", "--strict"); code != 0 || errOut != "" || !strings.Contains(out, "ok (6 tables)") {
		t.Fatalf("the default project under --strict: exit %d\n%s%s", code, out, errOut)
	}
	writeProjectConfig(t, p, `title          = { type = "text", required = true, maxLength = 200, searchable = true }`,
		`title          = { type = "text", required = true, maxLength = 200, searchable = true, unique = true }`)
	const want = `quickback.toml:23: warning: tables.jobs.columns.title.unique: a single-column unique spans the firewall`
	out, errOut, code := p.run("check")
	if code != 0 || !strings.Contains(out, "ok (6 tables, 1 warning)") || !strings.Contains(errOut, want) || !strings.Contains(errOut, `unique = [["organizationId", "title"]]`) {
		t.Errorf("check: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	out, errOut, code = p.run("check", "--strict")
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(out, "ok") {
		t.Errorf("check --strict: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	out, _, code = p.run("check", "--json")
	var ok struct {
		OK       bool `json:"ok"`
		Warnings []struct {
			Line    int    `json:"line"`
			Path    string `json:"path"`
			Warning bool   `json:"warning"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &ok); err != nil || code != 0 || !ok.OK || len(ok.Warnings) != 1 || ok.Warnings[0].Line != 23 || !ok.Warnings[0].Warning {
		t.Errorf("check --json: exit %d, %v\n%s", code, err, out)
	}
	out, _, code = p.run("check", "--strict", "--json")
	var refused struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &refused); err != nil || code != 1 || refused.Error.Code != "CONFIG_ERROR" || !strings.Contains(refused.Error.Message, "1 warnings (check --strict)") {
		t.Errorf("check --strict --json: exit %d, %v\n%s", code, err, out)
	}
}

// SPEC §3.2: a rule that admits callers by record alone is a config error
// (it used to pass check and admit anonymous callers).
func TestCLICheckRecordOnlyRule(t *testing.T) {
	p := newProject(t)
	writeProjectConfig(t, p, `list.access   = { roles = ["interviewer+"] }
get.access    = { roles = ["interviewer+"] }
create.access = { roles = ["owner", "hiring-manager"] }`, `list.access   = { record = { status = { equals = "open" } } }
get.access    = { roles = ["interviewer+"] }
create.access = { roles = ["owner", "hiring-manager"] }`)
	_, errOut, code := p.run("check")
	if code != 1 || !strings.Contains(errOut, `quickback.toml:37: tables.jobs.crud.list.access: this rule admits callers by "record" alone`) {
		t.Errorf("check: exit %d\n%s", code, errOut)
	}
	if out, _, code := p.run("list", "jobs", "--as", "anonymous", "--org", "globex", "--json"); code != 1 || strings.Contains(out, `"rows"`) {
		t.Errorf("list as anonymous: exit %d\n%s", code, out)
	}
}
