package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"quickback.dev/qb/engine"
)

// component is one part of the console: the grid, the sidebar, the search
// line, the identity picker, the detail, compare, help, result, matrix and
// audit views, a form, a confirmation and the action list.
//
// The root (Model) gives each component its box with SetSize; the
// component renders within it — View returns exactly that many lines, none
// wider — so the root only stacks the boxes. Keys reach the component that
// has the focus (the mode's: see Model.focused). A component reports
// upwards by posting messages (Common.post): navigation (closeMsg,
// openMsg), status lines and errors, and the choices it was opened for.
type component interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	// ShortHelp lists the bindings the footer shows while it has the focus.
	ShortHelp() []Binding
	// FullHelp lists every binding it answers, grouped.
	FullHelp() []HelpGroup
}

// opener is a component with something to start when it is opened (a
// focused text input, a form's first field).
type opener interface {
	open() tea.Cmd
}

// Common is what every part of the console shares: the terminal size, the
// one Styles and the one KeyMap, and the outbox of messages posted to the
// root. Parts hold a pointer to it.
type Common struct {
	Width, Height int
	Styles        Styles
	Keys          KeyMap
	ReadOnly      bool
	outbox        []tea.Msg
}

// NewCommon builds the shared state with the default styles and keys.
func NewCommon(readOnly bool) *Common {
	c := &Common{Styles: DefaultStyles(), Keys: DefaultKeyMap(), ReadOnly: readOnly}
	c.Keys.SetReadOnly(readOnly)
	return c
}

// post sends messages to the root. The root handles them, in order, before
// its Update returns: a key typed right after esc already reaches the
// component esc uncovered.
func (c *Common) post(msgs ...tea.Msg) { c.outbox = append(c.outbox, msgs...) }

// mode is what the console is doing; it decides which component has the
// focus (receives keys) and which one fills the body.
type mode int

const (
	modeBrowse  mode = iota // the grid, beside the sidebar
	modeSearch              // typing a search in the status line; the grid stays in view
	modePicker              // the identity picker
	modeDetail              // every field with its value and reason
	modeCompare             // the row as every role sees it
	modeForm                // a form: edit, create, filter, action input
	modeConfirm             // a (y/N) question, with a preview
	modeActions             // the record's actions with availability
	modeResult              // the result of an action, or a refused reload
	modeHelp                // full help
	modeMatrix              // the access matrix of the current table
	modeAudit               // the audit log, following new entries
	modePalette             // the command palette
	modeColumns             // the column chooser
)

func (m mode) String() string {
	return [...]string{"browse", "search", "picker", "detail", "compare", "form", "confirm", "actions", "result", "help", "matrix", "audit", "palette", "columns"}[m]
}

// Messages components post to the root.
type (
	// closeMsg closes the open component: back to browsing.
	closeMsg struct{}
	// openMsg shows comp in mode (a preview's "No" goes back to its form).
	openMsg struct {
		mode mode
		comp component
	}
	// statusMsg puts a line in the status bar (isErr: as an error).
	statusMsg struct {
		text  string
		isErr bool
	}
	// errorMsg shows an engine error in the status bar.
	errorMsg struct{ err error }
	// searchMsg applies a search typed in the search line.
	searchMsg struct{ text string }
	// actAsMsg switches to the identity chosen in the picker.
	actAsMsg struct{ id engine.Identity }
	// actionChosenMsg runs (or asks the input of) an available action.
	actionChosenMsg struct {
		table, rowID string
		// since is when the record last changed as the operator saw it.
		since string
		info  engine.ActionInfo
	}
	// formDoneMsg hands in a submitted (or, aborted, a cancelled) form.
	formDoneMsg struct {
		form    *form
		aborted bool
	}
)
