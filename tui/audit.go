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
