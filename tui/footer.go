package tui

import (
	"fmt"
	"strings"

	"quickback.dev/qb/engine"
	"quickback.dev/qb/termsafe"
)

// The footer: the status line, then the focused component's key hints.

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr = s, isErr
}

func (m *Model) setError(err error) {
	m.setStatus(engine.FormatError(err), true)
}

func (m *Model) statusView() string {
	st := m.c.Styles
	w := m.c.Width
	if m.mode == modeSearch {
		return m.search.View()
	}
	if line := m.activityLine(); line != "" {
		return st.Status.Render(termsafe.Truncate(line, w))
	}
	s, isErr := termsafe.SanitizeLines(m.status), m.statusErr
	if s == "" {
		s, isErr = m.idleStatus()
		s = termsafe.SanitizeLines(s)
	}
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " · ")), " ")
	style := st.Status
	if isErr {
		style = st.StatusError
	}
	if termsafe.Width(s) <= w {
		return style.Render(s)
	}
	// Too long for one line (an error and the rule that decided it): it
	// takes the hints line too, until the next key clears it.
	lines := wrapText(s, w)
	if len(lines) > 2 {
		lines = []string{lines[0], truncateWords(strings.Join(lines[1:], " "), w)}
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return strings.Join(lines, "\n")
}

// idleStatus is what the status line says when nothing else is: audit
// entries kept out of the log by another writer's lock (an error: the log
// is behind), else why the database is read-only.
func (m *Model) idleStatus() (string, bool) {
	if n, _ := m.s.eng.PendingAudit(); n > 0 {
		return fmt.Sprintf("audit log locked by another writer: %d %s pending, written in order once the lock is released (browsing continues)", n, plural(n, "entry", "entries")), true
	}
	if m.opts.ReadOnlyReason != "" {
		return m.opts.ReadOnlyReason, false
	}
	return "", false
}

func (m *Model) hintsView() string {
	table := ""
	if m.grid.t != nil {
		table = m.grid.t.Name
	}
	stoppable := m.grid.stoppable()
	return m.cached("hints", fmt.Sprintf("%d|%d|%s|%p|%v|%p", m.mode, m.c.Width, table, m.s.may, stoppable, m.overlay), m.renderHints)
}

func (m *Model) renderHints() string {
	st := m.c.Styles
	var parts, tail []string
	for _, b := range m.focused().ShortHelp() {
		h := b.Help()
		p := st.HelpKey.Render(h.Key) + " " + st.HelpDesc.Render(h.Desc)
		// Help and quit are never crowded out of the footer: they come
		// last, and the other hints are dropped before them.
		if m.mode == modeBrowse && (h.Key == m.c.Keys.Help.Help().Key || h.Key == m.c.Keys.Quit.Help().Key) {
			tail = append(tail, p)
			continue
		}
		parts = append(parts, p)
	}
	sep := st.HelpSep.Render(" · ")
	end := strings.Join(tail, sep)
	room := m.c.Width
	if end != "" {
		room -= termsafe.Width(sep + end)
	}
	out := ""
	for i, p := range parts {
		next := out
		if i > 0 {
			next += sep
		}
		next += p
		if termsafe.Width(next) > room {
			break
		}
		out = next
	}
	switch {
	case end == "":
	case out == "":
		out = termsafe.Truncate(end, m.c.Width)
	default:
		out += sep + end
	}
	return out
}
