package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeObject(t *testing.T) {
	cases := []struct {
		src  string
		want string // substring of the error; "" for success
	}{
		{`{"title":"x"}`, ""},
		{"{\n  \"title\": \"x\",\n  \"rating\": 4\n}", ""},
		{`{"title":`, "--data: line 1, column 10: the JSON ends too early"},
		{"{\n  \"title\": \"x\",\n  \"rating\": 4,\n}", "--data: line 4, column 1: invalid character '}'"},
		{"{\"title\": \"x\" \"rating\": 4}", "line 1, column 15: invalid character '\"' after object key:value pair"},
		{`["title"]`, "--data must be a JSON object ({\"field\": value, ...}), not an array"},
		{`"title"`, "not a string"},
		{`null`, "not null"},
		{``, "--data is empty"},
		{`   `, "--data is empty"},
		{`{"a":1} {"b":2}`, "line 1, column 9: text after the JSON object"},
		{`{"a":1} x`, "line 1, column 9: invalid character 'x'"},
		{"{\"name\": \"Zoë\", x}", "line 1, column 17: invalid character 'x'"}, // columns count characters
	}
	for _, c := range cases {
		m, err := decodeObject([]byte(c.src), "--data")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want == "" && m == nil:
			t.Errorf("%q: no object", c.src)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

// TestDataFromFileAndStdin: --data and --input take @FILE and - as well as
// JSON text; a syntax error in a file names the file, line and column.
func TestDataFromFileAndStdin(t *testing.T) {
	dir := t.TempDir()
	cfg := copyProject(t, dir)
	note := filepath.Join(dir, "note.json")
	os.WriteFile(note, []byte("{\n  \"candidateId\": \"c-jane\",\n  \"content\": \"From a file\"\n}\n"), 0o644)
	out, errw, code := runQB("--config", cfg, "create", "interview_notes", "--as", "u-ivan", "--data", "@"+note, "--json")
	if code != 0 || !strings.Contains(out, `"content": "From a file"`) {
		t.Fatalf("--data @FILE: exit %d\n%s%s", code, out, errw)
	}

	var o, e bytes.Buffer
	code = runIO(context.Background(), []string{"--config", cfg, "create", "interview_notes", "--as", "u-ivan", "--data", "-", "--json"},
		strings.NewReader(`{"candidateId":"c-jane","content":"From stdin"}`), &o, &e)
	if code != 0 || !strings.Contains(o.String(), `"content": "From stdin"`) {
		t.Fatalf("--data -: exit %d\n%s%s", code, o.String(), e.String())
	}

	o.Reset()
	e.Reset()
	code = runIO(context.Background(), []string{"--config", cfg, "run", "applications", "advanceStage", "a-1001", "--as", "u-dana", "--input", "-", "--dry-run", "--json"},
		strings.NewReader(`{"stage":"offer"}`), &o, &e)
	if code != 0 || !strings.Contains(o.String(), `"dryRun": true`) {
		t.Fatalf("--input -: exit %d\n%s%s", code, o.String(), e.String())
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"content\": \"x\",\n}\n"), 0o644)
	_, errw, code = runQB("--config", cfg, "create", "interview_notes", "--as", "u-ivan", "--data", "@"+bad)
	if code != exitUsage || !strings.Contains(errw, "--data @"+bad+": line 3, column 1: invalid character '}'") {
		t.Errorf("bad file: exit %d: %s", code, errw)
	}
	_, errw, code = runQB("--config", cfg, "create", "interview_notes", "--as", "u-ivan", "--data", "@"+filepath.Join(dir, "none.json"))
	if code != exitUsage || !strings.Contains(errw, "none.json: no such file or directory") {
		t.Errorf("missing file: exit %d: %s", code, errw)
	}
	_, errw, code = runQB("--config", cfg, "create", "jobs", "--as", "u-dana", "--data", `{"title":`)
	if code != exitUsage || !strings.Contains(errw, "--data: line 1, column 10") {
		t.Errorf("truncated --data: exit %d: %s", code, errw)
	}
}
