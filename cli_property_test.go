package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"quickback.dev/qb/termsafe"
)

// hostilePieces are fragments a hostile row or argument is built from: one
// of each class the sanitizer replaces (C0, ESC sequences, DEL, C1, bidi,
// separators, invisible characters, tags, invalid UTF-8), spreadsheet
// formula starts, and harmless text that must pass unchanged.
var hostilePieces = []string{
	"a", "Zoë", "日本", "👩\u200d💻", "e\u0301", " ", ",", `"`, "'", "=1+1", "@SUM(A1)", "-2", "+3",
	"\x00", "\t", "\n", "\r", "\x07", "\x1b", "\x1b[2J", "\x1b]52;c;eA==\x07", "\x1b]8;;http://x\x1b\\", "\x7f",
	"\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u061c", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d",
	"\u2060", "\ufeff", "\u180e", "\U000E0041", "\U000E007F", "\xff", "\xe4\xb8", "\xc0\x9b",
}

func hostileString(t *rapid.T, label string) string {
	return strings.Join(rapid.SliceOfN(rapid.SampledFrom(hostilePieces), 1, 6).Draw(t, label), "")
}

// propIdentities are the callers the property draws from: members of every
// role, another organization's member, a synthetic role, anonymous, and
// identities that do not resolve.
var propIdentities = [][]string{
	{"--as", "u-dana"}, {"--as", "u-ivan"}, {"--as", "u-rachel"}, {"--as", "u-olivia"}, {"--as", "u-ben"},
	{"--as", "u-marco", "--org", "globex"}, {"--as", "u-helen"}, {"--role", "recruiter", "--org", "acme"},
	{"--as", "anonymous", "--org", "acme"}, {"--as", "u-dana", "--role", "interviewer"},
}

// TestPropertyCLIListWithinGetAndOutputSafe: with hostile text in the
// data and in the arguments, for random callers, (1) every row a list shows
// is one get returns, with the same values (list ⊆ get, through the command
// line), and (2) no output of any command — stdout or stderr, text, JSON,
// CSV or NDJSON, result or error — holds a byte sequence outside the
// sanitizer's allowed set (each line is termsafe.Safe).
func TestPropertyCLIListWithinGetAndOutputSafe(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	tables := []string{"jobs", "candidates", "interview_notes", "applications", "ats_imports", "interview_scores"}
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		safe := func(args []string, out, errOut string) {
			for what, s := range map[string]string{"stdout": out, "stderr": errOut} {
				for i, line := range strings.Split(s, "\n") {
					if !termsafe.Safe(line) {
						rt.Fatalf("qb %q: %s line %d %q is outside the sanitizer's allowed set", args, what, i+1, line)
					}
				}
			}
		}
		qb := func(args ...string) (string, string, int) {
			out, errOut, code := p.run(args...)
			safe(args, out, errOut)
			return out, errOut, code
		}
		// A hostile row, written by a member who may.
		text := func(label string) string { return hostileString(rt, label) }
		writes := []struct {
			as    []string
			table string
			data  map[string]any
		}{
			{[]string{"--as", "u-dana"}, "candidates", map[string]any{"name": text("name"), "email": fmt.Sprintf("p%d@example.org", n), "phone": text("phone"), "resumeUrl": text("url")}},
			{[]string{"--as", "u-dana"}, "jobs", map[string]any{"title": text("title"), "department": text("dept")}},
			{[]string{"--as", "u-ivan"}, "interview_notes", map[string]any{"candidateId": "c-jane", "content": text("content")}},
			{[]string{"--as", "u-olivia"}, "ats_imports", map[string]any{"externalId": text("ext"), "candidateName": text("cname"), "candidateEmail": text("cemail")}},
		}
		w := writes[rapid.IntRange(0, len(writes)-1).Draw(rt, "write")]
		data, _ := json.Marshal(w.data)
		wargs := append(append([]string{"create", w.table}, w.as...), "--data", string(data))
		if rapid.Bool().Draw(rt, "json") {
			wargs = append(wargs, "--json")
		}
		qb(wargs...)

		id := rapid.SampledFrom(propIdentities).Draw(rt, "identity")
		table := rapid.SampledFrom(tables).Draw(rt, "table")

		// list ⊆ get, through the command line.
		out, _, code := qb(append(append([]string{"list", table}, id...), "--all", "--json")...)
		if code == 0 {
			var page struct {
				Rows []map[string]any `json:"rows"`
			}
			if err := json.Unmarshal([]byte(out), &page); err != nil {
				rt.Fatalf("list --json: %v\n%s", err, out)
			}
			for k := rapid.IntRange(0, 3).Draw(rt, "gets"); k > 0 && len(page.Rows) > 0; k-- {
				row := page.Rows[rapid.IntRange(0, len(page.Rows)-1).Draw(rt, "row")]
				rid, _ := row["id"].(string)
				gout, gerr, gcode := qb(append(append([]string{"get", table, rid}, id...), "--json")...)
				if gcode != 0 {
					rt.Fatalf("%s %s is listed for %v but get refuses it: %s%s", table, rid, id, gout, gerr)
				}
				var got struct {
					Row map[string]any `json:"row"`
				}
				if err := json.Unmarshal([]byte(gout), &got); err != nil || !reflect.DeepEqual(got.Row, row) {
					rt.Fatalf("%s %s for %v: list shows %v, get %v (%v)", table, rid, id, row, got.Row, err)
				}
			}
		}

		// Every other way out: each command, in text and JSON, with hostile
		// arguments mixed in.
		hostile := text("arg")
		cmds := [][]string{
			append([]string{"list", table}, id...),
			append([]string{"list", table, "--output", "csv", "--all"}, id...),
			append([]string{"list", table, "--output", "ndjson", "--all"}, id...),
			append([]string{"list", table, "--search", hostile}, id...),
			append([]string{"list", table, "--filter", "name=" + hostile}, id...),
			append([]string{"list", table, "--filter", hostile}, id...),
			append([]string{"list", table, "--sort", hostile}, id...),
			append([]string{"list", table, "--cursor", hostile}, id...),
			append([]string{"list", hostile}, id...),
			append([]string{"get", table, hostile}, id...),
			append([]string{"get", "candidates", "c-mallory"}, id...),
			append([]string{"explain", table}, id...),
			append([]string{"explain", "candidates", "c-mallory"}, id...),
			append([]string{"update", "candidates", "c-mallory", "--dry-run", "--data", `{"name":` + mustJSON(hostile) + `}`}, id...),
			append([]string{"update", table, "c-jane", "--data", `{"` + strings.ReplaceAll(hostile, `"`, "") + `":1}`}, id...),
			append([]string{"run", "applications", "advanceStage", "a-1001", "--dry-run", "--input", `{"stage":` + mustJSON(hostile) + `}`}, id...),
			append([]string{"run", "applications", hostile, "a-1001"}, id...),
			{"list", table, "--as", hostile},
			{"list", table, "--as", "u-dana", "--org", hostile},
			{"list", table, "--" + hostile},
			{hostile},
			{"users"},
			{"audit", "--limit", "20"},
			{"audit", "--user", hostile},
			{"matrix", table},
			{"matrix", hostile},
			{"check"},
		}
		args := rapid.SampledFrom(cmds).Draw(rt, "command")
		if rapid.Bool().Draw(rt, "asJSON") {
			args = append(slices.Clone(args), "--json")
		}
		qb(args...)
	})
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
