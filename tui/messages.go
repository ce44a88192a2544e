package tui

import (
	"quickback.dev/qb/engine"
)

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
		// ops are every operation's decision, per table; fields how the
		// identity sees every column, per table.
		ops    map[string][]engine.OpExplanation
		fields map[string][]engine.FieldExplanation
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
	// compareCol is the row as one identity sees it: the operator's own,
	// or a synthetic user of one role.
	compareCol struct {
		label string
		you   bool
		row   *engine.Row
		err   error
	}
	// writeMsg is the outcome of a create, update or delete (or its dry run).
	writeMsg struct {
		tag reqTag
		req writeReq
		res *engine.WriteResult
		err error
	}
	// actionsMsg lists the record's actions.
	actionsMsg struct {
		tag   reqTag
		table string
		rowID string
		since string
		list  []engine.ActionInfo
		err   error
	}
	// runMsg is the outcome of an action (or its dry run).
	runMsg struct {
		tag reqTag
		req runReq
		res *engine.ActionResult
		err error
	}
	// exportMsg reports a finished export.
	exportMsg struct {
		file string
		rows int
		// masked: some value was written masked, as shown.
		masked bool
		err    error
	}
	// copiedMsg reports a clipboard copy.
	copiedMsg struct {
		what string
		err  error
	}
)
