package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/termsafe"
)

// searchDebounce is how long the search line waits after the last key
// before it searches what is typed (live search).
const searchDebounce = 250 * time.Millisecond

// liveSearchMsg searches what the search line held seq keys in; a later
// key makes it stale.
type liveSearchMsg struct {
	seq  int
	text string
}

// searchBar is the search typed in the status line (/). The grid follows
// as the operator types (debounced; the answers of superseded searches are
// dropped by the grid); enter keeps the search, esc puts back the one the
// grid had before.
type searchBar struct {
	c     *Common
	input textinput.Model
	w     int
	// seq counts the edits; before is the grid's search when the line
	// opened, applied the search the grid shows now.
	seq             int
	before, applied string
	// note says which columns the search looks in and which it skips.
	note string
}

func newSearchBar(c *Common) *searchBar {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "search the searchable columns"
	return &searchBar{c: c, input: in}
}

// start edits text (the grid's current search).
func (s *searchBar) start(text string) tea.Cmd {
	s.SetSize(s.w, 1)
	s.input.SetValue(text)
	s.input.CursorEnd()
	s.before, s.applied = text, text
	s.seq++
	return s.input.Focus()
}

// SetSize sets the line's width (its height is one line).
func (s *searchBar) SetSize(w, _ int) {
	s.w = w
	room := w - 20
	if s.note != "" {
		// The note takes what the typing does not need.
		room = w - 6 - termsafe.Width(s.note)
	}
	s.input.Width = max(12, room)
}

// Update types into the search (searching after a pause), keeps it
// (enter) or cancels it (esc).
func (s *searchBar) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch km.Type {
		case tea.KeyEnter:
			s.input.Blur()
			s.seq++
			s.c.post(closeMsg{}, searchMsg{text: strings.TrimSpace(s.input.Value())})
			return nil
		case tea.KeyEsc:
			s.input.Blur()
			s.seq++
			s.c.post(closeMsg{})
			if s.applied != s.before {
				s.c.post(searchMsg{text: s.before})
			}
			return nil
		}
	}
	before := s.input.Value()
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	if s.input.Value() == before {
		return cmd
	}
	s.seq++
	seq, text := s.seq, strings.TrimSpace(s.input.Value())
	return tea.Batch(cmd, tea.Tick(searchDebounce, func(time.Time) tea.Msg { return liveSearchMsg{seq: seq, text: text} }))
}

// live reports whether msg is the search to run now: the line is still
// open and nothing was typed since.
func (s *searchBar) live(msg liveSearchMsg) bool {
	if msg.seq != s.seq || msg.text == s.applied {
		return false
	}
	s.applied = msg.text
	return true
}

// View is the search line, and what the search skips.
func (s *searchBar) View() string {
	v := s.input.View()
	if s.note != "" {
		v += "  " + s.c.Styles.Reason.Render(s.note)
	}
	return termsafe.Truncate(v, s.w)
}

// ShortHelp is the search line's footer.
func (s *searchBar) ShortHelp() []Binding {
	return []Binding{bind(nil, "type", "search as you type"), bind([]string{"enter"}, "enter", "keep"), bind([]string{"esc"}, "esc", "cancel")}
}

// FullHelp lists the search line's keys.
func (s *searchBar) FullHelp() []HelpGroup { return []HelpGroup{{"Search", s.ShortHelp()}} }
