package tui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/termsafe"
)

// confirm is a (y/N) question under a preview; anything but y is No,
// except the keys that scroll a preview too long for the box.
type confirm struct {
	c         *Common
	title     string
	lines     []string
	question  string
	cancelled string
	// yes issues the confirmed request; back is the form the preview came
	// from, reopened on No (nil: none).
	yes  func() tea.Cmd
	back *form
	w, h int
	// off is the first preview line shown.
	off int
}

// askConfirm asks question under title and the preview lines before a
// write as the identity; what names what is not written on No. Acting as
// a synthetic identity, a Yes asks once more, naming it (syntheticCheck).
func (m *Model) askConfirm(title string, lines []string, question, what string, yes func() tea.Cmd, back *form) tea.Cmd {
	if m.s.id.Synthetic {
		yes = m.syntheticCheck(what, yes, back)
	}
	return m.open(modeConfirm, &confirm{c: m.c, title: title, lines: lines, question: question, cancelled: what, yes: yes, back: back})
}

// syntheticCheck is a second question before write runs as a synthetic
// identity ("any recruiter of acme"): no real user holds it, and its made-up
// user id is what the write records as its author.
func (m *Model) syntheticCheck(what string, write func() tea.Cmd, back *form) func() tea.Cmd {
	id := m.s.id
	label := identityLabel(id)
	return func() tea.Cmd {
		lines := []string{
			"You act as " + label + " (SYNTHETIC): no real user holds this identity.",
			"The write is recorded as user " + termsafe.Sanitize(id.UserID) + " (createdBy, modifiedBy, an owner column) and so in the audit log.",
		}
		m.c.post(openMsg{mode: modeConfirm, comp: &confirm{c: m.c, title: "Write as a synthetic identity?", lines: lines,
			question: "Write " + what + " as " + label + "?", cancelled: what, yes: write, back: back}})
		return nil
	}
}

// SetSize sets the question's box.
func (q *confirm) SetSize(w, h int) { q.w, q.h = w, h; q.scroll(0) }

// room is how many preview lines the box shows (title, question and the
// blank lines around them take four).
func (q *confirm) room() int { return max(1, q.h-4) }

func (q *confirm) scroll(d int) {
	q.off = clamp(q.off+d, 0, max(0, len(q.lines)-q.room()))
}

// Update scrolls a long preview, or answers the question with the key.
func (q *confirm) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	if k := q.c.Keys; len(q.lines) > q.room() {
		switch {
		case k.Down.Matches(km):
			q.scroll(1)
			return nil
		case k.Up.Matches(km):
			q.scroll(-1)
			return nil
		case k.PageDown.Matches(km):
			q.scroll(q.room() - 1)
			return nil
		case k.PageUp.Matches(km):
			q.scroll(1 - q.room())
			return nil
		}
	}
	q.c.post(closeMsg{})
	if q.c.Keys.Yes.Matches(km) {
		return q.yes()
	}
	q.c.post(statusMsg{text: "not written: " + q.cancelled})
	if q.back != nil {
		q.c.post(openMsg{mode: modeForm, comp: q.back})
	}
	return nil
}

// View renders the question.
func (q *confirm) View() string {
	st := q.c.Styles
	var b []string
	b = append(b, st.PanelTitle.Render(termsafe.Truncate(q.title, q.w)), "")
	room := q.room()
	end := min(len(q.lines), q.off+room)
	for _, l := range q.lines[q.off:end] {
		b = append(b, "  "+termsafe.Truncate(l, q.w-2))
	}
	if end < len(q.lines) {
		b[len(b)-1] = st.Reason.Render(termsafe.Truncate(fmt.Sprintf("  ↓ %d more lines (j/k, pgdn)", len(q.lines)-end+1), q.w))
	}
	b = append(b, "", st.Prompt.Render(q.question+" (y/N)"))
	return box(strings.Join(b, "\n"), q.w, q.h)
}

// ShortHelp is the question's footer.
func (q *confirm) ShortHelp() []Binding {
	k := q.c.Keys
	if len(q.lines) > q.room() {
		return []Binding{k.Yes, k.No, k.Down.as("scroll")}
	}
	return []Binding{k.Yes, k.No}
}

// FullHelp lists the answers.
func (q *confirm) FullHelp() []HelpGroup { return []HelpGroup{{"Confirm", q.ShortHelp()}} }
