package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"quickback.dev/qb/termsafe"
)

// Every component keeps to the box SetSize gives it — exactly that many
// lines, none wider, escape sequences not counted — at any size, the
// hostile cells of terminal_test.go included: the root only stacks the
// boxes and clips nothing.
func TestComponentsKeepTheirBox(t *testing.T) {
	comps := everyComponent(t, false)
	a := comps["audit"].(*auditLog)
	a.Update(a.read()()) // the entries, under the fixed lines
	e := tmHostileEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	comps["grid (hostile cells)"] = m.grid
	for name, comp := range comps {
		for _, sz := range [][2]int{{1, 1}, {2, 3}, {20, 5}, {33, 7}, {43, 12}, {80, 24}, {120, 40}, {300, 100}} {
			w, h := sz[0], sz[1]
			if name == "search" {
				h = 1
			}
			comp.SetSize(w, h)
			where := fmt.Sprintf("%s at %dx%d", name, w, h)
			lines := strings.Split(comp.View(), "\n")
			if len(lines) != h {
				t.Errorf("%s: %d lines", where, len(lines))
			}
			for i, l := range lines {
				if cw := ansi.StringWidth(l); cw > w {
					t.Errorf("%s: line %d is %d cells: %q", where, i, cw, ansi.Strip(l))
				} else if sw := termsafe.Width(ansi.Strip(l)); sw > w {
					t.Errorf("%s: line %d is %d wide (termsafe): %q", where, i, sw, ansi.Strip(l))
				}
			}
		}
	}
}
