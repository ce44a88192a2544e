package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

// The request the operator waits for (a detail, a compare, a form, a
// preview): a spinner in the status line once it takes a moment, esc to
// stop waiting, and its answer opens only if it is still for the row
// selected.

// spinnerDelay is how long a request runs before the spinner shows (a
// quick answer never flashes the status line).
const spinnerDelay = 200 * time.Millisecond

// activity is the engine request the operator waits for.
type activity struct {
	purpose, label string
	// table and rowID name the row the answer is for ("" for none): it
	// opens only while that row is selected.
	table, rowID string
	started      time.Time
	cancel       context.CancelFunc
	// final: a write or an action that is not a preview: esc does not
	// stop it (it may already be written), only the waiting's display.
	final bool
}

// expect records tag as the awaited request of purpose, shown as label
// while it runs, and returns the context to run it in (esc cancels it).
func (m *Model) expect(purpose string, tag reqTag, label, table, rowID string) context.Context {
	m.await.expect(purpose, tag)
	if m.act != nil {
		m.act.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.act = &activity{purpose: purpose, label: label, table: table, rowID: rowID, started: time.Now(), cancel: cancel}
	return ctx
}

// settle ends the activity of purpose once its answer is taken.
func (m *Model) settle(purpose string) {
	if m.act != nil && m.act.purpose == purpose {
		m.act.cancel()
		m.act = nil
	}
}

// cancelActivity stops waiting for the activity (esc): its answer will be
// dropped. A form a preview came from is opened again, answers kept.
func (m *Model) cancelActivity() tea.Cmd {
	a := m.act
	if a == nil {
		return nil
	}
	if a.final {
		m.setStatus(a.label+"… — a write cannot be called back once sent; its outcome follows", true)
		return nil
	}
	a.cancel()
	m.act = nil
	delete(m.await, a.purpose)
	m.setStatus("stopped waiting: "+a.label, false)
	if (a.purpose == "write" || a.purpose == "run") && m.form != nil {
		return m.open(modeForm, m.form)
	}
	return nil
}

// stillSelected reports whether an answer for the row rowID of table may
// open: that row is still the one selected (always, for no row). When not,
// the status line says the answer was dropped.
func (m *Model) stillSelected(what, table, rowID string) bool {
	if rowID == "" {
		return true
	}
	if g := m.grid; g.t != nil && g.t.Name == table {
		if r, ok := g.selected(); ok && r.ID() == rowID {
			return true
		}
	}
	m.setStatus(what+" of "+rowName(table, rowID)+" not shown: another row is selected now", false)
	return false
}

// spin keeps the spinner turning while an activity runs.
func (m *Model) spin(msg spinner.TickMsg) tea.Cmd {
	if m.act == nil {
		m.spinning = false
		return nil
	}
	var cmd tea.Cmd
	m.spinner, cmd = m.spinner.Update(msg)
	return cmd
}

// startSpinner starts the spinner's ticks when an activity began.
func (m *Model) startSpinner() tea.Cmd {
	if m.act == nil || m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// activityLine is the status line while the activity runs (after
// spinnerDelay), "" otherwise.
func (m *Model) activityLine() string {
	a := m.act
	if a == nil || time.Since(a.started) < spinnerDelay {
		return ""
	}
	hint := " · esc stops waiting"
	if a.final {
		hint = ""
	}
	return m.spinner.View() + " " + a.label + "…" + hint
}
