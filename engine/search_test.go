package engine_test

import (
	"context"
	"testing"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
)

// Search and the ~ filter ignore case for every letter, not only ASCII.
func TestSearchFoldsUnicodeCase(t *testing.T) {
	e := enginetest.Seeded(t)
	dana := enginetest.Member(t, e, "u-dana", "acme")
	cases := []struct {
		name string
		q    engine.ListQuery
		want string
	}{
		{"ascii search", engine.ListQuery{Search: "JANE"}, "c-jane"},
		{"non-ascii search, other case", engine.ListQuery{Search: "TOMÁS"}, "c-tomas"},
		{"non-ascii search, same case", engine.ListQuery{Search: "Tomás"}, "c-tomas"},
		{"non-ascii filter", engine.ListQuery{Filters: []engine.Filter{{Column: "name", Op: "~", Value: "LUKÁŠ"}}}, "c-lukas"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := e.List(context.Background(), dana, "candidates", c.q)
			if err != nil {
				t.Fatal(err)
			}
			ids := ctRowIDs(page.Rows)
			if len(ids) != 1 || ids[0] != c.want {
				t.Fatalf("got %v, want [%s]", ids, c.want)
			}
		})
	}
	// A needle with a LIKE wildcard is literal, in both paths.
	for _, needle := range []string{"%", "_é%"} {
		page, err := e.List(context.Background(), dana, "candidates", engine.ListQuery{Search: needle})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != 0 {
			t.Errorf("search %q matched %v", needle, ctRowIDs(page.Rows))
		}
	}
}
