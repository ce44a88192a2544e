package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// auditFollowEvery is how often the audit view polls for new entries.
const auditFollowEvery = time.Second

// auditHeaderLines are the lines of the audit view that do not scroll:
// title, chain status, blank line, column header.
const auditHeaderLines = 4

// auditViewLimit is how many of the latest entries the audit view shows.
const auditViewLimit = 500

// auditMsg answers a read of the audit log. gen ties it to the audit view
// that asked: an answer for a closed or reopened view is dropped.
type auditMsg struct {
	gen     int
	entries []engine.AuditEntry
	verify  engine.VerifyResult
	err     error
}

// auditTick asks the open audit view to poll again.
type auditTick struct{ gen int }

// openMatrix shows the access matrix of the current table: every role ×
// operation, field and action, from the engine's own compilation.
func (m *Model) openMatrix() {
	table := ""
	if m.grid.t != nil {
		table = m.grid.t.Name
	}
	mx, err := engine.BuildMatrix(m.cfg, table)
	if err != nil {
		m.setError(err)
		return
	}
	st := m.c.Styles
	lines := []string{st.PanelTitle.Render("Access matrix") + st.Reason.Render("  (esc to close; what every role may see and do, from quickback.toml)")}
	for _, tm := range mx.Tables {
		lines = append(lines, "", st.Label.Render(termsafe.Sanitize(tm.Table)))
		rows := [][]string{append([]string{"operation"}, mx.Roles...)}
		for _, op := range []string{"list", "get", "create", "update", "delete"} {
			row := []string{op}
			for _, role := range mx.Roles {
				row = append(row, cellSummary(tm, op, role))
			}
			rows = append(rows, row)
		}
		lines = append(lines, alignRows(rows)...)
		frows := [][]string{append([]string{"field"}, mx.Roles...)}
		for _, f := range tm.Fields {
			row := []string{f.Field}
			for _, fc := range f.Roles {
				row = append(row, fieldSummary(f, fc))
			}
			frows = append(frows, row)
		}
		lines = append(lines, "")
		lines = append(lines, alignRows(frows)...)
		lines = append(lines, st.Reason.Render("  c = may set it on create, u = on update"))
		if len(tm.Actions) > 0 {
			arows := [][]string{append([]string{"action"}, mx.Roles...)}
			for _, a := range tm.Actions {
				row := []string{a.Action}
				for _, ac := range a.Roles {
					s := ac.Summary()
					if ac.Decision.Decision != engine.Denied && len(ac.From) > 0 {
						s += " from " + strings.Join(ac.From, "/")
					}
					row = append(row, s)
				}
				arows = append(arows, row)
			}
			lines = append(lines, "")
			lines = append(lines, alignRows(arows)...)
		}
	}
	m.panel = newPanel(m.c, lines)
	m.panel.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeMatrix
}

func cellSummary(tm *engine.TableMatrix, op, role string) string {
	for _, c := range tm.Operations {
		if c.Operation == op && c.Role == role {
			return c.Summary()
		}
	}
	return ""
}

func fieldSummary(f engine.FieldRow, fc engine.FieldCell) string {
	s := fc.Visibility
	if fc.Visibility != "raw" && f.MaskType != "" {
		s += "(" + f.MaskType + ")"
	}
	var w []string
	if fc.Create {
		w = append(w, "c")
	}
	if fc.Update {
		w = append(w, "u")
	}
	if len(w) > 0 {
		s += " " + strings.Join(w, "+")
	}
	if f.Protected {
		s += " protected: " + strings.Join(f.ProtectedBy, ",")
	}
	return s
}

// alignRows lays out sanitized cells in columns.
func alignRows(rows [][]string) []string {
	widths := map[int]int{}
	for _, r := range rows {
		for j, c := range r {
			widths[j] = max(widths[j], min(termsafe.Width(termsafe.Sanitize(c)), 30))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for j, c := range r {
			b.WriteString("  " + termsafe.Pad(termsafe.Sanitize(c), widths[j]))
		}
		out[i] = strings.TrimRight(b.String(), " ")
	}
	return out
}

// openAudit shows the latest audit entries and follows new ones while open.
func (m *Model) openAudit() tea.Cmd {
	m.auditGen++
	m.auditHeader = nil
	m.panel = newPanel(m.c, []string{"reading the audit log…"})
	m.panel.SetSize(m.c.Width, m.bodyHeight())
	m.mode = modeAudit
	return m.readAudit(m.auditGen)
}

func (m *Model) readAudit(gen int) tea.Cmd {
	st := m.s.eng
	return func() tea.Msg {
		ctx := context.Background()
		entries, err := st.AuditEntries(ctx, engine.AuditFilter{Limit: auditViewLimit})
		if err != nil {
			return auditMsg{gen: gen, err: err}
		}
		v, err := st.VerifyAudit(ctx, "")
		return auditMsg{gen: gen, entries: entries, verify: v, err: err}
	}
}

// auditUpdate handles the audit view's messages; stale ones are dropped.
func (m *Model) auditUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditTick:
		if m.mode != modeAudit || msg.gen != m.auditGen {
			return nil
		}
		return m.readAudit(msg.gen)
	case auditMsg:
		if m.mode != modeAudit || msg.gen != m.auditGen {
			return nil
		}
		if msg.err != nil {
			m.setError(msg.err)
			return nil
		}
		atEnd := m.panel.off >= max(0, len(m.panel.lines)-m.panel.h)
		lines := m.auditLines(msg.entries, msg.verify)
		// The title, the chain's status and the column header stay on
		// screen; the entries scroll under them, newest at the bottom.
		m.panel.lines = lines[auditHeaderLines:]
		m.auditHeader = lines[:auditHeaderLines]
		m.panel.SetSize(m.c.Width, m.panelHeight())
		if atEnd {
			m.panel.scroll(len(m.panel.lines))
		} else {
			m.panel.scroll(0)
		}
		gen := msg.gen
		return tea.Tick(auditFollowEvery, func(time.Time) tea.Msg { return auditTick{gen: gen} })
	}
	return nil
}

func (m *Model) auditLines(entries []engine.AuditEntry, v engine.VerifyResult) []string {
	st := m.c.Styles
	chain := st.Reason.Render(fmt.Sprintf("chain verified: %d entries, head %s", v.Entries, shortHash(v.Head)))
	if !v.OK {
		chain = st.StatusError.Render(termsafe.Sanitize(fmt.Sprintf("CHAIN BROKEN at entry %d: %s", v.BrokenSeq, v.Problem)))
	}
	lines := []string{st.PanelTitle.Render("Audit log") + st.Reason.Render("  (following new entries; esc to close)"), chain, ""}
	// The outcome comes right after the time and the OS user last: at 120
	// columns the outcome (ok or the refusal's code) must not be cut off.
	rows := [][]string{{"seq", "at", "outcome", "user", "org", "role", "operation", "table", "record", "fields", "os user"}}
	for _, e := range entries {
		rows = append(rows, []string{fmt.Sprint(e.Seq), e.At, e.Outcome, e.UserID, e.OrgID, e.Role, e.Operation, e.Table, e.RecordID, strings.Join(e.Fields, ","), e.OSUser})
	}
	return append(lines, alignRows(rows)...)
}

// panelHeight is the height of the scrolling panel: the body, less the
// audit view's fixed header while it is shown.
func (m *Model) panelHeight() int {
	if m.mode == modeAudit {
		return max(1, m.bodyHeight()-len(m.auditHeader))
	}
	return m.bodyHeight()
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
