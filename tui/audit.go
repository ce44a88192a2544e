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
	gen     uint64
	entries []engine.AuditEntry
	verify  engine.VerifyResult
	err     error
}

// auditTick asks the open audit view to poll again.
type auditTick struct{ gen uint64 }

// auditLog is the audit view: the latest entries with the chain's status,
// following new ones (by this process or any other) while it is open. Its
// title, chain status and column header stay put; the entries scroll.
type auditLog struct {
	*pager
	s *session
	// gen ties the log's reads to this view: answers for a closed view
	// are dropped.
	gen    uint64
	header []string
	w, h   int
}

func newAuditLog(c *Common, s *session) *auditLog {
	a := &auditLog{s: s, gen: s.tag().ID}
	a.pager = newPager(c, nil, c.Keys.Detail)
	a.pager.lines = []string{"reading the audit log…"}
	return a
}

// open reads the log for the first time.
func (a *auditLog) open() tea.Cmd { return a.read() }

func (a *auditLog) read() tea.Cmd {
	eng, gen := a.s.eng, a.gen
	return func() tea.Msg {
		ctx := context.Background()
		entries, err := eng.AuditEntries(ctx, engine.AuditFilter{Limit: auditViewLimit})
		if err != nil {
			return auditMsg{gen: gen, err: err}
		}
		v, err := eng.VerifyAudit(ctx, "")
		return auditMsg{gen: gen, entries: entries, verify: v, err: err}
	}
}

// SetSize gives the entries what the fixed lines leave.
func (a *auditLog) SetSize(w, h int) {
	a.w, a.h = w, h
	a.pager.SetSize(w, max(1, h-len(a.header)))
}

// Update takes the log's reads and polls again; keys scroll or close.
func (a *auditLog) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case auditTick:
		if msg.gen != a.gen {
			return nil
		}
		return a.read()
	case auditMsg:
		if msg.gen != a.gen {
			return nil
		}
		if msg.err != nil {
			a.c.post(errorMsg{msg.err})
			return nil
		}
		atEnd := a.atEnd()
		lines := auditLines(a.c.Styles, msg.entries, msg.verify)
		a.header = lines[:auditHeaderLines]
		a.pager.lines = lines[auditHeaderLines:]
		a.SetSize(a.w, a.h)
		// Newest at the bottom: a view at the end stays at the end.
		if atEnd {
			a.scroll(len(a.pager.lines))
		}
		gen := msg.gen
		return tea.Tick(auditFollowEvery, func(time.Time) tea.Msg { return auditTick{gen: gen} })
	}
	return a.pager.Update(msg)
}

// View renders the fixed lines over the entries.
func (a *auditLog) View() string {
	return box(strings.Join(append(append([]string(nil), a.header...), a.pager.View()), "\n"), a.w, a.h)
}

func auditLines(st Styles, entries []engine.AuditEntry, v engine.VerifyResult) []string {
	witnessed := "no witness file"
	if v.Witness.Found {
		witnessed = fmt.Sprintf("%d witnessed heads checked", v.Witness.Heads)
	}
	chain := st.Reason.Render(termsafe.Sanitize(fmt.Sprintf("chain verified: %d entries, %s, head %d:%s", v.Entries, witnessed, v.HeadSeq, shortHash(v.Head))))
	if !v.OK {
		chain = st.StatusError.Render(termsafe.Sanitize(fmt.Sprintf("CHAIN BROKEN at entry %d: %s", v.BrokenSeq, v.Problem)))
	}
	lines := []string{st.PanelTitle.Render("Audit log") + st.Reason.Render("  (following new entries; esc to close)"), chain, ""}
	// The outcome comes right after the time and the OS user last: at 120
	// columns the outcome (ok or the refusal's code) must not be cut off.
	// The role acted as, with the role the user really holds when --role
	// overrode it; the session's reason after the record.
	rows := [][]string{{"seq", "at", "outcome", "user", "org", "role", "operation", "table", "record", "reason", "fields", "os user"}}
	for _, e := range entries {
		role := e.Role
		if e.RealRole != "" {
			role += " (really " + e.RealRole + ")"
		}
		rows = append(rows, []string{fmt.Sprint(e.Seq), viewTime(e.At), e.Outcome, e.UserID, e.OrgID, role, e.Operation, e.Table, e.RecordID, e.Reason, strings.Join(e.Fields, ","), e.OSUser})
	}
	return append(lines, alignRows(rows)...)
}

// alignRows lays out sanitized cells in columns.
func alignRows(rows [][]string) []string {
	widths := make([]int, len(rows[0]))
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

// viewTime is a stored time to the second ("2026-03-02 09:00:00"): the
// view is a glance, `qb audit` has the milliseconds.
func viewTime(at string) string {
	if len(at) >= 19 && at[10] == 'T' {
		return at[:10] + " " + at[11:19]
	}
	return at
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
