package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/internal/enginetest"
)

// TestFunnelUnderEmptyList: an empty list says why, in one line counted by
// the engine: the owner's notes stop at the strict owner scope.
func TestFunnelUnderEmptyList(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-ben", ""), Table: "interview_notes"})
	v := f.waitFor("no rows visible to this identity", "0 rows: 15 in acme → 14 not deleted → 0 pass owner scope (strict, ownerId = u-ben)")
	f.golden(t, v)
}

// TestFunnelOfAQuery: a search that matches nothing stops at the query
// stage; clearing it lists rows and the line goes.
func TestFunnelOfAQuery(t *testing.T) {
	e := newEngine(t)
	f := startFlow(t, e, Options{Identity: identity(t, e, "u-dana", ""), Table: "candidates"})
	f.waitFor("Jane Doe")
	f.key("/")
	f.typeText("zzz")
	f.key("enter")
	f.waitFor(`0 rows: 15 in acme → 14 not deleted → 0 match search "zzz"`)
	f.key("F")
	v := f.waitFor("Jane Doe")
	if strings.Contains(v, "0 rows:") {
		t.Errorf("the funnel line stays after the query is cleared:\n%s", v)
	}
}

// holdFunnel runs cmd like drive, but keeps funnel answers back (returned)
// so that a test decides when they arrive.
func holdFunnel(m *Model, cmd tea.Cmd) []funnelMsg {
	var held []funnelMsg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := runCmd(c)
		switch x := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, x...)
		case funnelMsg:
			held = append(held, x)
		default:
			if engineMsg(msg) {
				_, next := m.Update(msg)
				queue = append(queue, next)
			}
		}
	}
	return held
}

// TestFunnelLargeTableSaysSoAndStops: on a table whose size is over a
// million rows, the grid says so while it counts and offers esc, and esc
// cancels the engine's counting (its answer is the cancellation, and
// nothing is shown from it).
func TestFunnelLargeTableSaysSoAndStops(t *testing.T) {
	e := newEngine(t)
	// One row of another organization at rowid 2,000,000: the table's
	// estimate (its largest rowid) is over a million; u-ben's list stays empty.
	if _, err := enginetest.DB(t, e).Exec(`INSERT INTO interview_notes (rowid, id, organization_id, owner_id, candidate_id, content, created_at, created_by)
		VALUES (2000000, 'n-far', 'globex', 'u-gus', 'c-gx-wei', 'far away', '2026-01-01T00:00:00.000Z', 'u-gus')`); err != nil {
		t.Fatal(err)
	}
	m := New(e, Options{Identity: identity(t, e, "u-ben", ""), Table: "interview_notes", Clipboard: &syncBuffer{}, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	held := holdFunnel(m, m.Init())
	if len(held) != 1 || !held[0].estimated || held[0].estimate != 2_000_000 {
		t.Fatalf("held %+v", held)
	}
	_, count := m.Update(held[0])
	v := plain(m)
	if !strings.Contains(v, "counting why: each stage of interview_notes (about 2,000,000 rows) takes a while — esc stops") {
		t.Fatalf("no note while counting a large table:\n%s", v)
	}
	if !strings.Contains(v, "esc stop counting") {
		t.Errorf("the footer does not offer to stop:\n%s", v)
	}
	if !m.busy() {
		t.Error("the console is not busy while counting")
	}
	press(m, "esc")
	if v := plain(m); !strings.Contains(v, "counting stopped") || strings.Contains(v, "esc stop counting") {
		t.Fatalf("esc does not stop the counting:\n%s", v)
	}
	msg := runCmd(count)
	fm, ok := msg.(funnelMsg)
	if !ok || !errors.Is(fm.err, context.Canceled) {
		t.Fatalf("the engine's counting was not cancelled: %#v", msg)
	}
	m.Update(fm)
	if v := plain(m); !strings.Contains(v, "counting stopped") || m.busy() {
		t.Errorf("after the cancelled answer:\n%s", v)
	}

	// Counted to the end (the list read again), the line is shown as on
	// any table.
	held = holdFunnel(m, m.grid.refresh())
	if len(held) != 1 {
		t.Fatalf("held %+v", held)
	}
	_, count = m.Update(held[0])
	drive(m, count)
	if v := plain(m); !strings.Contains(v, "0 rows: 15 in acme → 14 not deleted → 0 pass owner scope (strict, ownerId = u-ben)") || m.busy() {
		t.Errorf("the large table's funnel:\n%s", v)
	}
}

// TestFunnelAnswerForAnotherIdentityDropped: a funnel counted for one
// identity and answered after a switch is not shown.
func TestFunnelAnswerForAnotherIdentityDropped(t *testing.T) {
	e := newEngine(t)
	m := New(e, Options{Identity: identity(t, e, "u-ben", ""), Table: "interview_notes", Clipboard: &syncBuffer{}, ExportDir: t.TempDir()})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	held := holdFunnel(m, m.Init())
	_, count := m.Update(held[0])
	answer := runCmd(count).(funnelMsg)
	if answer.f == nil || answer.f.Rows() != 0 {
		t.Fatalf("answer %+v", answer)
	}
	dana := identity(t, e, "u-dana", "")
	drive(m, m.switchIdentity(*dana))
	m.Update(answer)
	if v := plain(m); strings.Contains(v, "ownerId = u-ben") {
		t.Errorf("u-ben's funnel is shown to u-dana:\n%s", v)
	}
}
