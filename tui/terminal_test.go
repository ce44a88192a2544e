package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/internal/enginetest"
	"quickback.dev/qb/termsafe"
)

// Terminal robustness (issue 8): tiny terminals, very long values,
// 10,000-character cells, right-to-left text, combining characters and
// emoji sequences never break the layout or panic.

// Values that stress the layout, stored with raw SQL. The tables' CHECK
// constraints cap most text columns (candidates.name at 200 characters,
// applications.notes at 4000); ats_imports.rawPayload (JSON) has no cap and
// holds the 10,000-character cells.
var (
	tmLong     = strings.Repeat("long value ", 909) + "E" // 10,000 characters
	tmLongWord = strings.Repeat("x", 10000)               // no break opportunity
	tmRTL      = "مرحبا بالعالم שלום עולם \u202Eevil.exe\u202C txt \u2067isolate\u2069"
	tmCombine  = "e\u0301e\u0301 Z\u0337\u0322\u0349a\u0338\u0328l\u0336\u0321g\u0335o\u0336 n\u0303"
	tmEmoji    = "👩‍👩‍👧‍👦 👨🏽‍💻 🏳️‍🌈 🇯🇵 ❤️ family 日本語テキスト"
)

// tmInsert stores a row of table with raw SQL (config column names).
func tmInsert(t *testing.T, e *engine.Engine, table string, vals map[string]any) {
	t.Helper()
	tb := e.Config().Table(table)
	var cols, marks []string
	var args []any
	for name, v := range vals {
		c := tb.Column(name)
		if c == nil {
			t.Fatalf("%s has no column %s", table, name)
		}
		cols = append(cols, engine.Q(c.SQLName))
		marks = append(marks, "?")
		args = append(args, v)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", engine.Q(table), strings.Join(cols, ", "), strings.Join(marks, ", "))
	if _, err := enginetest.DB(t, e).ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("insert %s: %v", table, err)
	}
}

// tmHostileEngine seeds the default project plus candidates and an
// application holding the stressing values, newest first so they are the
// first rows of the default sort.
func tmHostileEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e := newEngine(t)
	for i, r := range []struct{ id, name, email, phone, url string }{
		{"c-zz-long", tmLong[:200], "long@example.com", "555-000-1111", "https://example.com/" + tmLongWord[:1900]},
		{"c-zz-rtl", tmRTL, "שלום@example.com", "٥٥٥-١٢٣-٤٥٦٧", "https://example.com/" + tmRTL},
		{"c-zz-comb", tmCombine, "e\u0301@example.com", "555-000-2222", tmCombine},
		{"c-zz-emoji", tmEmoji, "👩‍💻@example.com", "555-000-3333", tmEmoji + tmLong[:1900]},
	} {
		ts := fmt.Sprintf("2027-01-01T00:00:%02d.000Z", 10-i)
		tmInsert(t, e, "candidates", map[string]any{
			"id": r.id, "organizationId": "acme", "name": r.name, "email": r.email, "phone": r.phone,
			"resumeUrl": r.url, "source": "ats", "createdAt": ts, "modifiedAt": ts,
		})
	}
	tmInsert(t, e, "applications", map[string]any{
		"id": "a-zz-long", "organizationId": "acme", "candidateId": "c-zz-long", "jobId": "j-robotics-eng",
		"stage": "applied", "notes": tmLong[:4000], "createdAt": "2027-01-01T00:00:00.000Z", "modifiedAt": "2027-01-01T00:00:00.000Z",
	})
	tmInsert(t, e, "applications", map[string]any{
		"id": "a-zz-rtl", "organizationId": "acme", "candidateId": "c-zz-rtl", "jobId": "j-robotics-eng",
		"stage": "applied", "notes": tmRTL + tmCombine + tmEmoji, "createdAt": "2026-12-31T00:00:00.000Z", "modifiedAt": "2026-12-31T00:00:00.000Z",
	})
	for i, p := range []string{
		`{"note":"` + tmLong + `","word":"` + tmLongWord + `"}`,
		`{"rtl":"` + tmRTL + `","combining":"` + strings.Repeat(tmCombine, 300) + `","emoji":"` + strings.Repeat(tmEmoji, 200) + `"}`,
	} {
		ts := fmt.Sprintf("2027-01-01T00:00:%02d.000Z", 10-i)
		tmInsert(t, e, "ats_imports", map[string]any{
			"id": fmt.Sprintf("x-zz-%d", i), "organizationId": "acme", "externalId": fmt.Sprintf("zz-%d", i),
			"source": tmRTL, "candidateName": []string{tmLong[:200], tmEmoji}[i], "candidateEmail": tmCombine,
			"rawPayload": p, "createdAt": ts, "modifiedAt": ts,
		})
	}
	return e
}

// tmCheckFits fails when the view (as the terminal gets it, styled) has a
// line wider than w cells or more than h lines, or writes a raw escape or
// bidi control.
func tmCheckFits(t *testing.T, where string, m *Model, w, h int) string {
	t.Helper()
	raw := m.View()
	lines := strings.Split(raw, "\n")
	if len(lines) > h {
		t.Errorf("%s at %dx%d: %d lines", where, w, h, len(lines))
	}
	for i, l := range lines {
		if cw := ansi.StringWidth(l); cw > w {
			t.Errorf("%s at %dx%d: line %d is %d cells wide: %q", where, w, h, i, cw, ansi.Strip(l))
		}
		if sw := termsafe.Width(ansi.Strip(l)); sw > w {
			t.Errorf("%s at %dx%d: line %d is %d wide (termsafe): %q", where, w, h, i, sw, ansi.Strip(l))
		}
	}
	for _, r := range ansi.Strip(raw) {
		switch {
		case r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f):
			t.Fatalf("%s: a control character %U reached the terminal", where, r)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			t.Fatalf("%s: a bidi control %U reached the terminal", where, r)
		}
	}
	return trimLines(ansi.Strip(raw))
}

