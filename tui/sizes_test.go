package tui

import (
	"fmt"
	"regexp"
	"testing"
)

// headHash is the audit view's head hash.
var headHash = regexp.MustCompile(`head 9:[0-9a-f]+…?`)

// TestGoldenViews (issue 15): browse, detail, form, compare, matrix and
// audit as an operator sees them at 120×40, 80×24 and 40×12.
func TestGoldenViews(t *testing.T) {
	t.Parallel()
	search := func(f *flow, text, want string) {
		f.key("/")
		f.typeText(text)
		f.key("enter")
		f.waitFor("row 1 of 1", want)
	}
	views := []struct {
		name, user, table string
		open              func(f *flow) string
	}{
		{"browse", "u-ivan", "candidates", func(f *flow) string {
			return f.waitFor("row 1 of 14", "◆")
		}},
		{"detail", "u-ivan", "candidates", func(f *flow) string {
			search(f, "Jane", "c-jane")
			f.key("enter")
			return f.waitFor("candidates c-jane", "value as seen")
		}},
		{"form", "u-rachel", "applications", func(f *flow) string {
			search(f, "onsite", "a-1001")
			f.key("e")
			return f.waitFor("Edit applications a-1001", "┃ notes")
		}},
		{"compare", "u-dana", "candidates", func(f *flow) string {
			search(f, "Jane", "c-jane")
			f.key("c")
			return f.waitFor("Compare candidates c-jane")
		}},
		{"matrix", "u-dana", "applications", func(f *flow) string {
			f.key("m")
			return f.waitFor("Access matrix", "applications")
		}},
		{"audit", "u-dana", "jobs", func(f *flow) string {
			if err := f.m.s.eng.FlushAudit(t.Context()); err != nil {
				t.Fatal(err)
			}
			f.key("L")
			v := f.waitFor("Audit log", "chain verified: 9 entries", "2–9")
			// The console's first reads run side by side: their order in
			// the chain, and so the head's hash, varies from run to run.
			return headHash.ReplaceAllString(v, "head 9:HASH")
		}},
	}
	for _, size := range [][2]int{{120, 40}, {80, 24}, {40, 12}} {
		for _, v := range views {
			t.Run(fmt.Sprintf("%s/%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				e := newEngine(t)
				f := startFlowSized(t, e, Options{Identity: identity(t, e, v.user, ""), Table: v.table}, size[0], size[1])
				f.waitFor("row 1 of")
				if size[0] >= 80 {
					// The organization's name comes with the identities,
					// read apart from the first page: under load it may
					// come later.
					f.waitFor("(Acme Robot")
				}
				f.golden(t, v.open(f))
			})
		}
	}
}
