package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/termsafe"
)

// searchBar is the search typed in the status line (/): enter applies it
// to the grid, esc leaves the grid's search as it was.
type searchBar struct {
	c     *Common
	input textinput.Model
	w     int
}

func newSearchBar(c *Common) *searchBar {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "search the searchable columns"
	return &searchBar{c: c, input: in}
}

// start edits text (the grid's current search).
func (s *searchBar) start(text string) tea.Cmd {
	s.input.SetValue(text)
	s.input.CursorEnd()
	return s.input.Focus()
}

// SetSize sets the line's width (its height is one line).
func (s *searchBar) SetSize(w, _ int) {
	s.w = w
	s.input.Width = max(10, w-20)
}

// Update types into the search, applies it (enter) or cancels it (esc).
func (s *searchBar) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch km.Type {
		case tea.KeyEnter:
			s.input.Blur()
			s.c.post(closeMsg{}, searchMsg{text: strings.TrimSpace(s.input.Value())})
			return nil
		case tea.KeyEsc:
			s.input.Blur()
			s.c.post(closeMsg{})
			return nil
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

// View is the search line.
func (s *searchBar) View() string { return termsafe.Truncate(s.input.View(), s.w) }

// ShortHelp is the search line's footer.
func (s *searchBar) ShortHelp() []Binding {
	return []Binding{bind([]string{"enter"}, "enter", "apply"), bind([]string{"esc"}, "esc", "cancel")}
}

// FullHelp lists the search line's keys.
func (s *searchBar) FullHelp() []HelpGroup { return []HelpGroup{{"Search", s.ShortHelp()}} }
