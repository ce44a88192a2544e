package tui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/engine/access"
	"quickback.dev/qb/schema"
	"quickback.dev/qb/termsafe"
)

// sidebarWidth is the sidebar's width when the terminal has room for it.
const sidebarWidth = 24

// sidebar lists the tables, marks the ones the identity cannot list and
// the internal ones, and says why the current table cannot be listed.
type sidebar struct {
	c      *Common
	tables []*schema.Table
	cur    int
	// access is, per table, whether the identity may list it.
	access map[string]engine.OpExplanation
	w, h   int
	memo   memoEntry
}

func newSidebar(c *Common, tables []*schema.Table) *sidebar {
	return &sidebar{c: c, tables: tables, access: map[string]engine.OpExplanation{}, w: sidebarWidth}
}

// setTables lists tables (a reloaded config), current the named one (the
// first when it is gone).
func (s *sidebar) setTables(tables []*schema.Table, current string) {
	s.tables, s.cur, s.memo = tables, 0, memoEntry{}
	for i, t := range tables {
		if t.Name == current {
			s.cur = i
		}
	}
}

// setAccess records, per table, whether the identity may list it.
func (s *sidebar) setAccess(access map[string]engine.OpExplanation) { s.access = access }

// current is the current table.
func (s *sidebar) current() *schema.Table { return s.tables[s.cur] }

// SetSize sets the sidebar's box.
func (s *sidebar) SetSize(w, h int) { s.w, s.h = w, h }

// Update takes nothing: the root moves between tables (see Model.browseKey).
func (s *sidebar) Update(tea.Msg) tea.Cmd { return nil }

// View renders the tables, cached while nothing it shows changes.
func (s *sidebar) View() string {
	key := fmt.Sprintf("%d|%p|%d|%d", s.cur, s.access, s.w, s.h)
	if s.memo.key != key {
		s.memo = memoEntry{key: key, text: s.render()}
	}
	return s.memo.text
}

func (s *sidebar) render() string {
	st := s.c.Styles
	w := s.w
	var lines []string
	lines = append(lines, st.SidebarTitle.Render(" TABLES"))
	for i, t := range s.tables {
		label := t.Label
		if label == "" {
			label = t.Name
		}
		mark := " "
		if t.Internal {
			mark = InternalMark
		} else if op, ok := s.access[t.Name]; ok && op.Decision == access.Denied {
			mark = NoListMark
		}
		cur := " "
		if i == s.cur {
			cur = CursorMark
		}
		text := termsafe.Pad(cur+" "+mark+" "+termsafe.Sanitize(label), w)
		style := st.SidebarItem
		switch {
		case mark != " ":
			style = st.SidebarDenied
		case i == s.cur:
			style = st.SidebarSelected
		}
		if i == s.cur && mark != " " {
			style = st.SidebarDenied.Bold(true)
		}
		lines = append(lines, style.Render(text))
	}
	lines = append(lines, "", st.SidebarLegend.Render(termsafe.Pad(" "+NoListMark+" cannot list", w)),
		st.SidebarLegend.Render(termsafe.Pad(" "+InternalMark+" internal (no CRUD)", w)),
		st.SidebarLegend.Render(termsafe.Pad(" "+MaskMark+" masked value", w)))
	// The reason the selected table cannot be listed.
	t := s.tables[s.cur]
	if op, ok := s.access[t.Name]; ok && op.Decision == access.Denied {
		lines = append(lines, "")
		for _, l := range wrapText(termsafe.Sanitize(op.Reason), w-2) {
			lines = append(lines, st.Reason.Render(" "+l))
		}
		if op.Rule != "" {
			for _, l := range wrapText("("+termsafe.Sanitize(op.Rule)+")", w-2) {
				lines = append(lines, st.Reason.Render(" "+l))
			}
		}
	}
	h := s.h
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = termsafe.Pad(lines[i], w)
	}
	return strings.Join(lines[:h], "\n")
}

// ShortHelp: the sidebar never has the focus.
func (s *sidebar) ShortHelp() []Binding { return nil }

// FullHelp lists the keys that move between tables.
func (s *sidebar) FullHelp() []HelpGroup {
	k := s.c.Keys
	return []HelpGroup{{"Tables", []Binding{k.NextTable, k.PrevTable, k.Jump}}}
}
