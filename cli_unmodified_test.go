package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIIfUnmodifiedSince: update, delete and run take
// --if-unmodified-since TS and exit 2 with ROW_CHANGED (409) when the record
// changed after TS — here, under another user's update — writing nothing;
// with the time the record last changed they go through. Create and upsert
// do not take the flag (usage error).
func TestCLIIfUnmodifiedSince(t *testing.T) {
	p := newProject(t)
	lastChange := func() string {
		out, errw, code := p.run("get", "applications", "a-1021", "--as", "u-dana", "--json")
		if code != 0 {
			t.Fatalf("get: exit %d: %s", code, errw)
		}
		var r struct {
			Row map[string]any `json:"row"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		s, _ := r.Row["modifiedAt"].(string)
		return s
	}
	seen := lastChange()
	if seen == "" {
		t.Fatal("a-1021 has no modifiedAt")
	}
	if _, errw, code := p.run("update", "applications", "a-1021", "--as", "u-rachel", "--data", `{"notes":"CLI note"}`); code != 0 {
		t.Fatalf("rachel's update: exit %d: %s", code, errw)
	}
	stale := [][]string{
		{"update", "applications", "a-1021", "--as", "u-dana", "--data", `{"notes":"console note"}`},
		{"delete", "applications", "a-1021", "--as", "u-dana"},
		{"run", "applications", "advanceStage", "a-1021", "--as", "u-dana", "--input", `{"stage":"interview"}`},
	}
	for _, args := range stale {
		t.Run(args[0], func(t *testing.T) {
			out, _, code := p.run(append(args, "--if-unmodified-since", seen, "--json")...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, out)
			}
			for _, s := range []string{`"code": "ROW_CHANGED"`, `"status": 409`, `"modifiedBy": "u-rachel"`} {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %s:\n%s", s, out)
				}
			}
			_, errw, code := p.run(append(args, "--if-unmodified-since", seen)...)
			if code != 2 || !strings.Contains(errw, "ROW_CHANGED (409): applications \"a-1021\" changed since") {
				t.Errorf("text: exit %d, stderr %q", code, errw)
			}
		})
	}
	if out, _, _ := p.run("get", "applications", "a-1021", "--as", "u-dana"); !strings.Contains(out, "CLI note") {
		t.Fatalf("the refused writes changed the record:\n%s", out)
	}
	if _, errw, code := p.run("update", "applications", "a-1021", "--as", "u-dana", "--data", `{"notes":"x"}`, "--if-unmodified-since", "last tuesday"); code != 2 || !strings.Contains(errw, "VALIDATION_FAILED") {
		t.Errorf("a value that is not a time: exit %d, %s", code, errw)
	}
	if _, errw, code := p.run("create", "jobs", "--as", "u-dana", "--data", `{"title":"x"}`, "--if-unmodified-since", seen); code != 1 || !strings.Contains(errw, "does not take --if-unmodified-since") {
		t.Errorf("create --if-unmodified-since: exit %d, %s", code, errw)
	}
	now := lastChange()
	if _, errw, code := p.run("update", "applications", "a-1021", "--as", "u-dana", "--data", `{"notes":"console note"}`, "--if-unmodified-since", now); code != 0 {
		t.Fatalf("update on the record as it is: exit %d: %s", code, errw)
	}
}
