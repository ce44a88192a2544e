package tui

import (
	"quickback.dev/qb/engine"
)

// Common is what every part of the console shares: the terminal size, the
// one Styles and the one KeyMap. Parts hold a pointer to it; a resize
// updates it once and cascades through SetSize.
type Common struct {
	Width, Height int
	Styles        Styles
	Keys          KeyMap
	ReadOnly      bool
}

// NewCommon builds the shared state with the default styles and keys.
func NewCommon(readOnly bool) *Common {
	c := &Common{Styles: DefaultStyles(), Keys: DefaultKeyMap(), ReadOnly: readOnly}
	c.Keys.SetReadOnly(readOnly)
	return c
}

// mode decides where a key goes.
type mode int

const (
	modeBrowse  mode = iota
	modeSearch       // typing a search in the grid title line
	modePicker       // identity switcher
	modeDetail       // every field with its value and reason
	modeCompare      // the row as every role sees it
	modeForm         // a huh form: edit, create, filter builder, action input
	modeConfirm      // a (y/N) question, with a preview
	modeActions      // the record's actions with availability
	modeResult       // the result of an action
	modeHelp         // full help
	modeMatrix       // the access matrix of the current table
	modeAudit        // the audit log, following new entries
)

func (m mode) String() string {
	return [...]string{"browse", "search", "picker", "detail", "compare", "form", "confirm", "actions", "result", "help", "matrix", "audit"}[m]
}

// reqTag identifies an engine request: a unique id and the identity it was
// issued for. A result whose tag is not the one awaited is stale and is
// dropped.
type reqTag struct {
	ID       uint64
	Identity engine.Identity
}

// Messages. Every engine call runs as a tea.Cmd whose result is one of
// these, carrying the tag of the request it answers.
type (
	// membersMsg carries the identities that exist.
	membersMsg struct {
		members []engine.Member
		orgs    []engine.Organization
		err     error
	}
	// pageMsg is one page of the grid's current query.
	pageMsg struct {
		tag  reqTag
		gen  int
		page int
		res  *engine.Page
		err  error
	}
	// countMsg is the lazily counted total of the grid's query.
	countMsg struct {
		tag reqTag
		gen int
		n   int64
		err error
	}
	// accessMsg tells, per table, whether the identity may list it.
	accessMsg struct {
		tag    reqTag
		access map[string]engine.OpExplanation
		err    error
	}
	// explainMsg answers a detail, edit or create request.
	explainMsg struct {
		tag     reqTag
		purpose string // "detail", "edit", "create"
		table   string
		rowID   string
		ex      *engine.Explanation
		err     error
	}
	// compareMsg is the row as each role of the organization sees it.
	compareMsg struct {
		tag   reqTag
		table string
		rowID string
		cols  []compareCol
	}
	// compareCol is the row as one role sees it.
	compareCol struct {
		role string
		row  *engine.Row
		err  error
	}
	// writeMsg is the outcome of a create, update or delete (or its dry run).
	writeMsg struct {
		tag   reqTag
		op    string
		table string
		rowID string
		dry   bool
		res   *engine.WriteResult
		data  map[string]any
		err   error
	}
	// actionsMsg lists the record's actions.
	actionsMsg struct {
		tag   reqTag
		table string
		rowID string
		list  []engine.ActionInfo
		err   error
	}
	// runMsg is the outcome of an action (or its dry run).
	runMsg struct {
		tag    reqTag
		table  string
		action string
		rowID  string
		input  map[string]any
		dry    bool
		res    *engine.ActionResult
		err    error
	}
	// exportMsg reports a finished export.
	exportMsg struct {
		file string
		rows int
		err  error
	}
	// copiedMsg reports a clipboard copy.
	copiedMsg struct {
		what string
		err  error
	}
)
