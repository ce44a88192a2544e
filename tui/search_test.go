package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// typeKey types one rune and returns the command it gave (the pending
// live search).
func typeKey(m *Model, r rune) tea.Cmd {
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	return cmd
}

// The search runs as it is typed, after a pause: a pause that a later key
// interrupted searches nothing; an answer for a superseded search is
// dropped; esc puts back the search the grid had.
func TestLiveSearchDebouncedStaleDropped(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	m := newModel(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	press(m, "/")
	typeKey(m, 'J')
	typeKey(m, 'a')
	// The pause after "J" was interrupted by "a": it searches nothing.
	if _, cmd := m.Update(liveSearchMsg{seq: m.search.seq - 1, text: "J"}); cmd != nil || m.grid.res.spec.search != "" {
		t.Fatalf("an interrupted pause searched %q", m.grid.res.spec.search)
	}
	// The pause after "a": the grid searches "Ja" with the line still open.
	_, cmd := m.Update(liveSearchMsg{seq: m.search.seq, text: "Ja"})
	drive(m, cmd)
	v := plain(m)
	if m.mode != modeSearch || m.grid.res.spec.search != "Ja" || !strings.Contains(v, "Jane Doe") || !strings.Contains(v, "search \"Ja\"") {
		t.Fatalf("live search did not apply (mode %s, search %q):\n%s", m.mode, m.grid.res.spec.search, v)
	}
	// "Jan" is searched, its answer held back; "Jane Doe X" supersedes it;
	// the late answer for "Jan" must not be shown.
	typeKey(m, 'n')
	_, cmd = m.Update(liveSearchMsg{seq: m.search.seq, text: "Jan"})
	late := collect(cmd)
	if len(late) == 0 {
		t.Fatal("no page was asked for Jan")
	}
	for _, r := range "e Doe X" {
		typeKey(m, r)
	}
	_, cmd = m.Update(liveSearchMsg{seq: m.search.seq, text: "Jane Doe X"})
	drive(m, cmd)
	for _, msg := range late {
		m.Update(msg)
	}
	v = plain(m)
	if strings.Contains(v, "Jane Doe  ") || !strings.Contains(v, "no visible row matches search \"Jane Doe X\"") {
		t.Fatalf("a superseded search's answer was shown:\n%s", v)
	}
	// esc: the grid's search before the line opened (none).
	press(m, "esc")
	if m.mode != modeBrowse || m.grid.res.spec.search != "" || !strings.Contains(plain(m), "row 1 of 14") {
		t.Fatalf("esc kept the live search %q:\n%s", m.grid.res.spec.search, plain(m))
	}
}

// In the running console: typing finds the row without enter; enter keeps
// the search.
func TestLiveSearchAsYouType(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("row 1 of 14")
	f.key("/")
	f.typeText("okonkwo")
	v := f.waitFor("David Okonkwo", "row 1 of 1", "/ okonkwo")
	if f.m.mode != modeSearch {
		t.Errorf("the search line closed (mode %s):\n%s", f.m.mode, v)
	}
	f.key("enter")
	f.waitView("kept", func(v string) bool {
		return f.m.mode == modeBrowse && strings.Contains(v, "search \"okonkwo\"") && strings.Contains(v, "row 1 of 1")
	})
}
