package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// TestListStreams: data on stdout, counts, masked-column notes and the
// next-page command on stderr; the hint repeats the whole command with the
// new cursor, and running it gives the next page.
func TestListStreams(t *testing.T) {
	p := newProject(t)
	out, errw, code := p.run("list", "candidates", "--as", "u-ivan", "--limit", "3", "--sort", "name")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errw)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "id ") {
		t.Fatalf("stdout is not a header and 3 rows:\n%s", out)
	}
	for _, note := range []string{"(3 rows)", "masked for this identity: email, phone", "next page: qb --config "} {
		if strings.Contains(out, note) {
			t.Errorf("stdout holds the note %q", note)
		}
		if !strings.Contains(errw, note) {
			t.Errorf("stderr lacks %q:\n%s", note, errw)
		}
	}
	hint := strings.TrimSpace(errw[strings.Index(errw, "next page: ")+len("next page: "):])
	words := strings.Fields(hint)
	if words[0] != "qb" || !strings.Contains(hint, "list candidates --as u-ivan --limit 3 --sort name --cursor ") {
		t.Fatalf("the hint does not repeat the command: %q", hint)
	}
	// Run the hint as given (no word of it needs shell quoting here).
	out2, errw2, code := p.runRaw(words[1:]...)
	if code != 0 || strings.Contains(out2, lines[1]) {
		t.Fatalf("the hint's command: exit %d, repeats the first page?\n%s%s", code, out2, errw2)
	}
	// Repeating the hint's command replaces the cursor rather than adding one.
	if strings.Count(p.withArgv(words[1:]).repeatWith("--cursor", "C2"), "--cursor") != 1 {
		t.Errorf("the second hint holds two cursors")
	}
}

// TestTextNeverTruncatedOffTerminal: piped output keeps every value whole.
func TestTextNeverTruncatedOffTerminal(t *testing.T) {
	p := newProject(t)
	long := strings.Repeat("very long title ", 8) + "end"
	if _, errw, code := p.run("update", "jobs", "j-firmware", "--as", "u-dana", "--data", `{"title":"`+long+`"}`); code != 0 {
		t.Fatal(errw)
	}
	for _, args := range [][]string{
		{"get", "jobs", "j-firmware", "--as", "u-dana"},
		{"list", "jobs", "--as", "u-dana", "--search", "very long"},
	} {
		out, _, _ := p.run(args...)
		if !strings.Contains(out, long) || strings.Contains(out, "…") {
			t.Errorf("%v cut the value:\n%s", args, out)
		}
	}
}

// TestListOutputFormats: --output csv gives a header and one record per
// row with formula-like cells defused; ndjson one JSON object per line;
// --all follows the cursors to the end in every format.
func TestListOutputFormats(t *testing.T) {
	p := newProject(t)
	if _, errw, code := p.run("update", "jobs", "j-firmware", "--as", "u-dana", "--data", `{"title":"=HYPERLINK(\"http://x\")"}`); code != 0 {
		t.Fatal(errw)
	}
	want := liveFixtureRows(t, "candidates", "acme")

	out, errw, code := p.run("list", "candidates", "--as", "u-dana", "--output", "csv", "--all", "--limit", "4")
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, errw)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != want+1 || recs[0][0] != "id" {
		t.Fatalf("csv --all: %d records (want %d and a header), %v\n%s", len(recs), want, err, out)
	}
	if strings.Contains(errw, "next page") || !strings.Contains(errw, "rows)") {
		t.Errorf("csv --all stderr: %s", errw)
	}
	out, _, _ = p.run("list", "jobs", "--as", "u-dana", "--output", "csv", "--search", "HYPERLINK")
	if !strings.Contains(out, `'=HYPERLINK`) {
		t.Errorf("a formula cell was not defused:\n%s", out)
	}

	out, _, code = p.run("list", "candidates", "--as", "u-dana", "--output", "ndjson", "--all", "--limit", "5")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != want {
		t.Fatalf("ndjson --all: exit %d, %d lines, want %d", code, len(lines), want)
	}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil || row["organizationId"] != "acme" {
			t.Fatalf("ndjson line %q: %v", l, err)
		}
	}

	out, _, code = p.run("list", "candidates", "--as", "u-dana", "--json", "--all", "--limit", "3")
	var raw struct {
		Rows []map[string]any `json:"rows"`
		Next *string          `json:"next"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &raw) != nil || len(raw.Rows) != want || raw.Next != nil {
		t.Fatalf("--json --all: exit %d, %d rows, next %v\n%s", code, len(raw.Rows), raw.Next, out)
	}

	out, _, code = p.run("list", "candidates", "--as", "u-dana", "--all", "--limit", "2")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); code != 0 || n != want+1 {
		t.Errorf("text --all: %d lines, want %d", n, want+1)
	}
}