// tmSepCols returns the cell offsets of the pinned column's separator on
// the grid's row lines (the lines after the header rule).
func tmSepCols(v string) map[int]int {
	cols := map[int]int{}
	for n, l := range strings.Split(v, "\n") {
		if n < 6 {
			continue
		}
		if i := strings.Index(l, "│"); i >= 0 {
			cols[termsafe.Width(l[:i])]++
		}
	}
	return cols
}

func tmResize(m *Model, w, h int) {
	_, cmd := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drive(m, cmd)
}

// Every mode of the console fits a tiny terminal (20x5 and smaller) and a
// huge one, and resizing back restores the same screen.
func TestTerminalResizeTinyAndBack(t *testing.T) {
	t.Parallel()
	e := tmHostileEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	tmResize(m, 120, 40)
	before := tmCheckFits(t, "grid", m, 120, 40)
	if !strings.Contains(before, "row 1 of 18") {
		t.Fatalf("the grid does not show the 18 candidates:\n%s", before)
	}
	type step struct {
		name string
		keys []string
	}
	for _, s := range []step{
		{"grid", nil},
		{"grid scrolled right", []string{"right", "right", "right", "right", "right"}},
		{"detail", []string{"enter"}},
		{"compare", []string{"c"}},
		{"help", []string{"?"}},
		{"identity picker", []string{"i"}},
		{"actions", []string{"a"}},
		{"edit form", []string{"e"}},
		{"search", []string{"/"}},
	} {
		press(m, s.keys...)
		for _, sz := range [][2]int{{20, 5}, {1, 1}, {2, 3}, {33, 7}, {300, 100}, {20, 5}} {
			tmResize(m, sz[0], sz[1])
			tmCheckFits(t, s.name, m, sz[0], sz[1])
		}
		tmResize(m, 120, 40)
		tmCheckFits(t, s.name, m, 120, 40)
		press(m, "esc", "esc")
		press(m, "left", "left", "left", "left", "left", "left")
	}
	tmResize(m, 20, 5)
	tmResize(m, 120, 40)
	if after := tmCheckFits(t, "grid", m, 120, 40); after != before {
		t.Errorf("after 20x5 and back the screen differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// 10,000-character cells, right-to-left text with overrides, combining
// characters and emoji sequences: every line fits, the pinned column's
// separator stays at one offset on every row while scrolling, and the
// detail and compare views of those rows fit too.
func TestTerminalHostileCells(t *testing.T) {
	t.Parallel()
	e := tmHostileEngine(t)
	for _, who := range []string{"u-dana", "u-ivan"} {
		for _, table := range []string{"candidates", "applications", "ats_imports"} {
			if who == "u-ivan" && table == "ats_imports" {
				continue // interviewers may not list it
			}
			t.Run(who+"/"+table, func(t *testing.T) {
				m := newModel(t, e, Options{Identity: identity(t, e, who, ""), Table: table})
				for _, sz := range [][2]int{{120, 40}, {80, 24}, {43, 12}} {
					tmResize(m, sz[0], sz[1])
					where := fmt.Sprintf("%s %s", who, table)
					v := tmCheckFits(t, where, m, sz[0], sz[1])
					if table == "candidates" && sz[0] == 120 {
						for _, want := range []string{"row 1 of 18", "long value long", "e\u0301e\u0301", "👩‍👩‍👧‍👦"} {
							if !strings.Contains(v, want) {
								t.Errorf("%s: the grid lacks %q:\n%s", where, want, v)
							}
						}
					}
					if cols := tmSepCols(v); len(cols) > 1 || (len(cols) == 0 && sz[0] >= 80) {
						t.Errorf("%s at %dx%d: separator offsets %v\n%s", where, sz[0], sz[1], cols, v)
					}
					for i := 0; i < 10; i++ {
						press(m, "right")
						v := tmCheckFits(t, where+" scrolled", m, sz[0], sz[1])
						if cols := tmSepCols(v); len(cols) > 1 || (len(cols) == 0 && sz[0] >= 80) {
							t.Errorf("%s scrolled %d at %dx%d: separator offsets %v\n%s", where, i+1, sz[0], sz[1], cols, v)
						}
					}
					press(m, "g")
					for row := 0; row < 5; row++ {
						press(m, "enter")
						if m.mode != modeDetail {
							t.Fatalf("%s: no detail for row %d: %s", where, row, m.status)
						}
						tmCheckFits(t, where+" detail", m, sz[0], sz[1])
						for i := 0; i < 30; i++ {
							press(m, "down")
						}
						tmCheckFits(t, where+" detail scrolled", m, sz[0], sz[1])
						press(m, "esc", "c")
						if m.mode != modeCompare {
							t.Fatalf("%s: no compare view for row %d: %s", where, row, m.status)
						}
						tmCheckFits(t, where+" compare", m, sz[0], sz[1])
						press(m, "esc", "y", "down")
						tmCheckFits(t, where+" after copy", m, sz[0], sz[1])
					}
					press(m, "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "g")
				}
			})
		}
	}
}
