package tui

import (
	"strings"

	"quickback.dev/qb/termsafe"
)

// Queries and masking: a search skips the columns masked for the identity
// and says so; a filter or a sort on a masked column is refused when its
// key is pressed, naming the rule (the engine would refuse it with
// QUERY_COLUMN_MASKED, SPEC §3.4).

// searchNote says which columns a search of the grid's table looks in and
// which it skips as masked for the identity ("" before the engine said).
func (m *Model) searchNote() string {
	t := m.grid.t
	if t == nil || m.s.fields == nil {
		return ""
	}
	var in, skipped []string
	for _, c := range t.SearchColumns() {
		if m.s.masked(t.Name, c.Name) != "" {
			skipped = append(skipped, c.Name+" (masked for you)")
		} else {
			in = append(in, c.Name)
		}
	}
	if len(in) == 0 {
		return "nothing to search: every searchable column is masked for you (" + strings.Join(skipped, ", ") + ")"
	}
	note := "searching " + strings.Join(in, ", ")
	if len(skipped) > 0 {
		note += " — " + strings.Join(skipped, ", ") + " skipped"
	}
	return termsafe.Sanitize(note)
}

// maskedRefusal is why a filter or sort (what) on the grid's selected
// column is refused before it is tried: "" when the column is not masked
// for the identity.
func (g *grid) maskedRefusal(what string) string {
	c := g.selectedColumn()
	if c == nil {
		return ""
	}
	rule := g.s.masked(g.t.Name, c.Name)
	if rule == "" {
		return ""
	}
	return termsafe.Sanitize("cannot " + what + " on " + c.Name + ": the column is masked for this identity (" + rule + "); a " + what + " would reveal the hidden values")
}
